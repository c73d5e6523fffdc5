"""The one interface every renderer implements, and the binarisation of the reference path."""
from __future__ import annotations

from typing import Protocol

import torch

from ..cameras import Views


class Renderer(Protocol):
    """Voxels + views -> images.

    voxels: (B, 1, R, R, R) occupancy in [0, 1], indexed [x, y, z] with +Y up.
    views: B viewpoints. Returns (B, 1, S, S) images in [0, 1].
    `differentiable` says whether gradients flow from the images back to the voxels.
    """

    differentiable: bool

    def __call__(self, voxels: torch.Tensor, views: Views) -> torch.Tensor: ...


def sample_thresholds(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One global binarisation threshold per sample, uniform on [0, 1): (n,)."""
    return torch.rand(n, generator=generator)


def binarise(voxels: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """x_d = [x_c > t], one threshold per sample. voxels (B, ...), thresholds (B,) -> same shape, {0, 1}."""
    t = thresholds.to(voxels.device, voxels.dtype).view(-1, *([1] * (voxels.dim() - 1)))
    return (voxels.detach() > t).to(voxels.dtype)
