"""Are the gaps between chair legs open? The issue asks for chairs with "no filled-in gaps between
legs". For each chair (+Y up, largest body as exported) this finds the seat, the fullest layer in the
lower 70% of the object, and looks at the box under it (the seat's x/z extent, from the floor to one
layer under the seat plate) straight from the front (rays along z) and from the side (rays along x).
The see-through share is the part of that box's front or side view that no voxel blocks: high for four
thin legs, low for a skirt, a panel or webbing between the legs. Printed for real chairs, for a control
(real chairs with every leg and part one voxel wider in x and z: thicker, but no gap filled) and for
each model.

    python benchmarks/leg_gaps.py --models chairs [--n 500]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

from iggan.asset_export.clean import keep_bodies
from iggan.eval.models import load_grids
from iggan.sampling import latents, load_model, sample_voxels

MODELNET = "../shared/data/modelnet10-chairs-32.npz"


def see_through(solid: np.ndarray) -> tuple[float, float]:
    """(R, R, R) bool, +Y up -> (front, side) see-through shares of the box under the seat; NaN when
    the seat sits too low to leave one (stools on a base, sofas)."""
    g = keep_bodies(solid)
    counts = g.sum(axis=(0, 2))
    rows = np.nonzero(counts)[0]
    lo, hi = rows.min(), rows.max() + 1
    top = lo + max(2, int(0.7 * (hi - lo)))
    seat = lo + 1 + int(np.argmax(counts[lo + 1:top]))
    layer = g[:, seat, :]
    xs, zs = np.nonzero(layer.any(axis=1))[0], np.nonzero(layer.any(axis=0))[0]
    under = g[xs.min():xs.max() + 1, lo:seat - 1, zs.min():zs.max() + 1]  # one layer under the plate left out
    if under.shape[1] < 2:
        return float("nan"), float("nan")
    return float((~under.any(axis=2)).mean()), float((~under.any(axis=0)).mean())


def wider(solid: np.ndarray) -> np.ndarray:
    """Every part one voxel wider in x and z (a 3x1x3 dilation): thicker legs, no gap filled on purpose."""
    return ndimage.binary_dilation(solid, np.ones((3, 1, 3), bool))


def summary(name: str, grids: np.ndarray) -> str:
    shares = np.array([see_through(g) for g in grids])
    ok = np.isfinite(shares[:, 0])
    front, side = shares[ok, 0], shares[ok, 1]
    closed = np.minimum(front, side)
    return (f"| {name} | {len(grids)} | {ok.sum()} | {front.mean():.3f} | {side.mean():.3f} | "
            f"{(closed < 0.5).mean():.3f} | {(closed < 0.3).mean():.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default=MODELNET, help=".npz of real chairs ('voxels', z up)")
    ap.add_argument("--models", nargs="*", default=[], help="bundled names, run folders or checkpoints")
    ap.add_argument("--n", type=int, default=500, help="shapes per set")
    args = ap.parse_args()
    real = load_grids(args.reference, None, "z")
    print("| set | shapes | with a box under the seat | see-through from the front | from the side | "
          "either view < 0.5 | < 0.3 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(summary(f"real chairs 0:{args.n}", real[:args.n]), flush=True)
    print(summary(f"real chairs {args.n}:{len(real)}", real[args.n:]), flush=True)
    print(summary(f"control: real chairs 0:{args.n}, one voxel wider in x and z",
                  np.stack([wider(g) for g in real[:args.n]])), flush=True)
    for name in args.models:
        model = load_model(name)
        print(summary(name, sample_voxels(model, latents(0, args.n, model.config.model.z_dim)) >= 0.5), flush=True)


if __name__ == "__main__":
    main()
