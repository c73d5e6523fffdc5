import math

import torch

from iggan.config import ViewConfig
from iggan.coverage import COMPARE_SIZE, CoverageSearch, coverage_loss, shrink, view_grid
from iggan.render.voxel_faces import VoxelFaceRenderer

VIEWS = ViewConfig()  # azimuth 0..360, elevation -30..60 as the bundled chairs


def _shapes() -> torch.Tensor:
    """(4, 1, 16, 16, 16) distinct, asymmetric shapes: an L, a bar, a plate and a post."""
    g = torch.zeros(4, 1, 16, 16, 16)
    g[0, 0, 3:12, 2:5, 3:6] = 1
    g[0, 0, 3:6, 2:13, 3:6] = 1
    g[1, 0, 2:14, 6:9, 7:9] = 1
    g[2, 0, 3:13, 7:8, 2:14] = 1
    g[3, 0, 7:9, 1:15, 10:13] = 1
    return g


def test_view_grid_spans_the_training_views_at_cell_centres():
    grid = view_grid(VIEWS, azimuths=12, elevations=3)
    assert len(grid) == 36
    az = torch.rad2deg(grid.azimuth).unique()
    el = torch.rad2deg(grid.elevation).unique()
    assert torch.allclose(az, torch.arange(12) * 30.0 + 15.0, atol=1e-4)
    assert torch.allclose(el, torch.tensor([-15.0, 15.0, 45.0]), atol=1e-4)


def test_every_view_rendering_equals_one_view_at_a_time():
    search = CoverageSearch(VIEWS, azimuths=4, elevations=2)
    shapes = _shapes()
    grid = search.render_grid(shapes)  # (4, 8, s, s)
    assert grid.shape == (4, 8, COMPARE_SIZE, COMPARE_SIZE)
    one = search.render(shapes[2:3].repeat(8, 1, 1, 1, 1), search.grid)  # shape 2 from each view
    assert torch.allclose(grid[2], one[:, 0], atol=1e-6)


def test_nearest_finds_the_sample_and_view_that_made_an_image():
    search = CoverageSearch(VIEWS, azimuths=6, elevations=2, chunk=3)  # chunks split the pool
    shapes = _shapes()
    picks = torch.tensor([[2, 7], [0, 3], [3, 10], [1, 0]])  # (sample, grid view) of each "real" image
    real = VoxelFaceRenderer(128, VIEWS)(shapes[picks[:, 0]], search.views_of(picks[:, 1]))
    sample, view, dist = search.nearest(shapes, real)
    assert torch.equal(sample, picks[:, 0])
    # a view that renders the same image is as good (a bar seen from opposite sides): check the images
    again = search.render(shapes[sample], search.views_of(view))
    mse = (again - shrink(real)).pow(2).flatten(1).mean(1)
    assert torch.allclose(mse, dist, atol=1e-5) and (dist < 0.003).all(), dist
    other = search.render(shapes[(sample + 1) % 4], search.views_of(view))  # another shape: far
    assert ((other - shrink(real)).pow(2).flatten(1).mean(1) > 5 * dist.max()).all()


def test_the_loss_pulls_a_shape_towards_the_image_it_should_cover():
    search = CoverageSearch(VIEWS, azimuths=4, elevations=1)
    target = VoxelFaceRenderer(64, VIEWS)(_shapes()[:1], search.views_of(torch.tensor([1])))
    logits = torch.full((1, 1, 16, 16, 16), -1.0, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.2)
    losses = []
    for _ in range(15):
        loss = coverage_loss(search.render(torch.sigmoid(logits), search.views_of(torch.tensor([1]))), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert math.isfinite(losses[0]) and losses[-1] < 0.5 * losses[0]


def test_shrink_averages_areas():
    img = torch.zeros(1, 1, 64, 64)
    img[..., :2, :2] = 1.0
    out = shrink(img)
    assert out.shape == (1, 1, COMPARE_SIZE, COMPARE_SIZE) and out[0, 0, 0, 0] == 1.0 and out.sum() == 1.0
    assert shrink(out) is out
