"""Do G's silhouettes have wider parts than real chairs' do? Granulometry of single views.

For each render, the share of its silhouette that survives an erosion by a (2k+1)^2 square, k = 1..12 px: thin
parts (legs, slats, a one-voxel back) vanish at small k, thick ones survive. The curve's batch mean is a
statistic of part widths that any image-only loss could match. This compares it for:
- two disjoint draws of real training chairs (the noise floor),
- real chairs one voxel thicker upwards (`disc_variety.py --control thicken-up`: worth 12 points of 1-NNA),
- the model's samples, binarised at random thresholds as D sees them in training.

All are Pyrender renders at random training views. If G's curve sits on the real one while the thickened
control does not, silhouette widths hold no lever: matching them would ask nothing of G.

    PYOPENGL_PLATFORM=osmesa python benchmarks/silhouette_widths.py chairs .data/chairs_train32.npz --n 600
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disc_variety import render_set  # noqa: E402  (sibling benchmark script)

RADII = tuple(range(1, 13))


def survival(masks: np.ndarray, radii=RADII) -> np.ndarray:
    """(N, S, S) bool silhouettes -> (N, len(radii)) share of each silhouette left after an erosion by a
    (2k+1)^2 square (outside the image counts as background)."""
    out = np.zeros((len(masks), len(radii)))
    for i, mask in enumerate(masks):
        area = max(int(mask.sum()), 1)
        for j, k in enumerate(radii):
            out[i, j] = ndimage.binary_erosion(mask, np.ones((2 * k + 1, 2 * k + 1), bool), border_value=0).sum() / area
    return out


def thickened_up(grids: np.ndarray) -> np.ndarray:
    """(N, X, Y, Z) bool grids in G's orientation (+Y up) grown one voxel upwards."""
    grown = np.roll(grids, 1, axis=2)
    grown[:, :, 0] = False  # no wrap-around
    return grids | grown


def table(rows: dict[str, np.ndarray], radii=RADII) -> str:
    """Mean (standard error) of each set's survival curve, one row per set."""
    head = "| set | " + " | ".join(f"k={k}" for k in radii) + " |\n|---|" + "---:|" * len(radii)
    lines = [f"| {name} | " + " | ".join(f"{m:.3f} ({s:.3f})" for m, s in
                                         zip(c.mean(0), c.std(0) / np.sqrt(len(c)))) + " |"
             for name, c in rows.items()]
    return "\n".join([head, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="bundled model name, run folder or checkpoint")
    parser.add_argument("real", type=Path, help=".npz of real training grids in G's orientation (key 'voxels')")
    parser.add_argument("--n", type=int, default=600, help="renders per set")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from iggan.eval.models import load_subject
    from iggan.render.protocol import sample_thresholds
    from iggan.render.reference import PyrenderRenderer

    subject = load_subject(args.model, "cpu")
    cfg = subject.config
    cfg.model.image_size = args.image_size
    renderer = PyrenderRenderer(args.image_size, cfg.views)
    rng, trng = np.random.default_rng(args.seed), torch.Generator().manual_seed(args.seed)
    with np.load(args.real) as data:
        real = np.asarray(data["voxels"]).astype(bool)
    t0 = time.perf_counter()
    occupancy = torch.from_numpy(subject.sample_grids(args.n, args.seed + 1))
    sets = {
        "real": real[rng.choice(len(real), args.n)],
        "real, another draw": real[rng.choice(len(real), args.n)],
        "real, one voxel thicker upwards": thickened_up(real[rng.choice(len(real), args.n)]),
        f"{args.model} (G)": (occupancy > sample_thresholds(args.n, trng).view(-1, 1, 1, 1)).numpy(),
    }
    curves = {name: survival(render_set(grids, renderer, cfg, trng)[:, 0].numpy() > 0.02)
              for name, grids in sets.items()}
    print(f"{args.n} renders per set at {args.image_size} px, {time.perf_counter() - t0:.0f} s")
    print(table(curves))


if __name__ == "__main__":
    main()
