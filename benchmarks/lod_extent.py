"""How much of LOD0's bounding box each lower LOD keeps, at the default and at low-poly budgets.

For each bundled model, N samples of seed 0 are exported with `--lods 3` at each `--faces` budget (the model
card's export settings, its checks off so every sample counts). For each LOD the table gives the extent loss
against LOD0 (`decimate.extent_loss`: the largest share of a bounding-box extent it leaves uncovered; a chair
whose legs collapsed loses about 40% of its height), how many LODs repeat the one above (the guard of
`decimate.MAX_EXTENT_LOSS`, and broken decimations), and the highest lowest point of a LOD above the floor.
`--no-guard` turns the guard off (what the export did before session 44).

    .venv/bin/python benchmarks/lod_extent.py [--n 40] [--faces 5000 1000 200 100] [--no-guard]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset  # noqa: E402
from iggan.asset_export import decimate  # noqa: E402
from iggan.asset_export.decimate import extent_loss  # noqa: E402


def lod_rows(grids: np.ndarray, defaults: dict, faces: int) -> list[dict]:
    """One row per LOD k >= 1: losses against LOD0, repeats and the lowest point, over the grids that export."""
    losses: dict[int, list[float]] = {1: [], 2: []}
    repeats = {1: 0, 2: 0}
    lowest = {1: 0.0, 2: 0.0}
    for grid in grids:
        settings = ExportSettings(**{**defaults, "faces": faces, "lods": 3, "max_tilt_deg": None,
                                     "min_height_ratio": None, "max_loose_share": None})
        try:
            asset = grid_to_asset(grid, settings)
        except ExportError:
            continue
        for k in (1, 2):
            losses[k].append(extent_loss(asset.lods[k], asset.lods[0]))
            repeats[k] += any(n.startswith(f"LOD{k} repeats") for n in asset.report["notes"])
            lowest[k] = max(lowest[k], float(asset.lods[k].vertices[:, 1].min()))
    return [{"lod": k, "budget": max(12, faces // 2 ** k), "n": len(losses[k]),
             "median": np.median(losses[k]), "p95": np.percentile(losses[k], 95), "max": max(losses[k]),
             "over": sum(x > 0.1 for x in losses[k]), "repeats": repeats[k], "lowest_mm": 1000 * lowest[k]}
            for k in (1, 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--models", default="chairs,sofas")
    parser.add_argument("--faces", type=int, nargs="+", default=[5000, 1000, 200, 100])
    parser.add_argument("--no-guard", action="store_true", help="keep LODs that lost their legs (the old export)")
    args = parser.parse_args()
    if args.no_guard:
        decimate.MAX_EXTENT_LOSS = float("inf")
    from iggan.cli.export_options import model_defaults  # the card's settings, as generate takes them
    from iggan.sampling import latents, load_model, sample_voxels

    print(f"{'model':7s} {'faces':>5s} {'LOD':>3s} {'budget':>6s} {'n':>3s} {'loss med':>8s} {'p95':>6s} "
          f"{'max':>6s} {'>0.1':>4s} {'repeats':>7s} {'lowest mm':>9s}")
    for name in args.models.split(","):
        model = load_model(name)
        defaults = {k: v for k, v in model_defaults(model).items() if k in ExportSettings.__dataclass_fields__}
        grids = sample_voxels(model, latents(0, args.n, model.config.model.z_dim))
        for faces in args.faces:
            for r in lod_rows(grids, defaults, faces):
                print(f"{name:7s} {faces:5d} {r['lod']:3d} {r['budget']:6d} {r['n']:3d} {r['median']:8.3f} "
                      f"{r['p95']:6.3f} {r['max']:6.3f} {r['over']:4d} {r['repeats']:7d} {r['lowest_mm']:9.2f}")


if __name__ == "__main__":
    main()
