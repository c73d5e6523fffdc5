"""asset_export.shape_distance: the torch-free shape distance equals evaluate's, pair for pair."""
import numpy as np

from standing_shapes import lamp_post, table
from iggan.asset_export.shape_distance import chamfer_to_many, surface_points, yaw_rotations
from iggan.eval.shape_metrics import chamfer_matrix


def _clouds(n: int, seed: int = 0) -> np.ndarray:
    """(n, 512, 3) unit-box clouds of random lumpy shapes (no two alike, no symmetry to tie yaws)."""
    rng = np.random.default_rng(seed)
    grids = []
    for _ in range(n):
        g = np.zeros((16, 16, 16), bool)
        for lo, size in zip(rng.integers(0, 12, (6, 3)), rng.integers(1, 5, (6, 3))):
            g[lo[0]:lo[0] + size[0], lo[1]:lo[1] + size[1], lo[2]:lo[2] + size[2]] = True
        grids.append(g)
    return np.stack([surface_points(g, 512, seed=i) for i, g in enumerate(grids)])


def test_numpy_distance_equals_evaluates_torch_matrix():
    clouds = _clouds(21)
    ours = chamfer_to_many(clouds[0], clouds[1:], block=4)  # several blocks
    theirs = chamfer_matrix(clouds[:1], clouds[1:])[0]
    assert ours.shape == (20,) and ours.dtype == np.float64
    assert (ours > 1e-4).all()  # different shapes, so the check below compares real distances
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7)


def test_a_turned_copy_is_near_zero_and_no_other_shape_is():
    post = lamp_post(32)
    turned = np.rot90(post, 1, axes=(0, 2))  # a quarter turn about +Y, one of the 12 yaws tried
    cloud = surface_points(post, 512, seed=0)
    d = chamfer_to_many(cloud, np.stack([surface_points(turned, 512, seed=0), surface_points(table(32), 512, seed=0)]))
    assert d[0] < 0.003 < 0.01 < d[1]  # 0.003: two 512-point draws of one shape differ by about 0.002


def test_no_others_gives_no_distances():
    assert chamfer_to_many(np.zeros((512, 3)), np.zeros((0, 512, 3))).shape == (0,)


def test_yaw_rotations_are_rotations_about_up():
    r = yaw_rotations(12).astype(np.float64)
    np.testing.assert_allclose(r @ r.transpose(0, 2, 1), np.broadcast_to(np.eye(3), r.shape), atol=1e-6)
    np.testing.assert_allclose(r[:, :, 1], np.broadcast_to([0, 1, 0], (12, 3)), atol=1e-7)  # +Y stays
    np.testing.assert_allclose(r[3] @ [1, 0, 0], [0, 0, -1], atol=1e-6)  # a quarter turn at j = 3


def test_fewer_passes_give_the_written_out_distances_bit_for_bit():
    """_chamfer folds the -2 into the product and clamps after the minima: the same float32 numbers as
    |a|^2 + |b|^2 - 2 a.b clamped at zero, so --distinct keeps and refuses exactly the shapes it did."""
    from iggan.asset_export.shape_distance import _chamfer

    clouds = _clouds(9, seed=3)
    a, b = clouds[0], clouds[1:].reshape(2, 4, 512, 3)
    flat = b.reshape(-1, 3)
    d = (a * a).sum(-1)[:, None] + (flat * flat).sum(-1)[None, :] - 2.0 * (a @ flat.T)
    d = np.maximum(d, 0.0).reshape(len(a), -1, 512)
    written = (d.min(2).mean(0) + d.min(0).mean(1)).reshape(2, 4)
    assert np.array_equal(_chamfer(a, b), written)
    assert 0.0 <= _chamfer(a, a[None])[0] < 1e-6  # a cloud against itself: clamped, never below zero


def test_some_distances_are_the_same_numbers_as_all_of_them():
    """chamfer_to_some: what generate --distinct computes for the kept shapes its bound leaves in question;
    bit for bit chamfer_to_many's, whatever is picked, the last cloud alone in its block included."""
    from iggan.asset_export.shape_distance import _to_block, chamfer_to_some

    clouds = _clouds(35, seed=2)
    # the case that needs care is there: alone in the last block, the last cloud's mean is rounded otherwise
    alone = chamfer_to_many(clouds[0], clouds[1:34])[32]
    assert alone != _to_block(clouds[0], clouds[[33, 33]], 12, 128)[0]
    rng = np.random.default_rng(0)
    for others in (clouds[1:34], clouds[1:35], clouds[1:]):  # 33 = 2 x 16 + 1: the last alone in its block
        every = chamfer_to_many(clouds[0], others)
        for picked in ([], [len(others) - 1], [0], [3, len(others) - 1], [5, 9], list(range(len(others))),
                       sorted(rng.choice(len(others), 17, replace=False))):
            assert np.array_equal(chamfer_to_some(clouds[0], others, picked), every[picked])
