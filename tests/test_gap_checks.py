"""benchmarks/gap_checks.py's own measure: the two halves of the Chamfer distance."""
import numpy as np

from benchmark_scripts import load_benchmark
from iggan.eval.shape_metrics import point_clouds

gap_checks = load_benchmark("gap_checks")


def test_directional_halves_see_extra_and_missing_material():
    seat = np.zeros((1, 16, 16, 16), bool)
    seat[0, 3:13, 6, 3:13] = True
    with_leg = seat.copy()
    with_leg[0, 4, 0:6, 4] = True  # extra material on the shape's side
    ref = point_clouds(seat, 512, 1)
    same = gap_checks.directional_halves(seat, ref)
    extra = gap_checks.directional_halves(with_leg, ref)
    assert extra[0] > 2 * max(same[0], 1e-4)  # shape -> real grows: the leg has no counterpart
    missing = gap_checks.directional_halves(seat, point_clouds(with_leg, 512, 1))
    assert missing[1] > 2 * max(same[1], 1e-4)  # real -> shape grows: the real leg is missing
