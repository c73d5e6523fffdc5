"""`iggan-assets export`: voxel grids from an .npz (another tool's, or ModelNet's) through the same pipeline
as `generate`."""
from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

from iggan.asset_export import ExportError, grid_to_asset
from iggan.asset_export.orient import UP_AXES
from iggan.npz import open_npz

from .export_options import checked_outputs, export_options, export_settings, safe_name, sheet_sides
from .generate import report_written, write_assets
from .timings import Stopwatch, Timings, click_progress


def _parse_select(text: str | None, total: int) -> list[int]:
    """'0:16', '3,7,9' or None (all) -> indices."""
    if text is None:
        return list(range(total))
    try:
        if ":" in text:
            start, _, stop = text.partition(":")
            idx = list(range(total))[slice(int(start) if start else None, int(stop) if stop else None)]
        else:
            idx = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter("expected START:STOP or a comma list of indices, e.g. 0:16 or 3,7,9",
                                 param_hint="--select")
    bad = [i for i in idx if not -total <= i < total]
    if bad or not idx:
        raise click.BadParameter(f"indices {bad or idx} select nothing in {total} grid(s)", param_hint="--select")
    idx = [i % total for i in idx]
    twice = sorted({i for i in idx if idx.count(i) > 1})
    if twice:  # two assets of one name: one node name twice in a GLB, or one --split file written over the other
        raise click.BadParameter(f"grid {twice[0]} is selected twice; list each grid once", param_hint="--select")
    return idx


def load_grids(path: Path) -> np.ndarray:
    """VOXELS.npz with key 'voxels': (R, R, R) or (N, R, R, R), values in [0, 1] -> (N, X, Y, Z)."""
    try:
        with open_npz(path) as data:
            if "voxels" not in data.files:
                raise click.BadParameter(f"{path} has no 'voxels' array (it has: {', '.join(data.files) or 'none'})",
                                         param_hint="VOXELS")
            grids = data["voxels"]
    except click.BadParameter:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError (not an .npz, pickled objects), OSError
        raise click.BadParameter(f"cannot read {path} as .npz: {exc}", param_hint="VOXELS") from exc
    if grids.ndim == 3:
        grids = grids[None]
    if grids.ndim != 4 or min(grids.shape) < 1:
        raise click.BadParameter(f"'voxels' must be (R, R, R) or (N, R, R, R), got shape {grids.shape}",
                                 param_hint="VOXELS")
    if grids.dtype == bool:
        return grids
    if not np.issubdtype(grids.dtype, np.number):
        raise click.BadParameter(f"'voxels' must be numeric, got {grids.dtype}", param_hint="VOXELS")
    if not np.all(np.isfinite(grids)):
        raise click.BadParameter("'voxels' contains NaN or infinite values", param_hint="VOXELS")
    lo, hi = float(grids.min()), float(grids.max())
    if lo < 0 or hi > 1:
        raise click.BadParameter(f"'voxels' values must be occupancies in [0, 1], got [{lo:g}, {hi:g}]",
                                 param_hint="VOXELS")
    return grids


@click.command("export")
@click.argument("voxels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--up", type=click.Choice(UP_AXES), default="y", show_default=True,
              help="Which grid axis is up in the file (ModelNet grids are z-up).")
@click.option("--name", default=None, help="Asset name prefix (default: the file's stem).")
@click.option("--select", default=None, metavar="SPEC", help="Grids to export: START:STOP or 3,7,9 (default all).")
@click.option("--skip-invalid", is_flag=True, help="Skip grids that give no valid mesh instead of failing.")
@export_options
def export(voxels, up, name, select, skip_invalid, out, fmt, split, layout, overwrite, no_preview, preview_sides,
           timings, **settings_opts):
    """Export voxel grids from VOXELS.npz (key 'voxels') through the same pipeline."""
    t0 = time.perf_counter()
    times = Timings()
    sides = sheet_sides(no_preview, preview_sides)
    outputs = checked_outputs(out, split, overwrite, sides, fmt, settings_opts)
    with Stopwatch(times, "load"):
        grids = load_grids(voxels)
    settings = export_settings({}, settings_opts)
    prefix = safe_name(name or voxels.stem)
    names, assets, extras, skipped = [], [], [], []
    with click_progress(len(_parse_select(select, len(grids))), "exporting") as bar:
        for i in _parse_select(select, len(grids)):
            try:
                asset = grid_to_asset(grids[i], settings, up=up, timings=times)
            except ExportError as exc:
                if not skip_invalid:
                    raise click.ClickException(f"grid {i} of {voxels}: {exc}; nothing was written "
                                               "(--skip-invalid skips such grids)") from exc
                skipped.append({"index": i, "reason": str(exc)})
                bar.update(1)
                continue
            names.append(f"{prefix}_{i}")
            assets.append(asset)
            extras.append({"source": voxels.name, "index": i})
            bar.update(1)
    if not assets:
        raise click.ClickException(f"no grid in {voxels} gave a valid mesh; nothing was written")
    for s in skipped:
        click.echo(f"skipped grid {s['index']}: {s['reason']}", err=True)
    meta = {"command": "export", "source": str(voxels), "up": up, "skipped": skipped}
    manifest = write_assets(names, assets, extras, outputs, settings, layout, overwrite, sides, meta, times)
    report_written(outputs, names, assets, settings, times, t0, timings)
    return manifest
