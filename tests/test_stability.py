"""asset_export.stability: centre of mass, how far a shape topples when stood on a floor, and the
export's tilt check (ExportSettings.max_tilt_deg)."""
from __future__ import annotations

import numpy as np
import pytest

from iggan.asset_export import ExportError, ExportSettings, TipsOverError, grid_to_asset
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.stability import centre_of_mass, rest_tilt
from iggan.asset_export.surface import surface_mesh


def table(short: int = 0, short_legs: tuple = ((25, 25),)) -> np.ndarray:
    """A 32^3 (+Y up) table: a top on four 3x3 legs; `short_legs` (corners) `short` voxels shorter."""
    g = np.zeros((32, 32, 32), bool)
    g[4:28, 12:15, 4:28] = True
    for x, z in ((4, 4), (25, 4), (4, 25), (25, 25)):
        g[x:x + 3, 0:12, z:z + 3] = True
    for x, z in short_legs:
        g[x:x + 3, 0:short, z:z + 3] = False
    return g


def lamp_post() -> np.ndarray:
    """A thin post with a heavy block sticking out to +x at the top: falls over."""
    g = np.zeros((32, 32, 32), bool)
    g[4:8, 0:24, 12:16] = True
    g[4:31, 24:30, 8:20] = True
    return g


def test_centre_of_mass_of_a_block_is_its_middle():
    g = np.zeros((16, 16, 16), bool)
    g[2:6, 3:11, 4:8] = True
    com = centre_of_mass(surface_mesh(g))
    # voxel i spans [i, i+1] / 16 - 0.5 in grid-cube units
    np.testing.assert_allclose(com, (np.array([4, 7, 6]) / 16 - 0.5), atol=0.01)


def test_a_table_stands_and_a_lamp_post_falls_over():
    assert rest_tilt(surface_mesh(table())) < 0.5
    assert rest_tilt(surface_mesh(lamp_post())) > 45


def test_uneven_legs_rock_a_few_degrees_but_do_not_fall():
    # three legs hold a table whose centre of mass lies inside them: one short leg just hangs
    assert rest_tilt(surface_mesh(table(short=2))) < 0.5
    # two short legs on one side: it rocks onto them, a couple of voxels over a ~20-voxel span
    tilt = rest_tilt(surface_mesh(table(short=2, short_legs=((25, 4), (25, 25)))))
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
    assert falls.report["rest_tilt_deg"] > 45
    with pytest.raises(TipsOverError, match="topple"):
        grid_to_asset(lamp_post(), ExportSettings(faces=2000, max_tilt_deg=10))
    rocks = table(short=2, short_legs=((25, 4), (25, 25)))
    assert 2 < grid_to_asset(rocks, ExportSettings(faces=2000, max_tilt_deg=10)).report["rest_tilt_deg"] < 10
    with pytest.raises(ValueError, match="max_tilt_deg"):
        ExportSettings(max_tilt_deg=-1)
