"""The paper's 2D DCGAN baseline generator: z -> image, no 3D at all."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..config import ModelConfig


class ImageGenerator(nn.Module):
    """G(z): (B, z_dim) -> images (B, 1, S, S) in [0, 1] (DCGAN: transposed convs, BN-free GroupNorm)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        ups = int(math.log2(cfg.image_size)) - 2
        ch = cfg.disc_channels * 2 ** (ups - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(cfg.z_dim, ch, 4), nn.GroupNorm(min(8, ch), ch), nn.ReLU(True)]
        for _ in range(ups - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.GroupNorm(min(8, ch // 2), ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, 1, 4, 2, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(z[:, :, None, None]))
