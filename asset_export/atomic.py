"""Safe file writing: refuse to clobber, write to a temporary file beside the target, rename."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import ExportError


def check_can_write(path: Path, overwrite: bool, option: str = "--out") -> None:
    """Raise ExportError if `path` exists (and not overwrite), is a folder, or its folder is
    missing or not writable. Called before any slow work so a bad --out fails at once; `option`
    is the one the messages tell the user to change (each message ends with what to do)."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder, not a file; choose another {option}")
    if path.exists() and not overwrite:
        raise ExportError(f"{path} exists; pass --overwrite to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    blocker = next((p for p in [parent, *parent.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise ExportError(f"{blocker} is a file, not a folder, so {path.name} cannot go under it; "
                          f"choose another {option}")
    if not parent.is_dir():
        raise ExportError(f"folder {parent} does not exist; make it first or choose another {option}")
    try:
        require_can_create_files(parent)
    except ExportError as exc:  # every message here says what to do
        raise ExportError(f"{exc}; choose another {option}") from exc


def require_can_create_files(folder: Path) -> None:
    """Raise ExportError unless a file can be made in the existing `folder`. os.access says yes to
    root everywhere and knows nothing of read-only or virtual file systems (/proc), so after it a
    file is made there and removed: the only sure test."""
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"folder {folder} is not writable")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".iggan-", suffix=".probe")
    except OSError as exc:
        raise ExportError(f"cannot create files in folder {folder} ({exc.strerror or exc})") from exc
    os.close(fd)
    os.unlink(probe)


def atomic_write(path: Path, data: bytes, overwrite: bool = False) -> None:
    """Write bytes so readers see the old file or the whole new one, never a partial one.

    The temporary file sits in the same folder so os.replace is a rename on one file system.
    On any failure the temporary file is removed and an existing target is left untouched.
    """
    path = Path(path)
    check_can_write(path, overwrite)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def named_in_manifest(manifest: Path, key: str) -> list[Path]:
    """The paths (relative to its folder) that an existing export manifest gives as its assets' `key` ("file",
    "thumbnail"); [] when there is no readable manifest."""
    manifest = Path(manifest)
    try:
        assets = json.loads(manifest.read_text(encoding="utf-8")).get("assets", [])
        return [manifest.parent / a[key] for a in assets if isinstance(a.get(key), str)]
    except (OSError, ValueError, AttributeError, TypeError):
        return []


def files_inside(folder: Path, paths: list[Path]) -> list[Path]:
    """Those of `paths` that lie directly in `folder`: what an earlier export named there, and so what a replacing
    export may remove. Files a user put elsewhere (or a path that climbs out with ..) are never among them."""
    folder = Path(folder).resolve()
    return [Path(p) for p in paths if Path(p).resolve().parent == folder]


def remove_stale(folder: Path, stale: list[Path], written) -> None:
    """After a replacing export: delete the files of `stale` (named by the replaced export) that it did not write
    again (`written`: paths), then `folder` if that left it empty."""
    keep = {Path(p).resolve() for p in written}
    for path in stale:
        if path.resolve() not in keep:
            path.unlink(missing_ok=True)
    if stale and Path(folder).is_dir() and not any(Path(folder).iterdir()):
        Path(folder).rmdir()


@contextmanager
def removed_on_failure(paths: list[Path], folders: list[Path] = ()):
    """For a set of files written one by one inside the block: if it raises (a full disk, Ctrl-C), remove those of
    `paths` that did not exist before it, the files that appeared in `folders` (each the set's own: a .gltf's
    textures, the thumbnails) and a folder of `folders` it made, once empty. So a failed export leaves nothing that
    a retry would refuse to replace; a file it replaced stays replaced (the old contents are gone)."""
    paths, folders = [Path(p) for p in paths], [Path(f) for f in folders]
    existed = {p for p in paths if p.exists()}
    before = {f: set(f.iterdir()) if f.is_dir() else None for f in folders}
    try:
        yield
    except BaseException:
        with suppress(OSError):  # the cleanup must not hide why the export failed
            for path in paths:
                if path not in existed:
                    path.unlink(missing_ok=True)
            for folder, old in before.items():
                if folder.is_dir():
                    for path in set(folder.iterdir()) - (old or set()):
                        if path.is_file():
                            path.unlink(missing_ok=True)
                    if old is None and not any(folder.iterdir()):
                        folder.rmdir()
        raise
