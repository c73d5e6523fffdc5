"""Proxy neural renderer R_phi: a cut-down RenderNet (Nguyen-Phuoc et al. 2018).

posed volume -> 3D convs (downsample) -> 2 residual 3D blocks -> projection unit (fold depth
into channels, 1x1 conv) -> 4 residual 2D blocks -> upsampling -> image. It learns to imitate
the reference renderer and carries gradients from the discriminator to the generator.
"""
from __future__ import annotations

import torch
from torch import nn

from ..cameras import Views, pose_volume
from ..config import ModelConfig


class _Residual(nn.Module):
    """x + conv(lrelu(conv(x))), for 2D or 3D convolutions (`conv` is nn.Conv2d or nn.Conv3d)."""

    def __init__(self, conv: type[nn.Module], ch: int):
        super().__init__()
        self.body = nn.Sequential(conv(ch, ch, 3, padding=1), nn.LeakyReLU(0.2, inplace=True), conv(ch, ch, 3, padding=1))

    def forward(self, x):
        return torch.nn.functional.leaky_relu(x + self.body(x), 0.2)


class NeuralRenderer(nn.Module):
    """R_phi(voxels, views): (B, 1, R, R, R) in [0, 1] -> images (B, 1, S, S), ~[0, 1]. Differentiable.

    The posed volume is P^3 (the 2x frame; P = cfg.pose_size, by default min(S, 2R): one sample per
    voxel), downsampled 4x in 3D, so the projection unit sees
    (C, P/4, P/4, P/4) -> (C*P/4, P/4, P/4); 2D upsampling brings it to P, then to S when P < S.
    """

    differentiable = True

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        s, p, c = cfg.image_size, cfg.pose_size, cfg.proxy_channels
        if p > s or s % p or (s // p) & (s // p - 1) or p % 4:
            raise ValueError(f"proxy pose size {p} must divide image_size {s} by a power of two and be a multiple of 4")
        self.image_size, self.pose_size = s, p
        self.encode3d = nn.Sequential(
            nn.Conv3d(1, c // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv3d(c // 2, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            _Residual(nn.Conv3d, c), _Residual(nn.Conv3d, c),
        )
        depth = p // 4
        c2 = 4 * c
        self.project = nn.Sequential(nn.Conv2d(c * depth, c2, 1), nn.LeakyReLU(0.2, inplace=True))
        self.blocks2d = nn.Sequential(*[_Residual(nn.Conv2d, c2) for _ in range(4)])
        finer: list[nn.Module] = []  # P -> S in 2D (none when P == S: the layout of every shipped proxy)
        for _ in range((s // p).bit_length() - 1):  # log2(S / P) doublings
            finer += [nn.ConvTranspose2d(c2 // 4, c2 // 4, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        self.decode = nn.Sequential(
            nn.ConvTranspose2d(c2, c2 // 2, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.ConvTranspose2d(c2 // 2, c2 // 4, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
            *finer,
            nn.Conv2d(c2 // 4, 1, 3, padding=1),
        )

    def forward(self, voxels: torch.Tensor, views: Views) -> torch.Tensor:
        posed = pose_volume(voxels, views, self.pose_size)  # (B, 1, P, P, P) [depth, row, col]
        feat = self.encode3d(posed)  # (B, C, P/4, P/4, P/4)
        b, c, d, h, w = feat.shape
        feat = self.project(feat.reshape(b, c * d, h, w))  # projection unit: depth folded into channels
        # Linear output, no sigmoid: a sigmoid saturates on the black background, and then the
        # generator gets no gradient where shapes are missing (observed: collapse to empty grids).
        return self.decode(self.blocks2d(feat))
