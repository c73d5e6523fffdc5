"""asset_export.level and the export's level stage: trimming a drip or belly off a shape's base so a
shape that rocks stands flat (ExportSettings.level_base), and leaving shapes that stand alone."""
from __future__ import annotations

import numpy as np
import pytest

from iggan.asset_export import ExportSettings, grid_to_asset
from iggan.asset_export.level import ROCKING_DEG, bottom_trims
from standing_shapes import drip_sofa, lamp_post, table


def test_bottom_trims_remove_the_lowest_layers_up_to_a_share_of_the_extent():
    sofa = drip_sofa(drip=2) > 0.5  # 24 voxels across: 0.1 allows 2 layers
    trims = list(bottom_trims(sofa, 0.1))
    assert [k for k, _ in trims] == [1, 2]
    for k, kept in trims:
        assert not kept[:, :k, :].any() and np.array_equal(kept[:, k:, :], sofa[:, k:, :])
    assert list(bottom_trims(sofa, 0.0)) == [] and list(bottom_trims(np.zeros((8, 8, 8), bool), 0.2)) == []


def test_a_shape_on_a_drip_is_trimmed_to_the_first_layer_it_stands_on():
    rocking = grid_to_asset(drip_sofa(), ExportSettings())
    levelled = grid_to_asset(drip_sofa(), ExportSettings(level_base=0.1))
    assert rocking.report["rest_tilt_deg"] > 2 and rocking.report["base_trimmed_layers"] == 0
    assert levelled.report["rest_tilt_deg"] <= ROCKING_DEG
    assert levelled.report["base_trimmed_layers"] == 2  # the drip's two layers, not more
    assert any("base levelled" in note for note in levelled.report["notes"])


def test_uneven_legs_are_levelled_too():
    rocking = table(short=1, short_legs=((3, 0), (3, 3)))  # two legs a voxel short: rocks onto them
    assert grid_to_asset(rocking, ExportSettings()).report["rest_tilt_deg"] > 2
    levelled = grid_to_asset(rocking, ExportSettings(level_base=0.1)).report
    assert levelled["base_trimmed_layers"] == 1 and levelled["rest_tilt_deg"] <= ROCKING_DEG


def test_shapes_that_stand_or_that_no_trim_can_save_keep_every_layer():
    for shape in (table(), table(short=12)):  # four legs; three legs (no fourth) that still stand
        report = grid_to_asset(shape, ExportSettings(level_base=0.25)).report
        assert report["base_trimmed_layers"] == 0 and report["rest_tilt_deg"] <= ROCKING_DEG
    falls = grid_to_asset(lamp_post(), ExportSettings(level_base=0.25)).report  # trimming its post won't help
    assert falls["base_trimmed_layers"] == 0 and falls["rest_tilt_deg"] > 30
    long_drip = grid_to_asset(drip_sofa(drip=4), ExportSettings(level_base=0.1)).report  # 4 layers > 0.1 x 24
    assert long_drip["base_trimmed_layers"] == 0 and long_drip["rest_tilt_deg"] > 2


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
