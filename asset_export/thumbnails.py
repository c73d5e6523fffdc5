"""Per-asset thumbnails (`--thumbnails PX`): each asset's picture as a PNG icon with a transparent background, for a
game's build menu or an asset browser, in a folder beside the asset file(s) (bundle.Outputs.thumbnails).

Like every output they are checked before anything is written, and an export that replaces another removes the icons
the old manifest named and it does not write, never files a user put in the folder."""
from __future__ import annotations

from pathlib import Path

from .atomic import atomic_write, check_can_write, files_inside, named_in_manifest
from .errors import ExportError
from .gltf import PlacedAsset
from .preview import png_bytes, render_mesh


def plan_thumbnails(folder: Path, names: list[str], overwrite: bool) -> dict[str, Path]:
    """{asset name: its icon's path in `folder`}, each checked before anything is written: an existing icon is not
    replaced without overwrite, and `folder` must be a folder (or creatable)."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} exists and is not a folder; the thumbnails go there: move it away")
    paths = {name: folder / f"{name}.png" for name in names}
    if folder.is_dir():
        for path in paths.values():
            check_can_write(path, overwrite)
    else:
        check_can_write(folder, overwrite=False)  # its parent must be writable
    return paths


def frame_look(placed: PlacedAsset) -> dict:
    """render_mesh's frame arguments for an asset's LOD0: its frame faces in its frame finish's colour."""
    if placed.frame is None or placed.asset.frame is None:
        return {}
    return {"frame": placed.asset.frame[0], "frame_tint": placed.frame[0]}


def thumbnail_pngs(placed: list[PlacedAsset], paths: dict[str, Path], size: int) -> dict[Path, bytes]:
    """{icon path: PNG bytes}: each asset as the preview sheet's first view, alone, `size` px, RGBA (alpha =
    coverage), tinted with its colour (and its frame's) or painted with its colour map as the sheet shows it."""
    return {paths[p.name]: png_bytes(render_mesh(p.asset.lods[0], size, tint=p.color, transparent=True,
                                                 colour=p.asset.colour[0] if p.asset.colour else None, **frame_look(p)))
            for p in placed}


def write_thumbnails(pngs: dict[Path, bytes], overwrite: bool) -> None:
    """thumbnail_pngs' icons, each written whole, their folder made if missing."""
    next(iter(pngs)).parent.mkdir(exist_ok=True)
    for path, data in pngs.items():
        atomic_write(path, data, overwrite)


def thumbnails_named_by(manifest: Path, folder: Path) -> list[Path]:
    """The icons inside `folder` that the existing `manifest` names ([] without a readable one): what an export
    replacing it may remove (atomic.remove_stale): PNGs only, as for the asset files (bundle.asset_files_named_by)."""
    return [p for p in files_inside(folder, named_in_manifest(manifest, "thumbnail")) if p.suffix == ".png"]
