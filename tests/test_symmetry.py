"""asset_export.symmetry: mirroring a generated shape (`generate --mirror`)."""
import numpy as np
import pytest

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset
from iggan.asset_export.symmetry import best_mirror_plane, mirror_occupancy, mirrored


def stool(res=20, x0=5):
    """(res, res, res) +Y-up: a seat over x0..x0+8 (mirror plane at x0+3.5) on two legs at its x ends."""
    g = np.zeros((res, res, res), np.float32)
    g[x0:x0 + 8, 8:11, 4:14] = 1.0  # seat
    g[x0:x0 + 1, 0:8, 8:9] = 1.0  # left leg
    g[x0 + 7:x0 + 8, 0:8, 8:9] = 1.0  # right leg, its mirror image
    return g


def is_symmetric_x(solid):
    found = best_mirror_plane(solid.astype(np.float32), 0)
    return found is not None and found[1] == pytest.approx(1.0)


def test_mirrored_reflects_about_half_voxel_planes_and_drops_what_leaves_the_grid():
    g = np.zeros((6, 1, 1))
    g[1, 0, 0] = 1.0
    assert np.nonzero(mirrored(g, 0, 5)[:, 0, 0])[0].tolist() == [4]  # plane at 2.5: 1 -> 4
    assert np.nonzero(mirrored(g, 0, 4)[:, 0, 0])[0].tolist() == [3]  # plane at voxel 2: 1 -> 3
    assert not mirrored(g, 0, 12).any()  # 1 -> 11, outside the grid


def test_the_plane_is_found_about_the_shape_not_the_grid():
    for x0 in (2, 5, 9):
        k, iou = best_mirror_plane(stool(x0=x0), 0)
        assert (k, iou) == (2 * x0 + 7, pytest.approx(1.0))


def test_an_odd_part_goes_and_a_symmetric_shape_is_unchanged():
    g = stool()
    np.testing.assert_array_equal(mirror_occupancy(g, "x"), g)
    odd = g.copy()
    odd[16:18, 0:3, 2:4] = 1.0  # a speck-like leg far from anything on the other side
    out = mirror_occupancy(odd, "x") >= 0.5
    assert not out[16:18].any()
    assert is_symmetric_x(out)


def test_legs_a_voxel_off_mirror_both_stay():
    g = stool()
    g[12, 0:8, 8] = 0.0
    g[13, 0:8, 8] = 1.0  # right leg one voxel outwards of the left leg's mirror image
    assert best_mirror_plane(g, 0)[0] == 17  # the seat sets the plane, so the legs are off-mirror
    out = mirror_occupancy(g, "x") >= 0.5
    assert out[5, 0:8, 8].all() and out[12:14, 0:8, 8].any(axis=0).all()  # both legs, full height
    assert not out[:, 0:8, :9 - 2].any() and not out[:, 0:8, 10:].any()  # and nothing new beside them


def test_auto_picks_the_axis_the_shape_is_more_symmetric_about():
    g = np.transpose(stool(), (2, 1, 0))  # the stool turned so its mirror plane is across z
    g[2:4, 0:3, 16:18] = 0.0
    np.testing.assert_array_equal(mirror_occupancy(g, "auto"), mirror_occupancy(g, "z"))
    assert not np.array_equal(mirror_occupancy(g, "auto"), mirror_occupancy(g, "x"))


def test_empty_grids_pass_through_and_bad_axes_are_refused():
    empty = np.zeros((4, 4, 4), np.float32)
    np.testing.assert_array_equal(mirror_occupancy(empty, "x"), empty)
    with pytest.raises(ExportError, match="mirror must be one of x, z, auto"):
        mirror_occupancy(empty, "y")
    with pytest.raises(ValueError, match="mirror must be"):
        ExportSettings(mirror="y")


def test_the_pipeline_mirrors_before_meshing():
    g = stool()
    g[13:16, 8:11, 4:14] = 1.0  # the seat runs on past the right leg: one-sided
    plain = grid_to_asset(g, ExportSettings(smooth_iterations=0))
    mirror = grid_to_asset(g, ExportSettings(smooth_iterations=0, mirror="x"))
    assert mirror.report["solid_voxels"] != plain.report["solid_voxels"]
    lo, hi = mirror.lods[0].bounds()
    v = mirror.lods[0].vertices
    centre = (lo[0] + hi[0]) / 2
    # every vertex has a mirror partner across the bbox's middle plane (smoothing off, so exact up to float)
    flipped = v * np.array([-1, 1, 1]) + np.array([2 * centre, 0, 0])
    d = np.min(np.linalg.norm(flipped[:, None, :] - v[None, :, :], axis=2), axis=1)
    assert d.max() < 1e-4
