"""Left-right mirrored training data: each real image, or voxel grid, is mirrored with probability 1/2.

A mirror image of an object is as much an object of its class as the original (an L-shaped sofa with
its long side on the left gives one with it on the right), so a small set of one-sided designs doubles,
as horizontal flips do for 2D GANs (StyleGAN's --mirror). Images are flipped left-right. Voxel grids
that the trainer hands to the render workers with its samples (`voxels:` at G's resolution, on a GPU)
are mirrored along x *before* they are rendered instead: the camera at azimuth -az sees the mirrored grid
as az saw the original, flipped, and azimuths are uniform, so the silhouettes are the same distribution,
while the shading stays that of the reference lights (a flipped picture mirrors the lights too).
"""
from __future__ import annotations

import torch

from .cameras import Views


class MirroredImages:
    """Wraps an ImageSource; draws come from the same generator, so a resumed run stays exact."""

    def __init__(self, source):
        self.source = source

    @property
    def grids(self) -> torch.Tensor | None:
        """The wrapped source's grids (N, R, R, R) when it draws voxel grids, else None (unmirrored:
        the trainer only checks their shape)."""
        return getattr(self.source, "grids", None)

    def __len__(self) -> int:
        return len(self.source)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, 1, S, S) float32 in [0, 1]; each image flipped left-right with probability 1/2."""
        images = self.source.sample(n, generator)
        flip = torch.rand(n, generator=generator) < 0.5
        return torch.where(flip[:, None, None, None], images.flip(-1), images)

    def draw_grids(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, Views] | None:
        """(n, 1, R, R, R) grids indexed [x, y, z], each mirrored along x with probability 1/2, and
        their views; None when the source does not draw grids."""
        drawn = self.source.draw_grids(n, generator)
        if drawn is None:
            return None
        grids, views = drawn
        flip = torch.rand(n, generator=generator) < 0.5
        return torch.where(flip[:, None, None, None, None], grids.flip(2), grids), views

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()
