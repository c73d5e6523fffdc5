"""How ragged are shapes underneath? Real furniture stands on a flat base or feet; a generator that
never saw its shapes from below (the sofas were trained at elevations 15..60) is free to leave drips
and specks there. For real grids and each model this prints the spur share (surface voxels with at
most one solid face-neighbour, `iggan.eval.shape_metrics.spur_share`), the loose share (surface
voxels off the largest body) and how the spur voxels spread over the four height quarters of each object, and
writes a sheet with one row per set, every shape seen from below.

    PYOPENGL_PLATFORM=osmesa python benchmarks/underside.py .data/sofas_train32.npz --up y \
        --models sofas runs/NAME --out docs/images/sofas_from_below.png
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from iggan.config import ViewConfig
from iggan.eval.models import load_grids
from iggan.eval.shape_metrics import loose_share, spur_mask, spur_share
from iggan.sampling import latents, load_model, sample_voxels

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lighting import render_lit  # noqa: E402  (sibling benchmark script)


def spur_height_quarters(grids: np.ndarray) -> np.ndarray:
    """Binary grids (N, R, R, R), +Y up -> (4,) share of all spur voxels in each height quarter of
    their own object's extent, bottom first (zeros when there are none)."""
    counts = np.zeros(4)
    for g in (np.asarray(x) > 0.5 for x in grids):
        if not g.any():
            continue
        spur = spur_mask(g)
        rows = np.nonzero(g.any(axis=(0, 2)))[0]
        lo, hi = rows.min(), rows.max() + 1
        counts += np.histogram((np.nonzero(spur)[1] - lo) / (hi - lo), bins=4, range=(0.0, 1.0))[0]
    return counts / counts.sum() if counts.sum() else counts


def sheet_row(grids: np.ndarray, elevation_deg: float, size: int) -> np.ndarray:
    """Grids (n, R, R, R) -> one (size, n * size) uint8 row, each seen from `elevation_deg` at
    azimuths spread around, under the reference lights."""
    n = len(grids)
    azimuth = np.radians(np.linspace(20.0, 380.0, n, endpoint=False))
    elevation = np.full(n, np.radians(elevation_deg))
    images = render_lit(grids, "reference", azimuth, elevation, size, ViewConfig())
    return (np.concatenate(list(images[..., 0]), axis=1) * 255).round().astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reference", help=".npz of real grids ('voxels')")
    ap.add_argument("--up", choices=("y", "z"), default="z", help="up axis of the reference grids")
    ap.add_argument("--models", nargs="+", default=[], help="bundled names, run folders or checkpoints")
    ap.add_argument("--n", type=int, default=100, help="shapes per model for the table")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write a sheet (one row per set, seen from below) to this PNG")
    ap.add_argument("--sheet-n", type=int, default=10, help="shapes per row of the sheet")
    ap.add_argument("--elevation", type=float, default=-20.0, help="sheet camera elevation in degrees")
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()

    sets = {"real": load_grids(args.reference, None, args.up) > 0.5}
    for name in args.models:
        model = load_model(name)
        sets[name] = sample_voxels(model, latents(args.seed, args.n, model.config.model.z_dim)) >= 0.5
    print("| set | shapes | spur share | loose share | spur voxels by height quarter, bottom to top |")
    print("|---|---:|---:|---:|---|")
    for name, grids in sets.items():
        quarters = " / ".join(f"{q:.2f}" for q in spur_height_quarters(grids))
        print(f"| {name} | {len(grids)} | {spur_share(grids):.4f} | {loose_share(grids):.4f} | {quarters} |")
    if args.out:
        rows = [sheet_row(grids[:args.sheet_n], args.elevation, args.size) for grids in sets.values()]
        width = max(r.shape[1] for r in rows)
        rows = [np.pad(r, ((0, 4), (0, width - r.shape[1])), constant_values=40) for r in rows]
        Image.fromarray(np.concatenate(rows)).save(args.out)
        print(f"wrote {args.out}: rows {', '.join(sets)}, elevation {args.elevation:g} deg")


if __name__ == "__main__":
    main()
