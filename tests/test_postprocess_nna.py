"""benchmarks/postprocess_nna.py: the changes it scores do what their names say."""
import numpy as np

from benchmark_scripts import load_benchmark

postprocess_nna = load_benchmark("postprocess_nna")


def _striped_plate():
    soft = np.zeros((16, 16, 16), np.float32)
    soft[3:13, 6:9, 3:13] = 0.9  # a plate three voxels thick
    soft[3:13, 8, 4:12:2] = 0.2  # one-voxel slits across its top, every other row
    return soft


def test_closing_fills_the_slits_of_a_striped_plate():
    soft = _striped_plate()
    raw = postprocess_nna.VARIANTS["raw (as evaluate)"](soft)
    assert raw.sum() == (soft > 0.5).sum() and not raw[3:13, 8, 4:12:2].any()
    out = postprocess_nna.VARIANTS["closed"](soft)
    assert out.dtype == bool and out[4:12, 8, 4:12:2].all()  # slits filled
    assert not out[:, 9:].any() and not out[:, :6].any()  # the plate did not grow a layer


def test_smoothing_flattens_one_voxel_bumps_and_keeps_the_plate():
    soft = np.zeros((16, 16, 16), np.float32)
    soft[3:13, 6:9, 3:13] = 1.0
    soft[4:12:2, 9, 4:12:2] = 1.0  # one-voxel bumps on top, a checkerboard's ripple
    out = postprocess_nna.VARIANTS["smoothed sigma 0.6 > 0.5"](soft)
    assert out.dtype == bool and not out[:, 9].any()  # bumps gone
    assert out[4:12, 6:9, 4:12].all()  # the plate's inside kept


def test_thinning_from_the_top_removes_one_layer():
    g = np.zeros((8, 8, 8), bool)
    g[2:6, 2:5, 2:6] = True
    t = postprocess_nna.thin(g, postprocess_nna.UP)
    assert t[2:6, 2:4, 2:6].all() and not t[:, 4].any()


def test_the_export_clean_up_joins_a_base_the_threshold_cut_off():
    soft = np.zeros((16, 16, 16), np.float32)
    soft[3:13, 8:10, 3:13] = 0.9  # a seat
    soft[7:9, 7, 7:9] = 0.4  # its column, cut by the 0.5 threshold
    soft[4:12, 2:7, 7:9] = 0.9  # a base below it, 16% of the seat
    old = postprocess_nna.VARIANTS["largest body + filled"](soft)
    new = postprocess_nna.VARIANTS["joined + largest body + filled"](soft)
    assert not old[:, 2:8].any()  # the base is dropped as a speck
    assert new[4:12, 2:7, 7:9].all() and new[7:9, 7, 7:9].all()  # base kept, joined through the column
