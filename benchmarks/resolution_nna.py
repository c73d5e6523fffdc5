"""Shape metrics of generators of different voxel resolutions on one footing (issue 8, session 47).

`evaluate` samples surface points at each grid's own voxel centres, so a 64^3 generator against 32^3 real chairs
would be told apart by its finer surface alone. Here every set, generated or real, is brought to the largest
resolution among them by nearest-neighbour doubling (the same solid, drawn on a finer grid), and MMD/COV/1-NNA
(yaw-minimised Chamfer) are computed against held-out real chairs, beside the data floor: other real chairs against
the same held-out ones. Thickness (solid voxels per surface voxel) is reported at each set's own resolution, at the common one (all sets
doubled to it: one footing), and after pooling 64^3 sets back to 32^3 (a 2^3 block solid when half or more of it is,
so one extra fine layer on a block's face counts as a coarse voxel), which reads on the real chairs' scale.

    python3 -P benchmarks/resolution_nna.py chairs runs/gimg_img64.json --samples 100 --draws 3
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from iggan.eval.models import EvalError, load_grids, load_subject, parse_slice
from iggan.eval.shape_metrics import chamfer_matrix, mmd_cov, one_nna, point_clouds, thickness


def doubled_to(grids: np.ndarray, res: int) -> np.ndarray:
    """(N, R, R, R) bool -> (N, res, res, res) by repeating voxels; res must be R times a power of two."""
    while grids.shape[1] < res:
        grids = grids.repeat(2, 1).repeat(2, 2).repeat(2, 3)
    if grids.shape[1] != res:
        raise ValueError(f"cannot bring {grids.shape[1]}^3 grids to {res}^3 by doubling")
    return grids


def pooled_to(grids: np.ndarray, res: int) -> np.ndarray:
    """(N, R, R, R) bool -> (N, res, res, res): each block solid when at least half of it is."""
    f = grids.shape[1] // res
    if f * res != grids.shape[1]:
        raise ValueError(f"cannot pool {grids.shape[1]}^3 grids to {res}^3")
    blocks = grids.reshape(len(grids), res, f, res, f, res, f).mean((2, 4, 6))
    return blocks >= 0.5


def reference_draws(ref: np.ndarray, res: int, draws: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each draw's reference point clouds and their distance matrix, made once for every set scored against them."""
    r = doubled_to(ref, res)
    clouds = [point_clouds(r, 512, seed + k + 1) for k in range(draws)]
    return [(y, chamfer_matrix(y)) for y in clouds]


def score(name: str, gen: np.ndarray, refs: list[tuple[np.ndarray, np.ndarray]], res: int, seed: int) -> dict:
    """Mean and std over the draws of refs (reference_draws) of the shape metrics of gen (bool grids) at res^3."""
    g = doubled_to(gen, res)
    runs = []
    for k, (y, d_rr) in enumerate(refs):  # as shape_metrics (512 points, 12 yaws), without its slow diagnostics
        x = point_clouds(g, 512, seed + k)
        d_gr, d_gg = chamfer_matrix(x, y), chamfer_matrix(x)
        mmd, cov = mmd_cov(d_gr)
        runs.append({"mmd_cd": mmd, "cov_cd": cov, "1nna_cd": one_nna(d_gg, d_rr, d_gr)})
    out = {"name": name, "res": int(gen.shape[1])}
    for key in ("mmd_cd", "cov_cd", "1nna_cd"):
        vals = [d[key] for d in runs]
        out[key], out[key + "_std"] = float(np.mean(vals)), float(np.std(vals))
    out["thickness_own"] = thickness(gen)
    out["thickness_common"] = thickness(g)
    out["thickness_32"] = thickness(pooled_to(gen, 32)) if gen.shape[1] > 32 else thickness(gen)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="generators (bundled name, run folder or checkpoint)")
    p.add_argument("--reference", default=".data/modelnet10-chairs-32.npz", help="ModelNet chairs, Z up")
    p.add_argument("--heldout", default="789:889")
    p.add_argument("--floor", default="689:789", help="other real chairs for the data floor ('' to skip)")
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--draws", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    try:
        ref = load_grids(a.reference, parse_slice(a.heldout), "z") > 0.5
        sets = []
        if a.floor:
            sets.append((f"data floor (real {a.floor})", load_grids(a.reference, parse_slice(a.floor), "z") > 0.5))
        for spec in a.models:
            sets.append((spec, load_subject(spec).sample_grids(a.samples, a.seed) > 0.5))
    except (EvalError, OSError, ValueError) as exc:
        raise SystemExit(f"{exc}; pass bundled names, run folders or checkpoint pairs, and --reference an .npz of "
                         "ModelNet chairs (cp ../shared/data/modelnet10-chairs-32.npz .data/)") from exc
    res = max(g.shape[1] for _, g in sets)
    refs = reference_draws(ref, res, a.draws, a.seed)
    rows = [score(name, g, refs, res, a.seed) for name, g in sets]
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"against real {a.heldout} ({len(ref)}), all at {res}^3, {a.draws} draws")
    print(f"| set | res | MMD-CD | COV-CD | 1-NNA | thickness (own) | thickness (at {res}^3) | thickness (at 32^3) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['res']} | {r['mmd_cd']:.5f} | {r['cov_cd']:.2f} +- {r['cov_cd_std']:.2f} | "
              f"{r['1nna_cd']:.3f} +- {r['1nna_cd_std']:.3f} | {r['thickness_own']:.3f} | {r['thickness_common']:.3f} | "
              f"{r['thickness_32']:.3f} |")


if __name__ == "__main__":
    main()
