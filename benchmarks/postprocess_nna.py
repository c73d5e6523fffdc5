"""Would cleaning or thinning G's shapes after sampling lower 1-NNA? Prints a table.

The same draws as `evaluate`'s shape metrics (n = the number of reference shapes, seeds 0..draws-1,
512 points, 12 yaws), scored raw and after each change:
- "largest body": the export's speck removal (asset_export.clean.keep_bodies);
- "largest body + filled": the export's whole voxel clean-up (plus sealed cavities filled);
- "thinned from the top": the inverse of metric_sensitivity.py's one-voxel thickening upwards (the top
  voxel of every vertical run of two or more goes), since G's parts are thicker than real ones;
- "thinned from +x, +y, +z": the same along each axis in turn.
Thickness (solid per surface voxel, median) and occupancy are of the changed shapes.

    python benchmarks/postprocess_nna.py chairs --reference-slice 689:789 --draws 3
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from iggan.asset_export.clean import fill_cavities, keep_bodies  # noqa: E402
from iggan.eval.models import load_grids, load_subject, parse_slice  # noqa: E402
from iggan.eval.shape_metrics import shape_metrics, thickness  # noqa: E402

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
UP = 1  # sampled grids are [x, y, z] with +Y up


def thin(g: np.ndarray, axis: int) -> np.ndarray:
    """Drop the +axis end voxel of every run of >= 2 solid voxels along axis (g: (R, R, R) bool)."""
    above, below = np.roll(g, -1, axis), np.roll(g, 1, axis)
    return g & ~(~above & below)


VARIANTS = {
    "raw (as evaluate)": lambda g: g,
    "largest body": keep_bodies,
    "largest body + filled": lambda g: fill_cavities(keep_bodies(g)),
    "thinned from the top": lambda g: thin(g, UP),
    "thinned from +x, +y, +z": lambda g: thin(thin(thin(g, 0), 1), 2),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="bundled name, run folder or checkpoint")
    ap.add_argument("--reference-shapes", default=MODELNET)
    ap.add_argument("--reference-slice", default="689:789", help="training chairs; 789:889 is held out")
    ap.add_argument("--draws", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ref = load_grids(args.reference_shapes, parse_slice(args.reference_slice), "z")
    subject = load_subject(args.model)
    scores = {k: [] for k in VARIANTS}
    for seed in range(args.draws):
        gen = subject.sample_grids(len(ref), seed) > 0.5
        for name, change in VARIANTS.items():
            g = np.stack([change(x) for x in gen])
            scores[name].append((shape_metrics(g, ref, 512, 12, seed)["1nna_cd"], thickness(g), g.mean()))
        print(f"draw {seed}: " + ", ".join(f"{k} {v[-1][0]:.3f}" for k, v in scores.items()), flush=True)
    print(f"\n{args.model}: {len(ref)} shapes vs {args.reference_shapes}[{args.reference_slice}], {args.draws} draws, "
          f"{time.perf_counter() - t0:.0f} s")
    print("| shapes | thickness | occupancy | 1-NNA-CD |")
    print("|---|---:|---:|---:|")
    for name, rows in scores.items():
        a = np.array(rows)
        print(f"| {name} | {a[:, 1].mean():.3f} | {a[:, 2].mean():.4f} | {a[:, 0].mean():.3f} +- {a[:, 0].std():.3f} |")


if __name__ == "__main__":
    main()
