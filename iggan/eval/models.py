"""What `evaluate` can evaluate: a voxel generator, a 2D DCGAN baseline, or a fixed set of real
voxel grids (`voxels:FILE.npz?slice=A:B&up=z`, the "data floor": real shapes scored like a model).

Each is a `Subject` that yields voxel grids (or, for the 2D DCGAN, images) from a seed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import checkpoint as ckpt
from ..config import Config, ViewConfig
from ..npz import is_cubic_stack, open_npz, solid_cells
from ..sampling import latents, load_checkpoint, model_card


class EvalError(ValueError):
    """The run, data or reference shapes cannot be evaluated; the message says why and what to do."""


@dataclass
class Subject:
    """name; config (views and image size); kind 'voxel' | 'images' | 'grids'."""

    name: str
    config: Config
    kind: str
    module: torch.nn.Module | None = None
    grids: np.ndarray | None = None  # kind 'grids': (N, R, R, R) bool, +Y up
    card: dict = field(default_factory=dict)

    @torch.no_grad()
    def sample_grids(self, n: int, seed: int = 0, batch_size: int = 16) -> np.ndarray:
        """(n, R, R, R) float32 occupancy in [0, 1] ([x, y, z], +Y up). Grids sets return their first n."""
        if self.kind == "grids":
            if n > len(self.grids):
                raise EvalError(f"{self.name} holds {len(self.grids)} grids; asked for {n}")
            return self.grids[:n].astype(np.float32)
        if self.kind != "voxel":
            raise EvalError(f"{self.name} is a 2D image model: it has no 3D shapes")
        z = latents(seed, n, self.config.model.z_dim)
        device = next(self.module.parameters()).device
        out = [self.module(torch.from_numpy(z[i:i + batch_size]).to(device))[:, 0].float().cpu().numpy()
               for i in range(0, n, batch_size)]
        return np.concatenate(out)

    @torch.no_grad()
    def sample_images(self, n: int, seed: int = 0, batch_size: int = 64) -> np.ndarray:
        """2D models only: (n, S, S) float32 in [0, 1]."""
        z = latents(seed, n, self.config.model.z_dim)
        device = next(self.module.parameters()).device
        out = [self.module(torch.from_numpy(z[i:i + batch_size]).to(device))[:, 0].float().cpu().numpy()
               for i in range(0, n, batch_size)]
        return np.concatenate(out)


def to_y_up(grids: np.ndarray, up: str) -> np.ndarray:
    """(N, R, R, R) grids with `up` ('y' or 'z') as their up axis -> +Y up ([x, y, z]).
    The same proper rotation as `iggan.meshes.voxel_object` (old +Z becomes +Y), so the shapes
    match the renders made by `render-dataset`."""
    if up == "y":
        return grids
    if up != "z":
        raise EvalError(f"up axis must be 'y' or 'z', not {up!r}")
    return np.ascontiguousarray(np.transpose(grids, (0, 1, 3, 2))[:, :, :, ::-1])


def load_grids(path: str | Path, window: slice | None = None, up: str = "z",
               label: str = "reference shapes") -> np.ndarray:
    """Voxel grids from an .npz (key 'voxels', (N, R, R, R)) -> (N', R, R, R) bool, +Y up.
    `label` names the file's role in messages (e.g. '--reference-shapes', 'the shapes to evaluate')."""
    path = Path(path)
    where = f"{path} ({label})"
    wanted = "pass an .npz with an array 'voxels' (N, R, R, R)"
    if path.is_dir():
        raise EvalError(f"{where} is a folder, not an .npz; {wanted}")
    if not path.is_file():
        raise EvalError(f"{where} does not exist; {wanted}")
    try:
        with open_npz(path) as data:
            if "voxels" not in data:
                raise EvalError(f"{where} has no array 'voxels' (found {sorted(data.keys())})")
            grids = np.asarray(data["voxels"])
    except (OSError, ValueError) as exc:
        if isinstance(exc, EvalError):
            raise
        raise EvalError(f"{where} is not a readable .npz ({exc})") from exc
    if not is_cubic_stack(grids.shape):
        raise EvalError(f"{where}: 'voxels' has shape {grids.shape}; expected cubic grids (N, R, R, R)")
    held = len(grids)
    if held == 0:
        raise EvalError(f"{where}: 'voxels' holds no grids")
    if window is not None:
        grids = grids[window]
        if len(grids) == 0:
            raise EvalError(f"{where}: the slice {format_slice(window)} selects no grids; the file holds {held} "
                            f"(0:{held} is all of them)")
    return to_y_up(solid_cells(grids), up)  # the rule train and voxelize read the same file by


def parse_slice(text: str | None) -> slice | None:
    if not text:
        return None
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        return slice(*[int(p) if p.strip() else None for p in parts])
    except ValueError as exc:
        raise EvalError(f"slice must look like START:STOP (e.g. 789:889), not {text!r}") from exc


def format_slice(s: slice | None) -> str:
    """slice(789, 889) -> '789:889', as parse_slice reads it (None: ':', all)."""
    return ":" if s is None else f"{'' if s.start is None else s.start}:{'' if s.stop is None else s.stop}"


def load_subject(spec: str, device: str = "cpu") -> Subject:
    """A bundled model name, a run folder, a checkpoint, or `voxels:FILE.npz[?slice=A:B&up=z|y]`."""
    if spec.startswith("voxels:"):
        from urllib.parse import parse_qs

        path, _, query = spec[len("voxels:"):].partition("?")
        opts = {k: v[-1] for k, v in parse_qs(query).items()}
        unknown = set(opts) - {"slice", "up"}
        if unknown:
            raise EvalError(f"unknown option(s) {sorted(unknown)} in {spec!r}; valid: slice, up")
        grids = load_grids(path, parse_slice(opts.get("slice")), opts.get("up", "z"), label="the shapes to evaluate")
        cfg = Config()
        cfg.model.voxel_res = grids.shape[1]
        cfg.model.image_size = 64
        return Subject(f"{Path(path).name}[{opts.get('slice', ':')}]", cfg, "grids", grids=grids)
    try:
        stem, tensors, meta = load_checkpoint(spec)
        cfg = ckpt.config_from_meta(meta, stem)
    except ckpt.CheckpointError as exc:
        raise EvalError(str(exc)) from exc
    if cfg.model.kind == "dcgan2d":
        from ..models.dcgan2d import ImageGenerator as build
        kind = "images"
    else:
        from ..models.generator import VoxelGenerator as build
        kind = "voxel"
    prefix = "generator_ema" if any(k.startswith("generator_ema.") for k in tensors) else "generator"
    try:
        module = ckpt.build_fitting(lambda: build(cfg.model), prefix, tensors, stem)
        ckpt.load_module(prefix, module, tensors, stem)
        card = model_card(meta, stem)
    except (ckpt.CheckpointError, ValueError) as exc:  # ValueError: a config no network can be built from
        raise EvalError(str(exc)) from exc
    name = card.get("name") or (spec if not Path(spec).exists() else Path(spec).name)
    return Subject(name, cfg, kind, module=module.to(device).eval(), card=card)


def views_of(cfg: Config) -> ViewConfig:
    return cfg.views
