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


def _upsampling(c_in: int, c_out: int, kind: str) -> nn.Module:
    """(B, c_in, n, n, n) -> (B, c_out, 2n, 2n, 2n). "transposed": the 3D-GAN's 4^3 stride-2 transposed
    convolution, whose overlapping kernel taps give its output a 2-voxel parity pattern (BENCHMARKS.md,
    session 20: G's surfaces snap to even heights). "resize": nearest-neighbour doubling, then a 3^3
    convolution (Odena et al. 2016), which treats both parities alike."""
    if kind == "transposed":
        return nn.ConvTranspose3d(c_in, c_out, 4, stride=2, padding=1)
    if kind == "resize":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv3d(c_in, c_out, 3, padding=1))
    raise ValueError(f"gen_upsample must be 'transposed' or 'resize', got {kind!r}")


class VoxelGenerator(nn.Module):
    """G(z): (B, z_dim) -> occupancy (B, C, R, R, R) in [0, 1], indexed [x, y, z], +Y up.

    C = cfg.voxel_channels: 1 (occupancy), or 2 for emission-absorption (density, emission).
    cfg.symmetric: the output is the mean of the grid and its mirror image along x (no extra weights).
    cfg.gen_upsample: how each step doubles the grid (_upsampling).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        steps = int(math.log2(cfg.voxel_res)) - 2  # upsamplings after the 4^3 start
        if 2 ** (steps + 2) != cfg.voxel_res or steps < 1:
            raise ValueError(f"voxel_res must be a power of two >= 8, got {cfg.voxel_res}")
        if cfg.gen_channels < 2 ** (steps - 1):  # halved per upsampling, it must not reach 0 channels
            raise ValueError(f"gen_channels must be at least {2 ** (steps - 1)} at voxel_res {cfg.voxel_res}, "
                             f"got {cfg.gen_channels}")
        self.z_dim = cfg.z_dim
        ch = cfg.gen_channels
        self.stem = nn.Sequential(nn.ConvTranspose3d(cfg.z_dim, ch, 4), _norm(ch), nn.ReLU(inplace=True))
        layers: list[nn.Module] = []
        for _ in range(steps - 1):
            layers += [_upsampling(ch, ch // 2, cfg.gen_upsample), _norm(ch // 2), nn.ReLU(inplace=True)]
            ch //= 2
        out = _upsampling(ch, cfg.voxel_channels, cfg.gen_upsample)
        bias = out.bias if isinstance(out, nn.ConvTranspose3d) else out[-1].bias
        nn.init.constant_(bias, math.log(cfg.initial_occupancy / (1.0 - cfg.initial_occupancy)))
        layers += [out]
        self.body = nn.Sequential(*layers)
        self.symmetric = cfg.symmetric

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.sigmoid(self.body(self.stem(z[:, :, None, None, None])))
        return 0.5 * (out + out.flip(2)) if self.symmetric else out
