"""The 3D-supervised ceiling: how close to the data floor can the chairs generator get when it sees
the training chairs' voxels directly instead of images?

Issue 8 aims for a held-out 1-NNA within 10 points of the data floor (0.495). IG-GAN's G learns
from unposed 2D renders only, and after session 11 it stopped moving (0.68 held-out). This trains
the *same* generator (architecture and config of the bundled chairs, or a wider one) as a plain
3D GAN (Wu et al. 2016 layout; non-saturating loss, R1, EMA, as `train` uses) on the same 854
training grids (.data/chairs_train32.npz; any voxel .npz, turned +Y up by its 'up' entry as `train`
does), with a 3D convolutional discriminator.

It answers which side of the design the gap is on:
- if this reaches the aim, the generator can represent the missing chairs, and the gap is what 2D
  supervision leaves ambiguous;
- if it stops near IG-GAN's figure, the limit is the generator or the 854 chairs, and more image
  training cannot close it.

A diagnostic only: the result saw 3D data and is never shipped (the bundled models see images only).
Writes DIR/g_<step> generator checkpoints that `iggan-assets evaluate` loads, and DIR/state (safetensors
+ JSON) to resume across device calls:

    python3 -P benchmarks/voxel_gan_ceiling.py .data/chairs_train32.npz runs/vox3d --time-limit 500 --device cuda
    iggan-assets evaluate runs/vox3d/g_00020000 --data .data/chairs128_heldout --samples 50 \\
        --reference-shapes ../shared/data/modelnet10-chairs-32.npz --reference-slice 789:889 --shape-repeats 5 --json
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from iggan import checkpoint as ckpt
from iggan.eval.models import EvalError, load_grids, parse_slice
from iggan.losses import d_loss, g_loss, r1_penalty
from iggan.meshes import SourceError, voxel_up
from iggan.models.generator import VoxelGenerator
from iggan.sampling import load_model, save_generator


class VoxelDiscriminator(nn.Module):
    """D(x): grids (B, 1, R, R, R) in [0, 1] -> logits (B,). Stride-2 3D convs down to 4^3 with
    spectral norm (as the image D), channels doubling from `channels`."""

    def __init__(self, res: int = 32, channels: int = 32):
        super().__init__()
        downs = int(math.log2(res)) - 2
        if 2 ** (downs + 2) != res or downs < 1:
            raise ValueError(f"voxel resolution must be a power of two >= 8, got {res}")
        layers: list[nn.Module] = []
        ch_in, ch = 1, channels
        for _ in range(downs):
            layers += [spectral_norm(nn.Conv3d(ch_in, ch, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
            ch_in, ch = ch, min(ch * 2, 512)
        layers += [spectral_norm(nn.Conv3d(ch_in, 1, 4))]
        self.net = nn.Sequential(*layers)

    def forward(self, grids: torch.Tensor) -> torch.Tensor:
        return self.net(grids * 2.0 - 1.0).flatten()


@dataclasses.dataclass
class Arm:
    """One training run: G (+ EMA copy), D, their optimizers, the step reached."""
    cfg: object
    generator: VoxelGenerator
    ema: VoxelGenerator
    disc: VoxelDiscriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    step: int = 0


def make_arm(init: str, gen_channels: int | None, disc_channels: int, lr: float, device: str,
             warm: bool = False, gen_upsample: str | None = None) -> Arm:
    """G with the config of `init` (a bundled model or checkpoint): fresh, its width overridden by
    gen_channels and its upsampling by gen_upsample, or with warm=True `init`'s own (EMA) weights; a fresh
    3D D; Adam for both with the config's betas."""
    base = load_model(init)
    cfg = base.config
    if warm:
        if gen_channels is not None and gen_channels != cfg.model.gen_channels:
            raise SystemExit(f"--warm keeps {init}'s width ({cfg.model.gen_channels}); drop --gen-channels or --warm")
        if gen_upsample is not None and gen_upsample != cfg.model.gen_upsample:
            raise SystemExit(f"--warm keeps {init}'s layers; drop --gen-upsample or --warm")
        generator = base.generator.train().requires_grad_(True)
    else:
        model = cfg.model
        if gen_channels is not None:
            model = dataclasses.replace(model, gen_channels=gen_channels)
        if gen_upsample is not None:
            model = dataclasses.replace(model, gen_upsample=gen_upsample)
        cfg = dataclasses.replace(cfg, model=model)
        generator = VoxelGenerator(cfg.model)
    ema = copy.deepcopy(generator).requires_grad_(False)
    disc = VoxelDiscriminator(cfg.model.voxel_res, disc_channels)
    generator, ema, disc = generator.to(device), ema.to(device), disc.to(device)
    betas = tuple(cfg.train.betas)
    return Arm(cfg, generator, ema, disc, torch.optim.Adam(generator.parameters(), lr, betas=betas),
               torch.optim.Adam(disc.parameters(), lr, betas=betas))


def train_step(arm: Arm, real: torch.Tensor, r1_gamma: float, ema_decay: float) -> dict[str, torch.Tensor]:
    """One D and one G update on real grids (B, 1, R, R, R) {0, 1}. Returns detached scalars (read
    them only when logging: each read waits for the GPU)."""
    b = len(real)
    z = torch.randn(b, arm.cfg.model.z_dim, device=real.device)
    fake = arm.generator(z)
    real = real.requires_grad_(r1_gamma > 0)
    real_logits = arm.disc(real)
    loss_d = d_loss(real_logits, arm.disc(fake.detach()))
    if r1_gamma > 0:
        loss_d = loss_d + 0.5 * r1_gamma * r1_penalty(real_logits, real)
    arm.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    arm.opt_d.step()
    loss_g = g_loss(arm.disc(fake))
    arm.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    arm.opt_g.step()
    with torch.no_grad():
        for pe, p in zip(arm.ema.parameters(), arm.generator.parameters()):
            pe.lerp_(p, 1.0 - ema_decay)
        for be, bb in zip(arm.ema.buffers(), arm.generator.buffers()):
            be.copy_(bb)
    arm.step += 1
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "occupancy": fake.detach().mean()}


def save_state(arm: Arm, out: Path, int8: bool = False) -> None:
    """Everything needed to resume, as safetensors + JSON (atomic), and the EMA G for `evaluate`."""
    tensors = {**ckpt.state_dict_tensors("generator", arm.generator),
               **ckpt.state_dict_tensors("generator_ema", arm.ema),
               **ckpt.state_dict_tensors("disc", arm.disc)}
    plain = {}
    for name, opt in (("opt_g", arm.opt_g), ("opt_d", arm.opt_d)):
        t, p = ckpt.optimizer_tensors(name, opt)
        tensors.update(t)
        plain[name] = p
    ckpt.save_pair(out / "state", {k: v.detach().cpu().contiguous() for k, v in tensors.items()},
                   {"kind": "voxel_gan_ceiling", "config": arm.cfg.to_dict(), "step": arm.step, "optimizers": plain})
    card = {"name": f"voxel-gan-ceiling-{arm.step}",
            "description": "3D-supervised diagnostic (benchmarks/voxel_gan_ceiling.py); never shipped"}
    # fp16 (12 MB for the 256-channel G) or int8 (as the bundles): within what a device call returns
    save_generator(out / f"g_{arm.step:08d}", arm.ema.cpu(), arm.cfg, card, half=True, int8=int8)
    arm.ema.to(next(arm.generator.parameters()).device)


def resume(arm: Arm, out: Path) -> None:
    tensors, meta = ckpt.load_pair(out / "state")
    for prefix, module in (("generator", arm.generator), ("generator_ema", arm.ema), ("disc", arm.disc)):
        ckpt.load_module(prefix, module, tensors, out / "state")
    for name, opt in (("opt_g", arm.opt_g), ("opt_d", arm.opt_d)):
        ckpt.load_optimizer(name, opt, tensors, meta["optimizers"][name])
    arm.step = int(meta["step"])


def load_training_grids(path: Path, window: slice | None) -> torch.Tensor:
    """.npz with 'voxels' (N, R, R, R) -> (N', 1, R, R, R) float {0, 1}, +Y up (the frame G makes), turned
    by the file's 'up' entry (ModelNet's Z-up when it has none), as `train --data voxels:` does."""
    try:
        grids = load_grids(path, window, voxel_up(str(path)))
    except (EvalError, SourceError, OSError, ValueError) as exc:
        raise SystemExit(f"{path}: {exc}; pass an .npz of voxel grids, e.g. from `iggan-assets voxelize`") from exc
    return torch.from_numpy(grids.astype(np.float32))[:, None]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path, help=".npz of training grids (key 'voxels'; 'up' entry y or z)")
    p.add_argument("out", type=Path)
    p.add_argument("--init", default="chairs", help="model whose config (and with --warm, weights) G takes")
    p.add_argument("--warm", action="store_true", help="start G from --init's weights instead of fresh")
    p.add_argument("--gen-channels", type=int, default=None, help="override G's width (fresh G)")
    p.add_argument("--gen-upsample", choices=("transposed", "resize"), default=None,
                   help="override how G doubles its grid (fresh G): the bundles' transposed convolutions, or "
                   "nearest-neighbour doubling + a 3^3 convolution")
    p.add_argument("--disc-channels", type=int, default=32)
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--time-limit", type=float, default=0.0, help="seconds; 0 = none")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--r1-gamma", type=float, default=1.0)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--save-every", type=int, default=5000)
    p.add_argument("--int8", action="store_true", help="write G files with int8 weights, as the bundles")
    p.add_argument("--slice", default=None, help="A:B rows of the data to train on")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    try:
        window = parse_slice(a.slice)
    except EvalError as exc:
        raise SystemExit(f"--slice: {exc}") from exc
    data = load_training_grids(a.data, window).to(a.device)
    arm = make_arm(a.init, a.gen_channels, a.disc_channels, a.lr, a.device, warm=a.warm, gen_upsample=a.gen_upsample)
    a.out.mkdir(parents=True, exist_ok=True)
    if (a.out / "state.json").exists():
        resume(arm, a.out)
        print(f"resumed at step {arm.step}")
    start, t0, log = arm.step, time.time(), (a.out / "losses.jsonl").open("a")
    while arm.step < a.steps and not (a.time_limit and time.time() - t0 > a.time_limit):
        real = data[torch.randint(len(data), (a.batch,), device=a.device)]
        stats = train_step(arm, real, a.r1_gamma, a.ema_decay)
        if arm.step % 100 == 0:
            log.write(json.dumps({"step": arm.step, **{k: round(float(v), 5) for k, v in stats.items()}}) + "\n")
            log.flush()
        if arm.step % a.save_every == 0:
            save_state(arm, a.out, a.int8)
    save_state(arm, a.out, a.int8)
    dt = time.time() - t0
    print(f"{a.out}: steps {start} -> {arm.step} in {dt:.0f} s ({(arm.step - start) / max(dt, 1e-9):.1f} steps/s)")


if __name__ == "__main__":
    main()
