"""benchmarks/resolution_nna.py: grids of two resolutions brought to one footing."""
import numpy as np
import pytest

from iggan.eval.shape_metrics import thickness
from benchmark_scripts import load_benchmark


def _chairs_like(n=3, res=16, seed=0):
    rng = np.random.default_rng(seed)
    g = np.zeros((n, res, res, res), bool)
    for i in range(n):
        h = rng.integers(4, 8)
        g[i, 3:13, h, 3:13] = True  # a one-voxel seat
        g[i, 3, :h, 3] = g[i, 12, :h, 3] = g[i, 3, :h, 12] = g[i, 12, :h, 12] = True  # legs
    return g


def test_doubling_then_pooling_gives_the_grids_back():
    bench = load_benchmark("resolution_nna")
    g = _chairs_like()
    big = bench.doubled_to(g, 64)
    assert big.shape == (3, 64, 64, 64) and big.sum() == 64 * g.sum()
    assert np.array_equal(bench.pooled_to(big, 16), g)
    # a doubled one-voxel part is two voxels thick, all of it surface; pooled back it reads as the original
    assert thickness(bench.pooled_to(big, 16)) == thickness(g)


def test_pooling_makes_a_block_solid_when_at_least_half_of_it_is():
    bench = load_benchmark("resolution_nna")
    big = np.zeros((1, 4, 4, 4), bool)
    big[0, 0:2, 0, 0:2] = True  # one fine layer of the first block: 4 of 8
    big[0, 2:4, 0, 2] = big[0, 2, 0, 3] = True  # 3 of 8 in another block
    pooled = bench.pooled_to(big, 2)
    assert pooled[0, 0, 0, 0] and not pooled[0, 1, 0, 1] and pooled.sum() == 1


def test_grids_that_cannot_be_doubled_or_pooled_to_a_size_are_refused():
    bench = load_benchmark("resolution_nna")
    with pytest.raises(ValueError, match="by doubling"):
        bench.doubled_to(np.zeros((1, 12, 12, 12), bool), 32)
    with pytest.raises(ValueError, match="cannot pool"):
        bench.pooled_to(np.zeros((1, 48, 48, 48), bool), 32)
