"""889 synthetic boxes that stand in for ModelNet's chairs (the slices 0:789 and 789:889 the A/B scripts use),
for CPU dry runs of scripts/baseline_own_ab.sh and scripts/framing_ab.sh."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_stand_in_chairs(path: Path) -> Path:
    """Write 889 boxes of random footprint and height, 16^3, z up as ModelNet's, to `path` (.npz, 'voxels')."""
    rng = np.random.default_rng(0)
    grids = np.zeros((889, 16, 16, 16), np.uint8)
    for grid in grids:
        w, d = rng.integers(3, 7, 2)
        grid[8 - w:8 + w, 8 - d:8 + d, 2:2 + rng.integers(3, 12)] = 1
    np.savez_compressed(path, voxels=grids)
    return path
