"""benchmarks/silhouette_widths.py: granulometry of silhouettes (the share left after erosions)."""
import numpy as np

from benchmark_scripts import load_benchmark


def test_thick_parts_survive_erosions_that_remove_thin_ones():
    bench = load_benchmark("silhouette_widths")
    masks = np.zeros((2, 40, 40), bool)
    masks[0, 5:35, 18:21] = True  # a 3 px leg
    masks[1, 5:35, 15:24] = True  # a 9 px leg
    thin, thick = bench.survival(masks, radii=(1, 2, 4))
    assert thin[0] > 0 and thin[1] == 0 and thin[2] == 0  # gone once the square is wider than the leg
    assert thick[0] > thick[1] > thick[2] > 0
    grids = np.zeros((1, 4, 4, 4), bool)
    grids[0, 1, 1, 1] = grids[0, 2, 3, 2] = True  # one voxel mid-way, one in the top layer ((N, X, Y, Z), +Y up)
    up = bench.thickened_up(grids)
    assert up[0, 1, 2, 1] and up.sum() == 3 and not up[0, 2, 0, 2]  # grown upwards, no wrap-around
    text = bench.table({"a": thin[None], "b": thick[None]}, radii=(1, 2, 4))
    assert text.splitlines()[0] == "| set | k=1 | k=2 | k=4 |" and text.splitlines()[2].startswith("| a | ")
