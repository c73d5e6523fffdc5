"""benchmarks/shape_gap.py's own measures: peeling thick parts and left-right symmetry."""
import numpy as np

from benchmark_scripts import load_benchmark

shape_gap = load_benchmark("shape_gap")


def test_peel_thins_three_voxel_plates_to_one_and_leaves_thinner_ones():
    g = np.zeros((12, 12, 12), bool)
    g[2:10, 2:5, 2:10] = True  # a plate 3 voxels thick (y 2..4)
    g[2:10, 7:9, 2:10] = True  # a plate 2 voxels thick (y 7..8)
    out = shape_gap.peel(g)
    assert out[3:9, 3, 3:9].all() and not out[3:9, 2, 3:9].any() and not out[3:9, 4, 3:9].any()
    np.testing.assert_array_equal(out[:, 6:], g[:, 6:])


def test_mirror_iou_is_one_for_symmetric_shapes_only():
    g = np.zeros((12, 12, 12), bool)
    g[3:9, 4:6, 3:9] = True
    assert shape_gap.mirror_iou(g) == 1.0
    g[9:11, 0:4, 3:5] = True  # a leg on one side
    assert shape_gap.mirror_iou(g) < 0.9
