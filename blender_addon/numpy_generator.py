"""The IG-GAN voxel generator (iggan/models/generator.py) as a numpy forward pass, so Blender needs
neither torch nor a subprocess. The net is small: z -> ConvTranspose3d(k4) to 4^3 -> [ConvTranspose3d
(k4, s2, p1) -> GroupNorm -> ReLU] x (steps - 1) -> ConvTranspose3d -> sigmoid. A stride-2 transposed
conv is one matrix product (weights^T @ input) followed by 64 strided adds (one per kernel tap).
At 32^3 (the bundled models) a sample takes tens of milliseconds on one core."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .safetensors_np import load_safetensors

FORMAT = "iggan-assets/1"
VOXEL_RESOLUTIONS = (8, 16, 32, 64, 128, 256)  # as iggan/config_checks.py's MAXIMUM


class ModelError(ValueError):
    """A checkpoint is missing or not a generator; the message says what to do."""


def _group_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, groups: int, eps: float = 1e-5) -> np.ndarray:
    b, c = x.shape[:2]
    g = x.reshape(b, groups, -1)
    mean = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    g = (g - mean) / np.sqrt(var + eps)
    return g.reshape(x.shape) * weight.reshape(1, c, 1, 1, 1) + bias.reshape(1, c, 1, 1, 1)


def conv_transpose3d_s2(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """torch ConvTranspose3d(kernel 4, stride 2, padding 1). x (B, Cin, D, H, W), weight (Cin, Cout, 4, 4, 4)
    -> (B, Cout, 2D, 2H, 2W)."""
    b, cin, d, h, w = x.shape
    cout = weight.shape[1]
    cols = weight.reshape(cin, cout * 64).T @ x.transpose(1, 0, 2, 3, 4).reshape(cin, -1)  # (Cout*64, B*DHW)
    cols = cols.reshape(cout, 4, 4, 4, b, d, h, w)
    full = np.zeros((cout, b, 2 * d + 2, 2 * h + 2, 2 * w + 2), np.float32)
    for kd in range(4):  # output index = 2 * input index + tap
        for kh in range(4):
            for kw in range(4):
                full[:, :, kd:kd + 2 * d:2, kh:kh + 2 * h:2, kw:kw + 2 * w:2] += cols[:, kd, kh, kw]
    out = full[:, :, 1:-1, 1:-1, 1:-1] + bias.reshape(cout, 1, 1, 1, 1)  # padding 1 crops one each side
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3, 4))


@dataclass
class NumpyGenerator:
    """G(z): (B, z_dim) -> occupancy (B, R, R, R) float32 in [0, 1], indexed [x, y, z], +Y up."""

    name: str
    z_dim: int
    voxel_res: int
    layers: list  # [(weight, bias, (gn_weight, gn_bias) or None)], stem first
    card: dict
    views: dict = field(default_factory=dict)  # the run's camera (config.views: camera_distance, fov_deg, ...)

    def __call__(self, z: np.ndarray, batch_size: int = 8) -> np.ndarray:
        z = np.asarray(z, np.float32).reshape(-1, self.z_dim)
        outs = [self._forward(z[i:i + batch_size]) for i in range(0, len(z), batch_size)]
        r = self.voxel_res
        return np.concatenate(outs) if outs else np.zeros((0, r, r, r), np.float32)

    def _forward(self, z: np.ndarray) -> np.ndarray:
        (w0, b0, gn0), rest = self.layers[0], self.layers[1:]
        c = w0.shape[1]
        x = (z @ w0.reshape(self.z_dim, -1)).reshape(len(z), c, 4, 4, 4) + b0.reshape(1, c, 1, 1, 1)
        x = np.maximum(_group_norm(x, *gn0, groups=min(8, c)), 0.0)
        for weight, bias, gn in rest:
            x = conv_transpose3d_s2(x, weight, bias)
            if gn is not None:
                x = np.maximum(_group_norm(x, *gn, groups=min(8, x.shape[1])), 0.0)
        x = x[:, 0].astype(np.float64)
        return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def load_generator(stem: str | Path) -> NumpyGenerator:
    """Read `<stem>.json` + `<stem>.safetensors` (a bundled model or a training checkpoint). The EMA
    weights when present, as iggan.sampling.load_model does."""
    stem = Path(stem)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    meta_path, weights_path = stem.with_suffix(".json"), stem.with_suffix(".safetensors")
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise ModelError(f"{p} is missing: a model is a .safetensors file with its .json beside it "
                             "(as written by iggan-assets train)")
    try:
        meta = json.loads(meta_path.read_text())
        model_cfg = meta["config"]["model"]
        z_dim, res = int(model_cfg["z_dim"]), int(model_cfg["voxel_res"])
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise ModelError(f"{meta_path} is not an iggan-assets checkpoint ({exc})") from exc
    if res not in VOXEL_RESOLUTIONS:  # a card claiming 1024^3 would sample grids of many GB each
        raise ModelError(f"{meta_path}: voxel_res must be a power of two from 8 to {VOXEL_RESOLUTIONS[-1]}, not {res}; "
                         "the file is damaged or not a model of this tool")
    if meta.get("format") != FORMAT:
        raise ModelError(f"{meta_path} is not an iggan-assets checkpoint (format {FORMAT!r} expected)")
    upsample = model_cfg.get("gen_upsample", "transposed")
    if upsample != "transposed":  # the numpy forward pass has only the 3D-GAN's transposed convolutions
        raise ModelError(f"{meta_path}: a generator with gen_upsample {upsample!r} is not supported in Blender yet; "
                         "export its shapes with `iggan-assets generate --model ...` and import the GLB")
    tensors = load_safetensors(weights_path)
    for scale_key in [k for k in tensors if k.endswith(".qscale")]:  # int8 weights (iggan/quantize.py)
        key = scale_key[:-len(".qscale")]
        if key not in tensors:
            raise ModelError(f"{weights_path} is damaged: {scale_key} has no weight beside it")
        tensors[key] = tensors[key].astype(np.float32) * tensors.pop(scale_key).astype(np.float32)
    unscaled = [k for k, v in tensors.items() if v.dtype == np.int8]
    if unscaled:
        raise ModelError(f"{weights_path} is damaged: int8 tensor {unscaled[0]} has no .qscale beside it")
    prefix = "generator_ema." if any(k.startswith("generator_ema.") for k in tensors) else "generator."

    def get(key):
        try:
            return tensors[prefix + key].astype(np.float32)
        except KeyError:
            raise ModelError(f"{weights_path} has no tensor {prefix + key}; is it a generator checkpoint?") from None

    steps = int(math.log2(res)) - 2
    layers = [(get("stem.0.weight"), get("stem.0.bias"), (get("stem.1.weight"), get("stem.1.bias")))]
    if layers[0][0].shape[:1] != (z_dim,):  # else latents of a claimed z_dim 10**10 would fill terabytes
        raise ModelError(f"{weights_path}: {prefix}stem.0.weight has shape {list(layers[0][0].shape)}, which does not "
                         f"fit z_dim {z_dim} in {meta_path.name}; the two files are not one pair")
    for k in range(steps - 1):
        i = 3 * k
        layers.append((get(f"body.{i}.weight"), get(f"body.{i}.bias"),
                       (get(f"body.{i + 1}.weight"), get(f"body.{i + 1}.bias"))))
    i = 3 * (steps - 1)
    layers.append((get(f"body.{i}.weight"), get(f"body.{i}.bias"), None))
    card = meta.get("card", {}) if isinstance(meta.get("card"), dict) else {}
    views = meta["config"].get("views") if isinstance(meta["config"].get("views"), dict) else {}
    return NumpyGenerator(card.get("name") or unnamed_model_label(stem), z_dim, res, layers, card, views)


def unnamed_model_label(stem: str | Path) -> str:
    """The name of a model whose card gives none: a training checkpoint `RUN/checkpoints/ckpt_00000150` is
    `RUN_step150`, any other file its stem. Assets are named after it (`ckpt_00000150_3_s0` said neither which run nor
    plainly which step); iggan.sampling.load_model uses this too, so `generate` and the panel agree."""
    stem = Path(stem).absolute()
    digits = stem.name[len("ckpt_"):]
    if stem.name.startswith("ckpt_") and digits.isdigit() and stem.parent.name == "checkpoints" \
            and stem.parent.parent.name:
        return f"{stem.parent.parent.name}_step{int(digits)}"
    return stem.name


def latents(seed: int, n: int, z_dim: int, start: int = 0) -> np.ndarray:
    """Latents start..start+n-1 of a seed, identical to iggan.sampling.latents."""
    out = np.empty((n, z_dim), np.float32)
    for k in range(n):
        out[k] = np.random.default_rng([seed, start + k]).standard_normal(z_dim, dtype=np.float32)
    return out
