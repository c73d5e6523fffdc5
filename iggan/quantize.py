"""Int8 weight storage for shipped generators: half the size of fp16, same shapes.

Each convolution weight (ndim >= 2) is stored as int8 with one fp32 scale per output channel
(dim 1 of a ConvTranspose weight (in, out, k, k, k); the `axis` argument says which dim). Biases
and norm parameters stay as they are (a few KB). On the bundled chairs this changes the 0.5
isosurface of 64 samples by at most 1.1% IoU (mean 0.45%), and the held-out metrics within their
noise (benchmarks/quantize_check.py, BENCHMARKS.md).

A stored pair is `<key>` (int8, the weight's shape) + `<key>.qscale` (float32, the weight's shape
with every dim but `axis` set to 1). `dequantize` turns such pairs back into float32 weights, so
loaders need no other change. The Blender add-on repeats the three lines of `dequantize` in numpy.
"""
from __future__ import annotations

import torch

SCALE_SUFFIX = ".qscale"


def quantize_int8(tensors: dict[str, torch.Tensor], axis: int = 1) -> dict[str, torch.Tensor]:
    """Float weights with ndim >= 2 -> int8 + per-channel scale (absmax / 127 along `axis`);
    everything else is returned unchanged."""
    out = {}
    for key, value in tensors.items():
        if not value.is_floating_point() or value.ndim < 2:
            out[key] = value
            continue
        w = value.float()
        dims = [d for d in range(w.ndim) if d != axis]
        scale = (w.abs().amax(dim=dims, keepdim=True) / 127).clamp_min(1e-12)
        out[key] = torch.round(w / scale).clamp(-127, 127).to(torch.int8)
        out[key + SCALE_SUFFIX] = scale
    return out


def dequantize(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of quantize_int8 (up to rounding, at most scale / 2 per element): each int8 weight
    with a `.qscale` beside it -> float32 weight; tensors without a scale pass through.

    Raises ValueError when a scale has no int8 weight it fits, or an int8 weight has no scale (a
    damaged file: loading it anyway would give the model weights off by a factor of ~100).
    """
    out = {k: v for k, v in tensors.items() if not k.endswith(SCALE_SUFFIX)}
    for key, value in out.items():
        scale = tensors.get(key + SCALE_SUFFIX)
        if scale is None:
            if value.dtype == torch.int8:
                raise ValueError(f"int8 tensor {key} has no {SCALE_SUFFIX} beside it")
            continue
        if value.dtype != torch.int8 or scale.ndim != value.ndim:
            raise ValueError(f"{key}{SCALE_SUFFIX} does not fit {key} ({value.dtype}, shape {tuple(value.shape)})")
        out[key] = value.float() * scale.float()
    orphans = [k for k in tensors if k.endswith(SCALE_SUFFIX) and k[:-len(SCALE_SUFFIX)] not in out]
    if orphans:
        raise ValueError(f"{orphans[0]} has no weight beside it")
    return out


def is_quantized(tensors: dict[str, torch.Tensor]) -> bool:
    return any(k.endswith(SCALE_SUFFIX) for k in tensors)
