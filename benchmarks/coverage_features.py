"""Do the real chairs G misses in 3D also stand out in image features? Prints Spearman correlations.

For 200 real training chairs (ModelNet 589:789) and 200 bundled-chairs samples: per real chair, its 3D
coverage ratio (iggan.eval.shape_metrics.coverage_ratios: yaw-minimised Chamfer to the nearest generated
shape over that to the nearest other real chair, exact duplicates skipped) and the same ratio in image
features: the mean over 4 of its renders of the distance to the nearest of 800 generated renders in the
eval classifier's 256-d features, over that to the nearest render of another real chair (> 1: nearer to
reals than to G, i.e. not covered). If image features saw what G misses, a coverage-weighted draw of the
real images would be a 2D-only way to ask G for the rare kinds.

    PYOPENGL_PLATFORM=osmesa python benchmarks/coverage_features.py    # about 200 s on 2 cores
"""
from __future__ import annotations

import time

import numpy as np
import torch
from scipy.stats import spearmanr

from iggan.cameras import sample_views
from iggan.eval.classifier import extract_features, load_classifier
from iggan.eval.evaluate import render_samples
from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import coverage_ratios
from iggan.render.reference import PyrenderRenderer

N, V = 200, 4  # real chairs and generated shapes; renders per real chair


def nearest_mean(features: np.ndarray, others: np.ndarray, owner: np.ndarray | None = None) -> np.ndarray:
    """(N*V, F) features of N objects' V renders -> (N,) mean over each object's renders of the distance to
    the nearest row of `others` (M, F); with `owner` (N*V,), rows of the same object are skipped."""
    d = ((features[:, None, :] - others[None, :, :]) ** 2).sum(-1) ** 0.5
    if owner is not None:
        d[owner[:, None] == owner[None, :]] = np.inf
    return d.min(1).reshape(-1, V).mean(1)


def main() -> None:
    t0 = time.perf_counter()
    subject = load_subject("chairs")
    real = load_grids("../shared/data/modelnet10-chairs-32.npz", slice(589, 789), "z")
    gen_imgs, gen = render_samples(subject, N * V, 0)  # 800 samples, one view each
    cfg = subject.config
    renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
    views = sample_views(N * V, cfg.views, torch.Generator().manual_seed(11))
    real_imgs = np.stack([renderer.render_grid(real[i // V], float(views.azimuth[i]), float(views.elevation[i]))
                          for i in range(N * V)])
    net, _ = load_classifier()
    fg, fr = extract_features(net, gen_imgs), extract_features(net, real_imgs)
    print(f"rendered + features in {time.perf_counter() - t0:.0f} s", flush=True)
    ratio_img = nearest_mean(fr, fg) / nearest_mean(fr, fr, np.repeat(np.arange(N), V))
    ratio_cd = coverage_ratios(real, np.arange(N), gen[:N])
    print("Spearman of the coverage ratios (3D Chamfer vs image features) over 200 real chairs:",
          spearmanr(ratio_img, ratio_cd))
    top = ratio_cd >= np.quantile(ratio_cd, 0.8)  # does the 3D 'missed' fifth sit higher in image ratio?
    print(f"image ratio: missed-in-3D top 20% {ratio_img[top].mean():.3f} vs rest {ratio_img[~top].mean():.3f}; "
          f"overall mean {ratio_img.mean():.3f}")
    print(f"chamfer ratio mean {ratio_cd.mean():.3f}, median {np.median(ratio_cd):.3f}; "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
