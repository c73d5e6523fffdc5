"""benchmarks/visibility_gap.py: the view closure fills what no training view sees, and nothing else."""
import numpy as np

from benchmark_scripts import load_benchmark

vis = load_benchmark("visibility_gap")


def _box(res: int = 24) -> np.ndarray:
    g = np.zeros((res, res, res), bool)
    g[6:18, 6:18, 6:18] = True
    return g


def test_sealed_cavity_is_filled():
    g = _box()
    g[8:16, 8:16, 8:16] = False
    closed = vis.view_closure(g, vis.view_grid(8, (-30.0, 0.0, 30.0, 60.0)))
    assert closed[6:18, 6:18, 6:18].all()
    assert closed.sum() == 12 ** 3  # nothing outside the box


def test_open_top_is_seen_but_a_pocket_seen_only_from_below_the_range_is_filled():
    views = vis.view_grid(8, (-30.0, 0.0, 30.0, 60.0))
    open_top = _box()
    open_top[8:16, 8:18, 8:16] = False  # a deep well open upwards: elevation 60 looks in
    assert vis.view_closure(open_top, views).sum() - open_top.sum() < 20
    # a thin slot under a slab, open only straight down: no view in -30..60 looks up into it
    slot = np.zeros((24, 24, 24), bool)
    slot[4:20, 10:14, 4:20] = True
    slot[11:13, 10:13, 4:20] = False  # 2 wide, 3 deep, open at the bottom face (y = 10) and both z ends
    slot[11:13, 10:13, 4:6] = True  # close the z ends, so only the bottom opening remains
    slot[11:13, 10:13, 18:20] = True
    added = vis.view_closure(slot, vis.view_grid(8, (0.0, 30.0, 60.0))) & ~slot
    assert added[11:13, 10:13, 6:18].sum() > 0.9 * 2 * 3 * 12


def test_a_gap_between_two_plates_is_seen_edge_on():
    g = np.zeros((24, 24, 24), bool)
    g[4:20, 10, 4:20] = True
    g[4:20, 13, 4:20] = True
    closed = vis.view_closure(g, vis.view_grid(12, (-30.0, 0.0, 30.0, 60.0)))
    assert (closed == g).all()


def test_an_open_chair_gains_nothing_and_any_shape_is_kept():
    chair = np.zeros((24, 24, 24), bool)
    chair[6:18, 10, 6:18] = True  # seat, one voxel thick
    for x, z in ((6, 6), (6, 17), (17, 6), (17, 17)):
        chair[x, 2:10, z] = True  # legs
    chair[6:18, 11:22, 17] = True  # back
    views = vis.view_grid(12, (-30.0, 0.0, 30.0, 60.0))
    assert (vis.view_closure(chair, views) == chair).all()
    noise = np.random.default_rng(0).random((16, 16, 16)) > 0.6
    closed = vis.view_closure(noise, views)
    assert (closed | noise).sum() == closed.sum()


def test_depth_images_frame_the_shape_as_the_reference_renders_and_show_a_step():
    import torch

    from iggan.cameras import Views
    from iggan.config import preset
    from iggan.render.reference import PyrenderRenderer

    cfg = preset("tiny")
    res, size = cfg.model.voxel_res, cfg.model.image_size
    step = np.zeros((res, res, res), bool)
    step[4:12, 4:12, 4:8] = True
    step[4:12, 4:12, 8:10] = True
    step[4:8, 4:12, 10:12] = True  # the left half reaches 2 voxels nearer the camera at azimuth 0
    views = Views(torch.zeros(1), torch.zeros(1))
    depth = vis.depth_images(step[None], views, size)[0]
    render = PyrenderRenderer(size, cfg.views)(torch.from_numpy(step[None, None].astype(np.float32)), views)[0, 0]
    covered = depth > 0
    # the orthographic silhouette lies on the perspective one, which is a little larger (nearer faces)
    assert (covered & (render.numpy() > 0)).sum() >= 0.8 * covered.sum()
    values = np.unique(np.round(depth[covered], 3))
    assert len(values) == 2 and values[1] - values[0] > 0  # two depths: the step shows
