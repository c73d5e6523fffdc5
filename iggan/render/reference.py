"""The Pyrender reference renderer R_d: binary voxels -> surface mesh -> OpenGL image.

Not differentiable: its output carries no gradient (the proxy renderer learns to imitate it).
"""
from __future__ import annotations

import numpy as np
import torch

from ..cameras import Views
from ..config import ViewConfig
from .scene import MAX_TILES, ReferenceScene
from .voxel_mesh import surface_items, voxel_surface


class PyrenderRenderer:
    """Renderer protocol over Pyrender. Voxels are binarised at 0.5 (pass x_d = binarise(x_c, t))."""

    differentiable = False

    def __init__(self, image_size: int, views: ViewConfig, max_tiles: int = MAX_TILES):
        self.image_size = image_size
        self.view_config = views
        self.max_tiles = max_tiles  # images drawn per GL readback
        self._scene: ReferenceScene | None = None  # created lazily: GL contexts are per process

    @property
    def scene(self) -> ReferenceScene:
        if self._scene is None:
            self._scene = ReferenceScene(self.image_size, self.view_config, self.max_tiles)
        return self._scene

    def render_grid(self, grid: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
        """One binary grid (X, Y, Z) -> image (S, S) float32 in [0, 1]."""
        positions, normals, triangles = voxel_surface(grid)
        return self.scene.render(positions, normals, triangles, azimuth, elevation)

    @torch.no_grad()
    def __call__(self, voxels: torch.Tensor, views: Views) -> torch.Tensor:
        """voxels (B, 1, R, R, R) -> images (B, 1, S, S), on the voxels' device, no gradient."""
        grids = (voxels.detach()[:, 0] > 0.5).cpu().numpy()
        az, el = views.azimuth.cpu().numpy(), views.elevation.cpu().numpy()
        images = self.scene.render_batch(surface_items(grids, az, el))
        return torch.from_numpy(images)[:, None].to(voxels.device, voxels.dtype)


class NullRenderer:
    """A no-op reference renderer (black images) for measuring what rendering costs."""

    differentiable = False

    def __init__(self, image_size: int, views: ViewConfig | None = None):
        self.image_size = image_size

    @torch.no_grad()
    def __call__(self, voxels: torch.Tensor, views: Views) -> torch.Tensor:
        s = self.image_size
        return torch.zeros(voxels.shape[0], 1, s, s, device=voxels.device, dtype=voxels.dtype)
