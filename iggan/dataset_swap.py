"""Replace a render-dataset folder without ever losing the old dataset to a failed or interrupted run.

The new images are rendered into a hidden staging folder inside --out (same file system, so moving
them is a rename). Only when the new set has rendered are its files moved in, the manifest replaced
and the old dataset's files that the new set did not write removed. A failure or Ctrl-C before that
leaves the old dataset whole; a staging folder left by a killed run is removed by the next run, and
image loaders pass over hidden folders, so its images are never trained on.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from .render_dataset import MANIFEST

STAGING = ".render-dataset-staging"
# Temporary images that render-dataset versions before staging wrote straight into --out
# (".00003_chair_01.png.tmp.png"); only this exact pattern is removed, never a user's file.
_OLD_TEMP = re.compile(r"^\.\d{5}_[A-Za-z0-9-]{1,40}_\d{2,}\.png\.tmp\.png$")


def listed_images(folder: Path) -> list[str]:
    """The image file names a render-dataset manifest in `folder` lists ([] when none is readable).
    Only plain names are returned, so a manifest cannot point a removal outside the folder."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
        names = [img["file"] for obj in manifest.get("objects", []) for img in obj.get("images", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    return [n for n in names if isinstance(n, str) and n == Path(n).name and n not in ("", ".", "..")]


def fresh_staging(out: Path) -> Path:
    """An empty staging folder inside `out` (one left by a killed run is removed first)."""
    staging = Path(out) / STAGING
    discard_staging(out)
    staging.mkdir()
    return staging


def discard_staging(out: Path) -> None:
    """Remove the staging folder and everything in it, if there is one."""
    shutil.rmtree(Path(out) / STAGING, ignore_errors=True)


def commit_staged(out: Path, old_files: list[str]) -> list[str]:
    """Move the staged dataset into `out`: its images (each a rename, replacing a same-named old one), then
    its manifest; then delete the old files (`old_files`, names in `out`) that the new set did not
    write, and leftover temporary images of older versions. Returns the new image names."""
    out = Path(out)
    staging = out / STAGING
    new_files = listed_images(staging)
    for name in new_files:
        os.replace(staging / name, out / name)
    os.replace(staging / MANIFEST, out / MANIFEST)  # last: until now the old manifest still describes out
    keep = set(new_files)
    for name in old_files:
        if name not in keep:
            (out / name).unlink(missing_ok=True)
    for path in out.iterdir():
        if _OLD_TEMP.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
    discard_staging(out)
    return new_files
