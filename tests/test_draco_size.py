"""benchmarks/draco_size.py: the size, time and accuracy table of `--compress draco`."""
import numpy as np

from benchmark_scripts import load_benchmark
from iggan.asset_export import ExportSettings, export_grids


def test_a_row_measures_the_coded_file_against_the_plain_one(tmp_path):
    bench = load_benchmark("draco_size")
    g = np.zeros((2, 16, 16, 16), np.float32)
    g[:, 3:13, 1:4, 3:13] = 1
    g[:, 3:6, 1:15, 3:13] = 1
    g[1, 8:12, 4:10, 6:10] = 1
    export_grids(g, tmp_path / "set.glb", ExportSettings(size_m=1.0), names=["a", "b"], preview=False)
    row = bench.measure(tmp_path / "set.glb")
    assert row["meshes"] == 2 and row["plain_bytes"] == (tmp_path / "set.glb").stat().st_size
    assert row["ratio"] == row["plain_bytes"] / row["draco_bytes"] > 3
    assert 0 < row["max_move_mm"] <= 1000 * 2.0 ** -14  # under one 14-bit step of a 1 m shape, but not lossless
    text = bench.table([row])
    assert text.splitlines()[2].startswith("| set.glb | 2 |") and "three.js" not in text
    row.update(three_plain_ms=100.0, three_draco_ms=150.0)
    assert bench.table([row]).splitlines()[2].endswith("| 100 | 150 |")
