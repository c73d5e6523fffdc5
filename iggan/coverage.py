"""Coverage of the real images by G's renders: implicit maximum likelihood estimation (IMLE, Li and
Malik 2018) from unposed images.

D judges one image at a time, so nothing in the GAN asks G for the kinds of object it never makes.
BENCHMARKS.md (sessions 12-18) found exactly that gap in the bundled chairs: their shapes sit closer
to each other than real chairs do, while single views already fool a fresh D. IMLE asks for the
missing kinds directly. For every real image of a batch, it finds the nearest render, at low
resolution, among a pool of G's samples, each seen from a fixed grid of views over the training
range. It then pulls that sample's render, from that view, towards the image. Each real image thus
gets a generated sample nearby.

The real image's own view is never used: the search over the grid of views stands in for it, so the
training data stay unposed, as in the paper's setting.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .cameras import Views
from .config import ViewConfig
from .render.voxel_faces import VoxelFaceRenderer

COMPARE_SIZE = 32  # images are compared at this size (area-averaged): coarse shape, not voxel detail
SUPERSAMPLE = 2  # renders are drawn at COMPARE_SIZE * this, then averaged, as the real images are
GRID_AZIMUTHS = 12  # the search's views: 30 degrees apart in azimuth ...
GRID_ELEVATIONS = 3  # ... at the centres of 3 equal bands of the elevation range


def shrink(images: torch.Tensor, size: int = COMPARE_SIZE) -> torch.Tensor:
    """(N, 1, S, S) -> (N, 1, size, size) by area averaging (S a multiple of size)."""
    return images if images.shape[-1] == size else F.adaptive_avg_pool2d(images, size)


def view_grid(views: ViewConfig, azimuths: int = GRID_AZIMUTHS, elevations: int = GRID_ELEVATIONS) -> Views:
    """(azimuths * elevations,) views at the centres of equal cells of the configured ranges, azimuth-major."""
    def centres(lo_hi, n):
        lo, hi = lo_hi
        return torch.deg2rad(lo + (hi - lo) * (torch.arange(n, dtype=torch.float32) + 0.5) / n)

    az, el = torch.meshgrid(centres(views.azimuth, azimuths), centres(views.elevation, elevations), indexing="ij")
    return Views(az.reshape(-1), el.reshape(-1))


class CoverageSearch:
    """Finds, for each real image, the nearest (sample, view) render of a pool of G's samples, and renders
    chosen samples from chosen views differentiably, both at COMPARE_SIZE."""

    def __init__(self, views: ViewConfig, azimuths: int = GRID_AZIMUTHS, elevations: int = GRID_ELEVATIONS,
                 chunk: int = 16):
        self.grid = view_grid(views, azimuths, elevations)
        self.renderer = VoxelFaceRenderer(COMPARE_SIZE * SUPERSAMPLE, views)
        self.chunk = chunk  # samples rendered at once in the search: memory ~ chunk * views * 6 MB at 32^3
        self._traced = {}  # (device, dtype, R) -> the grid's rays, traced once: the views never change

    def render(self, grids: torch.Tensor, views: Views) -> torch.Tensor:
        """grids (N, 1, R, R, R) opacities in [0, 1], N views -> (N, 1, COMPARE_SIZE, COMPARE_SIZE), differentiable."""
        return shrink(self.renderer(grids, views))

    def render_grid(self, grids: torch.Tensor) -> torch.Tensor:
        """grids (N, 1, R, R, R) -> (N, V, COMPARE_SIZE, COMPARE_SIZE): each from every view of self.grid."""
        key = (grids.device, grids.dtype, grids.shape[2])
        if key not in self._traced:
            self._traced[key] = self.renderer.segments(self.grid, grids.shape[2], grids.device, grids.dtype)
        return shrink(self.renderer.composite(grids, self._traced[key], every_view=True))

    @torch.no_grad()
    def nearest(self, pool: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """pool (P, 1, R, R, R) binary grids; real (B, 1, S, S) images.

        Returns, per real image, the index of the nearest sample (B,), of its view in self.grid (B,), and
        the mean squared pixel difference at COMPARE_SIZE (B,)."""
        target = shrink(real).flatten(1)  # (B, s*s)
        n_views = len(self.grid)
        best = torch.full((len(real),), float("inf"), device=real.device)
        best_idx = torch.zeros(len(real), dtype=torch.long, device=real.device)
        for start in range(0, len(pool), self.chunk):
            renders = self.render_grid(pool[start:start + self.chunk]).flatten(2).flatten(0, 1)  # (c*V, s*s)
            d = torch.cdist(target, renders.to(target.dtype)).pow(2) / target.shape[1]  # (B, c*V)
            value, idx = d.min(1)
            better = value < best
            best = torch.where(better, value, best)
            best_idx = torch.where(better, idx + start * n_views, best_idx)
        return best_idx // n_views, best_idx % n_views, best

    def views_of(self, view_idx: torch.Tensor) -> Views:
        """Grid view indices (B,) -> Views (B,) on their device."""
        return self.grid.to(view_idx.device)[view_idx]


def coverage_loss(renders: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean squared difference at COMPARE_SIZE: renders (B, 1, s, s) from CoverageSearch.render, real (B, 1, S, S)."""
    return (renders - shrink(real)).pow(2).mean()
