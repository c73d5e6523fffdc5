"""DCGAN discriminator with spectral normalisation on every layer."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..config import ModelConfig


class Discriminator(nn.Module):
    """D(x): images (B, 1, S, S) in [0, 1] -> logits (B,). log D = logsigmoid(logit)."""

    def __init__(self, cfg: ModelConfig, in_channels: int = 1):
        super().__init__()
        downs = int(math.log2(cfg.image_size)) - 2  # stride-2 convs down to 4x4
        if 2 ** (downs + 2) != cfg.image_size or downs < 1:
            raise ValueError(f"image_size must be a power of two >= 8, got {cfg.image_size}")
        layers: list[nn.Module] = []
        ch_in, ch = in_channels, cfg.disc_channels
        for _ in range(downs):
            layers += [spectral_norm(nn.Conv2d(ch_in, ch, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            ch_in, ch = ch, min(ch * 2, 512)
        layers += [spectral_norm(nn.Conv2d(ch_in, 1, 4))]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # centre to [-1, 1] so the first layer sees zero-mean input
        return self.net(images * 2.0 - 1.0).flatten()
