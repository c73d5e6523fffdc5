"""iggan.matching: silhouettes framed as photos are framed, and the search finds the shape a photo shows."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from iggan import sampling
from iggan.cameras import Views
from iggan.matching import (REFINE_SIZE, ShapeMatcher, framed, framed_silhouettes, iou, search_views,
                            soft_silhouette)
from iggan.photos import photo_image
from iggan.render.voxel_faces import VoxelFaceRenderer


def test_framed_centres_the_box_with_its_longer_side_at_fill():
    sil = torch.zeros(1, 64, 64)
    sil[0, 5:25, 40:50] = 1  # 20 tall, 10 wide, off centre
    out = framed(sil, 64, fill=0.5)[0] > 0.5
    rows, cols = np.nonzero(out.numpy())
    assert rows.max() - rows.min() + 1 == pytest.approx(32, abs=1)  # longer side: half the frame
    assert cols.max() - cols.min() + 1 == pytest.approx(16, abs=1)
    assert (rows.min() + rows.max()) / 2 == pytest.approx(31.5, abs=1)
    assert (cols.min() + cols.max()) / 2 == pytest.approx(31.5, abs=1)
    assert framed(torch.zeros(2, 16, 16), 16).abs().sum() == 0  # empty stays empty


def test_framed_agrees_with_how_a_photo_is_framed():
    """A mask framed by photos.photo_image and by `framed` overlap almost exactly (at the matcher's
    scale: the object about as big in the render as in the framed picture)."""
    mask = np.zeros((100, 150), np.uint8)
    mask[20:80, 25:37] = 255  # a back and a seat: an L, 60 x 66 px
    mask[62:80, 25:91] = 255
    img = Image.fromarray(np.dstack([mask, mask, mask, mask]))
    _, photo_mask, warning = photo_image(img, 128, fill_holes=False)
    assert warning is None
    ours = framed(torch.from_numpy(np.pad(mask, ((10, 40), (0, 0))) / 255.0).float()[None], 128)  # placed elsewhere
    assert float(iou(ours[0], torch.from_numpy(photo_mask))) > 0.93


def test_soft_silhouette_of_a_binary_grid_is_where_the_faces_renderer_draws():
    grid = torch.zeros(1, 1, 8, 8, 8)
    grid[0, 0, 2:6, 0:5, 3:5] = 1
    grid[0, 0, 1, 5:8, 3] = 1
    views = Views(torch.tensor([0.7]), torch.tensor([0.3]))
    renderer = VoxelFaceRenderer(48)
    traced = renderer.segments(views, 8, "cpu", torch.float32)
    sil = soft_silhouette(grid.reshape(1, -1), traced).view(48, 48)
    drawn = renderer(grid, views)[0, 0] > 0
    assert torch.equal(sil > 0.5, drawn)


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """The pool cache of these tests, not the user's (one folder for the module, so pools are reused)."""
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "match_cache"))


@pytest.fixture(scope="module")
def chairs():
    return sampling.load_model("chairs")


def test_the_pool_cache_gives_the_same_pool_and_survives_a_broken_entry(chairs, tmp_path, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path))
    first = ShapeMatcher(chairs, pool=8).pool()[1]
    files = list((tmp_path / "match_pools").glob("*.npz"))
    assert len(files) == 1
    again = ShapeMatcher(chairs, pool=8).pool()[1]  # from the cache
    assert torch.equal(first, again)
    files[0].write_bytes(files[0].read_bytes()[:50])  # truncated: recomputed, not an error
    assert torch.equal(ShapeMatcher(chairs, pool=8).pool()[1], first)
    assert ShapeMatcher(chairs, pool=8, threshold=0.6).pool()[1].shape == first.shape  # another key
    assert len(list((tmp_path / "match_pools").glob("*.npz"))) == 2


def _photo_of(model, z, azimuth, elevation, size=128) -> Image.Image:
    """An RGBA 'photo' of G(z) from a view: the faces renderer's shading, alpha where it draws."""
    grid = (sampling.sample_voxels(model, z[None])[0] >= 0.5).astype(np.float32)
    views = Views(torch.tensor([azimuth]), torch.tensor([elevation]))
    image = VoxelFaceRenderer(size, model.config.views)(torch.from_numpy(grid)[None, None], views)[0, 0].numpy()
    gray = (image * 255).astype(np.uint8)
    return Image.fromarray(np.dstack([gray, gray, gray, np.where(image > 0, 255, 0).astype(np.uint8)]))


def test_match_finds_the_pool_shape_a_photo_shows_and_its_view(chairs):
    matcher = ShapeMatcher(chairs, pool=24, refine=2, steps=0)
    z_pool, _ = matcher.pool()
    views = search_views()
    for k, v in ((5, 30), (17, 77)):  # two pool shapes seen from two grid views
        az, el = float(views.azimuth[v]), float(views.elevation[v])
        best = matcher.match_image(_photo_of(chairs, z_pool[k].numpy(), az, el), keep=1)[0][0]
        assert np.array_equal(best.z, z_pool[k].numpy())
        assert best.iou > 0.9
        turn = (best.azimuth - az + math.pi) % (2 * math.pi) - math.pi
        assert abs(turn) < math.radians(16) and abs(best.elevation - el) < math.radians(16)


def test_refinement_fits_an_unseen_shape_at_least_as_well_and_beats_random_shapes(chairs):
    """A shape outside the pool: the refined match fits its outline no worse than the pool's best, and
    better than a random pool shape does from its own best view."""
    z = sampling.latents(99, 1, chairs.config.model.z_dim)[0]
    photo = _photo_of(chairs, z, 2.0, 0.35)
    coarse = ShapeMatcher(chairs, pool=24, refine=2, steps=0).match_image(photo, keep=2)[0]
    matcher = ShapeMatcher(chairs, pool=24, refine=2, steps=10)
    refined = matcher.match_image(photo, keep=2)[0]
    assert refined[0].iou > coarse[0].iou  # on this photo ten steps do improve the fit
    assert refined[0].iou >= coarse[0].iou - 1e-6
    assert refined[0].iou >= refined[1].iou  # best first
    z_pool, _ = matcher.pool()
    grids = torch.from_numpy(sampling.sample_voxels(chairs, z_pool.numpy()) >= 0.5)
    idx = np.arange(8)
    mask = matcher.photo_mask(photo)[0]
    random_fit = iou(framed_silhouettes(grids[idx], matcher.best_views(mask, idx), chairs.config.views),
                     torch.from_numpy(mask))
    assert refined[0].iou > float(random_fit.mean()) + 0.05
    assert mask.shape == (REFINE_SIZE, REFINE_SIZE)
