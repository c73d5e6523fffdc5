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


def test_lattice_parity_sees_plates_that_keep_to_even_heights():
    on_lattice = np.zeros((4, 16, 16, 16), bool)
    for i, g in enumerate(on_lattice):
        g[2 + 2 * i:8 + 2 * i, 2 * i:2 * i + 2, 3:12] = True  # equal plates, tops at odd y, starting at even x
    up, lo_x = gap_checks.lattice_parity(on_lattice)
    assert up == 0.0 and lo_x == 1.0
    shifted = on_lattice.copy()
    shifted[1::2] = np.roll(on_lattice[1::2], 1, axis=(1, 2))  # every other shape one voxel up and right
    assert gap_checks.lattice_parity(shifted) == (0.5, 0.5)


def test_scale_warp_keeps_the_floor_and_moves_a_plate_off_its_height():
    soft = np.zeros((32, 32, 32), np.float32)
    soft[8:24, 0:16, 8:24] = 1  # a block standing on the floor, top at y 15
    rng = np.random.default_rng(0)
    tops = set()
    for _ in range(8):
        w = gap_checks.scale_warp(soft, 0.08, rng)
        ys = np.argwhere(w)[:, 1]
        assert ys.min() == 0  # still on the floor
        tops.add(int(ys.max()))
    assert len(tops) >= 2  # heights vary continuously, not by the grid's lattice
    assert (gap_checks.scale_warp(soft, 0.0, rng) == (soft > 0.5)).all()


def test_seat_heights_count_each_shapes_fullest_layer():
    g = np.zeros((3, 16, 16, 16), bool)
    for i, y in enumerate((5, 5, 9)):
        g[i, 2:14, y, 2:14] = True  # the seat
        g[i, 2, 0:y, 2] = True  # a leg
    assert gap_checks.seat_heights(g)[[5, 9]].tolist() == [2, 1]
