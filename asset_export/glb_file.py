"""The GLB container as a JSON document and one binary buffer, for the steps that rework a written GLB
(draco.py codes its meshes, gltf_separate.py moves its images out): read the two chunks, add views, drop
the views nothing refers to any more, and write the container again. The JSON is kept as the exporter
wrote it; only what a step changes differs.

    doc, old = read_glb(data, "Draco-code it")
    blob = bytearray(old)
    view = add_view(doc, blob, payload)   # appended in place
    data = write_glb(doc, drop_unused_views(doc, blob))
"""
from __future__ import annotations

import json
import struct

from .errors import ExportError

GLB_MAGIC = b"glTF"
JSON_CHUNK, BIN_CHUNK = 0x4E4F534A, 0x004E4942
DRACO = "KHR_draco_mesh_compression"


def read_glb(data: bytes, purpose: str) -> tuple[dict, bytes]:
    """GLB bytes -> (JSON document, buffer 0's bytes, trimmed to its declared length). Raises ExportError,
    saying what could not be done (`purpose`), on bytes that are not a GLB 2 with a JSON chunk."""
    if len(data) < 20 or data[:4] != GLB_MAGIC or struct.unpack_from("<I", data, 4)[0] != 2:
        raise ExportError(f"not a binary glTF 2 (GLB): cannot {purpose}")
    length = min(struct.unpack_from("<I", data, 8)[0], len(data))
    chunks, at = {}, 12
    while at + 8 <= length:
        size, kind = struct.unpack_from("<II", data, at)
        chunks.setdefault(kind, data[at + 8: at + 8 + size])
        at += 8 + size
    if JSON_CHUNK not in chunks:
        raise ExportError(f"the GLB has no JSON chunk: cannot {purpose}")
    try:
        doc = json.loads(chunks[JSON_CHUNK].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"the GLB's JSON chunk is unreadable ({exc}): cannot {purpose}") from exc
    blob = chunks.get(BIN_CHUNK, b"")
    if doc.get("buffers"):
        blob = blob[: doc["buffers"][0]["byteLength"]]  # the BIN chunk is padded to 4 bytes
    return doc, blob


def write_glb(doc: dict, blob: bytes | bytearray) -> bytes:
    """(JSON document, buffer 0's bytes) -> GLB bytes; buffer 0's byteLength is set to the blob's."""
    if blob or doc.get("buffers"):
        doc["buffers"] = [{"byteLength": len(blob)}] + doc.get("buffers", [])[1:]
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)  # the JSON chunk is padded with spaces, the BIN chunk with zeros
    chunks = struct.pack("<II", len(text), JSON_CHUNK) + text
    if blob:
        padded = bytes(blob) + b"\0" * (-len(blob) % 4)
        chunks += struct.pack("<II", len(padded), BIN_CHUNK) + padded
    return GLB_MAGIC + struct.pack("<II", 2, 12 + len(chunks)) + chunks


def add_view(doc: dict, blob: bytearray, payload: bytes, target: int | None = None) -> int:
    """Append `payload` to the buffer `blob` (in place) as a new bufferView, 4-byte aligned. Returns its index."""
    blob.extend(b"\0" * (-len(blob) % 4))
    view = {"buffer": 0, "byteOffset": len(blob), "byteLength": len(payload)}
    if target is not None:
        view["target"] = target
    doc.setdefault("bufferViews", []).append(view)
    blob.extend(payload)
    return len(doc["bufferViews"]) - 1


def _references(doc: dict):
    """Every object that names a bufferView in the files this package writes: accessors, images and
    Draco-coded primitives."""
    yield from doc.get("accessors", [])
    yield from doc.get("images", [])
    for mesh in doc.get("meshes", []):
        for prim in mesh.get("primitives", []):
            if DRACO in prim.get("extensions", {}):
                yield prim["extensions"][DRACO]


def drop_unused_views(doc: dict, blob: bytes | bytearray) -> bytes:
    """Remove the bufferViews nothing refers to any more, with their bytes; the others keep their order, are
    4-byte aligned and renumbered wherever they are named. Returns the new blob."""
    used = {item["bufferView"] for item in _references(doc) if "bufferView" in item}
    new_blob, renumber, views = bytearray(), {}, []
    for i, view in enumerate(doc.get("bufferViews", [])):
        if i not in used:
            continue
        new_blob.extend(b"\0" * (-len(new_blob) % 4))  # accessors need 4-byte alignment
        start = view.get("byteOffset", 0)
        renumber[i] = len(views)
        views.append({**view, "byteOffset": len(new_blob)})
        new_blob.extend(blob[start:start + view["byteLength"]])
    doc["bufferViews"] = views
    for item in _references(doc):
        if "bufferView" in item:
            item["bufferView"] = renumber[item["bufferView"]]
    return bytes(new_blob)
