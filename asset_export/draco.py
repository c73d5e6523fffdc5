"""GLB -> the same GLB with its meshes compressed by Draco (KHR_draco_mesh_compression, through DracoPy).

Draco stores each triangle primitive's positions, normals and UVs quantised and entropy-coded, so a GLB of
generated chairs shrinks several-fold (BENCHMARKS.md) for the web. three.js (DRACOLoader), Blender, assimp and
trimesh decode it, and <model-viewer> draws it (tests/test_clients.py); Babylon.js and Unity's glTFast document
support. Godot 3's importer does not, and the extension is *required*, so a reader without a decoder refuses the
file rather than showing nothing: compression is opt-in (`--compress draco`). Images (AO and colour maps) stay
as they are. Since trimesh decodes such files, `iggan-assets usdz` converts them.

Quantisation (Blender's exporter defaults): positions 14 bits over the primitive's largest extent (0.06 mm
on a 1 m chair), normals 10 bits, UVs 12 bits (1/4096 of the atlas, a sixteenth of a texel of a 256^2 map).

    small = compress_glb(glb_bytes)          # every triangle primitive Draco-coded
"""
from __future__ import annotations

import numpy as np
import pygltflib as g

from .errors import ExportError

EXTENSION = "KHR_draco_mesh_compression"
POSITION_BITS, NORMAL_BITS, UV_BITS = 14, 10, 12
COMPRESSION_LEVEL = 7  # 0-10; 7 is the glTF tools' default: near the smallest, still fast to decode
UNSIGNED_SHORT, UNSIGNED_INT = 5123, 5125
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


def _load(data: bytes) -> tuple[g.GLTF2, bytes]:
    try:
        gltf = g.GLTF2.load_from_bytes(data)
    except Exception as exc:  # noqa: BLE001  (pygltflib raises many types for malformed bytes)
        raise ExportError(f"not a readable GLB ({exc})") from exc
    return gltf, gltf.binary_blob() or b""


def _read(gltf: g.GLTF2, blob: bytes, index: int) -> np.ndarray:
    """Accessor `index` -> (count, width) or (count,) array (tightly packed or strided views)."""
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype, width = np.dtype(_DTYPES[acc.componentType]), _WIDTH[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    stride = view.byteStride or dtype.itemsize * width
    rows = np.ndarray((acc.count, width), dtype, buffer=blob, offset=start, strides=(stride, dtype.itemsize))
    rows = np.array(rows)
    return rows[:, 0] if acc.type == "SCALAR" else rows


class _Blob:
    """A new binary chunk: the views kept from the old one, plus new ones, 4-byte aligned."""

    def __init__(self, gltf: g.GLTF2, old: bytes) -> None:
        self.gltf, self.old, self.data, self.views = gltf, old, bytearray(), []

    def add(self, payload: bytes, target: int | None = None) -> int:
        self.data.extend(b"\0" * (-len(self.data) % 4))
        self.views.append(g.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(payload), target=target))
        self.data.extend(payload)
        return len(self.views) - 1

    def keep(self, index: int) -> int:
        view = self.gltf.bufferViews[index]
        start = view.byteOffset or 0
        new = self.add(self.old[start:start + view.byteLength], view.target)
        self.views[new].byteStride = view.byteStride
        return new

    def finish(self) -> bytes:
        """Install the new views and buffer; the GLB's bytes."""
        self.gltf.bufferViews = self.views
        self.gltf.buffers = [g.Buffer(byteLength=len(self.data))] if self.data else []
        self.gltf.set_binary_blob(bytes(self.data))
        return b"".join(self.gltf.save_to_bytes())


def _remap_views(gltf: g.GLTF2, blob: _Blob, skip_accessors: set[int]) -> None:
    """Copy every view still in use into `blob` (accessors not in `skip_accessors`, images) and point them at
    the copies; views only the skipped accessors used are dropped."""
    moved: dict[int, int] = {}

    def move(index: int) -> int:
        if index not in moved:
            moved[index] = blob.keep(index)
        return moved[index]

    for i, acc in enumerate(gltf.accessors):
        if i not in skip_accessors and acc.bufferView is not None:
            acc.bufferView = move(acc.bufferView)
    for image in gltf.images:
        if image.bufferView is not None:
            image.bufferView = move(image.bufferView)


def _require_extension(gltf: g.GLTF2) -> None:
    # required, not only used: a reader that cannot decode must refuse the file, not show empty meshes
    gltf.extensionsUsed = [*(gltf.extensionsUsed or []), EXTENSION]
    gltf.extensionsRequired = [*(gltf.extensionsRequired or []), EXTENSION]


def _primitives(gltf: g.GLTF2):
    for mesh in gltf.meshes:
        for prim in mesh.primitives:
            yield prim


def _attribute_ids(prim: g.Primitive) -> dict[str, int]:
    """glTF attribute name -> accessor index, for the attributes Draco carries here."""
    return {name: getattr(prim.attributes, name) for name in _DRACO_TYPE
            if getattr(prim.attributes, name, None) is not None}


def compress_glb(data: bytes) -> bytes:
    """GLB bytes -> the same GLB with each indexed triangle primitive's POSITION, NORMAL, TEXCOORD_0 and
    indices Draco-coded (KHR_draco_mesh_compression, required). Node names, extras, materials and images
    are untouched. Raises ExportError on bytes that are not a GLB, or on a primitive with other attributes
    (which this exporter never writes)."""
    DracoPy = _dracopy()
    gltf, old = _load(data)
    if EXTENSION in (gltf.extensionsUsed or []):
        return data
    coded: set[int] = set()
    payloads = []
    for prim in _primitives(gltf):
        if prim.mode not in (None, g.TRIANGLES) or prim.indices is None:
            continue
        ids = _attribute_ids(prim)
        extra = sorted(k for k, v in vars(prim.attributes).items() if v is not None and k not in _DRACO_TYPE)
        if extra or "POSITION" not in ids:
            raise ExportError(f"cannot Draco-code a primitive with attributes {extra or 'but no POSITION'}")
        arrays = {name: _read(gltf, old, index) for name, index in ids.items()}
        faces = _read(gltf, old, prim.indices).reshape(-1, 3).astype(np.uint32)
        encoded = DracoPy.encode(
            arrays["POSITION"].astype(np.float32), faces, quantization_bits=POSITION_BITS,
            compression_level=COMPRESSION_LEVEL,
            normals=arrays["NORMAL"].astype(np.float64) if "NORMAL" in arrays else None,
            normal_quantization_bits=NORMAL_BITS if "NORMAL" in arrays else None,
            tex_coord=arrays["TEXCOORD_0"].astype(np.float64) if "TEXCOORD_0" in arrays else None,
            tex_coord_quantization_bits=UV_BITS if "TEXCOORD_0" in arrays else None)
        # Draco renumbers vertices; the accessors must describe what a decoder will give back
        decoded = DracoPy.decode(encoded)
        unique = {a["attribute_type"]: a["unique_id"] for a in decoded.attributes}
        points = np.asarray(decoded.points, np.float32)
        for name, index in ids.items():
            acc = gltf.accessors[index]
            acc.bufferView, acc.byteOffset, acc.count = None, None, len(points)
            if name == "POSITION":
                acc.min = [float(x) for x in points.min(axis=0)]
                acc.max = [float(x) for x in points.max(axis=0)]
        acc = gltf.accessors[prim.indices]
        acc.bufferView, acc.byteOffset, acc.count = None, None, int(np.asarray(decoded.faces).size)
        acc.componentType = UNSIGNED_SHORT if len(points) < 65535 else UNSIGNED_INT
        acc.min = acc.max = None
        coded.update(ids.values())
        coded.add(prim.indices)
        payloads.append((prim, encoded, {name: unique[_DRACO_TYPE[name]] for name in ids}))
    if not payloads:
        return data
    blob = _Blob(gltf, old)
    _remap_views(gltf, blob, coded)
    for prim, encoded, attributes in payloads:
        prim.extensions = {**(prim.extensions or {}),
                           EXTENSION: {"bufferView": blob.add(encoded), "attributes": attributes}}
    _require_extension(gltf)
    return blob.finish()
