"""benchmarks/disc_variety.py --views: each object's views come a quarter turn apart, and the fresh D
judges them together (one channel per view)."""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from benchmark_scripts import load_benchmark
from iggan.cameras import sample_views
from iggan.config import preset
from iggan.render.reference import PyrenderRenderer


def _asymmetric(res: int) -> np.ndarray:
    """A seat with a back on one side only, so its four sides look different."""
    g = np.zeros((res, res, res), bool)
    g[3:13, 6:8, 3:13] = True
    g[3:5, 6:15, 3:13] = True
    return g


def test_render_set_gives_each_object_its_views_a_quarter_turn_apart():
    bench = load_benchmark("disc_variety")
    cfg = preset("tiny")
    renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
    grids = np.stack([_asymmetric(cfg.model.voxel_res)] * 2)
    images = bench.render_set(grids, renderer, cfg, torch.Generator().manual_seed(0), views=4)
    assert images.shape == (2, 4, cfg.model.image_size, cfg.model.image_size)
    # the same draw of views, made by hand: view k of an object is its first view turned k quarters
    sides = sample_views(2, cfg.views, torch.Generator().manual_seed(0)).around(4)
    expected = renderer(torch.from_numpy(np.repeat(grids, 4, 0)[:, None].astype(np.float32)), sides)
    assert torch.allclose(images.reshape(8, 1, *images.shape[2:]), expected, atol=1e-6)
    assert (images[0, 0] - images[0, 1]).abs().max() > 0.1  # the turned view is a different picture


def test_smooth_surface_draws_the_same_object_without_its_voxel_steps():
    """--surface smooth: the export's smoothed mesh in the same place as the cubes. A slanted plank (a
    staircase of voxels) draws as the cubes' two shades, a step's top and its riser, or smoothed, in the
    in-between shades of one slanted face."""
    bench = load_benchmark("disc_variety")
    cfg = preset("tiny")
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, image_size=64))
    renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
    res = cfg.model.voxel_res
    plank = np.zeros((1, res, res, res), bool)
    for k in range(4, res - 4):  # rises one voxel per voxel along z, four voxels wide in x, two thick
        plank[0, res // 2 - 2:res // 2 + 2, k - 2:k, k] = True
    cubes, smooth = (bench.render_set(plank, renderer, cfg, torch.Generator().manual_seed(0), surface=s)[0, 0]
                     for s in ("cubes", "smooth"))
    drawn_c, drawn_s = cubes > 0.02, smooth > 0.02
    assert drawn_c.sum() > 100 and (drawn_c & drawn_s).sum() > 0.7 * drawn_c.sum()  # one object, one place
    shades_c = np.unique(np.round(cubes[drawn_c].numpy(), 2))
    assert len(shades_c) <= 3  # flat-shaded cube faces (plus edge pixels)
    between = (smooth[drawn_s] > shades_c.min() + 0.05) & (smooth[drawn_s] < shades_c.max() - 0.05)
    assert float(between.float().mean()) > 0.5
    empty = bench.render_set(np.zeros((1, res, res, res), bool), renderer, cfg, torch.Generator(), surface="smooth")
    assert float(empty.max()) < 0.02  # an empty sample draws nothing


def _tiny_with_r1():
    """The tiny preset with R1 on, as the bundled chairs train."""
    cfg = preset("tiny")
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, r1_gamma=1.0))


def test_train_d_builds_a_judge_of_as_many_views_as_the_sets_hold():
    bench = load_benchmark("disc_variety")
    cfg = _tiny_with_r1()
    s = cfg.model.image_size
    g = torch.Generator().manual_seed(1)
    sets = {"real_train": torch.rand(8, 3, s, s, generator=g), "fake_train": torch.rand(8, 3, s, s, generator=g)}
    D = bench.train_d(cfg, sets, group=0, steps=2, batch=4, seed=0)
    assert D.net[0].in_channels == 3
    assert bench.scores(D, sets["real_train"]).shape == (8,)


def test_mean_logit_per_object_pools_every_render_of_an_object_across_files(tmp_path):
    bench = load_benchmark("coverage_logits")
    np.savez(tmp_path / "a.npz", real_ids=np.array([3, 5, 3]), real_logits=np.array([1.0, -2.0, 3.0]))
    np.savez(tmp_path / "b.npz", real_ids=np.array([3]), real_logits=np.array([5.0]))
    assert bench.mean_logit_per_object([tmp_path / "a.npz", tmp_path / "b.npz"]) == {3: 3.0, 5: -2.0}


def test_plain_judge_drops_the_gan_regularisers_and_still_learns_an_easy_split():
    from torch.nn.utils import parametrize

    bench = load_benchmark("disc_variety")
    cfg = _tiny_with_r1()
    s = cfg.model.image_size
    # real: a bright block on the left half; fake: on the right half. Mirroring mixes the two sides,
    # so the classifier must use something mirroring keeps: brightness.
    real = torch.zeros(16, 1, s, s)
    real[:, :, 8:24, 2:14] = 0.9
    fake = torch.zeros(16, 1, s, s)
    fake[:, :, 8:24, 18:30] = 0.4
    sets = {"real_train": real, "fake_train": fake}
    plain = bench.train_d(cfg, sets, group=0, steps=60, batch=8, seed=0, plain=True)
    gan = bench.train_d(cfg, sets, group=0, steps=1, batch=8, seed=0)
    assert not parametrize.is_parametrized(plain.net[0])
    assert parametrize.is_parametrized(gan.net[0])
    assert (bench.scores(plain, real) > 0).all() and (bench.scores(plain, fake) <= 0).all()
