"""benchmarks/memorisation.py: how near a generator's samples sit to its training shapes."""
import numpy as np

from benchmark_scripts import load_benchmark

memorisation = load_benchmark("memorisation")


def training_gaps() -> np.ndarray:
    """3 training shapes whose nearest others are 4, 4 and 6 away (diagonal inf, as the script sets it)."""
    d = np.array([[np.inf, 4.0, 9.0], [4.0, np.inf, 6.0], [9.0, 6.0, np.inf]])
    return d


def test_samples_on_top_of_one_training_shape_are_copies_of_one_mode():
    d_gen = np.array([[0.5, 5.0, 9.0], [1.0, 4.5, 8.0], [0.2, 4.2, 9.5], [0.8, 5.5, 9.0]])
    row = memorisation.memorisation_row(d_gen, training_gaps())
    assert row["copies"] == 1.0 and row["hit"] == 1 and row["top"] == 1.0
    assert row["near/real"] < 0.2


def test_samples_as_far_from_training_shapes_as_those_are_apart_are_no_copies():
    d_gen = np.array([[4.5, 8.0, 9.0], [8.0, 5.0, 7.0], [9.0, 7.0, 4.2], [4.1, 6.0, 8.0]])
    row = memorisation.memorisation_row(d_gen, training_gaps())
    assert row["copies"] == 0.0 and row["hit"] == 3 and np.isclose(row["top"], 0.5)
    assert 0.9 < row["near/real"] < 1.2
