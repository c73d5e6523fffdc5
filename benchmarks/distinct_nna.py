"""Does keeping look-alikes out (`generate --distinct`) move a model's 1-NNA? For each draw, a pool
of samples is drawn, and the first 100 that keep `tau` from every one kept before them (the order
generate accepts them in) are scored against held-out real shapes like `evaluate`; tau is a quantile
q of the nearest-other distances among 100 real *training* shapes (q 0.25 is the chairs card's 0.0045).
q 0 keeps the first 100 as drawn: the baseline, paired with each q on the same pool.

    .venv/bin/python benchmarks/distinct_nna.py --model chairs --quantiles 0.1,0.25,0.5 --pool 400 --draws 3

About 4 minutes a draw for the pool's own distances plus 1 minute per quantile on the 2-core box.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import chamfer_matrix, point_clouds, shape_metrics

MODELNET = "../shared/data/modelnet10-chairs-32.npz"


def greedy_distinct(d: np.ndarray, tau: float, k: int) -> list[int]:
    """d (P, P) pairwise distances of a pool in draw order -> the indices of the first k samples each
    at least tau from every one kept before it (fewer if the pool runs out)."""
    kept: list[int] = []
    for i in range(len(d)):
        if all(d[i, j] >= tau for j in kept):
            kept.append(i)
            if len(kept) == k:
                break
    return kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--quantiles", default="0.1,0.25,0.5")
    ap.add_argument("--pool", type=int, default=400)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--reference-shapes", default=MODELNET)
    ap.add_argument("--heldout", default="789:889", help="slice of the reference file to score against")
    ap.add_argument("--training", default="0:100", help="slice whose nearest-other distances set tau")
    args = ap.parse_args()
    cut = lambda text: slice(*map(int, text.split(":")))  # noqa: E731
    held = load_grids(args.reference_shapes, cut(args.heldout))
    train = load_grids(args.reference_shapes, cut(args.training))
    d_rr = chamfer_matrix(point_clouds(train, 512, 7), None, 12)
    np.fill_diagonal(d_rr, np.inf)
    taus = {0.0: 0.0, **{float(q): float(np.quantile(d_rr.min(1), float(q))) for q in args.quantiles.split(",")}}
    print("tau per quantile:", {q: round(t, 5) for q, t in taus.items()})
    subject = load_subject(args.model)
    rows: dict[float, list] = {q: [] for q in taus}
    for k in range(args.draws):
        t0 = time.perf_counter()
        pool = subject.sample_grids(args.pool, k) > 0.5
        d = chamfer_matrix(point_clouds(pool, 512, 100 + k), None, 12)
        np.fill_diagonal(d, np.inf)
        for q, tau in taus.items():
            kept = greedy_distinct(d, tau, len(held))
            if len(kept) < len(held):
                print(f"draw {k} q {q}: only {len(kept)} of the pool kept; use a larger --pool")
                continue
            sm = shape_metrics(pool[kept], held, 512, 12, k)
            rows[q].append((sm["1nna_cd"], sm["cov_cd"], sm["mmd_cd"], kept[-1] + 1, sm["nn_home_generated"],
                            sm["nn_home_reference"]))
            print(f"draw {k} q {q}: 1-NNA {sm['1nna_cd']:.3f}, pool used {kept[-1] + 1} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    print("| q | tau | 1-NNA-CD | COV-CD | MMD-CD | pool used | NN at home, generated / reference | draws |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for q, r in rows.items():
        if r:
            a = np.array(r)
            print(f"| {q} | {taus[q]:.5f} | {a[:, 0].mean():.3f} +- {a[:, 0].std():.3f} | {a[:, 1].mean():.2f} | "
                  f"{a[:, 2].mean():.5f} | {a[:, 3].mean():.0f} | {a[:, 4].mean():.2f} / {a[:, 5].mean():.2f} "
                  f"| {len(a)} |")


if __name__ == "__main__":
    main()
