"""asset_export.distinct: a set refuses a shape too like one it keeps, whatever the shape's yaw."""
import numpy as np
import pytest

from standing_shapes import lamp_post, table
from iggan.asset_export.distinct import DistinctSet


def test_a_turned_copy_is_refused_and_a_different_shape_kept():
    keep = DistinctSet(0.004)
    post = lamp_post(32)  # one-sided: its block sticks out to +x
    assert keep.nearest(keep.cloud(post)) == (None, float("inf"))
    assert keep.too_close(keep.cloud(post)) is None
    keep.add("post_0", keep.cloud(post))
    turned = np.rot90(post, 1, axes=(0, 2))  # a quarter turn about +Y: the same shape to a player
    assert not np.array_equal(turned, post)
    reason = keep.too_close(keep.cloud(turned))
    assert reason is not None and reason.startswith("too like post_0 (distance ")
    name, dist = keep.nearest(keep.cloud(table(32)))
    assert name == "post_0" and dist > 0.004 * 3
    assert keep.too_close(keep.cloud(table(32))) is None


def test_the_nearest_kept_shape_is_named():
    keep = DistinctSet(0.004)
    keep.add("post", keep.cloud(lamp_post(32)))
    keep.add("table", keep.cloud(table(32)))
    assert keep.nearest(keep.cloud(table(32, short=1)))[0] == "table"
    assert keep.nearest(keep.cloud(lamp_post(32)))[0] == "post"


@pytest.mark.parametrize("bad", [0.0, -0.1, float("nan")])
def test_a_distance_must_be_positive(bad):
    with pytest.raises(ValueError, match="min_distance must be > 0"):
        DistinctSet(bad)
