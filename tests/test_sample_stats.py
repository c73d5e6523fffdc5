"""benchmarks/sample_stats.py: a speck far from the object shows in the box, the largest body and the spurs."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from sample_stats import stats  # noqa: E402


def test_a_box_with_and_without_a_speck():
    box = np.zeros((32, 32, 32), np.float32)
    box[4:12, 0:16, 4:12] = 1  # 8 x 16 x 8 = 1,024 voxels, no spurs
    alone = stats(box[None])
    assert alone["box_side"] == 0.5 and alone["largest_body"] == 1.0 and alone["spur_voxels"] == 0.0
    speck = box.copy()
    speck[31, 31, 31] = 1  # at the grid's far corner: the box now spans it, and it has no neighbour
    s = stats(speck[None])
    assert s["box_side"] == 1.0
    assert np.isclose(s["largest_body"], 1024 / 1025) and np.isclose(s["spur_voxels"], 1 / 1025)
    assert np.isclose(s["occupancy"], 1025 / 32 ** 3)
    assert stats(np.zeros((1, 8, 8, 8)))["box_side"] == 0.0  # an empty grid counts as nothing, not an error
