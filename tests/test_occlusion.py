"""Baked ambient occlusion (asset_export/occlusion.py, `--ao`)."""
from __future__ import annotations

import numpy as np
import pytest

from iggan.asset_export import ExportSettings, grid_to_asset
from iggan.asset_export.occlusion import hemisphere_directions, occlusion_at, texel_samples
from standing_shapes import table

pytest.importorskip("xatlas", reason="xatlas is a dependency: bash scripts/setup.sh installs it")


def test_hemisphere_directions_are_unit_and_cosine_weighted():
    d = hemisphere_directions(256)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-9)
    assert d[:, 2].min() > 0
    assert d[:, 2].mean() == pytest.approx(2 / 3, abs=0.01)  # E[cos] under a cosine-weighted hemisphere


def test_open_sky_a_corner_and_a_slot():
    solid = np.zeros((24, 24, 24), bool)
    solid[:, :8, :] = True  # a floor slab, top face at y = 7.5
    solid[:, 8:16, 12:] = True  # a wall on half of it
    up = np.array([[0.0, 1.0, 0.0]])
    open_top = occlusion_at(np.array([[4.0, 7.5, 4.0]]), up, solid)
    corner = occlusion_at(np.array([[4.0, 7.5, 11.4]]), up, solid)  # floor at the foot of the wall
    assert open_top[0] == 1.0
    assert corner[0] < 0.85
    # a one-voxel slot seen from inside is nearly closed
    slot = np.ones((16, 16, 16), bool)
    slot[4:12, 8, 4:12] = False
    assert occlusion_at(np.array([[8.0, 7.5, 8.0]]), up, slot)[0] < 0.2


def test_texels_lie_on_the_surface_and_cover_the_atlas_charts():
    mesh = grid_to_asset(table(32), ExportSettings(uv=True)).lods[0]
    rows, cols, points, normals = texel_samples(mesh, 128)
    assert len(rows) > 0.3 * 128 * 128  # the charts fill a good part of the atlas
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    assert np.all(points >= lo - 1e-6) and np.all(points <= hi + 1e-6)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-6)
    # every texel's point is within its triangle's reach of some vertex (not thrown across the shape)
    edge = np.linalg.norm(mesh.vertices[mesh.faces[:, 0]] - mesh.vertices[mesh.faces[:, 1]], axis=1).max()
    nearest = np.min(np.linalg.norm(points[::50, None] - mesh.vertices[None], axis=2), axis=1)
    assert nearest.max() <= edge


def test_a_table_is_open_on_top_and_dark_where_its_legs_meet_the_top():
    asset = grid_to_asset(table(32), ExportSettings(ao=True, lods=2))  # 24-voxel top: 1 voxel = 1/24 m
    assert [img.shape for img in asset.occlusion] == [(256, 256), (128, 128)]
    assert all(img.dtype == np.uint8 for img in asset.occlusion)
    mesh, image = asset.lods[0], asset.occlusion[0]
    rows, cols, points, normals = texel_samples(mesh, 256)
    value = image[rows, cols] / 255.0
    voxel = 1 / 24
    on_top = (normals[:, 1] > 0.9) & (points[:, 1] > points[:, 1].max() - 0.01)
    underside = normals[:, 1] < -0.9
    underside &= np.abs(points[:, 1] - np.median(points[underside, 1])) < 0.01
    feet = mesh.vertices[mesh.vertices[:, 1] < voxel][:, [0, 2]]  # where the legs stand
    to_leg = np.min(np.linalg.norm(points[:, None, [0, 2]] - feet[None], axis=2), axis=1)
    near_leg, open_under = underside & (to_leg < 2.5 * voxel), underside & (to_leg > 8 * voxel)
    assert on_top.sum() > 100 and near_leg.sum() > 20 and open_under.sum() > 100
    assert value[on_top].mean() > 0.95  # open sky
    # nothing but the legs is under the top (an asset has no floor), so only near them is it shaded
    assert value[open_under].mean() > 0.9
    assert value[near_leg].mean() < value[open_under].mean() - 0.1
    # the gutter between charts holds the nearest chart's value: no black texels to bleed in
    assert image.min() > 0


def test_ao_is_off_by_default_and_its_size_is_checked():
    assert grid_to_asset(table(32), ExportSettings()).occlusion is None
    with pytest.raises(ValueError, match="ao_size"):
        ExportSettings(ao=True, ao_size=300)


def test_voxel_index_coords_undo_surface_mesh_placement():
    from iggan.asset_export.surface import surface_mesh, voxel_index_coords

    solid = np.zeros((8, 6, 4), bool)
    solid[5, 2, 1] = True  # one voxel: its surface lies half a voxel from its centre (0.501 at level 0.499)
    mesh = surface_mesh(solid)
    idx = voxel_index_coords(mesh.vertices, solid.shape)
    np.testing.assert_allclose(np.abs(idx - [5, 2, 1]).max(axis=1), 0.501, atol=1e-4)
    np.testing.assert_allclose(idx.mean(axis=0), [5, 2, 1], atol=0.05)
