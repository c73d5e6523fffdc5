"""benchmarks/frame_accuracy.py: --frame's voxel rule scored against Kenney's own wood/metal and carpet materials."""
from pathlib import Path

import numpy as np
import pytest

from benchmark_scripts import load_benchmark

KENNEY = Path("/work/shared/data/kenney-furniture")
needs_kenney = pytest.mark.skipif(not KENNEY.is_dir(), reason=f"{KENNEY} absent (shared data not mounted)")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("frame_accuracy")


def test_scores_count_what_they_say(bench):
    truth = np.array([True, True, False, False])
    s = bench.scores(truth, np.array([True, False, False, True]))
    assert s["accuracy"] == 0.5 and s["precision"] == 0.5 and s["recall"] == 0.5
    assert s["frame_iou"] == pytest.approx(1 / 3) and s["all_body_accuracy"] == 0.5


@needs_kenney
def test_a_bar_stools_wooden_legs_and_a_sofas_feet_are_found_and_nothing_else(bench):
    for name in ("stoolBar", "loungeSofa"):
        s = bench.scores(*bench.truth_and_prediction(*bench.labelled_mesh(KENNEY / f"{name}.glb"), 32))
        assert s["precision"] > 0.95 and s["recall"] > 0.9, (name, s)
    assert bench.labelled_mesh(KENNEY / "chair.glb") is None  # all wood: nothing to score
