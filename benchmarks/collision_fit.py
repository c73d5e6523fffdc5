"""How closely do the collision hulls fit? For the first N samples of a model (seed 0) this prints, for
one convex hull and for a convex decomposition into at most K hulls (`--collision-hulls K`), the
hulls' count, their summed volume over the render mesh's volume (1 = a perfect fit; the excess is
space a game would treat as solid, such as under a chair's seat) and the collision stage's seconds
per shape (the hulls are made from LOD0, as `generate` makes them).

    PYOPENGL_PLATFORM=osmesa python benchmarks/collision_fit.py --model chairs --n 50 --hulls 1 4 8 16 \
        [--sheet docs/images/collision_hulls.png]

--sheet draws the first four shapes beside their hulls at the largest K (and at 1).
"""
from __future__ import annotations

import argparse

import numpy as np

from iggan.asset_export import ExportSettings, grid_to_asset
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.preview import contact_sheet, render_mesh
from iggan.asset_export.surface import signed_volume
from iggan.eval.models import load_subject


def fit_row(grids: np.ndarray, hulls: int) -> tuple[float, float, float]:
    """(mean hull count, median summed hull volume / mesh volume, mean collision seconds) over grids."""
    counts, ratios, seconds = [], [], []
    for grid in grids:
        timings: dict = {}
        asset = grid_to_asset(grid, ExportSettings(collision="godot", collision_hulls=hulls), timings=timings)
        mesh = asset.lods[0]
        volume = sum(signed_volume(h.vertices, h.faces) for h in asset.collision)
        counts.append(len(asset.collision))
        ratios.append(volume / signed_volume(mesh.vertices, mesh.faces))
        seconds.append(timings["collision"])
    return float(np.mean(counts)), float(np.median(ratios)), float(np.mean(seconds))


def hull_sheet(grids: np.ndarray, hulls: int, out: str) -> None:
    """Each shape, its one hull and its decomposition into at most `hulls` hulls, from behind."""
    images, labels = [], []
    for i, grid in enumerate(grids):
        for k in (0, 1, hulls):
            asset = grid_to_asset(grid, ExportSettings(size_m=0.9, collision="godot", collision_hulls=max(k, 1)))
            if k == 0:
                mesh, label = asset.lods[0], f"{i}: mesh"
            else:
                parts = asset.collision
                offsets = np.cumsum([0] + [len(p.vertices) for p in parts])
                mesh = MeshData(np.concatenate([p.vertices for p in parts]),
                                np.concatenate([p.faces + o for p, o in zip(parts, offsets)]).astype(np.uint32))
                label = f"{i}: {len(parts)} hull{'s' if len(parts) > 1 else ''}"
            images.append(render_mesh(mesh, size=200, azimuth=145))
            labels.append(label)
    contact_sheet(images, labels, columns=6).save(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs", help="bundled name, run folder or checkpoint")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--hulls", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--sheet", help="write a PNG of the first four shapes and their hulls here")
    args = ap.parse_args()
    grids = load_subject(args.model).sample_grids(args.n, 0)
    print(f"{args.model}, first {args.n} samples of seed 0")
    print("| --collision-hulls | hulls made (mean) | hull volume / mesh volume (median) | seconds a shape |")
    print("|---:|---:|---:|---:|")
    for k in args.hulls:
        count, ratio, sec = fit_row(grids, k)
        print(f"| {k} | {count:.1f} | {ratio:.2f} | {sec:.3f} |", flush=True)
    if args.sheet:
        hull_sheet(grids[:4], max(args.hulls), args.sheet)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
