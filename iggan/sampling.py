"""Load a trained generator (bundled name, run folder or checkpoint file) and sample voxel grids."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .blender_addon.numpy_generator import unnamed_model_label  # one naming rule for the CLI and the panel
from .config import Config, preset
from .models.generator import VoxelGenerator
from .quantize import quantize_int8

BUNDLED_DIR = Path(__file__).parent / "bundled"
log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    name: str
    config: Config
    generator: VoxelGenerator
    card: dict  # model card / export defaults from the JSON (may be empty)


def generator_stems(folder: Path) -> dict[str, Path]:
    """The generators among the checkpoint pairs in `folder`: name -> stem (the proxy renderer and evaluate's
    feature network, bundled beside them, are left out)."""
    out = {}
    for meta in sorted(Path(folder).glob("*.json")):
        if (meta.with_suffix(".safetensors").is_file() and not meta.stem.startswith(("proxy", "eval_"))
                and json.loads(meta.read_text()).get("kind", "generator") == "generator"):
            out[meta.stem] = meta.with_suffix("")
    return out


def bundled_models() -> dict[str, Path]:
    """Generators shipped in the package: name -> checkpoint stem."""
    return generator_stems(BUNDLED_DIR)


def _resolve(name_or_path: str) -> Path:
    bundled = bundled_models()
    if name_or_path in bundled:
        return bundled[name_or_path]
    path = Path(name_or_path)
    if path.is_dir():
        found = ckpt.list_checkpoints(path)
        if not found:
            raise ckpt.CheckpointError(f"run folder {path} has no complete checkpoint in {path / 'checkpoints'}")
        return found[-1][1]
    if path.suffix in (".safetensors", ".json") or path.with_suffix(".json").exists():
        return path.with_suffix("")
    names = ", ".join(bundled) or "none bundled"
    raise ckpt.CheckpointError(
        f"unknown model {name_or_path!r}: not a bundled model ({names}), a run folder or a checkpoint file"
    )


def load_checkpoint(name_or_path: str) -> tuple[Path, dict[str, torch.Tensor], dict]:
    """(stem, tensors, meta) of a bundled model, a checkpoint, or a run folder's newest checkpoint that reads
    whole: a newer damaged one (truncated by a crash, say) is passed over with a warning."""
    path = Path(name_or_path)
    if path.is_dir() and str(name_or_path) not in bundled_models():
        stem, tensors, meta, damaged = ckpt.load_newest(path)
        for bad, reason in damaged:
            log.warning("warning: checkpoint %s is damaged (%s); using %s instead (`train --resume` moves damaged "
                        "checkpoints aside)", bad, reason, stem.name)
        return stem, tensors, meta
    stem = _resolve(str(name_or_path))
    return (stem, *ckpt.load_pair(stem))


def load_model(name_or_path: str, device: str = "cpu") -> LoadedModel:
    """A generator in eval mode; the EMA weights when the checkpoint has them."""
    stem, tensors, meta = load_checkpoint(str(name_or_path))
    cfg = ckpt.config_from_meta(meta, stem)
    if cfg.model.kind != "voxel":
        raise ckpt.CheckpointError(f"{stem} is a {cfg.model.kind} model: it makes images, not 3D shapes to export")
    prefix = "generator_ema" if any(k.startswith("generator_ema.") for k in tensors) else "generator"
    with torch.random.fork_rng(devices=[]):  # the random init, overwritten below, must not move the caller's RNG
        generator = ckpt.build_fitting(lambda: VoxelGenerator(cfg.model), prefix, tensors, stem)
    damaged = [k for k, t in tensors.items() if k.startswith(prefix + ".") and t.is_floating_point()
               and not bool(torch.isfinite(t).all())]
    if damaged:  # it would sample NaN grids, which every export stage then refuses for another reason
        raise ckpt.CheckpointError(f"{stem}.safetensors holds weights that are not finite numbers ({damaged[0]}, "
                                   "...): the file is damaged or its training diverged; use an earlier checkpoint")
    ckpt.load_module(prefix, generator, tensors, stem)
    card = model_card(meta, stem)
    return LoadedModel(card.get("name") or unnamed_model_label(stem), cfg, generator.to(device).eval(), card)


def model_card(meta: dict, stem: Path) -> dict:
    """A checkpoint's model card ({} when it has none); CheckpointError when it is not a JSON object."""
    card = meta.get("card", {})
    if not isinstance(card, dict):
        raise ckpt.CheckpointError(f"{Path(stem).with_suffix('.json')}: \"card\" must be a JSON object, not "
                                   f"{type(card).__name__}; fix or remove it")
    return card


def latents(seed: int, n: int, z_dim: int, start: int = 0) -> np.ndarray:
    """(n, z_dim) float32 normal latents start..start+n-1 of a seed; latent i of a seed does not depend on n
    (nor on start: latents(s, 1, d, start=i)[0] is latents(s, i + 1, d)[i], without drawing the i before it)."""
    out = np.empty((n, z_dim), np.float32)
    for k in range(n):
        out[k] = np.random.default_rng([seed, start + k]).standard_normal(z_dim, dtype=np.float32)
    return out


@torch.no_grad()
def sample_voxels(model: LoadedModel, z: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """z (n, z_dim) -> occupancy (n, R, R, R) float32 in [0, 1], indexed [x, y, z], +Y up."""
    device = next(model.generator.parameters()).device
    outs = []
    for i in range(0, len(z), batch_size):
        zb = torch.from_numpy(np.ascontiguousarray(z[i:i + batch_size])).to(device)
        outs.append(model.generator(zb)[:, 0].float().cpu().numpy())  # channel 0: occupancy / density
    r = model.config.model.voxel_res
    return np.concatenate(outs) if outs else np.zeros((0, r, r, r), np.float32)


def save_generator(stem: Path, generator: VoxelGenerator, cfg: Config, card: dict | None = None,
                   half: bool = False, int8: bool = False) -> None:
    """Write a generator-only checkpoint pair (for shipping). half=True stores fp16 weights;
    int8=True stores convolution weights as int8 with per-channel scales (iggan.quantize) and the
    rest as fp16, a quarter of fp32."""
    tensors = ckpt.state_dict_tensors("generator_ema", generator)
    if half or int8:
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    if int8:
        tensors = quantize_int8(tensors)
    meta = {"kind": "generator", "config": cfg.to_dict(), "card": card or {}}
    if int8:
        meta["weights"] = "int8 convolution weights, one fp32 scale per output channel (iggan/quantize.py)"
    ckpt.save_pair(Path(stem), tensors, meta)


def save_random_model(path: str | Path, preset_name: str = "tiny", seed: int = 0) -> Path:
    """An untrained generator checkpoint, for tests and benchmarks. Returns the stem."""
    cfg = preset(preset_name)
    stem = Path(path)
    stem = stem.with_suffix("") if stem.suffix in (".safetensors", ".json") else stem
    with torch.random.fork_rng(devices=[]):  # seeded here, leaving the caller's RNG as it was
        torch.manual_seed(seed)
        generator = VoxelGenerator(cfg.model)
    save_generator(stem, generator, cfg, {"name": stem.name})
    return stem
