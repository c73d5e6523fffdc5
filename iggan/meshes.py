"""3D sources for datasets: find objects (mesh files, Sweet Home 3D catalogs, voxel arrays) and load
each one as a normalised, flat-shaded triangle mesh ready for the reference scene.

Normalisation (so renders match what the generator's samples look like through the same renderer):
- the source's up axis becomes +Y (``up='z'`` rotates (x, y, z) -> (x, z, -y), a proper rotation);
- meshes are centred on their bounding box and scaled so the longest side is 1, i.e. they fill the
  cube [-0.5, 0.5]^3 that a voxel grid fills;
- voxel grids already fill that cube and are drawn as blocky voxel meshes, exactly like the
  generator's binarised samples (only the up axis is converted).

Formats: GLB/glTF, OBJ, OFF, PLY, STL (trimesh; multi-part scenes are flattened with their node
transforms), ``.sh3f`` Sweet Home 3D catalogs (a zip of OBJ models + ``PluginFurnitureCatalog.properties``
giving name, category, model path, optional ``modelRotation`` and width/depth/height in cm, Y-up),
and ``.npz`` voxel arrays (key ``voxels``, shape (N, R, R, R) or (R, R, R); integer grids are solid where
non-zero, float grids where >= 0.5).
"""
from __future__ import annotations

import functools
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from .name_filters import FilterError, compile_filter
from .npz import is_cubic_stack, open_npz, solid_cells

MESH_SUFFIXES = {".glb", ".gltf", ".obj", ".off", ".ply", ".stl"}
CATALOG_SUFFIX = ".sh3f"
VOXEL_SUFFIX = ".npz"
# ModelNet voxel grids (e.g. ../shared/data/modelnet10-chairs-32.npz) are stored Z-up: rendered as
# they are, the chairs lie on their backs; converted with up='z' they stand (see docs/notes/issue3.md).
DEFAULT_VOXEL_UP = "z"
DEFAULT_MESH_UP = "y"  # glTF is Y-up by specification; Sweet Home 3D models are Y-up too


class SourceError(ValueError):
    """A 3D source cannot be read; the message names the file and what to do."""


@dataclass(frozen=True)
class ObjectRef:
    """A picklable pointer to one object. kind: 'mesh' | 'sh3f' | 'voxels'."""

    kind: str  # 'unreadable': a damaged file found inside a folder, skipped when loaded (see `error`)
    path: str
    name: str
    up: str = "y"
    entry: str = ""  # the model's path inside a .sh3f catalog
    index: int = -1  # the grid's index inside a voxel .npz
    category: str = ""
    dims: tuple[float, float, float] | None = None  # Sweet Home 3D width, height, depth (cm)
    rotation: tuple[float, ...] | None = None  # Sweet Home 3D modelRotation, 3x3 row-major
    error: str = ""  # why an 'unreadable' file cannot be used

    @property
    def label(self) -> str:
        """Unique, human-readable id, used in manifests and for --filter."""
        if self.kind == "sh3f":
            return f"{Path(self.path).name}:{self.entry}"
        if self.kind == "voxels":
            return f"{Path(self.path).name}[{self.index}]"
        return str(self.path)


@dataclass
class ObjectMesh:
    """A normalised object: flat-shaded, unshared vertices (3 per triangle).

    positions (V, 3) float32 within [-0.5, 0.5]^3, +Y up; normals (V, 3) float32 unit;
    triangles (F, 3) uint32; colors (V, 3) float32 in [0, 1] or None (gray).
    """

    positions: np.ndarray
    normals: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray | None = None


# --------------------------------------------------------------------------------------- listing


def list_objects(src: str | Path, *, up: str | None = None, filter: str | None = None,
                 exclude: str | None = None, category: str | None = None) -> list[ObjectRef]:
    """All objects under `src` (a folder, searched recursively, or one file), in a stable order.

    up: the source's up axis, 'y' or 'z'; None = per format (meshes 'y', voxel arrays their 'up'
    entry, else 'z').
    filter / exclude: case-insensitive regexes searched in the object's name and label.
    category: case-insensitive regex searched in the Sweet Home 3D category (other sources have none
    and are dropped when a category is asked for).
    """
    src = Path(src)
    if up not in (None, "y", "z"):
        raise SourceError(f"up axis must be 'y' or 'z', not {up!r}")
    if not src.exists():
        raise SourceError(f"{src} does not exist; pass a mesh file, a folder of meshes, a .sh3f catalog or a voxel .npz")
    try:  # compiled first: a bad regex is named before any file is read
        patterns = [compile_filter(p, o) for p, o in ((filter, "filter"), (exclude, "exclude"), (category, "category"))]
    except FilterError as exc:
        raise SourceError(str(exc)) from exc
    files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
    refs: list[ObjectRef] = []
    for path in files:
        try:
            refs.extend(_file_objects(path, up, named=src.is_file()))
        except SourceError as exc:
            if src.is_file():  # the user named this very file: an error, not a skip
                raise
            # One damaged catalog or grid file in a folder is skipped and named like a damaged mesh
            # (whose error shows when it is loaded), instead of stopping the whole folder.
            refs.append(ObjectRef("unreadable", str(path), path.stem, up or DEFAULT_MESH_UP, error=str(exc)))
    name_re, exclude_re, category_re = patterns
    if name_re:
        refs = [r for r in refs if name_re.search(r.name) or name_re.search(r.label)]
    if exclude_re:
        refs = [r for r in refs if not (exclude_re.search(r.name) or exclude_re.search(r.label))]
    if category_re:
        refs = [r for r in refs if r.category and category_re.search(r.category)]
    return refs


def _file_objects(path: Path, up: str | None, named: bool) -> list[ObjectRef]:
    """The objects of one file ([] for a file of another kind inside a folder). Raises SourceError when a
    catalog or voxel file cannot be read, or when `named` (the user's SRC) and the format is unsupported."""
    suffix = path.suffix.lower()
    if suffix in MESH_SUFFIXES:
        return [ObjectRef("mesh", str(path), path.stem, up or DEFAULT_MESH_UP)]
    if suffix == CATALOG_SUFFIX:
        return catalog_objects(path, up or DEFAULT_MESH_UP)
    if suffix == VOXEL_SUFFIX:
        n = len(_voxel_array(str(path)))
        try:
            grid_up = up or voxel_up(str(path))
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            if isinstance(exc, SourceError):
                raise
            raise SourceError(f"{path}: not a readable .npz ({exc})") from exc
        return [ObjectRef("voxels", str(path), f"{path.stem}[{i}]", grid_up, index=i) for i in range(n)]
    if named:
        raise SourceError(f"{path}: unsupported format {suffix or '(no suffix)'}; use GLB/glTF, OBJ, OFF, PLY, "
                          "STL, a Sweet Home 3D .sh3f catalog or a voxel .npz")
    return []


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties (as Sweet Home 3D writes them): key=value, '#' comments, '\\uXXXX' escapes,
    backslash line continuations."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        while line.endswith("\\") and not line.endswith("\\\\"):
            line = line[:-1] + next(lines, "").strip()
        m = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)", line)
        if m:
            value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), m.group(2))
            out[m.group(1)] = value.replace("\\:", ":").replace("\\=", "=").replace("\\\\", "\\")
    return out


def catalog_objects(path: Path, up: str = "y") -> list[ObjectRef]:
    """The pieces of a Sweet Home 3D furniture catalog (.sh3f)."""
    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read("PluginFurnitureCatalog.properties").decode("latin-1")
            names = set(zf.namelist())
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(f"{path}: not a Sweet Home 3D catalog ({exc}); a .sh3f is a zip holding "
                          "PluginFurnitureCatalog.properties") from exc
    props = parse_properties(text)
    numbers = sorted({int(k.split("#")[1]) for k in props if k.startswith("model#") and k.split("#")[1].isdigit()})
    refs = []
    for n in numbers:
        entry = props[f"model#{n}"].lstrip("/")
        if entry not in names:
            continue
        try:
            dims = tuple(float(props[f"{k}#{n}"]) for k in ("width", "height", "depth"))
        except (KeyError, ValueError):
            dims = None
        rot = props.get(f"modelRotation#{n}")
        rotation = tuple(float(v) for v in rot.split()) if rot and len(rot.split()) == 9 else None
        refs.append(ObjectRef("sh3f", str(path), props.get(f"name#{n}", PurePosixPath(entry).stem), up,
                              entry=entry, category=props.get(f"category#{n}", ""), dims=dims, rotation=rotation))
    return refs


@functools.lru_cache(maxsize=4)
def _voxel_array(path: str) -> np.ndarray:
    """The (N, R, R, R) grids of a voxel .npz (cached per process)."""
    try:
        with open_npz(path) as data:
            if "voxels" not in data:
                raise SourceError(f"{path}: no array named 'voxels' (found {sorted(data.keys())}); save grids "
                                  "with np.savez(path, voxels=grids)")
            arr = np.asarray(data["voxels"])
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, SourceError):
            raise
        raise SourceError(f"{path}: not a readable .npz ({exc})") from exc
    shape = arr.shape
    if arr.ndim == 3:
        arr = arr[None]
    if not is_cubic_stack(arr.shape):
        raise SourceError(f"{path}: 'voxels' has shape {shape}; expected cubic grids, (N, R, R, R) or (R, R, R) "
                          "(make them with `iggan-assets voxelize`)")
    return arr


def voxel_up(path: str) -> str:
    """A voxel .npz's up axis: its 'up' entry ('y' or 'z', written by `iggan-assets voxelize`), else
    DEFAULT_VOXEL_UP (ModelNet's Z-up)."""
    with open_npz(path) as data:
        up = str(data["up"]) if "up" in data else DEFAULT_VOXEL_UP
    if up not in ("y", "z"):
        raise SourceError(f"{path}: its 'up' entry is {up!r}; expected 'y' or 'z'")
    return up


# --------------------------------------------------------------------------------------- loading


def load_object(ref: ObjectRef, color: bool = False) -> ObjectMesh:
    """Load and normalise one object. Raises SourceError when it cannot be used."""
    if ref.kind == "unreadable":
        raise SourceError(ref.error)
    if ref.kind == "voxels":
        return voxel_object(_voxel_array(ref.path)[ref.index], ref.up)
    if ref.kind == "sh3f":
        vertices, faces, colors = _load_catalog_model(ref, color)
    else:
        vertices, faces, colors = _load_mesh_file(Path(ref.path), color)
    return normalise_mesh(vertices, faces, colors, ref.up, where=ref.label)


def voxel_grid(ref: ObjectRef) -> np.ndarray:
    """A voxel ref's grid, (R, R, R) bool, +Y up: the frame the generator and the reference renderer use."""
    return y_up_grid(_voxel_array(ref.path)[ref.index], ref.up)


def y_up_grid(grid: np.ndarray, up: str = "z") -> np.ndarray:
    """(R, R, R) grid with `up` as its up axis -> bool, +Y up. Raises SourceError when it is empty.
    Solid cells as npz.solid_cells: non-zero, or >= 0.5 in a float grid."""
    grid = solid_cells(grid)
    if up == "z":  # new[x, y, z] = old[x, R-1-z, y]: old +Z becomes +Y, a proper rotation
        grid = np.transpose(grid, (0, 2, 1))[:, :, ::-1]
    if not grid.any():
        raise SourceError("empty voxel grid (no occupied voxel)")
    return np.ascontiguousarray(grid)


def voxel_object(grid: np.ndarray, up: str = "z") -> ObjectMesh:
    """A voxel grid as the reference renderer draws it (its exposed faces, rows merged into quads)."""
    from .render.voxel_mesh import voxel_surface

    positions, normals, triangles = voxel_surface(y_up_grid(grid, up))
    return ObjectMesh(positions, normals, triangles)


def normalise_mesh(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None, up: str,
                   where: str = "mesh") -> ObjectMesh:
    """Indexed mesh -> ObjectMesh: up axis to +Y, centred, longest side 1, flat normals, and
    every triangle also added with the opposite winding so that meshes with inconsistent or open
    winding (common in real OBJ files) render without holes under back-face culling.

    colors: per-face (F, 3) in [0, 1] or None.
    """
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    finite = np.isfinite(v).all(axis=1)
    if len(f) and not finite.all():
        keep = finite[f].all(axis=1)
        f, colors = f[keep], (colors[keep] if colors is not None else None)
    if len(f) == 0:
        raise SourceError(f"{where}: no triangles; is it an empty or point-cloud file?")
    if up == "z":
        v = np.stack([v[:, 0], v[:, 2], -v[:, 1]], axis=1)
    tri = v[f]  # (F, 3, 3)
    lo, hi = tri.reshape(-1, 3).min(0), tri.reshape(-1, 3).max(0)
    extent = float((hi - lo).max())
    if not extent > 0:
        raise SourceError(f"{where}: all vertices coincide; nothing to render")
    tri = (tri - (lo + hi) / 2) / extent
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(n, axis=1)
    keep = length > 1e-12  # drop degenerate triangles (no normal, nothing to see)
    tri, n = tri[keep], n[keep] / length[keep, None]
    if colors is not None:
        colors = np.asarray(colors, np.float32)[keep]
    if len(tri) == 0:
        raise SourceError(f"{where}: every triangle is degenerate; nothing to render")
    front = tri.reshape(-1, 3)
    back = tri[:, ::-1].reshape(-1, 3)
    positions = np.concatenate([front, back]).astype(np.float32)
    normals = np.concatenate([np.repeat(n, 3, 0), np.repeat(-n, 3, 0)]).astype(np.float32)
    triangles = np.arange(len(positions), dtype=np.uint32).reshape(-1, 3)
    vcol = None
    if colors is not None:
        vcol = np.tile(np.repeat(colors, 3, 0), (2, 1)).astype(np.float32)
    return ObjectMesh(positions, normals, triangles, vcol)


def _load_mesh_file(path: Path, color: bool):
    import trimesh

    try:
        loaded = trimesh.load(str(path), process=False)
    except Exception as exc:  # trimesh raises many types for bad files
        raise SourceError(f"{path}: cannot read mesh ({type(exc).__name__}: {exc})") from exc
    return _flatten(loaded, color, str(path))


def _load_catalog_model(ref: ObjectRef, color: bool):
    import trimesh

    try:
        with zipfile.ZipFile(ref.path) as zf:
            if not color:
                data = zf.read(ref.entry)
                loaded = trimesh.load(io.BytesIO(data), file_type=Path(ref.entry).suffix.lstrip(".").lower(),
                                      skip_materials=True, process=False)
            else:  # materials and textures sit next to the model: extract its folder
                folder = str(PurePosixPath(ref.entry).parent) + "/"
                with tempfile.TemporaryDirectory() as tmp:
                    for name in zf.namelist():
                        if name.startswith(folder) and not name.endswith("/"):
                            zf.extract(name, tmp)
                    loaded = trimesh.load(str(Path(tmp) / ref.entry), process=False)
                    return _catalog_transform(ref, *_flatten(loaded, True, ref.label))
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"{ref.label}: cannot read model ({type(exc).__name__}: {exc})") from exc
    return _catalog_transform(ref, *_flatten(loaded, False, ref.label))


def _catalog_transform(ref: ObjectRef, vertices, faces, colors):
    """Apply Sweet Home 3D's modelRotation, then stretch to the catalog's width/height/depth."""
    v = np.asarray(vertices, np.float64)
    if ref.rotation is not None:
        v = v @ np.asarray(ref.rotation, np.float64).reshape(3, 3).T
    if ref.dims is not None and len(faces):
        used = v[np.unique(np.asarray(faces).ravel())]
        size = used.max(0) - used.min(0)
        target = np.asarray(ref.dims, np.float64)
        if (size > 1e-9).all() and (target > 0).all():
            v = v * (target / size)
    return v, faces, colors


def _flatten(loaded, color: bool, where: str):
    """A trimesh Trimesh or Scene -> (vertices (V, 3), faces (F, 3), face colors (F, 3) or None)."""
    import trimesh

    if isinstance(loaded, trimesh.Scene):
        parts = []
        for node in loaded.graph.nodes_geometry:
            transform, name = loaded.graph[node]
            geom = loaded.geometry.get(name)
            if isinstance(geom, trimesh.Trimesh) and len(geom.faces):
                v = trimesh.transform_points(np.asarray(geom.vertices), transform)
                parts.append((v, np.asarray(geom.faces), _face_colors(geom) if color else None))
    elif isinstance(loaded, trimesh.Trimesh):
        parts = [(np.asarray(loaded.vertices), np.asarray(loaded.faces), _face_colors(loaded) if color else None)]
    else:
        raise SourceError(f"{where}: holds no triangle mesh (got {type(loaded).__name__}, e.g. a point cloud)")
    parts = [p for p in parts if len(p[1])]
    if not parts:
        raise SourceError(f"{where}: no triangles; is it an empty file?")
    offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    vertices = np.concatenate([p[0] for p in parts])
    faces = np.concatenate([p[1] + o for p, o in zip(parts, offsets)])
    colors = np.concatenate([p[2] for p in parts]) if color else None
    return vertices, faces, colors


def _face_colors(geom) -> np.ndarray:
    """Per-face RGB in [0, 1] from a trimesh visual: texture sampled at the face's UV centroid,
    times the material colour; vertex/face colours; or the material's main colour; else gray."""
    from trimesh.visual.color import uv_to_color

    n = len(geom.faces)
    gray = np.full((n, 3), 0.8, np.float32)
    visual = geom.visual
    try:
        if visual.kind == "texture" or hasattr(visual, "material"):
            mat = visual.material
            factor = np.asarray(getattr(mat, "baseColorFactor", None) if getattr(mat, "baseColorFactor", None)
                                is not None else getattr(mat, "main_color", [204, 204, 204, 255]), np.float64)
            factor = factor[:3] / (255.0 if factor.max() > 1.0 else 1.0)
            image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
            uv = getattr(visual, "uv", None)
            if image is not None and uv is not None and len(uv) == len(geom.vertices):
                centroids = np.asarray(uv)[geom.faces].mean(axis=1)
                tex = uv_to_color(centroids, image)[:, :3] / 255.0
                return (tex * factor).astype(np.float32)
            return np.broadcast_to(factor, (n, 3)).astype(np.float32)
        if visual.kind in ("face", "vertex"):
            return np.asarray(visual.face_colors, np.float32)[:, :3] / 255.0
    except Exception:  # malformed materials: colour is a nicety, geometry is what matters
        return gray
    return gray
