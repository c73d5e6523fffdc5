"""Stages 6 and 8: material and GLB writing (pygltflib). One node per asset; LODs as children
named `<asset>_LOD<k>`; an optional collision hull named for Godot or Unreal; optionally a palette's colours as
material variants (KHR_materials_variants)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
import pygltflib as g

from .collision import collision_node_name
from .material_names import PREFIX, colour_hex, frame_name, surface_name
from .mesh import MeshData
from .pipeline import Asset
from .preview import png_bytes
from .seats import seat_node_name

ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125
LINEAR, LINEAR_MIPMAP_LINEAR, CLAMP_TO_EDGE = 9729, 9987, 33071
GENERATOR = "iggan-assets"
VARIANTS = "KHR_materials_variants"


@dataclass
class PlacedAsset:
    """An asset with its node name, position in the file (metres) and extras for the node."""

    name: str
    asset: Asset
    translation: tuple[float, float, float] = (0.0, 0.0, 0.0)
    extras: dict = field(default_factory=dict)
    color: tuple[float, float, float, float] | None = None  # linear RGBA; None: the file's base_color
    # with --frame: the frame's (linear RGBA, roughness, metallic) for Asset.frame's faces; None: no frame material
    frame: tuple | None = None


class _Builder:
    """Accumulates one binary buffer plus the JSON objects that point into it."""

    def __init__(self) -> None:
        self.gltf = g.GLTF2(asset=g.Asset(version="2.0", generator=GENERATOR))
        self.blob = bytearray()
        self.material_names: set[str] = set()

    def _view(self, data: bytes, target: int) -> int:
        self.blob.extend(b"\0" * (-len(self.blob) % 4))  # accessors need 4-byte alignment
        self.gltf.bufferViews.append(g.BufferView(buffer=0, byteOffset=len(self.blob),
                                                  byteLength=len(data), target=target))
        self.blob.extend(data)
        return len(self.gltf.bufferViews) - 1

    def _accessor(self, array: np.ndarray, target: int, kind: str, ctype: int, minmax: bool = False) -> int:
        view = self._view(array.tobytes(), target)
        acc = g.Accessor(bufferView=view, componentType=ctype, count=len(array), type=kind)
        if minmax:  # glTF requires min/max on POSITION (bounding boxes, culling)
            acc.min = [float(x) for x in array.min(axis=0)]
            acc.max = [float(x) for x in array.max(axis=0)]
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def material(self, name: str, color, roughness: float, blend: bool = False, occlusion: int | None = None,
                 colour_map: int | None = None, metallic: float = 0.0) -> int:
        # metallicFactor defaults to 1.0 in glTF: a plastic/wood prop must say 0 explicitly
        pbr = g.PbrMetallicRoughness(baseColorFactor=[float(c) for c in color], metallicFactor=float(metallic),
                                     roughnessFactor=float(roughness))
        if colour_map is not None:  # the map carries the colour; the factor multiplies it, so white
            pbr.baseColorFactor = [1.0, 1.0, 1.0, float(color[3]) if len(color) > 3 else 1.0]
            pbr.baseColorTexture = g.TextureInfo(index=colour_map, texCoord=0)
        # two colours a rounding apart share a hex (material_names): an importer would merge them by name
        unique, k = name, 2
        while unique in self.material_names:
            unique, k = f"{name}_{k}", k + 1
        self.material_names.add(unique)
        mat = g.Material(name=unique, pbrMetallicRoughness=pbr, alphaMode=g.BLEND if blend else g.OPAQUE)
        if occlusion is not None:
            mat.occlusionTexture = g.OcclusionTextureInfo(index=occlusion, texCoord=0)
        self.gltf.materials.append(mat)
        return len(self.gltf.materials) - 1

    def png_texture(self, name: str, image: np.ndarray) -> int:
        """(S, S) uint8 -> a texture of an embedded grayscale PNG (glTF reads occlusion from R = grey);
        (S, S, 3) uint8 -> an RGB PNG (a colour map, sRGB)."""
        view = self._view(png_bytes(Image.fromarray(image, mode="L" if image.ndim == 2 else "RGB")), target=None)
        self.gltf.images.append(g.Image(name=name, bufferView=view, mimeType="image/png"))
        if not self.gltf.samplers:  # one sampler for every map: trilinear, clamped at the atlas edge
            self.gltf.samplers.append(g.Sampler(magFilter=LINEAR, minFilter=LINEAR_MIPMAP_LINEAR,
                                                wrapS=CLAMP_TO_EDGE, wrapT=CLAMP_TO_EDGE))
        self.gltf.textures.append(g.Texture(name=name, source=len(self.gltf.images) - 1, sampler=0))
        return len(self.gltf.textures) - 1

    def _primitive(self, mesh: MeshData, material: int, variant_materials: list[int] | None) -> g.Primitive:
        pos = np.ascontiguousarray(mesh.vertices, np.float32)
        attrs = g.Attributes(POSITION=self._accessor(pos, ARRAY_BUFFER, g.VEC3, FLOAT, minmax=True))
        if mesh.normals is not None:
            attrs.NORMAL = self._accessor(np.ascontiguousarray(mesh.normals, np.float32), ARRAY_BUFFER, g.VEC3, FLOAT)
        if mesh.uvs is not None:
            attrs.TEXCOORD_0 = self._accessor(np.ascontiguousarray(mesh.uvs, np.float32), ARRAY_BUFFER, g.VEC2, FLOAT)
        # 16-bit indices when they fit (65535 itself is the reserved primitive-restart value)
        small = len(pos) < 65535
        idx = mesh.faces.astype(np.uint16 if small else np.uint32).ravel()
        indices = self._accessor(idx, ELEMENT_ARRAY_BUFFER, g.SCALAR, UNSIGNED_SHORT if small else UNSIGNED_INT)
        prim = g.Primitive(attributes=attrs, indices=indices, material=material, mode=g.TRIANGLES)
        if variant_materials:
            prim.extensions = {VARIANTS: {"mappings": [{"material": m, "variants": [k]}
                                                       for k, m in enumerate(variant_materials)]}}
        return prim

    def mesh(self, name: str, mesh: MeshData, material: int, variant_materials: list[int] | None = None,
             frame: np.ndarray | None = None, frame_material: int | None = None) -> int:
        """variant_materials: the primitive's material under each of the file's variants, in their order.
        frame: (F,) bool, the faces drawn with frame_material: they become a second primitive with its own
        vertices (a Draco coder codes each primitive's vertices apart), which keeps its material under every
        variant (the variants recolour the body)."""
        if frame is None or not np.any(frame):
            primitives = [self._primitive(mesh, material, variant_materials)]
        elif np.all(frame):
            primitives = [self._primitive(mesh, frame_material, None)]
        else:
            primitives = [self._primitive(mesh.subset(~frame), material, variant_materials),
                          self._primitive(mesh.subset(frame), frame_material, None)]
        self.gltf.meshes.append(g.Mesh(name=name, primitives=primitives))
        return len(self.gltf.meshes) - 1

    def node(self, **kwargs) -> int:
        self.gltf.nodes.append(g.Node(**kwargs))
        return len(self.gltf.nodes) - 1

    def to_bytes(self) -> bytes:
        """The GLB; the builder's buffer is handed over (pygltflib copies it into the file's BIN chunk) and let go
        before the chunks are joined, so a 1,000-asset file is held twice at most, not four times."""
        self.gltf.buffers.append(g.Buffer(byteLength=len(self.blob)))
        self.gltf.set_binary_blob(self.blob)
        chunks = self.gltf.save_to_bytes()
        self.gltf.set_binary_blob(None)
        self.blob = bytearray()
        return b"".join(chunks)


def _has_maps(asset) -> bool:
    return asset.occlusion is not None or asset.colour is not None


def variant_colours(palette) -> list[tuple[float, ...]]:
    """A palette's colours as the file's variants: each once, in the palette's order."""
    return list(dict.fromkeys(tuple(float(x) for x in c) for c in palette or ()))


def variant_name(colour) -> str:
    """A linear RGBA colour's name as a variant: its sRGB hex, as people pick colours ('#5c4033')."""
    return "#" + colour_hex(colour)


def _mapped_materials(b: _Builder, names: list[str], asset, colour, roughness: float, palette_variants: list,
                      frame=None):
    """For an asset with maps: each LOD's material (its occlusion and colour maps, in the asset's colour), its
    materials under the variants, which share the LOD's occlusion map (none when painted from photos: the map is
    its colour), and with a frame finish (colour, roughness, metallic) its frame material over the same occlusion
    map -> (materials, variant materials per LOD, frame material per LOD or Nones)."""
    occlusion = asset.occlusion or [None] * len(names)
    colour_maps = asset.colour or [None] * len(names)
    materials, variant_materials, frame_materials = [], [], []
    for k, (name, ao, rgb) in enumerate(zip(names, occlusion, colour_maps)):
        ao_map = None if ao is None else b.png_texture(f"{name}_occlusion", ao)
        # painted from photos, the map is the look and the asset's own (`<LOD>_surface`); else named by its colour
        materials.append(b.material(f"{name}_surface" if rgb is not None else surface_name(colour, roughness, name),
                                    colour, roughness, occlusion=ao_map,
                                    colour_map=None if rgb is None else b.png_texture(f"{name}_colour", rgb)))
        variant_materials.append([] if rgb is not None else  # the asset's own colour: its own material
                                 [materials[-1] if c == colour else
                                  b.material(surface_name(c, roughness, name), c, roughness, occlusion=ao_map)
                                  for c in palette_variants])
        has_frame = frame is not None and asset.frame is not None and bool(np.any(asset.frame[k]))
        frame_materials.append(b.material(frame_name(frame, name), frame[0], frame[1], occlusion=ao_map,
                                          metallic=frame[2]) if has_frame else None)
    return materials, variant_materials, frame_materials


def build_glb(assets: list[PlacedAsset], base_color=(0.8, 0.8, 0.8, 1.0), roughness: float = 0.8,
              collision_style: str = "godot", material_prefix: str = PREFIX, variants=None) -> bytes:
    """GLB bytes with one root node per asset.

    Per asset: with one LOD the node carries the mesh; with several it is an empty parent of
    `<name>_LOD0`, `<name>_LOD1`, ... (Unity's importer builds an LODGroup from these suffixes;
    see docs/export.md for why not MSFT_lod). A collision hull is a child node.
    variants: linear RGBA colours (a palette) or None. Each becomes a KHR_materials_variants variant named by its
    sRGB hex, and every LOD of an asset not painted from photos maps each variant to a material of that colour
    (with the asset's occlusion map, if any); the asset's own colour stays the default material.
    An asset with a frame finish (PlacedAsset.frame) whose LODs carry frame faces (Asset.frame) draws them as a
    second primitive in a frame material (one per finish, `iggan_frame_wood`, `iggan_frame_3b2a1e`, ...; or per LOD
    with its occlusion map, `<LOD>_frame_wood`); the variants leave it as it is.
    Materials are named by their look (material_names: `iggan_surface_e7e7e7`, `<LOD>_surface_e7e7e7` with maps), so
    files with different looks never share a material name and a `--split` file names its colour as the set does.
    An asset with sitting places (Asset.seats) has an empty child node at each, its +Z the way the sitter faces
    (glTF's forward), named by seat_node_name.
    """
    if not assets:
        raise ValueError("no assets to write")
    b = _Builder()
    palette_variants = variant_colours(variants)
    # one material per colour shared by the assets without maps (an unused one would be flagged)
    plain = [p for p in assets if not _has_maps(p.asset)]
    colours = list(dict.fromkeys([*(tuple(p.color or base_color) for p in plain),
                                  *(palette_variants if plain else [])]))
    surfaces = {c: b.material(surface_name(c, roughness, material_prefix), c, roughness) for c in colours}
    hull_material = None
    shared_frames: dict[tuple, int] = {}  # one frame material per finish, shared by the assets without maps
    roots = []
    for placed in assets:
        lods, children = placed.asset.lods, []
        names = [placed.name] if len(lods) == 1 else [f"{placed.name}_LOD{k}" for k in range(len(lods))]
        colour_of_asset = tuple(placed.color or base_color)
        materials = [surfaces.get(colour_of_asset)] * len(lods)
        # per LOD, its material under each variant; none for an asset painted from photos (the map is its colour)
        variant_materials = [[surfaces.get(c) for c in palette_variants]] * len(lods)
        frame = placed.frame
        frames = placed.asset.frame if frame is not None and placed.asset.frame is not None else [None] * len(lods)
        if _has_maps(placed.asset):  # each LOD has its own atlas, so its own maps and material
            materials, variant_materials, frame_materials = _mapped_materials(
                b, names, placed.asset, colour_of_asset, roughness, palette_variants, frame)
        else:
            key = None if frame is None else tuple(map(float, (*frame[0], frame[1], frame[2])))
            if key is not None and key not in shared_frames and any(f is not None and f.any() for f in frames):
                shared_frames[key] = b.material(frame_name(frame, material_prefix), frame[0], frame[1],
                                                metallic=frame[2])
            frame_materials = [shared_frames.get(key)] * len(lods)
        if len(lods) == 1:
            mesh = b.mesh(placed.name, lods[0], materials[0], variant_materials[0], frames[0], frame_materials[0])
        else:
            mesh = None
            for name, lod, mat, per_variant, faces, frame_mat in zip(names, lods, materials, variant_materials,
                                                                    frames, frame_materials):
                children.append(b.node(name=name, mesh=b.mesh(name, lod, mat, per_variant, faces, frame_mat)))
        hulls = placed.asset.collision or []
        for k, hull in enumerate(hulls):
            if hull_material is None:  # translucent green where a viewer shows the hull
                hull_material = b.material("collision_hull", (0.2, 0.8, 0.3, 0.3), 1.0, blend=True)
            name = collision_node_name(placed.name, collision_style, k, len(hulls), render_mesh=names[0])
            children.append(b.node(name=name, mesh=b.mesh(name, hull, hull_material)))
        places = placed.asset.seats or []
        for k, place in enumerate(places):
            children.append(b.node(name=seat_node_name(placed.name, k, len(places)),
                                   translation=[float(x) for x in place.position], rotation=place.rotation()))
        node = dict(name=placed.name, translation=[float(t) for t in placed.translation])
        if mesh is not None:
            node["mesh"] = mesh
        if children:
            node["children"] = children
        if placed.extras:
            node["extras"] = placed.extras
        roots.append(b.node(**node))
    b.gltf.scenes.append(g.Scene(name="assets", nodes=roots))
    b.gltf.scene = 0
    if palette_variants:
        b.gltf.extensions = {VARIANTS: {"variants": [{"name": variant_name(c)} for c in palette_variants]}}
        b.gltf.extensionsUsed = [VARIANTS]
    return b.to_bytes()
