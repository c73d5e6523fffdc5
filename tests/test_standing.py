"""benchmarks/standing.py: the tilt table and the standing draws that `generate` would ship."""
import numpy as np
import pytest

from benchmark_scripts import load_benchmark

standing = load_benchmark("standing")


def block(res: int = 16) -> np.ndarray:
    g = np.zeros((res, res, res), np.float32)
    g[4:12, 0:8, 4:12] = 1.0
    return g


def post(res: int = 16) -> np.ndarray:
    """A thin post under a block that sticks out to +x: falls over."""
    g = np.zeros((res, res, res), np.float32)
    g[2:4, 0:12, 6:8] = 1.0
    g[2:15, 12:14, 4:10] = 1.0
    return g


class FakeSubject:
    """Latent k of any seed is a block when k is even and a post when k is odd."""

    def sample_grids(self, n, seed=0):
        return np.stack([block() if k % 2 == 0 else post() for k in range(n)])


def test_rest_tilts_and_the_table_row():
    empty = np.zeros((16, 16, 16), np.float32)
    tilts = standing.rest_tilts(np.stack([block(), post(), empty]))
    assert tilts[0] < 0.5 and tilts[1] > 30 and np.isnan(tilts[2])  # an empty grid has no mesh
    row = standing.tilt_row("x", tilts)
    # 3 shapes, 2 meshed; of those, half topple more than 2, 5, 10 and 30 degrees
    assert row.startswith("| x | 3 | 2 |") and row.endswith("| 0.500 | 0.500 | 0.500 | 0.500 |")


def test_standing_draw_keeps_the_first_n_that_stand():
    raw, kept, looked = standing.standing_draw(FakeSubject(), 3, 0, 10.0)
    assert raw.shape == kept.shape == (3, 16, 16, 16)
    assert np.array_equal(raw[1], post() > 0.5)
    assert all(np.array_equal(k, block() > 0.5) for k in kept) and looked == 5  # latents 0, 2, 4
    with pytest.raises(SystemExit, match="stand"):
        standing.standing_draw(FakeSubject(), 3, 0, -1.0)
