"""asset_export.stability: centre of mass, how far a shape topples when stood on a floor, and the
export's tilt check (ExportSettings.max_tilt_deg)."""
from __future__ import annotations

import numpy as np
import pytest

from iggan.asset_export import ExportError, ExportSettings, TipsOverError, grid_to_asset
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.stability import centre_of_mass, rest_tilt
from iggan.asset_export.surface import surface_mesh
from standing_shapes import lamp_post, table


def test_centre_of_mass_of_a_block_is_its_middle():
    g = np.zeros((16, 16, 16), bool)
    g[2:6, 3:11, 4:8] = True
    com = centre_of_mass(surface_mesh(g))
    # voxel i spans [i, i+1] / 16 - 0.5 in grid-cube units
    np.testing.assert_allclose(com, (np.array([4, 7, 6]) / 16 - 0.5), atol=0.01)


def test_a_table_stands_and_a_lamp_post_falls_over():
    assert rest_tilt(surface_mesh(table() > 0.5)) < 0.5
    assert rest_tilt(surface_mesh(lamp_post() > 0.5)) > 30


def test_uneven_legs_rock_a_few_degrees_but_do_not_fall():
    # three legs hold a table whose centre of mass lies inside them: one short leg just hangs
    assert rest_tilt(surface_mesh(table(short=2) > 0.5)) < 0.5
    # two short legs on one side: it rocks onto them, a couple of voxels over a ~20-voxel span
    tilt = rest_tilt(surface_mesh(table(short=2, short_legs=((3, 0), (3, 3))) > 0.5))
    assert 2 < tilt < 10


def test_a_flat_mesh_cannot_stand():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 0, 1]], np.float32)
    f = np.array([[0, 1, 2], [1, 3, 2]], np.uint32)
    with pytest.raises(ExportError):
        rest_tilt(MeshData(v, f))


def test_export_reports_the_tilt_and_refuses_only_when_asked():
    settings = ExportSettings(faces=2000)
    assert grid_to_asset(table(), settings).report["rest_tilt_deg"] < 0.5
    falls = grid_to_asset(lamp_post(), settings)  # no check by default
    assert falls.report["rest_tilt_deg"] > 30
    with pytest.raises(TipsOverError, match="topple"):
        grid_to_asset(lamp_post(), ExportSettings(faces=2000, max_tilt_deg=10))
    rocks = table(short=2, short_legs=((3, 0), (3, 3)))
    assert 2 < grid_to_asset(rocks, ExportSettings(faces=2000, max_tilt_deg=10)).report["rest_tilt_deg"] < 10
    with pytest.raises(ValueError, match="max_tilt_deg"):
        ExportSettings(max_tilt_deg=-1)
