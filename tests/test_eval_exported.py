"""`evaluate --as-exported`: shapes scored as `generate` ships them (iggan/eval/exported.py)."""
import numpy as np
import pytest

from iggan.asset_export import ExportSettings
from iggan.config import Config
from iggan.eval.exported import exported_grids
from iggan.eval.models import EvalError, Subject

R = 24
CARD_CHECKS = ExportSettings(min_height_ratio=0.35, max_loose_share=0.05, max_tilt_deg=10)


def _grid(*boxes) -> np.ndarray:
    """(R, R, R) float32, +Y up, 0.9 inside each (x0, x1, y0, y1, z0, z1) box."""
    g = np.zeros((R, R, R), np.float32)
    for x0, x1, y0, y1, z0, z1 in boxes:
        g[x0:x1, y0:y1, z0:z1] = 0.9
    return g


SLAB = _grid((2, 22, 0, 2, 2, 22))  # 20 wide, 2 tall: too flat to be a whole object
TOWER_WITH_SPECK = _grid((8, 16, 0, 14, 8, 16), (1, 2, 20, 21, 1, 2))  # the one-voxel speck is cleaned away
IN_PIECES = _grid((2, 8, 0, 12, 2, 8), (14, 20, 0, 12, 14, 20))  # two equal bodies far apart
TOWER = _grid((6, 14, 0, 16, 6, 14))


def _subject(*grids) -> Subject:
    return Subject("shapes", Config(), "grids", grids=np.stack(grids))


def test_refused_shapes_are_replaced_by_the_next_and_kept_ones_are_the_cleaned_voxels():
    kept, info = exported_grids(_subject(SLAB, TOWER_WITH_SPECK, IN_PIECES, TOWER), 2, 0, CARD_CHECKS)
    assert kept.shape == (2, R, R, R) and kept.dtype == bool
    assert info == {"exported_tried": 4, "exported_refused": {"TooFlatError": 1, "BrokenError": 1}}
    assert not kept[0][1, 20, 1] and kept[0].sum() == 8 * 14 * 8  # the speck is gone, the tower whole
    assert np.array_equal(kept[1], TOWER > 0.5)


def test_too_few_shapes_passing_is_a_clear_error():
    with pytest.raises(EvalError, match=r"only 1 of 3 shapes passed the export's checks, 2 were asked for"):
        exported_grids(_subject(SLAB, TOWER, IN_PIECES), 2, 0, CARD_CHECKS)


def test_without_a_cards_checks_every_shape_is_kept_cleaned():
    kept, info = exported_grids(_subject(SLAB, TOWER_WITH_SPECK), 2, 0, ExportSettings())
    assert info == {"exported_tried": 2, "exported_refused": {}}
    assert np.array_equal(kept[0], SLAB > 0.5) and kept[1].sum() == 8 * 14 * 8
