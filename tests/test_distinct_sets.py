"""benchmarks/distinct_sets.py and distinct_nna.py: a set's spread, and the greedy selection generate
--distinct makes, on shapes with a known answer."""
import numpy as np

from benchmark_scripts import load_benchmark
from standing_shapes import lamp_post, table


def test_spread_finds_the_turned_copy_and_counts_shapes_under_the_gap():
    post = lamp_post(32)
    grids = np.stack([post, np.rot90(post, 1, axes=(0, 2)), table(32)]) > 0.5
    row = load_benchmark("distinct_sets").spread_row("three", grids, gap=0.004)
    assert row["n"] == 3 and row["min"] < 0.004
    assert abs(row["under_gap"] - 2 / 3) < 1e-9  # the post and its turned copy, not the table


def test_greedy_keeps_the_first_shapes_that_keep_their_distance_in_draw_order():
    greedy = load_benchmark("distinct_nna").greedy_distinct
    d = np.array([[np.inf, 1.0, 5.0, 5.0],
                  [1.0, np.inf, 5.0, 5.0],
                  [5.0, 5.0, np.inf, 2.0],
                  [5.0, 5.0, 2.0, np.inf]])
    assert greedy(d, 0.0, 3) == [0, 1, 2]
    assert greedy(d, 1.5, 3) == [0, 2, 3]  # 1 is too near 0
    assert greedy(d, 3.0, 3) == [0, 2]  # the pool runs out
