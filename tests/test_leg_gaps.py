"""benchmarks/leg_gaps.py: the see-through share of the box under a chair's seat."""
import numpy as np

from benchmark_scripts import load_benchmark

leg_gaps = load_benchmark("leg_gaps")


def stool(panel: bool = False) -> np.ndarray:
    """16^3, +Y up: a 10x10 seat at height 8 on four 2x2 legs, with a back; `panel` closes the front
    between the legs."""
    g = np.zeros((16, 16, 16), bool)
    g[3:13, 8, 3:13] = True
    g[3:13, 9:16, 11:13] = True
    for x, z in ((3, 3), (11, 3), (3, 11), (11, 11)):
        g[x:x + 2, 0:8, z:z + 2] = True
    if panel:
        g[3:13, 0:8, 3:5] = True
    return g


def test_open_legs_see_through_and_a_panel_closes_the_front_only():
    front, side = leg_gaps.see_through(stool())
    # the box is 10 wide and 7 high; two 2-wide legs block 4 of 10 columns in either view
    assert np.isclose(front, 0.6) and np.isclose(side, 0.6)
    front, side = leg_gaps.see_through(stool(panel=True))
    assert front == 0.0 and np.isclose(side, 0.6)


def test_a_shape_without_room_under_its_seat_is_skipped_and_wider_widens():
    block = np.zeros((16, 16, 16), bool)
    block[3:13, 0:4, 3:13] = True
    assert all(np.isnan(leg_gaps.see_through(block)))
    w = leg_gaps.wider(stool())
    assert w.sum() > stool().sum() and np.array_equal(w[:, 8:, :].any(axis=(0, 2)), stool()[:, 8:, :].any(axis=(0, 2)))
    assert leg_gaps.see_through(w)[0] < 0.6
