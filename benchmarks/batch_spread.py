"""How far is each generated shape from its nearest neighbour in a batch, against real chairs? Prints a table.

The statistic `train --spread-weight` raises (iggan.losses.nn_spread): per batch of 64, the mean log
mean-absolute voxel difference from each shape to its nearest other one, here on shapes binarised at
0.5 (as exported). Real batches are drawn from the training grids; duplicates in ModelNet (36 of 789)
are floored at 1e-3 so they do not dominate the log. Mean and std over 8 batches. `--pool F` compares
the grids average-pooled by F (coarse variety: parts, not voxels).

    python benchmarks/batch_spread.py chairs runs/chunks_sp0.02/ckpt_00002614 [--pool 4]
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from iggan.sampling import latents, load_model

BATCHES, BATCH = 8, 64


def log_nn_distance(x: torch.Tensor, pool: int = 1) -> float:
    """x (B, R, R, R) or (B, 1, R, R, R) -> mean over the batch of log(distance to the nearest other sample)."""
    x = x.float().reshape(len(x), 1, *x.shape[-3:])
    flat = (F.avg_pool3d(x, pool) if pool > 1 else x).flatten(1)
    d = torch.cdist(flat, flat, p=1) / flat.shape[1]
    d.fill_diagonal_(float("inf"))
    return d.min(dim=1).values.clamp_min(1e-3).log().mean().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="bundled names, run folders or checkpoints")
    ap.add_argument("--real", default=".data/chairs_train32.npz", help="training grids (npz with 'voxels')")
    ap.add_argument("--real-count", type=int, default=789, help="draw real batches from the first N grids")
    ap.add_argument("--pool", type=int, default=1, help="average-pool the grids by this factor first")
    args = ap.parse_args()
    real = np.load(args.real)["voxels"][: args.real_count]
    distinct = len(np.unique(real.reshape(len(real), -1), axis=0))
    print(f"real grids: {len(real)}, of which {distinct} distinct; pooled by {args.pool}")
    print("| shapes | mean log NN distance (8 batches of 64) | occupancy |")
    print("|---|---:|---:|")
    rs = [log_nn_distance(torch.from_numpy(real[np.random.default_rng(s).choice(len(real), BATCH, replace=False)]), args.pool)
          for s in range(BATCHES)]
    print(f"| real ({args.real}, first {len(real)}) | {np.mean(rs):.3f} +- {np.std(rs):.3f} | {real.mean():.4f} |")
    for name in args.models:
        model = load_model(name)
        G = model.generator.float()
        values, occ = [], []
        for s in range(BATCHES):
            with torch.no_grad():
                x = G(torch.from_numpy(latents(s, BATCH, model.config.model.z_dim))) > 0.5
            values.append(log_nn_distance(x, args.pool))
            occ.append(x.float().mean().item())
        print(f"| {name} | {np.mean(values):.3f} +- {np.std(values):.3f} | {np.mean(occ):.4f} |")


if __name__ == "__main__":
    main()
