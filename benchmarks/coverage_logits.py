"""Does a fresh 4-view D single out the real chairs G misses in 3D? Prints Spearman correlations.

`disc_variety.py --views 4 --save-logits F` keeps the held-out real renders' logits and each one's
object (an index into the training grids). Per real object: its mean logit (high = D finds it most
unlike G's samples), and its 3D coverage ratio: the yaw-minimised Chamfer distance (as `evaluate`) to
the nearest of G's samples over that to the nearest other real training chair (> 1: G has nothing as
close as the real set has; exact duplicates of it are skipped). If the two agree, drawing real images in
proportion to D's logits would be a 2D-only way to ask G for the rare kinds (session 15 found image
features did not agree: Spearman 0.24, benchmarks/coverage_features.py).

    .venv/bin/python benchmarks/coverage_logits.py chairs .data/chairs_train32.npz logits_s0.npz [logits_s1.npz]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import spearmanr

from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import coverage_ratios


def mean_logit_per_object(files: list[str]) -> dict[int, float]:
    """{object index: mean logit over all its held-out renders in all files}."""
    sums: dict[int, list[float]] = {}
    for f in files:
        with np.load(f) as d:
            for i, logit in zip(d["real_ids"], d["real_logits"]):
                sums.setdefault(int(i), []).append(float(logit))
    return {i: float(np.mean(v)) for i, v in sums.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="the generator the logits were made against")
    ap.add_argument("real", help="the training grids disc_variety.py used (G's orientation)")
    ap.add_argument("logits", nargs="+", help="--save-logits files")
    ap.add_argument("--samples", type=int, default=300, help="G's shapes to measure coverage against")
    args = ap.parse_args()
    t0 = time.perf_counter()
    per_object = mean_logit_per_object(args.logits)
    objects = np.array(sorted(per_object))
    logits = np.array([per_object[i] for i in objects])
    real = load_grids(args.real, None, "y")
    generated = load_subject(args.model).sample_grids(args.samples, 0) >= 0.5
    ratio = coverage_ratios(real, objects, generated)
    rho = spearmanr(logits, ratio)
    top = logits >= np.quantile(logits, 0.8)
    print(f"{len(objects)} real objects ({sum(len(np.load(f)['real_ids']) for f in args.logits)} held-out renders), "
          f"{args.samples} generated shapes, {time.perf_counter() - t0:.0f} s")
    print(f"Spearman(mean logit, 3D coverage ratio) = {rho.statistic:.3f} (p = {rho.pvalue:.2g}); "
          f"coverage ratio median {np.median(ratio):.3f}, range {ratio.min():.3f}-{ratio.max():.3f}")
    print(f"coverage ratio: the fifth D finds most real {ratio[top].mean():.3f}, the rest {ratio[~top].mean():.3f}, "
          f"all {ratio.mean():.3f}")


if __name__ == "__main__":
    main()
