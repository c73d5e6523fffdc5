"""Is the bundled chairs' 1-NNA gap one of support, of weighting, or of style? (BENCHMARKS.md, session 20)

One pool of N generated shapes (latents of seed 1000, binarised at 0.5) is scored once against real
ModelNet chairs with evaluate's distance (yaw-minimised Chamfer on 512 surface points): pool x pool,
pool x selection chairs (689:789), pool x held-out chairs (789:889) and pool x training chairs 0:100.
Every subset of the pool can then be scored from these matrices in microseconds. Three tables:

- support: each real chair's distance to its nearest generated shape, for pools of 100 to N, against
  its nearest other real chair (99 of them). If a large pool comes as near as 99 real chairs do, G can
  make the real kinds and the gap is not one of support.
- reweight: 100 shapes drawn from the pool with weights (distance to the k-th nearest other pool shape)
  ** beta: density flattening from G's own samples, no real data. beta 0 is plain sampling. If G made
  the rare kinds too rarely, flattening would lower 1-NNA.
- oracle: for each training chair 0:100, its nearest unused pool shape. A diagnostic only (it picks with
  3D training data): if G's samples differed from real chairs only in how often each kind is made, these
  100 picks would score like real training chairs do (about 0.5).

    PYOPENGL_PLATFORM=osmesa python benchmarks/sample_pool.py --n 800 --cache .data/pool

The matrices are cached in --cache (the pool x pool one takes about 12 minutes for 800 on 2 cores).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import chamfer_matrix, nn_home_rates, one_nna, point_clouds

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
REFERENCES = {"sel": slice(689, 789), "ho": slice(789, 889)}
TRAIN = slice(0, 100)
POOL_SEED = 1000


def support_curve(d_pool_real: np.ndarray, d_real_real: np.ndarray, sizes, rng, repeats: int = 10) -> dict:
    """Median over real shapes of the distance to the nearest of m pool shapes (mean over `repeats` random
    pools of each size m), and of the distance to the nearest other real shape.
    d_pool_real (N, R), d_real_real (R, R) -> {'real': float, m: float, ...}."""
    rr = np.array(d_real_real, np.float64)
    np.fill_diagonal(rr, np.inf)
    out = {"real": float(np.median(rr.min(1)))}
    for m in sizes:
        out[m] = float(np.mean([np.median(d_pool_real[rng.choice(len(d_pool_real), m, replace=False)].min(0))
                                for _ in range(repeats)]))
    return out


def flattening_weights(d_pool: np.ndarray, k: int, beta: float) -> np.ndarray:
    """(N, N) pool distances -> (N,) sampling probabilities proportional to the distance to each shape's
    k-th nearest other pool shape, to the power beta (0: uniform; larger: sparse regions favoured)."""
    d = np.array(d_pool, np.float64)
    np.fill_diagonal(d, np.inf)
    w = np.sort(d, 1)[:, k - 1] ** beta
    return w / w.sum()


def subset_scores(idx: np.ndarray, d_pool: np.ndarray, d_pool_real: np.ndarray, d_real_real: np.ndarray):
    """1-NNA and its two NN-home rates of the pool shapes idx (n,) against the real set."""
    gg = d_pool[np.ix_(idx, idx)]
    return (one_nna(gg, d_real_real, d_pool_real[idx]), *nn_home_rates(gg, d_real_real, d_pool_real[idx]))


def weighted_draws(p: np.ndarray, d_pool, d_pool_real, d_real_real, n: int, draws: int, rng) -> np.ndarray:
    """(draws, 3): subset_scores of `draws` subsets of n pool shapes drawn without replacement with p."""
    return np.array([subset_scores(rng.choice(len(p), n, replace=False, p=p), d_pool, d_pool_real, d_real_real)
                     for _ in range(draws)])


def nearest_distinct(d_pool_targets: np.ndarray) -> np.ndarray:
    """(N, T) pool x target distances -> (T,) distinct pool indices: targets in order of how near their
    nearest pool shape is, each taking its nearest pool shape not yet taken."""
    taken, picks = set(), np.empty(d_pool_targets.shape[1], int)
    for t in np.argsort(d_pool_targets.min(0)):
        picks[t] = next(int(i) for i in np.argsort(d_pool_targets[:, t]) if int(i) not in taken)
        taken.add(picks[t])
    return picks


def build_pool(model: str, n: int, cache: Path) -> dict:
    """Sample the pool and compute (or load) every distance matrix; returns them by name."""
    cache.mkdir(parents=True, exist_ok=True)
    names = ["gr_sel", "gr_ho", "rr_sel", "rr_ho", "g_tr100", "gg", "tt", "tr_sel", "tr_ho"]
    if all((cache / f"{k}.npy").exists() for k in names):
        return {k: np.load(cache / f"{k}.npy") for k in names}
    gen = load_subject(model).sample_grids(n, POOL_SEED) > 0.5
    pool = point_clouds(gen, 512, 0)  # (sampled even when only the real matrices are missing: 10 s)
    clouds = {k: point_clouds(load_grids(MODELNET, s), 512, 1) for k, s in REFERENCES.items()}
    clouds["tr100"] = point_clouds(load_grids(MODELNET, TRAIN), 512, 2)
    jobs = {"gr_sel": lambda: chamfer_matrix(pool, clouds["sel"]), "gr_ho": lambda: chamfer_matrix(pool, clouds["ho"]),
            "rr_sel": lambda: chamfer_matrix(clouds["sel"]), "rr_ho": lambda: chamfer_matrix(clouds["ho"]),
            "g_tr100": lambda: chamfer_matrix(pool, clouds["tr100"]), "gg": lambda: chamfer_matrix(pool),
            # the floor for the oracle table: training chairs 0:100 themselves
            "tt": lambda: chamfer_matrix(clouds["tr100"]), "tr_sel": lambda: chamfer_matrix(clouds["tr100"], clouds["sel"]),
            "tr_ho": lambda: chamfer_matrix(clouds["tr100"], clouds["ho"])}
    out = {}
    for k in names:
        path = cache / f"{k}.npy"
        if not path.exists():
            t0 = time.perf_counter()
            np.save(cache / f".{k}.tmp.npy", jobs[k]())
            (cache / f".{k}.tmp.npy").replace(path)
            print(f"  {k}: {time.perf_counter() - t0:.0f} s", flush=True)
        out[k] = np.load(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--n", type=int, default=800, help="pool size")
    ap.add_argument("--cache", type=Path, required=True, help="folder for the distance matrices")
    ap.add_argument("--draws", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(2)
    m = build_pool(args.model, args.n, args.cache)
    rng = np.random.default_rng(0)
    n = len(m["gg"])
    sizes = [s for s in (100, 200, 400, 800, 1600) if s <= n]
    print("\n| real chairs | nearest other real (99) | " + " | ".join(f"nearest of {s} G" for s in sizes) + " |")
    print("|---|---:|" + "---:|" * len(sizes))
    for ref in REFERENCES:
        c = support_curve(m[f"gr_{ref}"], m[f"rr_{ref}"], sizes, rng)
        print(f"| {ref} | {c['real']:.5f} | " + " | ".join(f"{c[s]:.5f}" for s in sizes) + " |")
    print("\n| draw of 100 from the pool (selection chairs) | effective pool | 1-NNA | NN home G | NN home R |")
    print("|---|---:|---:|---:|---:|")
    for k, beta in [(5, 0)] + [(k, b) for k in (1, 5, 20) for b in (1, 2, 4)]:
        p = flattening_weights(m["gg"], k, beta)
        s = weighted_draws(p, m["gg"], m["gr_sel"], m["rr_sel"], 100, args.draws, rng)
        label = "uniform" if beta == 0 else f"k {k}, beta {beta}"
        print(f"| {label} | {1 / (p ** 2).sum():.0f} | {s[:, 0].mean():.3f} +- {s[:, 0].std():.3f} | "
              f"{s[:, 1].mean():.2f} | {s[:, 2].mean():.2f} |")
    picks = nearest_distinct(m["g_tr100"])
    print("\n| the pool shape nearest each training chair 0:100 | 1-NNA | NN home G | NN home R |")
    print("|---|---:|---:|---:|")
    for ref in REFERENCES:
        a, hg, hr = subset_scores(picks, m["gg"], m[f"gr_{ref}"], m[f"rr_{ref}"])
        print(f"| against {ref} | {a:.3f} | {hg:.2f} | {hr:.2f} |")
        everything = np.arange(len(m["tt"]))
        a, hg, hr = subset_scores(everything, m["tt"], m[f"tr_{ref}"], m[f"rr_{ref}"])
        print(f"| (floor: the training chairs themselves, against {ref}) | {a:.3f} | {hg:.2f} | {hr:.2f} |")


if __name__ == "__main__":
    main()
