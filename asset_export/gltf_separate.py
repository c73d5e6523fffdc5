"""GLB -> glTF "separate": the same asset as a JSON .gltf and a .bin beside it that it names by file name.

Text glTF suits version control and tools that edit the JSON (glTF-Transform, hand fixes); engines read
either. The GLB's JSON chunk becomes the .gltf, its BIN chunk the .bin, and buffer 0 gains the .bin's
name as its uri; textures stay in the .bin behind bufferViews, as glTF allows, so the pair is the GLB
byte for byte and nothing is re-encoded.

    gltf_json, bin_bytes = split_glb(glb_bytes, "chairs.bin")
    write_gltf_files([(Path("chairs.gltf"), glb_bytes)], overwrite=False)   # chairs.gltf + chairs.bin
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from urllib.parse import quote

from .atomic import atomic_write, check_can_write
from .errors import ExportError

GLB_MAGIC = b"glTF"
JSON_CHUNK, BIN_CHUNK = 0x4E4F534A, 0x004E4942


def buffer_path(gltf: Path) -> Path:
    """The .bin a .gltf's buffer lives in: chairs.gltf -> chairs.bin. Characters a URI would have to escape
    become "_" (my chairs.gltf -> my_chairs.bin): some loaders (trimesh) do not unescape a buffer's uri."""
    gltf = Path(gltf)
    return gltf.with_name(re.sub(r"[^A-Za-z0-9._-]", "_", gltf.stem) + ".bin")


def split_glb(data: bytes, bin_name: str) -> tuple[bytes, bytes]:
    """GLB bytes -> (.gltf JSON bytes whose buffer 0 is `bin_name`, .bin bytes). Raises ExportError on
    bytes that are not a GLB 2 with a JSON chunk (and at most one BIN chunk)."""
    if len(data) < 20 or data[:4] != GLB_MAGIC or struct.unpack_from("<I", data, 4)[0] != 2:
        raise ExportError("not a binary glTF 2 (GLB): cannot write it as .gltf + .bin")
    length = min(struct.unpack_from("<I", data, 8)[0], len(data))
    chunks, at = {}, 12
    while at + 8 <= length:
        size, kind = struct.unpack_from("<II", data, at)
        chunks.setdefault(kind, data[at + 8: at + 8 + size])
        at += 8 + size
    if JSON_CHUNK not in chunks:
        raise ExportError("the GLB has no JSON chunk: cannot write it as .gltf + .bin")
    doc = json.loads(chunks[JSON_CHUNK].decode("utf-8"))
    blob = chunks.get(BIN_CHUNK, b"")
    if doc.get("buffers"):
        # the GLB's BIN chunk is padded to 4 bytes; the .bin keeps exactly the buffer's declared length
        blob = blob[: doc["buffers"][0]["byteLength"]]
        doc["buffers"][0]["uri"] = quote(bin_name)  # a URI (buffer_path's names need no escaping)
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8"), blob


def write_gltf_files(files: list[tuple[Path, bytes]], overwrite: bool) -> None:
    """write_bundle's `write_files` for .gltf targets: each (path.gltf, GLB bytes) -> path.gltf and
    path.bin, each written whole (atomic_write); both are checked before either is written."""
    for path, _ in files:
        check_can_write(path, overwrite)
        check_can_write(buffer_path(path), overwrite)
    for path, data in files:
        gltf, blob = split_glb(data, buffer_path(path).name)
        atomic_write(buffer_path(path), blob, overwrite)  # the .bin first: a new .gltf never names a missing one
        atomic_write(path, gltf, overwrite)
