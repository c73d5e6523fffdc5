"""How tall a shape is for its width (asset_export/proportions.py) and the export's flatness check
(ExportSettings.min_height_ratio), which refuses a slab as the tilt check refuses a shape that topples."""
import numpy as np
import pytest

from iggan.asset_export import ExportSettings, TooFlatError, grid_to_asset
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.proportions import height_ratio
from standing_shapes import slab, table


def box(size) -> MeshData:
    """The 8 corners of an axis-aligned box (faces are not needed to measure bounds)."""
    corners = np.array([[x, y, z] for x in (0, size[0]) for y in (0, size[1]) for z in (0, size[2])], np.float32)
    return MeshData(corners, np.zeros((0, 3), np.int32))


def test_height_ratio_is_height_over_the_wider_horizontal_side():
    assert height_ratio(box((2.0, 1.0, 4.0))) == pytest.approx(0.25)
    assert height_ratio(box((1.0, 3.0, 1.5))) == pytest.approx(2.0)
    assert height_ratio(box((0.0, 1.0, 0.0))) == float("inf")  # a vertical line: as tall as can be


def test_a_slab_is_refused_only_when_asked_and_every_asset_reports_its_ratio():
    kept = grid_to_asset(slab(), ExportSettings(faces=2000))
    assert 0.05 < kept.report["height_ratio"] < 0.2  # 3 voxels over 24, a little less once smoothed
    with pytest.raises(TooFlatError, match="too flat.*at least 0.35"):
        grid_to_asset(slab(), ExportSettings(faces=2000, min_height_ratio=0.35))
    # a table, as tall as half its width, passes the same check
    assert grid_to_asset(table(), ExportSettings(faces=2000, min_height_ratio=0.35)).report["height_ratio"] > 0.45


@pytest.mark.parametrize("bad", [-0.1, 10.5])
def test_min_height_ratio_out_of_range_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="min_height_ratio"):
        ExportSettings(min_height_ratio=bad)


def test_the_benchmark_counts_what_the_check_would_refuse():
    from benchmark_scripts import load_benchmark
    bench = load_benchmark("proportions")
    ratios = bench.height_ratios(np.stack([slab(16), table(16), np.zeros((16, 16, 16), np.float32)]), 0.1)
    assert ratios[0] < 0.2 < 0.45 < ratios[1] and np.isnan(ratios[2])  # an empty grid gives no mesh
    row = bench.ratio_row("x", ratios, 0.35)
    assert row.startswith("| x | 3 | 2 |") and row.endswith("| 1 | 0.5000 |")  # one of the two meshed is refused
