"""How plainly do the bundled chairs differ from real ones in 3D? A small 3D CNN learns to tell them apart
(BENCHMARKS.md, session 20). A diagnostic only: nothing trained here is shipped or fed back to G.

A fresh classifier per row and seed: 400 shapes a side (G's samples, latents of seed 1000, binarised at 0.5;
real ModelNet chairs 400:789 of the training part), each framed as Chamfer's point clouds are (cropped to its
bounding box, longest side scaled to 32, centred), 200 held out for the test. Training augments with quarter
turns about +Y and left-right mirrors, and the test averages the four turns, so neither facing nor
handedness can be the cue. Rows:

- G vs real, as sampled; then with enclosed cavities filled on both sides (ModelNet's shells are hollow,
  which no image shows); then only the 16^3 or 8^3 structure (2x2x2 or 4x4x4 blocks averaged).
- Controls without G: real chairs 0:400 one voxel thicker upwards (the change that costs real chairs 12
  points of 1-NNA, session 13) against real chairs 400:789, and real 0:400 against real 400:789 (chance).

    python benchmarks/shape_classifier.py [--model chairs] [--seeds 2] [--only 'cavities filled']
    PYOPENGL_PLATFORM=osmesa python benchmarks/shape_classifier.py --gallery docs/images/shape_classifier_chairs.png
"""
from __future__ import annotations

import argparse
import functools
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
from scipy import ndimage

from iggan.asset_export.clean import fill_cavities
from iggan.eval.models import load_grids, load_subject

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
POOL_SEED = 1000


def frame(grid: np.ndarray, res: int = 32) -> np.ndarray:
    """Binary grid (R, R, R) -> (res, res, res) bool: cropped to its bounding box, the longest side scaled
    to res (nearest-neighbour), centred. An empty grid stays empty."""
    g = np.asarray(grid, bool)
    if not g.any():
        return np.zeros((res,) * 3, bool)
    idx = np.argwhere(g)
    lo, hi = idx.min(0), idx.max(0) + 1
    crop = g[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    scaled = ndimage.zoom(crop.astype(np.float32), res / max(crop.shape), order=1)[:res, :res, :res] > 0.5
    out = np.zeros((res,) * 3, bool)
    o = [(res - d) // 2 for d in scaled.shape]
    out[o[0]:o[0] + scaled.shape[0], o[1]:o[1] + scaled.shape[1], o[2]:o[2] + scaled.shape[2]] = scaled
    return out


def block_average(grids: np.ndarray, block: int) -> np.ndarray:
    """(N, R, R, R) -> (N, R, R, R) float32: each block^3 cube replaced by its mean (only coarser structure left)."""
    n, r = len(grids), grids.shape[1]
    b = r // block
    coarse = grids.astype(np.float32).reshape(n, b, block, b, block, b, block).mean((2, 4, 6))
    for axis in (1, 2, 3):
        coarse = np.repeat(coarse, block, axis)
    return coarse


def classifier() -> nn.Module:
    """(B, 1, 32, 32, 32) -> (B,) logits; about 140 k weights."""
    return nn.Sequential(nn.Conv3d(1, 16, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv3d(16, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv3d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Dropout(0.3),
                         nn.Linear(64 * 4 * 4 * 4, 1), nn.Flatten(0))


def held_out_accuracy(a: np.ndarray, b: np.ndarray, seed: int = 0, epochs: int = 25, test: int = 200,
                      batch: int = 32) -> float:
    """Train a fresh classifier on sets a (N, 32, 32, 32) vs b (M, 32, 32, 32) and return its accuracy on
    `test` shapes held out from both (quarter turns about +Y averaged at test time; 0.5 = no difference)."""
    return train_classifier(a, b, seed, epochs, test, batch)[1]


@torch.no_grad()
def scores(net: nn.Module, shapes: np.ndarray) -> np.ndarray:
    """(N, 32, 32, 32) -> (N,) logits averaged over four quarter turns about +Y (> 0: like set a)."""
    x = torch.from_numpy(np.asarray(shapes, np.float32))[:, None]
    return torch.stack([net(torch.rot90(x, k, (2, 4))) for k in range(4)]).mean(0).numpy()


def train_classifier(a: np.ndarray, b: np.ndarray, seed: int = 0, epochs: int = 25, test: int = 200,
                     batch: int = 32) -> tuple[nn.Module, float]:
    """held_out_accuracy's work -> (the trained classifier in eval mode, its held-out accuracy; nan if test=0)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(np.concatenate([a, b]).astype(np.float32))[:, None]
    y = torch.from_numpy(np.r_[np.ones(len(a)), np.zeros(len(b))].astype(np.float32))
    order = rng.permutation(len(x))
    held, train = order[:test], order[test:]
    net = classifier()
    opt = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-4)
    for _ in range(epochs):
        net.train()
        rng.shuffle(train)
        for s in range(0, len(train), batch):
            i = train[s:s + batch]
            xb = torch.rot90(x[i], int(rng.integers(4)), (2, 4))  # yaw: turn the x-z plane
            xb = torch.flip(xb, (2,)) if rng.random() < 0.5 else xb
            loss = nn.functional.binary_cross_entropy_with_logits(net(xb), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    if not test:
        return net, float("nan")
    logits = torch.from_numpy(scores(net, x[held, 0].numpy()))
    return net, float(((logits > 0).float() == y[held]).float().mean())


def filled(grids: np.ndarray) -> np.ndarray:
    """(N, R, R, R) bool -> the same with sealed cavities filled, as the exporter does."""
    return np.stack([fill_cavities(g) for g in grids])


def framed(grids: np.ndarray) -> np.ndarray:
    """(N, R, R, R) bool -> (N, 32, 32, 32) bool, each shape through frame()."""
    return np.stack([frame(g) for g in grids])


def rows(model: str) -> list[tuple[str, Callable[[], tuple[np.ndarray, np.ndarray]]]]:
    """(name, make) per row; make() -> the two sets, framed, built only when the row runs (--only)."""
    real = load_grids(MODELNET, slice(0, 789)) > 0.5
    a_real, b_real = real[:400], real[400:]
    gen = load_subject(model).sample_grids(400, POOL_SEED) > 0.5

    @functools.cache
    def both_filled() -> tuple[np.ndarray, np.ndarray]:
        return framed(filled(gen)), framed(filled(b_real))

    def coarse(block: int) -> tuple[np.ndarray, np.ndarray]:
        return tuple(block_average(s, block) for s in both_filled())

    def thicker_real() -> tuple[np.ndarray, np.ndarray]:
        a = filled(a_real)
        return framed(a | np.roll(a, 1, axis=1)), both_filled()[1]

    return [("G vs real", lambda: (framed(gen), framed(b_real))),
            ("G vs real, cavities filled", both_filled),
            ("G vs real, filled, 16^3 structure only", lambda: coarse(2)),
            ("G vs real, filled, 8^3 structure only", lambda: coarse(4)),
            ("control: real one voxel thicker upwards vs real, filled", thicker_real),
            ("control: real 0:400 vs real 400:789, filled", lambda: (framed(filled(a_real)), both_filled()[1]))]


def gallery(model: str, out: str) -> None:
    """Train on all of G's 400 and real 400:789 (filled), then render the unseen shapes the classifier finds
    most and least like each set: rows of 8 (two views each) = most G-like G, most real-like G, most
    real-like real (0:400), most G-like real."""
    from nn_gallery import render_two_sides  # benchmarks/ is on the path when this runs as a script

    from iggan.sheets import save_grid

    real = load_grids(MODELNET, slice(0, 789)) > 0.5
    gen = load_subject(model).sample_grids(800, POOL_SEED) > 0.5
    net, _ = train_classifier(framed(filled(gen[:400])), framed(filled(real[400:])), test=0)
    unseen_g, unseen_r = gen[400:], real[:400]
    sg, sr = scores(net, framed(filled(unseen_g))), scores(net, framed(filled(unseen_r)))
    print(f"unseen shapes: G told as G {np.mean(sg > 0):.3f}, real told as real {np.mean(sr < 0):.3f}")
    og, orr = np.argsort(sg), np.argsort(sr)
    rows = [unseen_g[og[-8:]], unseen_g[og[:8]], unseen_r[orr[:8]], unseen_r[orr[-8:]]]
    save_grid(out, np.concatenate([render_two_sides(r) for r in rows]), 16)
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--only", metavar="TEXT", help="only the rows whose name contains TEXT, e.g. 'cavities filled'")
    ap.add_argument("--gallery", metavar="PNG", help="instead of the table, render what the classifier finds most "
                    "and least G-like (needs PYOPENGL_PLATFORM=osmesa on a machine without a GPU)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.gallery:
        gallery(args.model, args.gallery)
        return
    print("| sets (400 a side, 200 held out) | held-out accuracy per seed | mean |\n|---|---|---:|")
    for name, make in rows(args.model):
        if args.only and args.only not in name:
            continue
        a, b = make()
        accs = [held_out_accuracy(a, b, seed) for seed in range(args.seeds)]
        print(f"| {name} | {' / '.join(f'{v:.3f}' for v in accs)} | {np.mean(accs):.3f} |", flush=True)


if __name__ == "__main__":
    main()
