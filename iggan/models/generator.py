"""3D voxel generator in the 3D-GAN layout (Wu et al. 2016): z -> 4^3 -> transposed convs -> sigmoid."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config import ModelConfig


def _norm(channels: int) -> nn.Module:
    # GroupNorm instead of the original BatchNorm: per-sample statistics, so a sample does not
    # depend on its batch and train/eval modes give identical shapes (export samples one at a time).
    return nn.GroupNorm(min(8, channels), channels)


class VoxelGenerator(nn.Module):
    """G(z): (B, z_dim) -> occupancy (B, C, R, R, R) in [0, 1], indexed [x, y, z], +Y up.

    C = cfg.voxel_channels: 1 (occupancy), or 2 for emission-absorption (density, emission).
    cfg.symmetric: the output is the mean of the grid and its mirror image along x (no extra weights).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        steps = int(math.log2(cfg.voxel_res)) - 2  # upsamplings after the 4^3 start
        if 2 ** (steps + 2) != cfg.voxel_res or steps < 1:
            raise ValueError(f"voxel_res must be a power of two >= 8, got {cfg.voxel_res}")
        self.z_dim = cfg.z_dim
        ch = cfg.gen_channels
        self.stem = nn.Sequential(nn.ConvTranspose3d(cfg.z_dim, ch, 4), _norm(ch), nn.ReLU(inplace=True))
        layers: list[nn.Module] = []
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose3d(ch, ch // 2, 4, stride=2, padding=1), _norm(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        out = nn.ConvTranspose3d(ch, cfg.voxel_channels, 4, stride=2, padding=1)
        nn.init.constant_(out.bias, math.log(cfg.initial_occupancy / (1.0 - cfg.initial_occupancy)))
        layers += [out]
        self.body = nn.Sequential(*layers)
        self.symmetric = cfg.symmetric

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.sigmoid(self.body(self.stem(z[:, :, None, None, None])))
        return 0.5 * (out + out.flip(2)) if self.symmetric else out
