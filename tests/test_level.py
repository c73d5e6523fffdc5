"""asset_export.level: trimming a drip or belly off a shape's base so it stands flat
(ExportSettings.level_base), and leaving shapes that already stand alone."""
from __future__ import annotations

import numpy as np
import pytest

from iggan.asset_export import ExportSettings, grid_to_asset
from iggan.asset_export.level import MIN_TIP_ANGLE_DEG, level_base, tip_angle
from standing_shapes import drip_sofa, lamp_post, table


def test_tip_angle_is_large_on_four_legs_and_negative_on_a_drip():
    legs = table() > 0.5
    assert tip_angle(legs, 0) > 30  # centre of mass in the middle of a 24-voxel square of legs
    sofa = drip_sofa() > 0.5
    assert tip_angle(sofa, 0) < 0  # one voxel off the centre of mass: it must roll off it
    assert tip_angle(sofa, 2) > MIN_TIP_ANGLE_DEG  # the patch under the block carries it


def test_a_drip_is_trimmed_to_the_first_layer_that_carries_the_shape():
    sofa = drip_sofa(drip=2) > 0.5
    levelled, trimmed = level_base(sofa, 0.1)  # 0.1 of its 24-voxel extent: up to 2 layers
    assert trimmed == 2
    assert not levelled[:, :2, :].any() and levelled[:, 2:, :].sum() == sofa[:, 2:, :].sum()


def test_shapes_that_stand_and_drips_too_long_to_trim_are_left_alone():
    for shape in (table(), table(short=2), lamp_post()):
        solid = shape > 0.5
        levelled, trimmed = level_base(solid, 0.25)
        assert trimmed == 0 and np.array_equal(levelled, solid)
    long_drip = drip_sofa(drip=4) > 0.5  # 4 layers > 0.1 x 24
    levelled, trimmed = level_base(long_drip, 0.1)
    assert trimmed == 0 and np.array_equal(levelled, long_drip)
    assert level_base(drip_sofa() > 0.5, 0.0)[1] == 0  # off


def test_the_export_stands_a_levelled_shape_flat_and_reports_the_trim():
    rocking = grid_to_asset(drip_sofa(), ExportSettings())
    levelled = grid_to_asset(drip_sofa(), ExportSettings(level_base=0.1))
    assert rocking.report["rest_tilt_deg"] > 2 and rocking.report["base_trimmed_layers"] == 0
    assert levelled.report["rest_tilt_deg"] < 0.5
    assert levelled.report["base_trimmed_layers"] == 2
    assert any("base levelled" in note for note in levelled.report["notes"])


def test_lods_meshed_from_a_coarser_grid_are_trimmed_too(monkeypatch):
    import iggan.asset_export.pipeline as pipeline

    def lod0_and_a_pooled_lod1(mesh, budgets, coarser):  # force lod_chain's fallback for LOD1
        return [mesh, coarser(2)], []

    monkeypatch.setattr(pipeline, "lod_chain", lod0_and_a_pooled_lod1)
    lods = grid_to_asset(drip_sofa(), ExportSettings(level_base=0.1, lods=2)).lods
    # placed by LOD0, whose base is at y = 0: a pooled LOD1 that kept the drip would hang below it
    assert lods[1].vertices[:, 1].min() == pytest.approx(0.0, abs=0.02)


def test_level_base_is_a_fraction_of_at_most_a_quarter():
    with pytest.raises(ValueError, match="level_base"):
        ExportSettings(level_base=0.3)
    with pytest.raises(ValueError, match="level_base"):
        ExportSettings(level_base=-0.1)
