"""mirrored_data.MirroredImages: training images and voxel grids mirrored left-right half the time."""
import math

import torch

from iggan.cameras import Views
from iggan.config import ViewConfig
from iggan.mirrored_data import MirroredImages
from iggan.render.reference import PyrenderRenderer
from iggan.image_sources import TensorImages


def l_shape(res: int = 16) -> torch.Tensor:
    """(res, res, res) [x, y, z], +Y up: a slab with a block on its -x end (no left-right symmetry)."""
    g = torch.zeros(res, res, res)
    g[3:13, 2:5, 5:11] = 1
    g[3:7, 5:10, 5:11] = 1
    return g


class GridSource:
    """The draw_grids side of a voxel source: always the same grid, views at azimuth 0."""

    def __init__(self, grid: torch.Tensor):
        self.grids = grid[None]

    def __len__(self) -> int:
        return 1

    def draw_grids(self, n, generator):
        return self.grids[[0] * n][:, None].clone(), Views(torch.zeros(n), torch.zeros(n))


def test_images_come_as_they_are_or_flipped_about_half_each_and_the_draw_is_reproducible():
    image = torch.arange(16.0).view(1, 1, 4, 4) / 16
    source = MirroredImages(TensorImages(image))
    out = source.sample(400, torch.Generator().manual_seed(3))
    same = (out == image).flatten(1).all(1)
    flipped = (out == image.flip(-1)).flatten(1).all(1)
    assert bool((same ^ flipped).all())
    assert 0.4 < flipped.float().mean() < 0.6
    again = source.sample(400, torch.Generator().manual_seed(3))
    assert torch.equal(out, again)
    assert source.grids is None and len(source) == 1


def test_grids_are_mirrored_along_x_only():
    grid = l_shape()
    grids, views = MirroredImages(GridSource(grid)).draw_grids(200, torch.Generator().manual_seed(0))
    assert grids.shape == (200, 1, 16, 16, 16) and len(views.azimuth) == 200
    same = (grids[:, 0] == grid).flatten(1).all(1)
    mirrored = (grids[:, 0] == grid.flip(0)).flatten(1).all(1)
    assert bool((same ^ mirrored).all()) and 0.35 < mirrored.float().mean() < 0.65


def test_a_mirrored_grid_seen_from_azimuth_a_is_the_original_seen_from_minus_a_flipped():
    """What the module's docstring relies on: with uniform azimuths, mirroring grids before rendering
    draws the same silhouettes as flipping the renders."""
    renderer = PyrenderRenderer(64, ViewConfig())
    grid = l_shape()
    a, e = math.radians(35), math.radians(25)
    views = Views(torch.tensor([a, -a]), torch.tensor([e, e]))
    images = renderer(torch.stack([grid.flip(0), grid])[:, None], views)[:, 0].numpy()
    mirrored_at_a, original_at_minus_a = images[0] > 0, images[1] > 0
    differ = (mirrored_at_a != original_at_minus_a[:, ::-1]).mean()
    control = (mirrored_at_a != original_at_minus_a).mean()  # without the flip they disagree
    assert mirrored_at_a.mean() > 0.05
    assert differ < 0.01 < control
