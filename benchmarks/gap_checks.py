"""Four checks of what the bundled chairs' 1-NNA gap is not made of (BENCHMARKS.md, session 19).

Each scores 100 generated shapes against real ModelNet chairs as `evaluate` does (yaw-minimised Chamfer
on 512 surface points, binarised at 0.5):

- yaw: 12 (evaluate's) against 36 yaw angles; if G's chairs faced between the 30-degree steps,
  the finer search would lower 1-NNA (held-out chairs 789:889, seeds 0 and 1).
- directional: each shape's nearest real shape, split into the two halves of the Chamfer distance
  (shape -> real: extra material; real -> shape: missing material), for G's samples and for real
  training chairs 0:100 (held-out chairs 789:889).
- ema: a training checkpoint's raw G against its EMA (selection chairs 689:789, 3 draws).
- structure: the share of voxels a 6-connected opening removes (parts one voxel thin, and the edges
  and corners of thicker ones), the number of connected bodies, and left-right symmetry (soft IoU with
  the reflection about the best x plane, and how often that plane is the grid's middle, which
  `train --symmetric` mirrors about), generated against held-out real chairs.
- lattice: how often upward-facing surfaces sit at an even height and bounding boxes start at an even x
  (about half for real chairs; G's last stride-2 transposed convolution can favour one parity), then
  held-out 1-NNA of G's samples as drawn and after a continuous warp (each axis scaled by up to
  +-8%, trilinear on G's soft output) that breaks the lattice (3 draws; session 20).

    python benchmarks/gap_checks.py yaw|directional|structure|lattice [--model chairs]
    python benchmarks/gap_checks.py ema --model runs/chunks_c128d/ckpt_00004888
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy import ndimage

from iggan import checkpoint as ckpt
from iggan.asset_export.clean import fill_cavities
from iggan.asset_export.symmetry import best_mirror_plane
from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import (chamfer_matrix, point_clouds, shape_metrics, surface_mask, thin_share,
                                      yaw_rotations)
from iggan.models.generator import VoxelGenerator
from iggan.sampling import _resolve, latents

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
HELD_OUT, SELECTION, TRAIN = slice(789, 889), slice(689, 789), slice(0, 100)


def _row(name: str, metrics: dict) -> None:
    print(f"{name}: 1-NNA {metrics['1nna_cd']:.3f}, NN home generated {metrics['nn_home_generated']:.2f}, "
          f"real {metrics['nn_home_reference']:.2f}", flush=True)


def check_yaw(model: str) -> None:
    ref, subject = load_grids(MODELNET, HELD_OUT), load_subject(model)
    for seed in (0, 1):
        gen = subject.sample_grids(100, seed) > 0.5
        for angles in (12, 36):
            _row(f"seed {seed}, {angles} yaw angles", shape_metrics(gen, ref, 512, angles, seed))


def directional_halves(shapes: np.ndarray, ref_clouds: np.ndarray) -> tuple[float, float]:
    """Medians over shapes (N, R, R, R) of the two Chamfer halves to each one's nearest reference cloud,
    at the best of 12 yaw angles: (shape -> reference, reference -> shape)."""
    clouds = point_clouds(shapes, 512, 0)
    nearest = chamfer_matrix(clouds, ref_clouds).argmin(1)
    forward, backward = [], []
    for cloud, j in zip(clouds, nearest):
        a, b = torch.from_numpy(cloud), torch.from_numpy(ref_clouds[j])
        halves = []
        for rot in yaw_rotations(12):
            d = torch.cdist(a, b @ rot.T).pow(2)
            halves.append((d.min(1).values.mean().item(), d.min(0).values.mean().item()))
        f, g = min(halves, key=sum)
        forward.append(f)
        backward.append(g)
    return float(np.median(forward)), float(np.median(backward))


def check_directional(model: str) -> None:
    ref_clouds = point_clouds(load_grids(MODELNET, HELD_OUT), 512, 1)
    for name, shapes in (("real training chairs 0:100", load_grids(MODELNET, TRAIN)),
                         (model, load_subject(model).sample_grids(100, 0) > 0.5)):
        f, b = directional_halves(shapes, ref_clouds)
        print(f"{name}: median shape -> nearest real {f:.5f}, nearest real -> shape {b:.5f}", flush=True)


def check_ema(model: str) -> None:
    stem = _resolve(model)
    tensors, meta = ckpt.load_pair(stem)
    cfg = ckpt.config_from_meta(meta, stem)
    ref = load_grids(MODELNET, SELECTION)
    for prefix in ("generator", "generator_ema"):
        G = VoxelGenerator(cfg.model)
        ckpt.load_module(prefix, G, tensors, stem)
        G.float().eval()
        draws = []
        for seed in range(3):
            with torch.no_grad():
                gen = G(torch.from_numpy(latents(seed, 100, cfg.model.z_dim)))[:, 0].numpy() > 0.5
            draws.append(shape_metrics(gen, ref, 512, 12, seed))
        values = ", ".join(f"{d['1nna_cd']:.3f}" for d in draws)
        print(f"{prefix}: 1-NNA {np.mean([d['1nna_cd'] for d in draws]):.3f} (draws {values}), NN home generated "
              f"{np.mean([d['nn_home_generated'] for d in draws]):.2f}", flush=True)


def check_structure(model: str) -> None:
    for name, shapes in (("real held-out chairs", load_grids(MODELNET, HELD_OUT)),
                         (model, load_subject(model).sample_grids(100, 0) > 0.5)):
        planes = [best_mirror_plane(g.astype(np.float32), 0) for g in shapes]  # x (left-right) planes
        middle = sum(p is not None and p[0] == g.shape[0] - 1 for p, g in zip(planes, shapes))
        print(f"{name}: thin share median {np.median([thin_share(g) for g in shapes]):.2f}, surface voxels median "
              f"{np.median([surface_mask(g).sum() for g in shapes]):.0f}, bodies mean "
              f"{np.mean([ndimage.label(g)[1] for g in shapes]):.2f}, mirror IoU about x median "
              f"{np.median([p[1] for p in planes if p is not None]):.3f}, best x plane at the grid's middle "
              f"{middle} of {len(shapes)}", flush=True)


def _filled(grids: np.ndarray) -> np.ndarray:
    return np.stack([fill_cavities(g) for g in grids])


def lattice_parity(grids: np.ndarray) -> tuple[float, float]:
    """Binary grids (N, R, R, R), +Y up -> (share of upward-facing surface voxels at even y, below the grid's
    top layer, and share of shapes whose bounding box starts at even x), cavities filled first. About 0.5
    each without a lattice."""
    filled = _filled(grids)
    up = np.argwhere(filled[:, :, :-1, :] & ~filled[:, :, 1:, :])[:, 2]
    lo_x = [np.argwhere(g)[:, 0].min() for g in filled if g.any()]
    return float(np.mean(up % 2 == 0)), float(np.mean(np.array(lo_x) % 2 == 0))


def seat_heights(grids: np.ndarray) -> np.ndarray:
    """Binary grids (N, R, R, R), +Y up -> (R,) histogram of each shape's fullest horizontal layer (a chair's seat)."""
    return np.bincount(_filled(grids).sum((1, 3)).argmax(1), minlength=grids.shape[2])


def scale_warp(soft: np.ndarray, amp: float, rng: np.random.Generator) -> np.ndarray:
    """Soft grid (R, R, R) -> binary grid: each axis scaled by a factor in [1 - amp, 1 + amp] (x and z about
    the grid's centre, y about the floor), trilinear, thresholded at 0.5."""
    r = soft.shape[0]
    s = 1 + rng.uniform(-amp, amp, 3)
    c = np.array([r / 2, 0, r / 2]) - 0.5
    return ndimage.affine_transform(soft, 1 / s, offset=c - c / s, order=1, mode="grid-constant") > 0.5


def check_lattice(model: str) -> None:
    ref, subject = load_grids(MODELNET, HELD_OUT), load_subject(model)
    up, lo = lattice_parity(ref)
    print(f"real held-out chairs: upward surfaces at even y {up:.3f}, bounding box from even x {lo:.2f}", flush=True)
    for name, shapes in (("real training chairs 0:789", load_grids(MODELNET, slice(0, 789))),
                         (f"{model} (789 samples)", subject.sample_grids(789, 1000) > 0.5)):
        print(f"{name}: seat heights y 8-21 {seat_heights(shapes)[8:22].tolist()}", flush=True)
    for amp in (0.0, 0.08):
        draws = []
        for seed in range(3):
            soft, rng = subject.sample_grids(100, seed), np.random.default_rng(seed)
            gen = np.stack([scale_warp(g, amp, rng) for g in soft]) if amp else soft > 0.5
            draws.append((*lattice_parity(gen), shape_metrics(gen, ref, 512, 12, seed)))
        m = [d[2] for d in draws]
        print(f"{model}, warp +-{amp:.0%}: upward surfaces at even y {np.mean([d[0] for d in draws]):.3f}, bounding "
              f"box from even x {np.mean([d[1] for d in draws]):.2f}; 1-NNA {np.mean([x['1nna_cd'] for x in m]):.3f} "
              f"+- {np.std([x['1nna_cd'] for x in m]):.3f}, NN home generated "
              f"{np.mean([x['nn_home_generated'] for x in m]):.2f}, real {np.mean([x['nn_home_reference'] for x in m]):.2f}",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("check", choices=["yaw", "directional", "ema", "structure", "lattice"])
    ap.add_argument("--model", default="chairs", help="bundled name, run folder or checkpoint (ema: a training "
                    "checkpoint with both generator.* and generator_ema.*)")
    args = ap.parse_args()
    checks = {"yaw": check_yaw, "directional": check_directional, "ema": check_ema, "structure": check_structure,
              "lattice": check_lattice}
    checks[args.check](args.model)


if __name__ == "__main__":
    main()
