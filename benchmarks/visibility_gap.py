"""Is the bundled chairs' 1-NNA gap in parts of the shape that no training view can see?

Images, however well lit, can at best tell a renderer's depth map: the empty space that some camera
looks into. Space that every camera's line of sight is blocked from (the gap between a doubled seat
plate, a pocket under a seat, a sealed cavity) is free for G to fill or leave as it likes. This script
replaces every shape, generated and real, by its *view closure*: the shape plus all empty voxels
that no view of the training range (azimuth 0-360, elevation -30 to 60 degrees, orthographic) can see.
Two shapes with the same closure have the same depth map from every one of those views.

It then scores 1-NNA as `evaluate` does (512 surface points, 12 yaws, binarised at 0.5) on raw shapes
and on closures: G's samples against held-out real chairs 789:889, and real training chairs 0:100
against the same (the data floor). If the closures' gap is much smaller than the raw gap, what
1-NNA counts lies where images cannot look, and no image-only training can be expected to close it.

`depth_images` gives orthographic depth maps through the same rays: the most a single view can show of a
shape, which `disc_variety.py --lighting depth` judges.

    python benchmarks/visibility_gap.py [--model chairs] [--draws 3]
    python benchmarks/visibility_gap.py --depth-sheet docs/images/depth_maps.png
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from iggan.cameras import Views, pose_theta
from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import shape_metrics

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
HELD_OUT, TRAIN = slice(789, 889), slice(0, 100)


def view_grid(azimuths: int = 12, elevations: tuple[float, ...] = (-30.0, 0.0, 30.0, 60.0)) -> Views:
    """azimuths x len(elevations) views (degrees in, radians out), azimuth-major: (A*E,)."""
    az = torch.arange(azimuths, dtype=torch.float32) * (2 * math.pi / azimuths)
    el = torch.deg2rad(torch.tensor(elevations, dtype=torch.float32))
    return Views(az.repeat_interleave(len(el)), el.repeat(azimuths))


# The object's [-0.5, 0.5] cube lies within a sphere of radius 0.87 about its centre, so every view's
# rays only need to span that much of pose_theta's volume (which reaches +-1).
SPAN = 0.87


def _solid_along_rays(vox: torch.Tensor, theta: torch.Tensor, n_depth: int, n_lateral: int) -> torch.Tensor:
    """Parallel rays through grids: vox (B, 1, R, R, R), theta (B, 3, 4) as pose_theta's -> (B, 1, n_depth,
    n_lateral, n_lateral) bool, whether each sample lies in a solid voxel (nearest: exact membership, so a
    one-voxel plate blocks every ray that crosses it). Depth 0 is nearest the camera."""
    rays = F.affine_grid(theta, [len(theta), 1, n_depth, n_lateral, n_lateral], align_corners=False)
    return F.grid_sample(vox, rays, mode="nearest", padding_mode="zeros", align_corners=False) > 0.5


def visible_empty(grid: np.ndarray, views: Views, lateral: float = 2.0, depth: float = 2.0, chunk: int = 16,
                  device: str = "cpu") -> np.ndarray:
    """Empty voxels that at least one view sees: (R, R, R) bool grid ([x, y, z], +Y up) -> (R, R, R) bool.

    Each view casts parallel rays, `lateral` per voxel width across the image and `depth` samples per
    voxel along each ray (_solid_along_rays), marks every sample with a solid one in front of it, and
    reads that mark back at the world voxel centres (nearest ray and sample)."""
    res = grid.shape[0]
    n_lat = int(round(2 * SPAN * res * lateral / 2))  # the volume spans 2 * SPAN camera units = SPAN * res voxels
    n_dep = int(round(2 * SPAN * res * depth / 2))
    vox = torch.from_numpy(np.ascontiguousarray(grid, dtype=np.float32))[None, None].to(device)
    seen = torch.zeros(res, res, res, dtype=torch.bool, device=device)
    for start in range(0, len(views), chunk):
        part = views[start:start + chunk]
        theta = pose_theta(part, device=device)
        theta[:, :, :3] *= SPAN
        solid = _solid_along_rays(vox.expand(len(part), -1, -1, -1, -1), theta, n_dep, n_lat)
        # blocked[d] = any solid sample at depth < d (depth 0 is nearest the camera)
        blocked = torch.cumsum(solid, dim=2, dtype=torch.int16) - solid.to(torch.int16) > 0
        # world voxel centres -> this view's normalised ray coords: the inverse of theta
        inv = torch.zeros_like(theta)
        inv[:, :, :3] = torch.linalg.inv(theta[:, :, :3])
        centres = F.affine_grid(inv, [len(part), 1, res, res, res], align_corners=False)
        back = F.grid_sample((~blocked).float(), centres, mode="nearest", padding_mode="border", align_corners=False)
        seen |= (back[:, 0] > 0.5).any(0)
    return seen.cpu().numpy() & ~grid


def depth_images(grids: np.ndarray, views: Views, size: int, chunk: int = 16, device: str = "cpu") -> np.ndarray:
    """Orthographic depth maps: (N, R, R, R) bool grids ([x, y, z], +Y up), views (N,) -> (N, S, S) float32,
    framed as the reference renders (the image spans twice the object's cube), 1 - (depth of the first
    solid sample) / S with `size` samples along each ray (2 per voxel at S = 4R), 0 where the ray misses."""
    out = np.zeros((len(grids), size, size), np.float32)
    for start in range(0, len(grids), chunk):
        part = views[start:start + chunk]
        vox = torch.from_numpy(np.ascontiguousarray(grids[start:start + chunk], dtype=np.float32))[:, None].to(device)
        solid = _solid_along_rays(vox, pose_theta(part, device=device), size, size)[:, 0]
        first = solid.to(torch.uint8).argmax(dim=1).float()
        depth = torch.where(solid.any(dim=1), 1.0 - first / size, torch.zeros_like(first))
        out[start:start + len(part)] = depth.cpu().numpy()
    return out


def view_closure(grid: np.ndarray, views: Views, device: str = "cpu") -> np.ndarray:
    """The shape plus every empty voxel no view sees: (R, R, R) bool -> (R, R, R) bool."""
    grid = np.asarray(grid) > 0.5
    return grid | ~visible_empty(grid, views, device=device)  # seen empty space stays empty


def closures(grids: np.ndarray, views: Views, device: str = "cpu") -> np.ndarray:
    """view_closure of each grid: (N, R, R, R) -> (N, R, R, R) bool."""
    return np.stack([view_closure(g, views, device) for g in grids])


def depth_sheet(model: str, reference: str, out: str, n: int = 8, size: int = 128) -> None:
    """Save a PNG: a row of real training chairs' depth maps over a row of G's, at the same random views."""
    from PIL import Image

    from iggan.cameras import sample_views

    subject = load_subject(model)
    real = load_grids(reference, slice(0, 789))
    real = real[np.random.default_rng(1).choice(len(real), n)]
    fake = subject.sample_grids(n, 5) > 0.5
    views = sample_views(n, subject.config.views, torch.Generator().manual_seed(3))
    rows = [np.concatenate(list(depth_images(g, views, size)), axis=1) for g in (real, fake)]
    Image.fromarray((np.concatenate(rows) * 255).round().astype(np.uint8)).save(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--azimuths", type=int, default=12)
    ap.add_argument("--elevations", type=float, nargs="+", default=[-30.0, 0.0, 30.0, 60.0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--reference", default=MODELNET, help="ModelNet10 chairs .npz (z up)")
    ap.add_argument("--save", help="write the closures to this .npz (keys held_out, train, gen_SEED; G's raw draws as gen_raw_SEED)")
    ap.add_argument("--depth-sheet", metavar="PNG", help="only write a sheet of real and G's depth maps")
    args = ap.parse_args()
    if args.depth_sheet:
        depth_sheet(args.model, args.reference, args.depth_sheet)
        return
    views = view_grid(args.azimuths, tuple(args.elevations))
    dev = args.device
    held_out, train = load_grids(args.reference, HELD_OUT), load_grids(args.reference, TRAIN)
    t0 = time.time()
    held_closed, train_closed = closures(held_out, views, dev), closures(train, views, dev)
    saved = {"held_out": held_closed, "train": train_closed}
    subject = load_subject(args.model)
    rows = {"real 0:100 (floor)": [], args.model: []}
    filled = {"real held-out 789:889": float(np.median((held_closed.sum((1, 2, 3)) - held_out.sum((1, 2, 3)))
                                                      / held_out.sum((1, 2, 3))))}
    for seed in range(args.draws):
        gen = subject.sample_grids(len(held_out), seed) > 0.5
        gen_closed = closures(gen, views, dev)
        saved[f"gen_{seed}"], saved[f"gen_raw_{seed}"] = gen_closed, gen
        if seed == 0:
            filled[f"{args.model} (seed 0)"] = float(np.median((gen_closed.sum((1, 2, 3)) - gen.sum((1, 2, 3)))
                                                              / np.maximum(gen.sum((1, 2, 3)), 1)))
        for name, raw, closed in (("real 0:100 (floor)", train, train_closed), (args.model, gen, gen_closed)):
            if name.startswith("real") and seed > 0:
                continue
            rows[name].append((shape_metrics(raw, held_out, seed=seed, device=dev),
                               shape_metrics(closed, held_closed, seed=seed, device=dev)))
        print(f"draw {seed} done, {time.time() - t0:.0f} s", flush=True)
    if args.save:
        np.savez_compressed(args.save, **saved)
    print(f"\n{len(views)} views; hidden voxels the closure adds, per solid voxel (median):")
    for name, share in filled.items():
        print(f"  {name}: {share:.3f}")
    print("\n| shapes vs held-out 789:889 | draws | raw 1-NNA | raw NN home G / R | closure 1-NNA | closure NN home G / R |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, pairs in rows.items():
        print(f"| {name} | {len(pairs)} | {_cells([p[0] for p in pairs])} | {_cells([p[1] for p in pairs])} |")


def _cells(draws: list[dict]) -> str:
    """shape_metrics of several draws -> '1-NNA mean +- std | NN home G / R' table cells."""
    nna = [d["1nna_cd"] for d in draws]
    home_g = np.mean([d["nn_home_generated"] for d in draws])
    home_r = np.mean([d["nn_home_reference"] for d in draws])
    return f"{np.mean(nna):.3f} +- {np.std(nna):.3f} | {home_g:.2f} / {home_r:.2f}"


if __name__ == "__main__":
    main()
