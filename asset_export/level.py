"""Level a shape's base: trim a thin bottom slab so a shape that rocks stands on a flat foot.

A generator that never sees under its shapes leaves drips and rounded bellies there: the shape
then balances on a few voxels and rocks when stood on a floor. A modeller would cut the base flat.
The pipeline (pipeline.py) does that with as few layers as it takes: it tries the trims this module
offers, fewest first, and keeps the first whose smoothed mesh rests within ROCKING_DEG of upright.

Pure numpy on a boolean (X, Y, Z) grid, +Y up.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# a shape resting further than this from upright rocks: real chairs and sofas rest at a median 0.14
# and 0.18 degrees (one voxel under a 1 m chair is about 4 degrees)
ROCKING_DEG = 1.0


def bottom_trims(solid: np.ndarray, max_trim: float) -> Iterator[tuple[int, np.ndarray]]:
    """(k, solid without its k lowest occupied layers) for k = 1, 2, ... up to `max_trim` of the
    shape's largest extent (a fraction; at 0.1 a shape 32 voxels across may lose 3 layers).
    solid: bool (X, Y, Z), +Y up; it is not modified."""
    if max_trim <= 0 or not solid.any():
        return
    cells = np.argwhere(solid)
    bottom = int(cells[:, 1].min())
    extent = int((cells.max(axis=0) - cells.min(axis=0)).max()) + 1
    for k in range(1, int(max_trim * extent) + 1):
        kept = solid.copy()
        kept[:, : bottom + k, :] = False
        if not kept.any():
            return
        yield k, kept
