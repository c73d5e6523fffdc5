"""Which GLB files a converter (`blender fbx`, `usdz`) reads and which files it writes, checked before any
work starts: a missing input, a truncated or foreign file, a target that exists or cannot be written, and
two inputs with one target are each refused with a message that says what to do.

    pairs = plan_outputs([Path("chairs.glb")], out_dir=None, overwrite=False, suffix=".usdz", error=UsdzError)
"""
from __future__ import annotations

import struct
import tempfile
from pathlib import Path

from .asset_export.atomic import check_can_write
from .asset_export.errors import ExportError
from .temporary_files import temporary_file_beside


class ConversionError(RuntimeError):
    """A conversion that cannot go ahead or failed; the message says what to do."""


def check_glb(path: Path, error: type[ConversionError] = ConversionError) -> None:
    """Raise `error` unless `path` starts like a whole binary glTF 2 file of its own length (a truncated
    or foreign file is refused before it is parsed)."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(12)
    except OSError as exc:
        raise error(f"cannot read {path} ({exc.strerror or exc})") from exc
    if len(header) < 12 or header[:4] != b"glTF":
        raise error(f"{path} is not a GLB (binary glTF) file; give the .glb or .gltf that `generate` wrote")
    version, length = struct.unpack("<II", header[4:])
    size = path.stat().st_size
    if version != 2 or length != size:
        raise error(f"{path} is not a whole glTF 2 file (version {version}, header says {length} bytes, "
                    f"file has {size}); it may be truncated: generate or copy it again")


def check_gltf(path: Path, error: type[ConversionError] = ConversionError) -> None:
    """Raise `error` unless `path` is a glTF 2 JSON file whose external buffers and images lie beside it
    (as `--out x.gltf` writes it: x.gltf, x.bin and x_textures/)."""
    import json
    from urllib.parse import unquote

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {path} ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not a glTF JSON file ({exc}); give the .gltf that `generate` wrote") from exc
    if not isinstance(document, dict) or not str(document.get("asset", {}).get("version", "")).startswith("2"):
        raise error(f"{path} is not a glTF 2 file; give the .glb or .gltf that `generate` wrote")
    folder = Path(path).parent.resolve()
    for kind in ("buffers", "images"):
        for item in document.get(kind, []):
            uri = item.get("uri")
            if not uri or uri.startswith("data:"):
                continue
            # Blender's importer opens any path a URI names, and the FBX exporter embeds the file it read: a
            # .gltf naming /home/me/.ssh/id_rsa or ../../secret would copy that file into the output.
            if not (folder / unquote(uri)).resolve().is_relative_to(folder):
                raise error(f"{path} names {unquote(uri)!r}, which lies outside its folder; a .gltf is converted "
                            "only with the files beside it (its .bin and textures folder), so that no other file "
                            "is copied into the output: make it again with `generate`")
            if not (Path(path).parent / unquote(uri)).is_file():
                raise error(f"{path} needs {unquote(uri)} beside it, which is missing; copy the .gltf with its .bin "
                            f"and textures folder")


def check_input(path: Path, error: type[ConversionError] = ConversionError) -> None:
    """check_gltf for a .gltf, else check_glb."""
    (check_gltf if Path(path).suffix.lower() == ".gltf" else check_glb)(path, error)


def plan_outputs(inputs: list[Path], out_dir: Path | None, overwrite: bool, suffix: str,
                 error: type[ConversionError] = ConversionError) -> list[tuple[Path, Path]]:
    """(glTF, target) pairs: each input GLB or .gltf, or each *.glb and *.gltf in an input folder, to a file
    of the same stem with `suffix` beside it or in out_dir. Raises `error` before any work if an input is
    missing or not a whole glTF, a target exists (without overwrite) or cannot be written, or two inputs
    share a target."""
    glbs: list[Path] = []
    for path in map(Path, inputs):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".glb", ".gltf") and p.is_file())
            if not found:
                raise error(f"folder {path} holds no .glb or .gltf files; give glTF files or a `generate --split` "
                            "folder")
            glbs += found
        elif path.is_file():
            glbs.append(path)
        else:
            raise error(f"{path} does not exist")
    pairs, targets = [], {}
    for glb in glbs:
        check_input(glb, error)
        target = (Path(out_dir) if out_dir is not None else glb.parent) / f"{glb.stem}{suffix}"
        if target.resolve() in targets:
            raise error(f"{glb} and {targets[target.resolve()]} would both become {target}; convert them separately")
        targets[target.resolve()] = glb
        try:
            check_can_write(target, overwrite, option="--out-dir")
        except ExportError as exc:
            raise error(f"cannot write {target}: {exc}") from exc
        pairs.append((glb, target))
    return pairs


def temporary_named_alike(target: Path) -> Path:
    """A path with the target's own file name inside a new hidden folder beside it (same file system, so the
    final rename is atomic), for writers that record their file's name inside it: Blender's FBX exporter names
    the embedded textures after the .fbx. Remove the folder (path.parent) once done."""
    # mkdtemp: a new folder of our own (0700), never one someone else made at a guessable name in a shared folder
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)) / target.name


def temporary_beside(target: Path) -> Path:
    """A hidden temporary name in the target's folder (same file system, so the final rename is atomic)
    that keeps the target's suffix, which writers such as USD's packager key on (temporary_file_beside: made
    empty here, never at a name another user could guess); the caller removes it."""
    return temporary_file_beside(target, suffix=f".tmp{target.suffix}")
