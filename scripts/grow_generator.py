"""Grow a trained generator to twice its voxel resolution, keeping what it makes.

Issue 8 experiment (docs/research.md, session 47): does a 64^3 G trained on images keep real-thin parts where the
32^3 bundles thicken? The grown G copies the source's stem and hidden layers (same widths), adds one more doubling,
and learns its two new layers by regressing on the source's samples doubled by nearest neighbour, so it starts as
the source's shapes at 64^3. No data reach it: what it copies was itself learnt from images only.

    python3 -P scripts/grow_generator.py chairs .data/g64/g --steps 400 --device cuda
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from iggan.checkpoint import CheckpointError
from iggan.models.generator import VoxelGenerator
from iggan.sampling import load_model, save_generator


def grown(source: VoxelGenerator, cfg_model) -> tuple[VoxelGenerator, object]:
    """A G at 2x source's resolution whose stem and hidden layers are source's (weights copied); returns (G, its
    ModelConfig). The source's output layer has no counterpart (its width is 1, the grown one's is halved)."""
    model = dataclasses.replace(cfg_model, voxel_res=2 * cfg_model.voxel_res)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        big = VoxelGenerator(model)
    big.stem.load_state_dict(source.stem.state_dict())
    for i, layer in enumerate(source.body[:-1]):  # the hidden layers: same shapes at the same indices
        big.body[i].load_state_dict(layer.state_dict())
    return big, model


def nearest_doubled(grids: torch.Tensor) -> torch.Tensor:
    """(B, C, R, R, R) -> (B, C, 2R, 2R, 2R) by repeating each voxel 2x2x2."""
    return F.interpolate(grids, scale_factor=2, mode="nearest")


def new_layers(big: VoxelGenerator, source: VoxelGenerator) -> list[torch.nn.Parameter]:
    """The parameters of big's layers that source has no copy of: its last doubling, norm and output layer."""
    return [p for layer in big.body[len(source.body) - 1:] for p in layer.parameters()]


def distil(big: VoxelGenerator, source: VoxelGenerator, steps: int, batch: int, lr: float, device: str,
           log_every: int = 50) -> dict:
    """Fit big(z) to nearest_doubled(source(z)) by binary cross-entropy on fresh z each step. Only the new layers
    train: the copied ones already give the source's features, which early gradients through random new layers
    would only disturb. Returns the last IoU at threshold 0.5 and the mean BCE of the last log_every steps."""
    source = source.to(device).eval().requires_grad_(False)
    big = big.to(device).train()
    opt = torch.optim.Adam(new_layers(big, source), lr, betas=(0.5, 0.999))
    gen = torch.Generator(device="cpu").manual_seed(1)
    losses: list[float] = []
    t0 = time.time()
    for step in range(1, steps + 1):
        z = torch.randn(batch, source.z_dim, generator=gen).to(device)
        with torch.no_grad():
            target = nearest_doubled(source(z))
        out = big(z)
        loss = F.binary_cross_entropy(out.clamp(1e-6, 1 - 1e-6), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == steps:
            a, b = out.detach() > 0.5, target > 0.5
            iou = float((a & b).sum() / (a | b).sum().clamp(min=1))
            print(f"step {step}  bce {sum(losses[-log_every:]) / len(losses[-log_every:]):.4f}  iou@0.5 {iou:.4f}  "
                  f"{time.time() - t0:.0f} s", flush=True)
    return {"iou": iou, "bce": sum(losses[-log_every:]) / len(losses[-log_every:])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="generator to grow (bundled name, run folder or checkpoint)")
    p.add_argument("out", type=Path, help="stem of the grown generator's pair (.json + .safetensors)")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    if a.steps < 1 or a.batch < 1:
        raise SystemExit(f"--steps and --batch must be at least 1, got {a.steps} and {a.batch}")
    try:
        src = load_model(a.source)
        big, model = grown(src.generator, src.config.model)
    except (CheckpointError, ValueError) as exc:  # ValueError: a doubled grid past what a generator can be
        raise SystemExit(f"cannot grow {a.source!r}: {exc}; pass a bundled name, run folder or generator "
                         "checkpoint of at most 128^3") from exc
    fit = distil(big, src.generator, a.steps, a.batch, a.lr, a.device)
    cfg = copy.deepcopy(src.config)
    cfg.model = model
    card = {"name": a.out.name, "description": f"{a.source} grown to {model.voxel_res}^3 (scripts/grow_generator.py, "
            f"{a.steps} distillation steps, IoU {fit['iou']:.3f} with its nearest-doubled samples)"}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    save_generator(a.out, big.cpu().eval(), cfg, card)
    print(f"wrote {a.out}.json / .safetensors ({model.voxel_res}^3)")


if __name__ == "__main__":
    main()
