"""benchmarks/real_sizes.py: real furniture dimensions against the export's two ways of sizing a shape."""
from pathlib import Path

import numpy as np
import pytest

from benchmark_scripts import load_benchmark

CATALOGS = Path("/usr/share/sweethome3d/furniture")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("real_sizes")


def test_sizing_fixes_one_measure_and_keeps_the_proportions(bench):
    extents = np.array([[1.0, 0.4, 0.5], [0.6, 1.0, 0.5]])  # a low sofa, a tall chair (largest extent 1)
    by_height = bench.sized(extents, 0.8, "height")
    by_largest = bench.sized(extents, 2.0, "largest")
    np.testing.assert_allclose(by_height, [[0.8, 2.0], [0.8, 0.8]])
    np.testing.assert_allclose(by_largest, [[0.8, 2.0], [2.0, 2.0]])


def test_generated_proportions_are_at_largest_extent_one(bench):
    extents, seats = bench.proportions("chairs", 4)
    assert 1 <= len(extents) <= 4 and np.allclose(extents.max(axis=1), 1.0, atol=1e-4)
    assert len(seats) == len(extents) and np.all((seats > 0.2) & (seats < 0.8))  # chairs: a seat mid-height


def test_fullest_layer_top_finds_a_seat(bench):
    chair = np.zeros((10, 10, 10), bool)
    chair[2, 1:4, 2] = chair[7, 1:4, 2] = chair[2, 1:4, 7] = chair[7, 1:4, 7] = True  # legs, layers 1-3
    chair[2:8, 4, 2:8] = True  # the seat plate, layer 4
    chair[2:8, 5:9, 7] = True  # the back, layers 5-8
    assert bench.fullest_layer_top(chair) == pytest.approx(4 / 8)  # the seat's top, half-way up its 8 layers


@pytest.mark.skipif(not CATALOGS.is_dir(), reason="needs Debian's sweethome3d-furniture (scripts/setup.sh test)")
def test_real_seats_vary_less_in_height_than_in_length(bench):
    # the premise of the bundled cards' size_by "height"
    for model in ("chairs", "sofas"):
        dims = bench.real_dimensions(bench.real_objects(str(CATALOGS), model))
        assert len(dims) >= 15
        height, largest = dims[:, 1], dims.max(axis=1)
        assert height.std() / height.mean() < 0.7 * largest.std() / largest.mean()
        assert 0.75 < np.median(height) < 0.95
