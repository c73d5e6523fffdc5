"""Tests for iggan.eval.shape_metrics: surface points, yaw-minimised Chamfer, MMD / COV / 1-NNA."""
import math

import numpy as np
import pytest
import torch

from iggan.eval.shape_metrics import (chamfer, chamfer_matrix, chamfer_yaw, copy_rates, coverage_ratios, mmd_cov, nn_home_rates, one_nna,
                                      loose_share, rest_tilts, spur_share, thickness, thin_share, topple_share,
                                      point_clouds, shape_metrics, surface_points, yaw_rotations)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path / "cache"))  # no writes to the user's cache


def _chair(r=16, leg=2):
    """A crude, yaw-asymmetric chair: seat, back on one side, four legs. [x, y, z], +Y up."""
    g = np.zeros((r, r, r), bool)
    g[2:14, 6:8, 2:14] = True  # seat
    g[2:14, 8:15, 2:4] = True  # back (at low z)
    for x in (2, 12):
        for z in (2, 12):
            g[x:x + leg, 0:6, z:z + leg] = True
    return g


def _table(r=16):
    g = np.zeros((r, r, r), bool)
    g[1:15, 10:12, 4:12] = True
    g[7:9, 0:10, 7:9] = True  # one central pillar
    return g


def test_surface_points_shape_range_and_hollow():
    g = np.zeros((16, 16, 16), bool)
    g[4:12, 4:12, 4:12] = True
    p = surface_points(g, 500, normalise=False)
    assert p.shape == (500, 3) and p.dtype == np.float32
    assert np.abs(p).max() <= 0.5
    # only surface voxels: every point lies on the outer shell of the cube
    idx = np.round((p + 0.5) * 16 - 0.5).astype(int)
    on_shell = ((idx == 4) | (idx == 11)).any(1)
    assert on_shell.all()
    q = surface_points(g, 500)
    assert np.isclose((q.max(0) - q.min(0)).max(), 1.0)  # normalised: longest side 1


def test_empty_grid_gives_degenerate_cloud():
    p = surface_points(np.zeros((8, 8, 8)), 64)
    assert p.shape == (64, 3) and not p.any()


def test_chamfer_zero_for_identical_and_positive_for_shift():
    a = torch.rand(2, 300, 3)
    assert torch.allclose(chamfer(a, a), torch.zeros(2), atol=1e-6)
    assert (chamfer(a, a + 0.3) > 0.05).all()


def test_chamfer_yaw_removes_rotation_of_the_cloud():
    a = torch.from_numpy(surface_points(_chair(), 512))[None]
    for k in (1, 3, 7):  # exact multiples of 2 pi / 12
        rot = yaw_rotations(12)[k]
        b = a @ rot.T
        plain = chamfer(a, b).item()
        assert plain > 0.01  # the chair is not yaw-symmetric
        assert chamfer_yaw(a, b, 12).item() < 1e-6  # float32 round-off


def test_chamfer_matrix_grid_rotated_by_90_degrees_matches_itself():
    g = _chair()
    rotated = np.rot90(g, 1, axes=(0, 2))  # a quarter turn about +Y of the voxel grid itself
    clouds = point_clouds(np.stack([g, rotated, _table()]), 1024)
    d = chamfer_matrix(clouds, clouds, yaw_angles=12)
    assert d.shape == (3, 3)
    # same shape, different yaw (and independently drawn points): near the sampling floor
    assert d[0, 1] < 0.2 * d[0, 2]
    assert d[0, 1] < 2e-3
    # without the yaw search it is far apart
    d0 = chamfer_matrix(clouds[:2], clouds[:2], yaw_angles=1)
    assert d0[0, 1] > 5 * d[0, 1]


def test_coarse_to_fine_equals_full_search_on_rotated_copies():
    rng = np.random.default_rng(0)
    a = surface_points(_chair(), 512)
    b = (a @ yaw_rotations(8)[3].numpy().T + rng.normal(0, 0.002, a.shape)).astype(np.float32)
    fine = chamfer_matrix(a[None], b[None], yaw_angles=8)[0, 0]
    full = chamfer_yaw(torch.from_numpy(a)[None], torch.from_numpy(b)[None], 8).item()
    assert math.isclose(fine, full, rel_tol=1e-4, abs_tol=1e-7)


def test_mmd_cov_hand_made():
    # 2 generated, 3 reference. gen 0 is nearest to ref 0, gen 1 to ref 0 too -> COV 1/3.
    d = np.array([[0.1, 0.5, 0.9],
                  [0.2, 0.4, 0.3]])
    mmd, cov = mmd_cov(d)
    assert math.isclose(mmd, (0.1 + 0.4 + 0.3) / 3)
    assert math.isclose(cov, 1 / 3)
    mmd, cov = mmd_cov(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert mmd == 0.0 and cov == 1.0


def test_one_nna_same_and_disjoint():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))

    def dist(a, b):
        return ((a[:, None] - b[None]) ** 2).sum(-1)

    same = one_nna(dist(x, x), dist(y, y), dist(x, y))
    assert 0.4 < same < 0.6
    y_far = y + 20.0
    assert one_nna(dist(x, x), dist(y_far, y_far), dist(x, y_far)) == 1.0


def test_nn_home_rates_split_one_nna_by_side():
    def dist(a, b):
        return ((a[:, None] - b[None]) ** 2).sum(-1)

    # generated points huddle together inside the spread of the reference ones: a shared style
    rng = np.random.default_rng(2)
    gen, ref = rng.normal(scale=0.05, size=(40, 2)), rng.normal(scale=1.0, size=(60, 2))
    d = dist(gen, gen), dist(ref, ref), dist(gen, ref)
    home_gen, home_ref = nn_home_rates(*d)
    assert home_gen > 0.9 and home_ref > 0.8  # each huddled point finds another; spread-out ones find their own
    assert one_nna(*d) == pytest.approx((40 * home_gen + 60 * home_ref) / 100)
    x = rng.normal(size=(50, 2))
    assert nn_home_rates(dist(x, x), dist(x + 20, x + 20), dist(x, x + 20)) == (1.0, 1.0)


def test_copy_rates_tell_copies_of_the_references_from_a_fresh_set_like_them():
    def dist(a, b):
        return np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))

    rng = np.random.default_rng(3)
    ref = rng.uniform(size=(30, 2))
    fresh = rng.uniform(size=(30, 2))  # drawn like the references
    copies = ref[rng.integers(30, size=30)] + rng.normal(scale=1e-4, size=(30, 2))  # each on top of one
    ratio, share = copy_rates(dist(fresh, ref), dist(ref, ref))  # the diagonal's zeros are ignored
    assert 0.6 < ratio < 1.6 and share < 0.2
    ratio, share = copy_rates(dist(copies, ref), dist(ref, ref))
    assert ratio < 0.05 and share == 1.0


def test_thickness_counts_solid_voxels_per_surface_voxel():
    plate = np.zeros((8, 8, 8), bool)
    plate[1:7, 3, 1:7] = True  # one voxel thin: every voxel on the surface
    slab = np.zeros((8, 8, 8), bool)
    slab[1:6, 2:5, 1:6] = True  # 5 x 3 x 5: the middle 3 x 1 x 3 are inside
    assert thickness(plate[None]) == 1.0
    assert thickness(slab[None]) == pytest.approx(75 / 66)
    assert thickness(np.stack([plate, plate, slab])) == 1.0  # the median over shapes


def test_shape_metrics_identical_sets_vs_different_sets():
    chairs = np.stack([_chair(leg=1 + i % 2) for i in range(6)])
    tables = np.stack([_table() for _ in range(6)])
    same = shape_metrics(chairs, chairs, points=256, yaw_angles=4)
    diff = shape_metrics(tables, chairs, points=256, yaw_angles=4)
    assert same["mmd_cd"] < 0.2 * diff["mmd_cd"]
    assert diff["1nna_cd"] == 1.0
    assert diff["cov_cd"] <= 0.5  # all tables are alike: they cover few chairs
    assert same["empty_generated"] == 0
    assert diff["nn_home_generated"] == diff["nn_home_reference"] == 1.0
    assert same["thickness_generated"] == same["thickness_reference"] >= 1.0


def test_symmetric_matrix_matches_the_full_one():
    clouds = point_clouds(np.stack([_chair(), _table(), _chair(leg=1)]), 128)
    full = chamfer_matrix(clouds, clouds, yaw_angles=6)
    half = chamfer_matrix(clouds, None, yaw_angles=6)
    assert np.allclose(np.diag(half), 0) and np.allclose(half, half.T)
    off = ~np.eye(3, dtype=bool)
    assert np.allclose(half[off], full[off], rtol=1e-4, atol=1e-7)


def test_coverage_ratio_is_zero_where_g_made_the_shape_and_skips_duplicates():
    seat = np.zeros((16, 16, 16), bool)
    seat[3:13, 6:8, 3:13] = True
    seat[3:5, 6:15, 3:13] = True
    post = np.zeros_like(seat)
    post[6:10, 0:16, 6:10] = True  # far from the seat
    real = np.stack([seat, seat, post])  # object 1 duplicates object 0
    ratios = coverage_ratios(real, np.array([0, 2]), generated=np.stack([post]), points=128)
    # the seat's nearest other real shape is the post (its duplicate is skipped), and so is its nearest G shape
    assert abs(ratios[0] - 1.0) < 0.1
    assert ratios[1] < 0.05  # G made the post itself


def test_thin_share_counts_one_voxel_parts_and_the_edges_of_thicker_ones():
    plate = np.zeros((12, 12, 12), bool)
    plate[2:10, 8, 2:10] = True  # one voxel thin: all of it goes
    assert thin_share(plate) == 1.0
    block = np.zeros((12, 12, 12), bool)
    block[2:10, 2:6, 2:10] = True  # 4 voxels thick: only its edges and corners go
    edges = thin_share(block)
    assert 0.0 < edges < 0.3
    both = block | plate
    assert abs(thin_share(both) - (edges * block.sum() + plate.sum()) / both.sum()) < 1e-9
    assert thin_share(np.zeros((4, 4, 4), bool)) == 0.0


def test_spur_share_counts_dangling_voxels_and_loose_share_counts_detached_ones():
    block = np.zeros((10, 10, 10), bool)
    block[2:6, 2:6, 2:6] = True  # 64 voxels, 56 on the surface, each with >= 3 solid face-neighbours
    assert spur_share(block[None]) == 0.0 and loose_share(block[None]) == 0.0
    drip = block.copy()
    drip[2, 0:2, 2] = True  # a strand of 2 hanging under a corner: only its tip has one neighbour
    assert spur_share(drip[None]) == pytest.approx(1 / 58)
    speck = block.copy()
    speck[8, 8, 8] = True  # a lone voxel: no neighbour, and a body of its own
    assert spur_share(speck[None]) == pytest.approx(1 / 57)
    assert loose_share(speck[None]) == pytest.approx(1 / 57)
    assert spur_share(np.stack([block, speck])) == pytest.approx(0.5 / 57)  # the mean over shapes
    edge = block.copy()
    edge[6, 6, 3] = True  # shares an edge with the block: one body in the exported mesh too
    assert loose_share(edge[None]) == 0.0
    corner = block.copy()
    corner[6, 6, 6] = True  # shares only a corner: the export keeps it apart, and so does this
    assert loose_share(corner[None]) == pytest.approx(1 / 57)
    hollow = np.zeros((10, 10, 10), bool)
    hollow[2:6, 2:6, 2:6] = True
    hollow[3:5, 3:5, 3:5] = False  # the same block as a shell: the same surface, so the same shares
    hollow[2, 0:2, 2] = True
    assert spur_share(hollow[None]) == spur_share(drip[None])


def test_loose_share_uses_the_exports_connectivity():
    from iggan.asset_export.clean import SOLID_CONNECTIVITY
    from scipy import ndimage
    assert np.array_equal(SOLID_CONNECTIVITY, ndimage.generate_binary_structure(3, 2))


def test_rest_tilts_and_topple_share_follow_the_export():
    from standing_shapes import lamp_post, table
    empty = np.zeros((16, 16, 16), bool)
    shapes = np.stack([table(16) > 0.5, lamp_post(16) > 0.5, empty])
    tilts = rest_tilts(shapes)
    assert tilts[0] < 0.5 and tilts[1] > 30 and np.isnan(tilts[2])
    assert topple_share(shapes) == 0.5  # of the two that mesh
    assert topple_share(shapes[1:2], max_tilt_deg=90) == 0.0 and np.isnan(topple_share(empty[None]))


def test_rest_tilts_can_level_bases_as_the_bundled_cards_do():
    from standing_shapes import drip_sofa
    raw, levelled = rest_tilts(drip_sofa()[None])[0], rest_tilts(drip_sofa()[None], level_base=0.1)[0]
    assert raw > 2 and levelled < 0.5


def test_the_reference_sets_topple_share_is_worked_out_once(monkeypatch):
    import iggan.eval.shape_metrics as sm
    from standing_shapes import lamp_post, table
    calls = []
    real = sm.rest_tilts
    monkeypatch.setattr(sm, "rest_tilts", lambda g: calls.append(len(g)) or real(g))
    ref = np.stack([table(16) > 0.5, lamp_post(16) > 0.5, lamp_post(16) > 0.5])
    assert sm.reference_topple_share(ref) == sm.reference_topple_share(ref.copy()) == pytest.approx(2 / 3)
    assert calls == [3]
    assert sm.reference_topple_share(ref[:2]) == 0.5 and calls == [3, 2]  # another set is another key
