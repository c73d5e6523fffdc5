"""benchmarks/standing.py: the tilt table and the standing draws that `generate` would ship."""
import numpy as np
import pytest

from benchmark_scripts import load_benchmark
from standing_shapes import lamp_post, table

standing = load_benchmark("standing")


class FakeSubject:
    """Latent k of any seed is a table when k is even and a lamp post when k is odd."""

    def sample_grids(self, n, seed=0):
        return np.stack([table(16) if k % 2 == 0 else lamp_post(16) for k in range(n)])


def test_rest_tilts_and_the_table_row():
    empty = np.zeros((16, 16, 16), np.float32)
    tilts = standing.rest_tilts(np.stack([table(16), lamp_post(16), empty]))
    assert tilts[0] < 0.5 and tilts[1] > 30 and np.isnan(tilts[2])  # an empty grid has no mesh
    row = standing.tilt_row("x", tilts)
    # 3 shapes, 2 meshed; of those, half topple more than 2, 5, 10 and 30 degrees
    assert row.startswith("| x | 3 | 2 |") and row.endswith("| 0.500 | 0.500 | 0.500 | 0.500 |")


def test_standing_draw_keeps_the_first_n_that_stand():
    raw, kept, looked = standing.standing_draw(FakeSubject(), 3, 0, 10.0)
    assert raw.shape == kept.shape == (3, 16, 16, 16)
    assert np.array_equal(raw[1], lamp_post(16) > 0.5)
    assert all(np.array_equal(k, table(16) > 0.5) for k in kept) and looked == 5  # latents 0, 2, 4
    with pytest.raises(SystemExit, match="stand"):
        standing.standing_draw(FakeSubject(), 3, 0, -1.0)
