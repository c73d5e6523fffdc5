"""Viewpoints: sampling, camera poses for Pyrender, and posing a voxel grid into the camera frame.

Conventions used everywhere in the project:
- Voxel grids are indexed ``[x, y, z]`` with +Y up (right-handed); a grid of any resolution
  fills the cube [-0.5, 0.5]^3 in world units.
- A view is (azimuth, elevation) in radians. The camera sits at
  ``distance * (cos(el) sin(az), sin(el), cos(el) cos(az))`` and looks at the origin with +Y up,
  so azimuth 0, elevation 0 looks down -Z.
- Images span [-1, 1] (twice the object's cube) at the centre plane, so nothing is cut off.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .config import ViewConfig
from .render.posing import camera_pose, camera_rotation  # noqa: F401 (numpy versions, re-exported)


@dataclass
class Views:
    """A batch of viewpoints. azimuth, elevation: (B,) float tensors in radians."""

    azimuth: torch.Tensor
    elevation: torch.Tensor

    def __len__(self) -> int:
        return int(self.azimuth.shape[0])

    def __getitem__(self, idx) -> "Views":
        return Views(self.azimuth[idx], self.elevation[idx])

    def repeat(self, k: int) -> "Views":
        """Each view repeated k times consecutively: (B,) -> (B*k,)."""
        return Views(self.azimuth.repeat_interleave(k), self.elevation.repeat_interleave(k))

    def around(self, v: int) -> "Views":
        """Each view followed by v - 1 more at its elevation, a quarter turn apart in azimuth:
        (B,) -> (B*v,), sample-major (what a D judging v views of one shape sees)."""
        turns = torch.arange(v, dtype=self.azimuth.dtype, device=self.azimuth.device) * (math.pi / 2)
        return Views((self.azimuth[:, None] + turns).reshape(-1), self.elevation.repeat_interleave(v))

    def to(self, device) -> "Views":
        return Views(self.azimuth.to(device), self.elevation.to(device))

    @staticmethod
    def cat(*parts: "Views") -> "Views":
        """The parts' views one after another: (B1,), (B2,), ... -> (B1 + B2 + ...,). Same device."""
        return Views(torch.cat([p.azimuth for p in parts]), torch.cat([p.elevation for p in parts]))


def sample_views(n: int, cfg: ViewConfig, generator: torch.Generator | None = None, device="cpu") -> Views:
    """Uniform azimuth and elevation within the configured ranges (degrees) -> Views of size n."""
    u = torch.rand(2, n, generator=generator)
    az = cfg.azimuth[0] + (cfg.azimuth[1] - cfg.azimuth[0]) * u[0]
    el = cfg.elevation[0] + (cfg.elevation[1] - cfg.elevation[0]) * u[1]
    return Views(torch.deg2rad(az).to(device), torch.deg2rad(el).to(device))


def rotation_batch(views: Views) -> torch.Tensor:
    """Batched camera_rotation: (B, 3, 3)."""
    ca, sa = torch.cos(views.azimuth), torch.sin(views.azimuth)
    ce, se = torch.cos(-views.elevation), torch.sin(-views.elevation)
    zero, one = torch.zeros_like(ca), torch.ones_like(ca)
    ry = torch.stack([ca, zero, sa, zero, one, zero, -sa, zero, ca], -1).view(-1, 3, 3)
    rx = torch.stack([one, zero, zero, zero, ce, -se, zero, se, ce], -1).view(-1, 3, 3)
    return ry @ rx


def pose_theta(views: Views, dtype=torch.float32, device="cpu") -> torch.Tensor:
    """pose_volume's affine map, (B, 3, 4): a camera-frame volume's normalised coords (W, H, D, spanning
    twice the object's cube) -> the world grid's normalised coords (W=z, H=y, D=x)."""
    rot = rotation_batch(views).to(dtype=dtype, device=device)
    # affine_grid's output coords (gx along W, gy along H, gz along D) -> camera frame (x right,
    # y up, z towards the camera): q = diag(1, -1, -1) g.
    flip = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=dtype, device=device))
    # world (x, y, z) -> grid_sample's input coords ordered (W=z, H=y, D=x), scaled x2 because
    # the object's [-0.5, 0.5] cube is the input's [-1, 1].
    perm = torch.tensor([[0, 0, 2.0], [0, 2.0, 0], [2.0, 0, 0]], dtype=dtype, device=device)
    theta = torch.zeros(len(views), 3, 4, dtype=dtype, device=device)
    theta[:, :, :3] = perm @ rot @ flip
    return theta


def pose_volume(voxels: torch.Tensor, views: Views, size: int, depth: int | None = None) -> torch.Tensor:
    """Resample grids into each camera's frame, in a cube twice the object's size.

    voxels: (B, C, X, Y, Z) in world orientation ([x, y, z], +Y up).
    Returns (B, C, depth, size, size) indexed [depth, row, col] (depth defaults to size): depth 0 is
    nearest the camera, row 0 is the top of the image, col 0 its left. Differentiable (trilinear),
    orthographic. depth = 2X puts one sample per voxel length along each ray.
    """
    b = voxels.shape[0]
    theta = pose_theta(views, voxels.dtype, voxels.device)
    grid = F.affine_grid(theta, [b, voxels.shape[1], depth or size, size, size], align_corners=False)
    return F.grid_sample(voxels, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
