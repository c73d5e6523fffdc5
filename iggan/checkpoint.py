"""Checkpoints: safetensors for tensors, JSON for the config and everything else. Never pickle.

A checkpoint is a pair ``<stem>.safetensors`` + ``<stem>.json``. The JSON is written last and
names the step, so a pair whose JSON exists is complete. Both are written to temporary files and
renamed, so a crash never leaves a half-written checkpoint under the real name.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .config import Config
from .quantize import dequantize, is_quantized
from .temporary_files import temporary_file_beside

FORMAT = "iggan-assets/1"


class CheckpointError(ValueError):
    """A checkpoint is missing, truncated, or not one of ours. The message says what to do."""


class DamagedCheckpoint(CheckpointError):
    """A checkpoint file is truncated or corrupt; `reason` says which file and how, in a few words."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write data to path whole or not at all (a temporary file, then a rename); a failed write removes the
    temporary file and raises OSError (disk full, read-only, ...) with the existing file untouched."""
    tmp = temporary_file_beside(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    tmp = temporary_file_beside(path)
    try:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
        os.replace(tmp, path)
    except SafetensorError as exc:  # an I/O failure inside the Rust writer: an OSError like any other write's
        tmp.unlink(missing_ok=True)
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found.group(1)) if found else None
        raise OSError(code, os.strerror(code) if code else str(exc), str(path)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_pair(stem: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Write <stem>.safetensors then <stem>.json, each atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    _atomic_save_tensors(tensors, stem.with_suffix(".safetensors"))
    meta = {"format": FORMAT, **meta}
    atomic_write_bytes(stem.with_suffix(".json"), json.dumps(meta, indent=2).encode())


def load_pair(stem_or_file: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint pair; raise CheckpointError with a fix on anything wrong."""
    stem = Path(stem_or_file)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    weights, meta_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    for p in (weights, meta_path):
        if not p.is_file():
            raise CheckpointError(f"checkpoint file {p} is missing; a checkpoint is a .safetensors + .json pair")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DamagedCheckpoint(f"{meta_path} is not valid JSON ({exc}); the file is corrupt, use an earlier checkpoint",
                                f"{meta_path.name} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path} is not an iggan-assets checkpoint (format {FORMAT!r} expected)")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DamagedCheckpoint(
            f"{weights} could not be read ({exc}); it is truncated or corrupt. Use an earlier checkpoint "
            "(runs keep the last few) or export the model again.",
            f"{weights.name} is truncated or corrupt: {exc}",
        ) from exc
    if is_quantized(tensors):  # shipped int8 weights: every caller sees float32
        try:
            tensors = dequantize(tensors)
        except ValueError as exc:
            raise CheckpointError(f"{weights} is damaged ({exc}); reinstall the package or bundle the model again "
                                  "with scripts/bundle_model.py") from exc
    return tensors, meta


def config_from_meta(meta: dict[str, Any], where: Path) -> Config:
    """The Config stored in a checkpoint's JSON `meta` (or a run's config.json as {"config": ...}). Raises
    CheckpointError naming the JSON file and the bad key: "runs/c1/config.json: train.steps must be an
    integer >= 1, not 'abc'"."""
    where = Path(where)
    json_file = where if where.suffix == ".json" else where.with_suffix(".json")
    if "config" not in meta:
        raise CheckpointError(f"{json_file} holds no config; it is not a model or training checkpoint")
    try:
        return Config.from_dict(meta["config"])
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{json_file}: {exc}") from exc


_STEP = re.compile(r"^ckpt_(\d+)\.json$")


def list_checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints in a run's checkpoints/ folder, oldest first: [(step, stem)]."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _STEP.match(p.name)
        if m and p.with_suffix(".safetensors").is_file():
            found.append((int(m.group(1)), p.with_suffix("")))
    return sorted(found)


def load_newest(run_dir: Path) -> tuple[Path, dict[str, torch.Tensor], dict[str, Any], list[tuple[Path, str]]]:
    """The newest checkpoint of a run that reads whole: (stem, tensors, meta, damaged), where damaged lists each
    newer one that could not be read, [(stem, reason)], newest first. A crash or a full disk can leave the
    newest pair damaged while the ones before it are fine. Raises CheckpointError when none reads."""
    found = list_checkpoints(run_dir)
    if not found:
        raise CheckpointError(f"run folder {run_dir} has no complete checkpoint in {Path(run_dir) / 'checkpoints'}")
    damaged = []
    for _, stem in reversed(found):
        try:
            tensors, meta = load_pair(stem)
        except DamagedCheckpoint as exc:
            damaged.append((stem, exc.reason))
            continue
        return stem, tensors, meta, damaged
    raise CheckpointError(f"none of the {len(found)} checkpoint(s) in {Path(run_dir) / 'checkpoints'} reads whole ("
                          + "; ".join(reason for _, reason in damaged) + "); start a new run with another --out")


def move_aside(stem: Path) -> Path:
    """Rename a damaged pair <stem>.json/.safetensors to <stem>.damaged[-N].json/.safetensors, which no run
    lists, so the run goes on from the one before it; nothing is deleted. Returns the new stem."""
    for n in range(1, 1000):
        aside = stem.with_name(f"{stem.name}.damaged" + (f"-{n}" if n > 1 else ""))
        if not any(aside.with_name(aside.name + s).exists() for s in (".json", ".safetensors")):
            break
    for suffix in (".json", ".safetensors"):  # JSON first: a pair without its JSON is not listed
        if Path(f"{stem}{suffix}").exists():
            os.replace(f"{stem}{suffix}", f"{aside}{suffix}")
    return aside


def checkpoint_stem(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"ckpt_{step:08d}"


def prune_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the newest `keep` checkpoints."""
    for _, stem in list_checkpoints(run_dir)[:-keep] if keep > 0 else []:
        for suffix in (".json", ".safetensors"):  # JSON first: an orphan .safetensors is ignored
            stem.with_suffix(suffix).unlink(missing_ok=True)


def state_dict_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def build_fitting(build, prefix: str, tensors: dict[str, torch.Tensor], where: Path) -> torch.nn.Module:
    """`build()`, a module made from a checkpoint's config, once its weights' shapes are known to match the
    checkpoint's `prefix.*` tensors. It is first built on the meta device (no memory): a config that claims
    gen_channels 10**7 would otherwise allocate terabytes before load_module finds that it does not fit.
    Raises CheckpointError naming the first weight that is missing or of another shape."""
    with torch.device("meta"):
        wanted = {k: tuple(v.shape) for k, v in build().state_dict().items()}
    theirs = {k[len(prefix) + 1:]: tuple(v.shape) for k, v in tensors.items() if k.startswith(prefix + ".")}
    for key, shape in wanted.items():
        if theirs.get(key) != shape:
            held = "is missing" if key not in theirs else f"has shape {list(theirs[key])}"
            raise CheckpointError(f"{where}: weights for {prefix!r} do not fit the model in its config ({prefix}.{key} "
                                  f"{held}, the config needs {list(shape)}); the .json and .safetensors are not "
                                  "one pair: use the pair as written, or an earlier checkpoint")
    return build()


def load_module(prefix: str, module: torch.nn.Module, tensors: dict[str, torch.Tensor], where: Path) -> None:
    sd = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    try:
        module.load_state_dict({k: v.to(module.state_dict()[k].dtype) if k in module.state_dict() else v for k, v in sd.items()})
    except RuntimeError as exc:
        raise CheckpointError(f"{where}: weights for {prefix!r} do not fit the model in its config ({exc})") from exc


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state into tensors (safetensors) and plain values (JSON)."""
    sd = opt.state_dict()
    tensors, plain = {}, {"param_groups": sd["param_groups"], "state": {}}
    for idx, state in sd["state"].items():
        plain["state"][str(idx)] = {}
        for name, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{prefix}.{idx}.{name}"] = value
            else:
                plain["state"][str(idx)][name] = value
    return tensors, plain


def load_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], plain: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for idx, values in plain["state"].items():
        state[int(idx)] = dict(values)
    for key, value in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1:].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    groups = plain["param_groups"]
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    opt.load_state_dict({"state": state, "param_groups": groups})


def make_portable(src: Path, dst: Path) -> Path:
    """Copy a training checkpoint without optimizer state, weights in fp16 (about 1/4 the size).

    For moving a run between machines with size limits. `Trainer.load` accepts it; the Adam
    moments then restart from zero, so the continued run is not bit-identical.
    """
    tensors, meta = load_pair(src)
    keep = {k: (v.half() if v.is_floating_point() else v) for k, v in tensors.items() if not k.startswith("opt_")}
    meta = {k: v for k, v in meta.items() if k not in ("optimizers", "format")}
    meta["portable"] = True
    save_pair(Path(dst), keep, meta)
    return Path(dst)
