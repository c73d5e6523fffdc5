"""DCGAN discriminator, with spectral normalisation on every layer unless the config turns it off."""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..config import ModelConfig

class Discriminator(nn.Module):
    """D(x): images (B, V, S, S) in [0, 1] -> logits (B,). log D = logsigmoid(logit).

    V = cfg.disc_views: one view per channel (1: the paper's D on single images)."""

    def __init__(self, cfg: ModelConfig, in_channels: int | None = None):
        super().__init__()
        in_channels = cfg.disc_views if in_channels is None else in_channels
        downs = int(math.log2(cfg.image_size)) - 2  # stride-2 convs down to 4x4
        if 2 ** (downs + 2) != cfg.image_size or downs < 1:
            raise ValueError(f"image_size must be a power of two >= 8, got {cfg.image_size}")
        norm = spectral_norm if cfg.disc_spectral_norm else (lambda layer: layer)
        layers: list[nn.Module] = []
        ch_in, ch = in_channels, cfg.disc_channels
        for _ in range(downs):
            layers += [norm(nn.Conv2d(ch_in, ch, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            ch_in, ch = ch, min(ch * 2, 512)
        self.group = cfg.disc_minibatch_std
        if self.group < 0:
            raise ValueError(f"disc_minibatch_std must be >= 0 (0 = off), got {self.group}")
        layers += [norm(nn.Conv2d(ch_in + (1 if self.group else 0), 1, 4))]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # centre to [-1, 1] so the first layer sees zero-mean input
        x = images * 2.0 - 1.0
        if not self.group:
            return self.net(x).flatten()
        features = self.net[:-1](x)  # (B, C, 4, 4)
        return self.net[-1](torch.cat([features, minibatch_std(features, self.group)], 1)).flatten()


def minibatch_std(features: torch.Tensor, group: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, 1, H, W): per group of consecutive samples, the mean over features of their
    standard deviation across the group, broadcast to each member.

    Groups are consecutive so that D's one forward over cat([real, fake]) never mixes the two (the
    trainer's batch is a multiple of the group); a batch that is not uses the largest group dividing it.
    """
    b = features.shape[0]
    g = math.gcd(group, b)
    x = features.view(b // g, g, *features.shape[1:])
    spread = (x.var(1, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B/g,)
    return spread.repeat_interleave(g)[:, None, None, None].expand(b, 1, *features.shape[2:])
