"""benchmarks/image_coverage.py: the view grid alone costs little, and the pools are told apart."""
import numpy as np

from benchmark_scripts import load_benchmark
from iggan.sampling import save_random_model

image_coverage = load_benchmark("image_coverage")


def test_the_shapes_that_made_the_images_cover_them_best(tmp_path):
    rng = np.random.default_rng(0)
    grids = np.zeros((9, 16, 16, 16), np.uint8)
    for g in grids:  # boxes of random sizes and places: unlike each other
        lo = rng.integers(1, 7, 3)
        hi = lo + rng.integers(3, 9, 3)
        g[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
    data = tmp_path / "boxes.npz"
    np.savez(data, voxels=grids, up="y")
    model = save_random_model(tmp_path / "g", "tiny")
    rows = image_coverage.nearest_means(str(model), str(data), images=3, pool=5, grids=[(4, 2)])
    (row,) = rows
    assert row["grid"] == "4 x 2" and len(row) == 4
    same, other = row["same real shapes"], row["other real shapes"]
    assert 0 <= same < other  # the images' own shapes, from the nearest grid view, are nearest
    assert all(np.isfinite(v) for k, v in row.items() if k != "grid")
