"""GLB -> glTF "separate": the same asset as a JSON .gltf, a .bin beside it and its images as PNG files in a
folder beside it, each named by a relative URI (as Blender's "glTF Separate" writes them).

Text glTF suits version control and tools that edit the JSON (glTF-Transform, hand fixes), and the maps
(`--ao`'s occlusion, `match --texture`'s colours) can be opened and painted in any image editor; engines
read either. The GLB's JSON chunk becomes the .gltf; each image's bytes, the PNG the GLB embeds, become
`<stem>_textures/<image name>.png`; the rest of the BIN chunk (vertex data, or Draco buffers) becomes the
.bin, views kept in order and 4-byte aligned. Nothing is re-encoded.

    gltf_json, bin_bytes, images = split_glb(glb_bytes, Path("chairs.gltf"))
    write_gltf_files([(Path("chairs.gltf"), glb_bytes)], overwrite=False)   # chairs.gltf + .bin + textures
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

from .atomic import atomic_write, check_can_write, files_inside, remove_stale
from .errors import ExportError
from .glb_file import drop_unused_views, read_glb

_MIME_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/ktx2": ".ktx2"}


def _uri_safe(text: str) -> str:
    """Characters a URI would have to escape become "_": some loaders (trimesh) do not unescape a uri."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def buffer_path(gltf: Path) -> Path:
    """The .bin a .gltf's buffer lives in: chairs.gltf -> chairs.bin, my chairs.gltf -> my_chairs.bin."""
    gltf = Path(gltf)
    return gltf.with_name(_uri_safe(gltf.stem) + ".bin")


def textures_folder(gltf: Path) -> Path:
    """The folder a .gltf's images go in: chairs.gltf -> chairs_textures/."""
    gltf = Path(gltf)
    return gltf.with_name(_uri_safe(gltf.stem) + "_textures")


def _image_names(images: list[dict]) -> list[str]:
    """A file name per image: its name (URI-safe) and the suffix of its type; repeats get _2, _3, ..."""
    names, seen = [], set()
    for i, image in enumerate(images):
        stem, suffix = _uri_safe(image.get("name") or f"image_{i}"), _MIME_SUFFIX.get(image.get("mimeType"), ".bin")
        name, k = stem + suffix, 2
        while name.lower() in seen:
            name, k = f"{stem}_{k}{suffix}", k + 1
        seen.add(name.lower())
        names.append(name)
    return names


def split_glb(data: bytes, gltf: Path) -> tuple[bytes, bytes, dict[Path, bytes]]:
    """GLB bytes -> (.gltf JSON bytes, .bin bytes, {image path: its bytes}) for a .gltf at `gltf`: buffer 0 is
    buffer_path(gltf), each embedded image a file in textures_folder(gltf), both named relative to the .gltf.
    Raises ExportError on bytes that are not a GLB 2 with a JSON chunk (and at most one BIN chunk)."""
    doc, blob = read_glb(data, "write it as .gltf + .bin")
    gltf = Path(gltf)
    images: dict[Path, bytes] = {}
    embedded = [image for image in doc.get("images", []) if "bufferView" in image]
    folder = textures_folder(gltf)
    for image, name in zip(embedded, _image_names(embedded)):
        view = doc["bufferViews"][image.pop("bufferView")]
        start = view.get("byteOffset", 0)
        images[folder / name] = blob[start:start + view["byteLength"]]
        image["uri"] = quote(f"{folder.name}/{name}")  # a relative URI (the names need no escaping)
        image.pop("mimeType", None)  # known from the file's suffix; glTF allows it only with a bufferView
    if embedded:
        blob = drop_unused_views(doc, blob)  # the images' views
    if doc.get("buffers"):
        doc["buffers"][0] = {"byteLength": len(blob), "uri": quote(buffer_path(gltf).name)}
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8"), blob, images


def images_named_by(gltf: Path) -> list[Path]:
    """The image files in textures_folder(gltf) that the existing .gltf at `gltf` names; [] when there is no
    such file or it is not readable glTF JSON. Only these are ever removed as stale: files a user put in the
    folder are not the exporter's to delete."""
    gltf = Path(gltf)
    try:
        doc = json.loads(gltf.read_text(encoding="utf-8"))
        uris = [image["uri"] for image in doc.get("images", []) if isinstance(image.get("uri"), str)]
    except (OSError, ValueError, AttributeError, TypeError):
        return []
    return files_inside(textures_folder(gltf), [gltf.parent / unquote(uri) for uri in uris if not uri.startswith("data:")])


def write_gltf_files(files: list[tuple[Path, bytes]], overwrite: bool) -> None:
    """write_bundle's `write_files` for .gltf targets: each (path.gltf, GLB bytes) -> path.gltf, path.bin and
    path_textures/*.png, each written whole (atomic_write); every file is checked before any is written.
    Replacing a .gltf (overwrite) also removes the images its previous version named and the new one does
    not, so the folder holds what the .gltf uses (an export with --ao, then one without, leaves no maps)."""
    parts = [(path, split_glb(data, path)) for path, data in files]
    for path, (_, _, images) in parts:
        check_can_write(path, overwrite)
        check_can_write(buffer_path(path), overwrite)
        folder = textures_folder(path)
        if images and folder.exists() and not folder.is_dir():
            raise ExportError(f"{folder} exists and is not a folder; the .gltf's images go there: move it away")
        if images and folder.is_dir():
            for image_path in images:
                check_can_write(image_path, overwrite)
    stale = {path: images_named_by(path) if overwrite else [] for path, _ in parts}
    for path, (gltf, blob, images) in parts:
        if images:
            textures_folder(path).mkdir(exist_ok=True)
        for image_path, image in images.items():
            atomic_write(image_path, image, overwrite)
        atomic_write(buffer_path(path), blob, overwrite)  # the .bin and images first: a new .gltf never names
        atomic_write(path, gltf, overwrite)               # a missing one
        remove_stale(textures_folder(path), stale[path], images)
