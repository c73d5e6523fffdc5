"""Would cleaning or thinning G's shapes after sampling lower 1-NNA? Prints a table.

The same draws as `evaluate`'s shape metrics (n = the number of reference shapes, seeds 0..draws-1,
512 points, 12 yaws), scored raw and after each change:
- "largest body": the export's speck removal (asset_export.clean.keep_bodies);
- "largest body + filled": the export's voxel clean-up before session 36 (plus sealed cavities filled);
- "joined + largest body + filled": the export's whole clean-up since (asset_export.clean.clean_grid: parts
  the threshold cut off are first joined back through gaps G nearly filled);
- "thinned from the top": the inverse of metric_sensitivity.py's one-voxel thickening upwards (the top
  voxel of every vertical run of two or more goes), since G's parts are thicker than real ones;
- "thinned from +x, +y, +z": the same along each axis in turn;
- "closed": a closing by a 3x3x3 cube, which fills one-voxel pits and slits (G's striped surfaces, session
  20; a 6-connected closing leaves a slit that is open on one face as it is);
- "smoothed sigma S > T": G's soft output low-passed (Gaussian) before binarising at T, which removes
  the ripples of its transposed convolutions.
Thickness (solid per surface voxel, median) and occupancy are of the changed shapes.

    python benchmarks/postprocess_nna.py chairs --reference-slice 689:789 --draws 3 [--only NAME ...]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage

from iggan.asset_export.clean import clean_grid, fill_cavities, keep_bodies  # noqa: E402
from iggan.eval.models import load_grids, load_subject, parse_slice  # noqa: E402
from iggan.eval.shape_metrics import shape_metrics, thickness  # noqa: E402

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
UP = 1  # sampled grids are [x, y, z] with +Y up


def thin(g: np.ndarray, axis: int) -> np.ndarray:
    """Drop the +axis end voxel of every run of >= 2 solid voxels along axis (g: (R, R, R) bool)."""
    above, below = np.roll(g, -1, axis), np.roll(g, 1, axis)
    return g & ~(~above & below)


def closed(g: np.ndarray) -> np.ndarray:
    """Binary closing of g (R, R, R) bool by a 3x3x3 cube, padded so that parts at the border stay."""
    return ndimage.binary_closing(np.pad(g, 2), np.ones((3, 3, 3), bool))[2:-2, 2:-2, 2:-2]


# each takes G's soft output (R, R, R) float in [0, 1] and returns a binary grid
VARIANTS = {
    "raw (as evaluate)": lambda s: s > 0.5,
    "largest body": lambda s: keep_bodies(s > 0.5),
    "largest body + filled": lambda s: fill_cavities(keep_bodies(s > 0.5)),
    "joined + largest body + filled": lambda s: clean_grid(s, 0.5, min_voxels=0, max_fill=1.0),
    "thinned from the top": lambda s: thin(s > 0.5, UP),
    "thinned from +x, +y, +z": lambda s: thin(thin(thin(s > 0.5, 0), 1), 2),
    "closed": lambda s: closed(s > 0.5),
    "smoothed sigma 0.6 > 0.5": lambda s: ndimage.gaussian_filter(s, 0.6) > 0.5,
    "smoothed sigma 1 > 0.4": lambda s: ndimage.gaussian_filter(s, 1.0) > 0.4,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="bundled name, run folder or checkpoint")
    ap.add_argument("--reference-shapes", default=MODELNET)
    ap.add_argument("--reference-slice", default="689:789", help="training chairs; 789:889 is held out")
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--only", nargs="+", choices=list(VARIANTS), help="score only these (and the raw shapes)")
    args = ap.parse_args()
    variants = {k: v for k, v in VARIANTS.items() if not args.only or k in args.only or k.startswith("raw")}
    t0 = time.perf_counter()
    ref = load_grids(args.reference_shapes, parse_slice(args.reference_slice), "z")
    subject = load_subject(args.model)
    scores = {k: [] for k in variants}
    for seed in range(args.draws):
        soft = subject.sample_grids(len(ref), seed)
        for name, change in variants.items():
            g = np.stack([change(x) for x in soft])
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
