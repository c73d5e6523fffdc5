"""asset_export.distance_bound: never above the yaw-minimised Chamfer, on random and shape-like clouds."""
import numpy as np

from standing_shapes import lamp_post, table
from test_shape_distance import _clouds
from iggan.asset_export.distance_bound import BoundData, lower_bound, nearest_centres
from iggan.asset_export.kept_bounds import KeptBounds, float16_below
from iggan.asset_export.shape_distance import chamfer_to_many, surface_points, yaw_rotations


def _exact_every_yaw(a: np.ndarray, b: np.ndarray, yaw_angles: int = 12) -> float:
    """Full-cloud Chamfer in float64, least over the yaws: at most chamfer_to_many's (which uses one of them)."""
    a = a.astype(np.float64)
    t = np.einsum("rij,mj->rmi", yaw_rotations(yaw_angles).astype(np.float64), b.astype(np.float64))  # (yaws, m, 3)
    d = (a * a).sum(1)[None, :, None] + (t * t).sum(2)[:, None, :] - 2 * (a @ t.transpose(0, 2, 1))
    d = np.maximum(d, 0.0)  # (yaws, n, m)
    return float((d.min(2).mean(1) + d.min(1).mean(1)).min())


def _shapes() -> np.ndarray:
    """(8, 512, 3): furniture-like shapes, turned copies (a near-zero distance) and a second draw of one shape."""
    post, tab = lamp_post(32), table(32)
    grids = [post, np.rot90(post, 1, axes=(0, 2)), tab, table(32, short=2), np.rot90(tab, 2, axes=(0, 2))]
    clouds = [surface_points(g > 0.5, 512, seed=0) for g in grids]
    clouds.append(surface_points(tab > 0.5, 512, seed=1))
    rng = np.random.default_rng(5)
    clouds.append(rng.uniform(-0.5, 0.5, (512, 3)).astype(np.float32))  # a cloud of noise
    clouds.append(np.zeros((512, 3), np.float32))  # what an empty grid gives
    return np.stack(clouds)


def test_the_bound_is_below_the_distance_and_below_every_yaw():
    clouds = np.concatenate([_clouds(10, seed=7), _shapes()])
    bounds = {i: BoundData(c, 12) for i, c in enumerate(clouds)}
    for i, a in enumerate(clouds):
        d = chamfer_to_many(a, clouds, 12)
        for j in range(len(clouds)):
            assert lower_bound(bounds[i], bounds[j]) <= d[j] + 1e-6
        j = (i + 1) % len(clouds)  # the float64 check of every yaw is slow: each cloud against the next
        assert lower_bound(bounds[i], bounds[j]) <= _exact_every_yaw(a, clouds[j]) + 1e-6
    # and it is worth having: between different random shapes it is well above zero
    assert lower_bound(bounds[0], bounds[1]) > 0.3 * chamfer_to_many(clouds[0], clouds[1:2])[0]


def test_a_turned_copy_has_a_bound_near_zero():
    a, turned = _shapes()[:2]  # a quarter turn: other surface voxels drawn, so about 0.0016 apart
    low = lower_bound(BoundData(a, 12), BoundData(turned, 12))
    assert 0 <= low <= chamfer_to_many(a, turned[None])[0] and low < 0.001


def test_points_outside_the_box_get_a_weaker_bound_never_a_wrong_one():
    rng = np.random.default_rng(2)
    a = rng.uniform(-0.5, 0.5, (512, 3)).astype(np.float32)
    b = (a * 1.6).astype(np.float32)  # reaches 0.8 out: past the table's edge
    assert lower_bound(BoundData(a, 12), BoundData(b, 12)) <= _exact_every_yaw(a, b) + 1e-6
    cell, offset = nearest_centres(np.array([[2.0, 0.0, 0.0]], np.float32))
    assert offset[0] > 1.4  # the edge centre is 1.5 - 1/64 away


def test_kept_bounds_pass_over_only_shapes_farther_than_the_limit():
    clouds = np.concatenate([_clouds(30, seed=11), _shapes()])  # 38 kept: the arrays grow twice
    a, kept = clouds[0], clouds[1:]
    store = KeptBounds(512, 12)
    for c in kept:
        store.add(BoundData(c, 12))
    d = chamfer_to_many(a, kept)
    pair = np.array([lower_bound(BoundData(a, 12), BoundData(c, 12)) for c in kept])
    for limit in (0.0, np.quantile(d, 0.3), np.inf):
        rows, lows = store.may_be_near(BoundData(a, 12), limit)
        assert (np.diff(rows) > 0).all() and (lows <= limit).all()
        assert (d[np.setdiff1d(np.arange(len(kept)), rows)] > limit).all()  # what it passes over is farther
    assert len(rows) == len(kept)  # an infinite limit keeps all, with the whole bound
    assert (lows <= pair + 1e-6).all() and (lows >= pair - 2e-3).all()  # float16 tables: a little lower


def test_float16_tables_are_rounded_down():
    x = np.random.default_rng(3).uniform(0, 2, 10000).astype(np.float32)
    h = float16_below(x)
    assert h.dtype == np.float16 and (h.astype(np.float32) <= x).all() and (x - h.astype(np.float32)).max() < 1e-3
