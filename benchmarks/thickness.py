"""How thick are a generator's parts, and does the 0.5 threshold decide it? Prints a table.

For each model: the median over samples of solid voxels per surface voxel (1.0 = every voxel on the
surface; real 32^3 ModelNet chairs are about 1.05) at several thresholds, the share of voxels whose
occupancy is soft (0.1..0.9) relative to the solid ones, and the mean occupancy at 0.5. If thickness
barely moves with the threshold, the generator's output is near-binary and the extra thickness is in the
shapes themselves, not in where the isosurface is cut.

    python benchmarks/thickness.py chairs runs/chairs128/checkpoints/ckpt_00022438 --n 200
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from shape_gap import occupancy  # noqa: E402  (sibling benchmark script)

from iggan.eval.models import load_grids, load_subject, parse_slice  # noqa: E402
from iggan.eval.shape_metrics import thickness  # noqa: E402

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="bundled names, run folders or checkpoints")
    ap.add_argument("--n", type=int, default=200, help="samples per model (seed 0)")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="689:789")
    args = ap.parse_args()
    ref = load_grids(args.reference, parse_slice(args.reference_slice), "z")
    cols = " | ".join(f"thickness @{t}" for t in THRESHOLDS)
    print(f"| model | {cols} | soft / solid | occupancy @0.5 |\n|---|" + "---:|" * (len(THRESHOLDS) + 2))
    print(f"| real {args.reference_slice} | " + " | ".join(f"{thickness(ref):.3f}" if t == 0.5 else ""
                                                         for t in THRESHOLDS) + f" | | {ref.mean():.4f} |")
    for model in args.models:
        occ = occupancy(load_subject(model), args.n, 0)
        soft = ((occ > 0.1) & (occ < 0.9)).sum() / max(1, (occ > 0.5).sum())
        row = " | ".join(f"{thickness(occ > t):.3f}" for t in THRESHOLDS)
        print(f"| {model} | {row} | {soft:.3f} | {(occ > 0.5).mean():.4f} |", flush=True)


if __name__ == "__main__":
    main()
