"""Settings of the voxel -> game-ready mesh pipeline, one dataclass shared by the CLI and Blender."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .orient import SIZE_BY_CHOICES
from .palettes import frame_finishes
from .symmetry import MIRROR_CHOICES

COMPRESSIONS = (None, "draco")
# --size bounds: below a millimetre the meshes' triangles fall under the degenerate-area check, and a
# 10 km chair is a typo (float32 vertices still hold a voxel's detail there)
MIN_SIZE_M, MAX_SIZE_M = 0.001, 10_000.0


@dataclass
class ExportSettings:
    threshold: float = 0.5  # occupancy >= threshold is solid
    mirror: str | None = None  # None, "x", "z" or "auto": make the shape mirror-symmetric (+Y-up frame)
    keep_bodies: float = 1.0  # keep bodies with >= this fraction of the largest's voxels (1.0 = largest only)
    fill_cavities: bool = True  # sealed inner voids only add hidden triangles
    # refuse (TipsOverError) a shape that, stood on a floor, topples further than this; None = keep all
    max_tilt_deg: float | None = None
    # refuse (TooFlatError) a shape whose height is less than this times its width; None = keep all
    min_height_ratio: float | None = None
    # refuse (BrokenError) a shape whose parts cut off from the main body (after clean.bridge_bodies) hold
    # more than this share of its solid voxels: a chair whose base broke off; None = drop them and keep the rest
    max_loose_share: float | None = None
    # a shape that rocks loses bottom layers, at most this fraction of its largest extent, until it stands
    level_base: float = 0.0
    min_voxels: int = 8  # fewer solid voxels than this after cleaning = an empty sample
    max_fill: float = 0.9  # a larger solid fraction of the grid = a collapsed "all full" sample
    # constrained fairing passes (fairing.py): 50 takes the stair steps off slanted faces; 0 keeps the raw surface
    smooth_iterations: int = 50
    faces: int = 5000  # triangle budget of LOD0
    lods: int = 1  # number of LODs; LOD k has faces * lod_ratio**k triangles, at most LOD0's * lod_ratio**k
    lod_ratio: float = 0.5
    size_m: float = 1.0  # size of each asset in metres: its largest bounding-box extent, or its height
    size_by: str = "largest"  # what size_m measures: "largest" or "height"
    # turn each shape about +Y by this many degrees (a multiple of 90) before meshing, so a model's front faces +Z,
    # glTF's forward (a model card's export.yaw_deg: -90 for the bundled sofas, which face +X)
    yaw_deg: int = 0
    collision: str | None = None  # None, "godot" (-convcolonly) or "unreal" (UCX_)
    collision_max_vertices: int = 255  # PhysX / Unreal limit for one convex hull
    collision_hulls: int = 1  # 1: one convex hull; more: a convex decomposition into at most this many
    uv: bool = False  # a UV atlas (TEXCOORD_0) per LOD, for lightmaps and texture baking (xatlas)
    # ambient occlusion baked over the UV atlas (implies uv): an occlusion map of ao_size^2 for LOD0,
    # halved per LOD down to 64^2
    ao: bool = False
    ao_size: int = 256
    base_color: tuple[float, float, float, float] = field(default=(0.8, 0.8, 0.8, 1.0))
    # linear RGBA colours dealt out to the assets in order (asset i gets palette[i % len]); None: base_color
    palette: tuple[tuple[float, float, float, float], ...] | None = None
    # every asset also carries each palette colour as a material variant (KHR_materials_variants), its dealt
    # colour the default: viewers and engines that read variants switch colours without another file
    variants: bool = False
    roughness: float = 0.8
    # None: one material per asset; a finish (palettes.FRAME_FINISHES: wood, oak, black, white, metal, brass) or
    # a hex colour, or several dealt in order ('wood metal'): the frame (legs, rails, bases; parts.py) of each
    # asset gets a material of its own in its finish
    frame: str | None = None
    # an empty node per sitting place on each asset's seat (<name>_seat, <name>_seat1, ...; seats.py), facing
    # forward (+Z of the node), where a game sits a character; the manifest lists them
    seats: bool = False
    # None: plain accessors; "draco": meshes Draco-coded (KHR_draco_mesh_compression, draco.py), several
    # times smaller for the web, but only for readers with a Draco decoder
    compress: str | None = None
    # > 0: also write each asset's picture as a thumbnail_size px PNG with a transparent background (an icon
    # for a game's build menu or an asset browser), in a folder beside the asset file (bundle.Outputs)
    thumbnail_size: int = 0

    def __post_init__(self) -> None:
        if self.thumbnail_size and not 16 <= self.thumbnail_size <= 2048:
            raise ValueError(f"thumbnail_size must be 0 (none) or 16..2048 px, got {self.thumbnail_size}")
        if self.yaw_deg % 90:
            raise ValueError(f"yaw must be a multiple of 90 degrees, got {self.yaw_deg}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.mirror is not None and self.mirror not in MIRROR_CHOICES:
            raise ValueError(f"mirror must be None or one of {', '.join(MIRROR_CHOICES)}, got {self.mirror!r}")
        if not 0.0 < self.keep_bodies <= 1.0:
            raise ValueError(f"keep_bodies must be in (0, 1], got {self.keep_bodies}")
        if self.max_tilt_deg is not None and not 0.0 <= self.max_tilt_deg <= 180.0:
            raise ValueError(f"max_tilt_deg must be None or in [0, 180] degrees, got {self.max_tilt_deg}")
        if self.min_height_ratio is not None and not 0.0 <= self.min_height_ratio <= 10.0:
            raise ValueError(f"min_height_ratio must be None or in [0, 10] (height over width), "
                             f"got {self.min_height_ratio}")
        if self.max_loose_share is not None and not 0.0 <= self.max_loose_share <= 1.0:
            raise ValueError(f"max_loose_share must be None or in [0, 1], got {self.max_loose_share}")
        if not 0.0 <= self.level_base <= 0.25:
            raise ValueError(f"level_base must be in [0, 0.25] (a share of the largest extent), got {self.level_base}")
        if self.faces < 12:
            raise ValueError(f"faces must be at least 12 (a tetrahedron-like minimum), got {self.faces}")
        if self.lods < 1:
            raise ValueError(f"lods must be at least 1, got {self.lods}")
        if not 0.0 < self.lod_ratio < 1.0:
            raise ValueError(f"lod_ratio must be in (0, 1), got {self.lod_ratio}")
        if not MIN_SIZE_M <= self.size_m <= MAX_SIZE_M:
            raise ValueError(f"size must be {MIN_SIZE_M:g} to {MAX_SIZE_M:g} metres, got {self.size_m}")
        if self.size_by not in SIZE_BY_CHOICES:
            raise ValueError(f"size_by must be one of {', '.join(SIZE_BY_CHOICES)}, got {self.size_by!r}")
        if self.smooth_iterations < 0:
            raise ValueError(f"smooth_iterations must be >= 0, got {self.smooth_iterations}")
        if self.ao_size not in (64, 128, 256, 512, 1024, 2048):
            raise ValueError(f"ao_size must be a power of two from 64 to 2048, got {self.ao_size}")
        if self.ao:
            self.uv = True  # the occlusion map is laid out over the UV atlas
        if self.collision not in (None, "godot", "unreal"):
            raise ValueError(f"collision must be None, 'godot' or 'unreal', got {self.collision!r}")
        if not 1 <= self.collision_hulls <= 32:
            raise ValueError(f"collision_hulls must be 1 to 32, got {self.collision_hulls}")
        if self.collision is None and self.collision_hulls != 1:
            raise ValueError("collision_hulls needs a collision hull style: add --collision (godot or unreal)")
        if self.compress not in COMPRESSIONS:
            raise ValueError(f"compress must be None or 'draco', got {self.compress!r}")
        if len(self.base_color) not in (3, 4) or not all(0.0 <= c <= 1.0 for c in self.base_color):
            raise ValueError(f"base_color must be 3 or 4 values in [0, 1], got {self.base_color}")
        if len(self.base_color) == 3:
            self.base_color = (*self.base_color, 1.0)
        self.base_color = tuple(float(c) for c in self.base_color)
        if self.palette is not None:
            if not self.palette or any(len(c) not in (3, 4) or not all(0.0 <= v <= 1.0 for v in c)
                                       for c in self.palette):
                raise ValueError(f"palette must be one or more colours of 3 or 4 values in [0, 1], got {self.palette}")
            self.palette = tuple((*map(float, c), 1.0)[:4] for c in self.palette)  # RGB -> RGBA, opaque
        if self.frame is not None:
            frame_finishes(self.frame, self.roughness)  # raises ValueError saying what it takes
        if self.variants and len(set(self.palette or ())) < 2:
            raise ValueError("variants are the palette's colours: give a palette of two or more colours")

    def color_of(self, index: int) -> tuple[float, float, float, float]:
        """Linear RGBA base colour of the index-th asset of a set: the palette's, dealt in order, or base_color."""
        return self.palette[index % len(self.palette)] if self.palette else self.base_color

    def has_frame_material(self) -> bool:
        """Whether any asset gets a frame material (--frame given, and not only `none`)."""
        return self.frame is not None and any(f is not None for _, f in frame_finishes(self.frame, self.roughness))

    def frame_of(self, index: int) -> tuple[str, tuple | None] | None:
        """The index-th asset's frame finish, dealt in order: (its name as written, (linear RGBA, roughness,
        metallic) or None for `none`), or None without --frame."""
        if self.frame is None:
            return None
        finishes = frame_finishes(self.frame, self.roughness)
        return finishes[index % len(finishes)]

    def ao_sizes(self) -> list[int]:
        """Occlusion map size per LOD, e.g. ao_size=256, lods=3 -> [256, 128, 64]."""
        return [max(64, self.ao_size >> k) for k in range(self.lods)]

    def lod_budgets(self) -> list[int]:
        """Triangle budget per LOD, e.g. faces=5000, lods=3 -> [5000, 2500, 1250]."""
        return [max(12, int(self.faces * self.lod_ratio**k)) for k in range(self.lods)]

    def to_dict(self) -> dict:
        return asdict(self)
