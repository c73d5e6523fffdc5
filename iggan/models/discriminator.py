"""DCGAN discriminator, with spectral normalisation on every layer unless the config turns it off."""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..config import ModelConfig

# How torch's spectral_norm parametrisation stores a layer's raw weight in a state dict.
SN_WEIGHT = ".parametrizations.weight.original"


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


def has_spectral_norm(state: dict[str, torch.Tensor]) -> bool:
    """Whether a D state dict (keys without the 'discriminator.' prefix) is of a normalised D."""
    return any(k.endswith(SN_WEIGHT) for k in state)


def bake_spectral_norm(cfg: ModelConfig, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """State dict of a spectrally normalised D -> that of a plain D computing the same function.

    Each layer's weight becomes W / sigma(W), with sigma from the stored power-iteration vectors (what
    the normalised D uses in eval mode), so the plain D starts exactly where the normalised one was.
    """
    normed = Discriminator(dataclasses.replace(cfg, disc_spectral_norm=True))
    normed.load_state_dict(state)
    normed.eval()
    plain = Discriminator(dataclasses.replace(cfg, disc_spectral_norm=False))
    with torch.no_grad():
        for src, dst in zip(normed.net, plain.net):
            if isinstance(dst, nn.Conv2d):
                dst.weight.copy_(src.weight)  # the parametrised W / sigma
                dst.bias.copy_(src.bias)
    return plain.state_dict()


def widen_to_views(state: dict[str, torch.Tensor], views: int) -> dict[str, torch.Tensor]:
    """State dict of a one-view D -> that of a `views`-view D that scores channel 0 exactly as the
    one-view D scores its image and ignores the other channels until training gives them weight.

    The first layer's weight gains zero input channels; a normalised layer's right singular vector
    (_v) gains the matching zeros, so its sigma, and the whole function, stay the same.
    """
    out = dict(state)
    for key in ("net.0.weight", "net.0" + SN_WEIGHT):
        if key in out:
            w = out[key]
            out[key] = torch.cat([w, w.new_zeros(w.shape[0], views - w.shape[1], *w.shape[2:])], 1)
    v_key = "net.0.parametrizations.weight.0._v"
    if v_key in out:
        v = out[v_key]
        out[v_key] = torch.cat([v, v.new_zeros(v.numel() * (views - 1))])
    return out


def add_minibatch_std_input(state: dict[str, torch.Tensor], last: str) -> dict[str, torch.Tensor]:
    """State dict of a D without the minibatch-std feature -> one with it that computes the same
    function: the last layer (`last`, e.g. 'net.10') gains a zero-weighted input channel, and a
    normalised layer's right singular vector the matching zeros, so its sigma is unchanged."""
    out = dict(state)
    for key in (f"{last}.weight", f"{last}{SN_WEIGHT}"):
        if key in out:
            w = out[key]
            out[key] = torch.cat([w, w.new_zeros(w.shape[0], 1, *w.shape[2:])], 1)
            v_key = f"{last}.parametrizations.weight.0._v"
            if v_key in out:
                out[v_key] = torch.cat([out[v_key], out[v_key].new_zeros(w.shape[2] * w.shape[3])])
    return out
