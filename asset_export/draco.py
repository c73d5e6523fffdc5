"""GLB -> the same GLB with its meshes compressed by Draco (KHR_draco_mesh_compression, through DracoPy).

Draco stores each triangle primitive's positions, normals and UVs quantised and entropy-coded, so a GLB of
generated chairs shrinks several-fold (BENCHMARKS.md) for the web. three.js (DRACOLoader), Babylon.js, Blender,
assimp and trimesh decode it, and <model-viewer> draws it (tests/test_clients.py); Unity's glTFast documents
support. Godot 3's importer does not, and the extension is *required*, so a reader without a decoder refuses the
file rather than showing nothing: compression is opt-in (`--compress draco`). Images (AO and colour maps) stay
as they are. Since trimesh decodes such files, `iggan-assets usdz` converts them.

Quantisation (Blender's exporter defaults): positions 14 bits over the mesh's largest extent (0.06 mm on a
1 m chair), normals 10 bits, UVs 12 bits (1/4096 of the atlas, a sixteenth of a texel of a 256^2 map). Every
primitive of a mesh is quantised on the same grid (origin and range from all of them): a `--frame` mesh's body and
frame share copies of their border vertices, and on grids of their own each copy moved its own way, opening a crack
of up to a grid step along the border (none of about 800 border vertices of three chairs stayed shared).

    small = compress_glb(glb_bytes)          # every triangle primitive Draco-coded
"""
from __future__ import annotations

import numpy as np

from .errors import ExportError
from .glb_file import DRACO as EXTENSION
from .glb_file import add_view, drop_unused_views, read_glb, write_glb

POSITION_BITS, NORMAL_BITS, UV_BITS = 14, 10, 12
COMPRESSION_LEVEL = 7  # 0-10; 7 is the glTF tools' default: near the smallest, still fast to decode
TRIANGLES, UNSIGNED_SHORT, UNSIGNED_INT = 4, 5123, 5125
_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
# glTF attribute -> DracoPy's attribute_type (draco::GeometryAttribute::Type) for what encode() stores
_DRACO_TYPE = {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 3}


def _dracopy():
    try:
        import DracoPy
    except ImportError as exc:  # a core dependency; only a broken install lacks it
        raise ExportError("Draco compression needs DracoPy: pip install DracoPy") from exc
    return DracoPy


def _read(doc: dict, blob: bytes, index: int) -> np.ndarray:
    """Accessor `index` -> (count, width) or (count,) array (tightly packed or strided views)."""
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype, width = np.dtype(_DTYPES[acc["componentType"]]), _WIDTH[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    stride = view.get("byteStride") or dtype.itemsize * width
    rows = np.array(np.ndarray((acc["count"], width), dtype, buffer=blob, offset=start,
                               strides=(stride, dtype.itemsize)))
    return rows[:, 0] if acc["type"] == "SCALAR" else rows


def _encode(DracoPy, arrays: dict[str, np.ndarray], faces: np.ndarray, grid: tuple[np.ndarray, float]) -> bytes:
    """POSITION (and NORMAL, TEXCOORD_0) arrays and (F, 3) faces -> one Draco mesh buffer, positions quantised
    on `grid` (origin (3,), range)."""
    normals, uvs = arrays.get("NORMAL"), arrays.get("TEXCOORD_0")
    origin, extent = grid
    return DracoPy.encode(
        arrays["POSITION"].astype(np.float32), faces, quantization_bits=POSITION_BITS,
        compression_level=COMPRESSION_LEVEL, quantization_origin=origin, quantization_range=extent,
        normals=None if normals is None else normals.astype(np.float64),
        normal_quantization_bits=None if normals is None else NORMAL_BITS,
        tex_coord=None if uvs is None else uvs.astype(np.float64),
        tex_coord_quantization_bits=None if uvs is None else UV_BITS)


def _mesh_grid(doc: dict, blob: bytes, mesh: dict) -> tuple[np.ndarray, float]:
    """(origin, range) of the quantisation grid shared by a mesh's primitives: the corner and the largest
    extent of all their positions (-1: Draco's own, for a mesh of one point)."""
    points = np.concatenate([_read(doc, blob, p["attributes"]["POSITION"]).astype(np.float32)
                             for p in mesh.get("primitives", []) if "POSITION" in p.get("attributes", {})] or
                            [np.zeros((1, 3), np.float32)])
    extent = float((points.max(axis=0) - points.min(axis=0)).max())
    return points.min(axis=0), (extent if extent > 0 else -1.0)


def compress_glb(data: bytes) -> bytes:
    """GLB bytes -> the same GLB with each indexed triangle primitive's POSITION, NORMAL, TEXCOORD_0 and
    indices Draco-coded (KHR_draco_mesh_compression, required). Node names, extras, materials and images
    are untouched. Raises ExportError on bytes that are not a GLB, or on a primitive with other attributes
    (which this exporter never writes)."""
    DracoPy = _dracopy()
    doc, old = read_glb(data, "Draco-code it")
    if EXTENSION in doc.get("extensionsUsed", []):
        return data
    blob = bytearray(old)  # the Draco buffers are appended to it, the coded views dropped at the end
    coded = 0
    for mesh in doc.get("meshes", []):
        grid = _mesh_grid(doc, old, mesh)
        for prim in mesh.get("primitives", []):
            if prim.get("mode", TRIANGLES) != TRIANGLES or "indices" not in prim:
                continue
            ids = prim["attributes"]
            extra = sorted(set(ids) - set(_DRACO_TYPE))
            if extra or "POSITION" not in ids:
                raise ExportError(f"cannot Draco-code a primitive with attributes {extra or 'but no POSITION'}")
            faces = _read(doc, old, prim["indices"]).reshape(-1, 3).astype(np.uint32)
            encoded = _encode(DracoPy, {name: _read(doc, old, index) for name, index in ids.items()}, faces, grid)
            # Draco renumbers vertices; the accessors must describe what a decoder will give back
            decoded = DracoPy.decode(encoded)
            unique = {a["attribute_type"]: a["unique_id"] for a in decoded.attributes}
            points = np.asarray(decoded.points, np.float32)
            for name, index in ids.items():
                acc = doc["accessors"][index]
                for key in ("bufferView", "byteOffset"):
                    acc.pop(key, None)
                acc["count"] = len(points)
                if name == "POSITION":
                    acc["min"] = [float(x) for x in points.min(axis=0)]
                    acc["max"] = [float(x) for x in points.max(axis=0)]
            acc = doc["accessors"][prim["indices"]]
            for key in ("bufferView", "byteOffset", "min", "max"):
                acc.pop(key, None)
            acc["count"] = int(np.asarray(decoded.faces).size)
            acc["componentType"] = UNSIGNED_SHORT if len(points) < 65535 else UNSIGNED_INT
            view = add_view(doc, blob, encoded)
            prim.setdefault("extensions", {})[EXTENSION] = {
                "bufferView": view, "attributes": {name: unique[_DRACO_TYPE[name]] for name in ids}}
            coded += 1
    if not coded:
        return data
    # required, not only used: a reader that cannot decode must refuse the file, not show empty meshes
    for key in ("extensionsUsed", "extensionsRequired"):
        doc[key] = [*doc.get(key, []), EXTENSION]
    return write_glb(doc, drop_unused_views(doc, blob))
