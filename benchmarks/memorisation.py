"""Does a generator copy its training shapes? For small training sets (the 27 sofas) 1-NNA against the
training shapes falls below 0.5 when G's samples sit closer to training shapes than those sit to each
other, which reads as "better" but means copies. This prints, per model, for N samples against the R
training grids (yaw-minimised Chamfer, as `evaluate`):

- `near/real`: median distance from a sample to its nearest training shape, over the median distance
  from a training shape to its nearest *other* training shape (below 1: samples hug training shapes);
- `copies`: share of samples nearer to a training shape than the closest two training shapes are to
  each other (the data's own smallest gap; a sample under it is a near-copy);
- `hit`: how many training shapes are the nearest one of some sample, and `top`: the largest share of
  samples that one training shape draws (mode concentration).

It also saves a sheet: for the --k samples nearest to a training shape, the sample and that shape.

    PYOPENGL_PLATFORM=osmesa python benchmarks/memorisation.py .data/sofas_train32.npz --up y \\
        --models sofas RUN_OR_CKPT --n 270 --out /tmp/memorisation.png

(.data/sofas_train32.npz: `iggan-assets voxelize` of the Sweet Home 3D and Kenney sofas, see BENCHMARKS.md.)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import chamfer_matrix, copy_rates, point_clouds
from iggan.sheets import save_grid

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nn_gallery import render_two_sides  # noqa: E402  (sibling benchmark script)


def memorisation_row(d_gen_train: np.ndarray, d_train_train: np.ndarray) -> dict:
    """d_gen_train (N, R) and d_train_train (R, R, diagonal ignored) -> the figures described above
    (`near/real` and `copies` are `evaluate`'s near_ratio and copies_generated)."""
    near_ratio, copies = copy_rates(d_gen_train, d_train_train)
    counts = np.bincount(d_gen_train.argmin(1), minlength=d_gen_train.shape[1])
    return {
        "near/real": near_ratio,
        "copies": copies,
        "hit": int((counts > 0).sum()),
        "top": float(counts.max() / len(d_gen_train)),
        "median near": float(np.median(d_gen_train.min(1))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train", help="the training grids, .npz with key 'voxels'")
    ap.add_argument("--up", default="y", choices=("y", "z"))
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--n", type=int, default=270)
    ap.add_argument("--points", type=int, default=512)
    ap.add_argument("--k", type=int, default=8, help="closest samples shown per model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/tmp/memorisation.png")
    args = ap.parse_args()
    train = load_grids(args.train, up=args.up)
    y = point_clouds(train, args.points, args.seed + 1)
    d_tt = chamfer_matrix(y)
    np.fill_diagonal(d_tt, np.inf)
    print(f"{len(train)} training shapes ({args.train}); their nearest-other median {np.median(d_tt.min(1)):.5f}, "
          f"smallest {d_tt.min():.5f}")
    print("| model | near/real | copies | hit | top | median near | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    sheet = []
    for spec in args.models:
        t0 = time.perf_counter()
        gen = load_subject(spec).sample_grids(args.n, args.seed) > 0.5
        d_gt = chamfer_matrix(point_clouds(gen, args.points, args.seed), y)
        row = memorisation_row(d_gt, d_tt)
        print(f"| {spec} | {row['near/real']:.2f} | {row['copies']:.3f} | {row['hit']}/{len(train)} | "
              f"{row['top']:.3f} | {row['median near']:.5f} | {time.perf_counter() - t0:.0f} |")
        closest = np.argsort(d_gt.min(1))[: args.k]
        sheet.append(np.concatenate([gen[closest], train[d_gt[closest].argmin(1)]]))
    images = render_two_sides(np.concatenate(sheet))
    save_grid(args.out, images[::2], cols=args.k)  # one view of each
    print(f"sheet: {args.out} (per model, a row of its {args.k} closest samples, then their training shapes)")


if __name__ == "__main__":
    main()
