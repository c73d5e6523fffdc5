"""The voxel-face renderer: the reference renderer's differentiable twin."""
import numpy as np
import torch

from iggan.cameras import sample_views
from iggan.config import ViewConfig, preset
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_faces import VoxelFaceRenderer
from iggan.shapes import random_shapes


def test_binary_grids_render_as_the_reference_draws_them():
    cfg = preset("tiny")
    gen = torch.Generator().manual_seed(3)
    grids = random_shapes(6, 16, gen, ("tables", "cubes"))
    views = sample_views(6, cfg.views, gen)
    ref = PyrenderRenderer(64, cfg.views)(grids, views)
    faces = VoxelFaceRenderer(64, cfg.views)(grids, views)
    assert ref.mean() > 0.02  # the shapes are in view
    # Equal up to the reference's 8-bit readback and the odd pixel where a ray grazes an edge.
    assert ((faces - ref) ** 2).mean() < 1e-4
    assert (faces - ref).abs().gt(0.02).float().mean() < 0.01


def test_empty_grid_is_black_and_a_full_one_shows_three_lit_faces_at_most():
    renderer = VoxelFaceRenderer(32, ViewConfig())
    views = sample_views(2, ViewConfig(), torch.Generator().manual_seed(0))
    empty = renderer(torch.zeros(2, 1, 8, 8, 8), views)
    assert empty.abs().max() == 0
    full = renderer(torch.ones(2, 1, 8, 8, 8), views)
    shades = {round(v, 3) for v in full[0, 0].flatten().tolist() if v > 0}
    assert 1 <= len(shades) <= 3  # a cube shows one shade per visible face


def test_the_gradient_of_one_voxel_is_its_exact_flip():
    # Compositing is multilinear in the occupancies, so d image / d a_v on a binary grid equals the
    # change of the image when voxel v is flipped (added: +, removed: -), pixel for pixel.
    gen = torch.Generator().manual_seed(1)
    grid = random_shapes(1, 8, gen, ("tables",))
    views = sample_views(1, ViewConfig(), gen)
    renderer = VoxelFaceRenderer(32, ViewConfig())
    x = grid.clone().requires_grad_(True)
    weights = torch.rand(1, 1, 32, 32, generator=gen)
    (renderer(x, views) * weights).sum().backward()
    surface = np.argwhere(grid[0, 0].numpy() > 0)
    checked = 0
    for v in [tuple(surface[0]), tuple(surface[-1]), (0, 0, 0), (7, 7, 7)]:
        flipped = grid.clone()
        flipped[(0, 0, *v)] = 1 - flipped[(0, 0, *v)]
        change = ((renderer(flipped, views) - renderer(grid, views)) * weights).sum()
        sign = 1.0 if grid[(0, 0, *v)] == 0 else -1.0
        torch.testing.assert_close(sign * x.grad[(0, 0, *v)], change, atol=1e-4, rtol=1e-4)
        checked += bool(change.abs() > 1e-3)
    assert checked >= 1  # at least one flip changed the image
