"""benchmarks/underside.py: where a shape's dangling voxels sit, and the sheet seen from below."""
from __future__ import annotations

import numpy as np

from benchmark_scripts import load_benchmark

underside = load_benchmark("underside")


def _sofa_with_drips() -> np.ndarray:
    g = np.zeros((16, 16, 16), bool)
    g[2:14, 4:12, 3:13] = True  # a block standing from y=4 to y=11
    g[3, 1:4, 5] = True  # a drip of 3 under it: only its tip (y=1) has one solid neighbour
    g[8, 12:14, 8] = True  # a spike of 2 on top: tip at y=13
    return g


def test_spur_height_quarters_put_a_drip_at_the_bottom_and_a_spike_at_the_top():
    q = underside.spur_height_quarters(_sofa_with_drips()[None])
    # the object spans y = 1..13 (13 rows): the drip's tip is at 0/13, the spike's at 12/13
    assert q.tolist() == [0.5, 0.0, 0.0, 0.5]
    g = _sofa_with_drips()
    g[8, 12:14, 8] = False
    assert underside.spur_height_quarters(g[None]).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_spur_height_quarters_of_clean_or_empty_shapes_are_zero():
    block = np.zeros((1, 8, 8, 8), bool)
    block[0, 2:6, 2:6, 2:6] = True
    assert underside.spur_height_quarters(block).tolist() == [0.0] * 4
    assert underside.spur_height_quarters(np.zeros((2, 8, 8, 8), bool)).tolist() == [0.0] * 4


def test_sheet_row_renders_each_shape_from_below():
    g = _sofa_with_drips()
    row = underside.sheet_row(np.stack([g, np.zeros_like(g)]), -20.0, 32)
    assert row.shape == (32, 64) and row.dtype == np.uint8
    assert row[:, :32].max() > 0 and row[:, 32:].max() == 0  # the empty grid renders black
