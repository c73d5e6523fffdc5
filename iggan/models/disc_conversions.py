"""Trained D weights carried into a D of another layout that computes the same function at first, so a
run can change D's design without a fresh D's shock (`train --init-discriminator`, iggan/warm_start.py):
spectral norm baked out, more input views, the minibatch-std feature added."""
from __future__ import annotations

import dataclasses

import torch
from torch import nn

from ..config import ModelConfig
from .discriminator import Discriminator

# How torch's spectral_norm parametrisation stores a layer's raw weight in a state dict.
SN_WEIGHT = ".parametrizations.weight.original"


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
