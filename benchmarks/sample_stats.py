"""Raw samples of a model (threshold 0.5, no export clean-up) or real grids, in numbers that show specks and scale:
the box's longest side over the grid's (real ModelNet chairs fill it: 1.00), occupancy, the largest body's share of
the solid voxels (26-connected) and the share of solid voxels with at most one solid face neighbour (spurs: specks
and strands). Medians over shapes, except occupancy and spurs (means).

    python benchmarks/sample_stats.py RUN_OR_MODEL [N]      # N samples of seed 0's latents (200)
    python benchmarks/sample_stats.py real                  # ModelNet chairs 789:889 (.data/modelnet10-chairs-32.npz)
"""
from __future__ import annotations

import sys

import numpy as np
from scipy import ndimage


def stats(grids: np.ndarray) -> dict:
    """(N, R, R, R) grids -> the four figures above."""
    rows = []
    for g in grids:
        s = np.asarray(g) > 0.5
        if not s.any():
            rows.append((0.0, 0.0, 0.0, 0.0))
            continue
        idx = np.argwhere(s)
        side = float(((idx.max(0) - idx.min(0) + 1) / np.array(s.shape)).max())
        labels, _ = ndimage.label(s, np.ones((3, 3, 3)))
        largest = np.bincount(labels.ravel())[1:].max() / s.sum()
        padded = np.pad(s, 1)
        neighbours = sum(np.roll(padded, d, a) for a in range(3) for d in (1, -1))[1:-1, 1:-1, 1:-1]
        rows.append((side, s.mean(), largest, (s & (neighbours <= 1)).sum() / s.sum()))
    r = np.array(rows)
    return {"box_side": float(np.median(r[:, 0])), "box_side_p10": float(np.percentile(r[:, 0], 10)),
            "occupancy": float(r[:, 1].mean()), "largest_body": float(np.median(r[:, 2])),
            "spur_voxels": float(r[:, 3].mean())}


def line(name: str, s: dict) -> str:
    return (f"{name} box side {s['box_side']:.2f} (p10 {s['box_side_p10']:.2f}) | occupancy {s['occupancy']:.3f} | "
            f"largest body {s['largest_body']:.2f} | spur voxels {s['spur_voxels']:.3f}")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "real":
        from iggan.eval.models import load_grids
        print(line("real:", stats(load_grids(".data/modelnet10-chairs-32.npz", slice(789, 889), "z"))))
        return
    from iggan.sampling import latents, load_model, sample_voxels
    model = load_model(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(line(sys.argv[1], stats(sample_voxels(model, latents(0, n, model.config.model.z_dim)))))


if __name__ == "__main__":
    main()
