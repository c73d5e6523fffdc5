"""How well does `iggan-assets match` find a shape like the one in a photo? Prints a table.

Real held-out ModelNet chairs (never trained on) are rendered by the reference renderer (Pyrender) from
one random view (azimuth 0..360, elevation 0..40 degrees) and given to the matcher as photos. Each
match is scored against the chair it came from:
- IoU at the photo's view (framed silhouettes, 64 px): does it fit the outline it was given?
- IoU from novel views: the match turned as the matcher estimated, against the chair from 7 other
  azimuths (45 degrees apart, elevation 20): does it look like the chair from where the photo was not taken?
- yaw-minimised Chamfer to the chair (`evaluate`'s distance, 512 surface points).
Baselines: random samples of the model (each posed at its best grid view for the photo, as the
matcher poses its candidates), and the pool's best shape by Chamfer (an oracle that sees the chair in 3D).
The Blender extension's Match Image (blender_addon/outline_match.py: numpy, the same pool, no latent
refinement) gets its own row.

    PYOPENGL_PLATFORM=osmesa python benchmarks/photo_match.py --n 40
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from PIL import Image

from iggan import sampling
from iggan.cameras import Views
from iggan.eval.models import load_grids, parse_slice
from iggan.eval.shape_metrics import chamfer_matrix, point_clouds
from iggan.matching import ShapeMatcher, framed_silhouettes, iou
from iggan.render.reference import PyrenderRenderer

NOVEL_TURNS_DEG = (45, 90, 135, 180, 225, 270, 315)
NOVEL_ELEVATION_DEG = 20.0


def novel_iou(truth: np.ndarray, shapes: np.ndarray, az_truth: float, az_shapes: np.ndarray, view_config) -> np.ndarray:
    """Mean IoU over NOVEL_TURNS_DEG of truth (R, R, R) turned from az_truth against each shape (K, R, R, R)
    turned from its own estimated azimuth az_shapes (K,) -> (K,)."""
    turns = np.radians(NOVEL_TURNS_DEG)
    el = math.radians(NOVEL_ELEVATION_DEG)
    t_views = Views(torch.tensor(az_truth + turns, dtype=torch.float32), torch.full((len(turns),), el))
    t_sil = framed_silhouettes(torch.from_numpy(np.repeat(truth[None], len(turns), 0)), t_views, view_config)
    out = []
    for shape, az in zip(shapes, az_shapes):
        views = Views(torch.tensor(az + turns, dtype=torch.float32), torch.full((len(turns),), el))
        sil = framed_silhouettes(torch.from_numpy(np.repeat(shape[None], len(turns), 0)), views, view_config)
        out.append(float(iou(sil, t_sil).mean()))
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="789:889", help="held-out chairs (the bundled chairs never saw them)")
    ap.add_argument("--n", type=int, default=40, help="chairs (photos) to match")
    ap.add_argument("--pool", type=int, default=512)
    ap.add_argument("--candidates", type=int, default=4, help="pool fits refined")
    ap.add_argument("--steps", type=int, default=40, help="refinement steps (0: the pool's best only)")
    ap.add_argument("--random", type=int, default=50, help="random samples for the baseline")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--second-photo", action="store_true",
                    help="also match each chair from two photos at once (the second from another random view)")
    args = ap.parse_args()

    model = sampling.load_model(args.model)
    truth_all = load_grids(args.reference, parse_slice(args.reference_slice))[:args.n]
    views_cfg = model.config.views
    reference = PyrenderRenderer(128, views_cfg)
    matcher = ShapeMatcher(model, pool=args.pool, refine=args.candidates, steps=args.steps)
    t0 = time.perf_counter()
    z_pool, _ = matcher.pool()
    pool_s = time.perf_counter() - t0
    pool_grids = sampling.sample_voxels(model, z_pool.numpy(), 64) >= matcher.threshold
    pool_clouds = point_clouds(pool_grids, 512)
    rand_idx = np.arange(min(args.random, len(pool_grids)))  # the pool's latents are random draws
    rng = np.random.default_rng(args.seed)
    rng2 = np.random.default_rng(args.seed + 1000)
    coarse = ShapeMatcher(model, pool=args.pool, refine=args.candidates, steps=0)
    coarse.pool()  # the same pool (same seed and settings, read from the cache): the row shows what refinement adds
    from iggan.blender_addon.numpy_generator import load_generator
    from iggan.blender_addon.outline_match import OutlinePool
    from iggan.blender_addon.outline_match import photo_mask as addon_mask
    from iggan.blender_addon.engine import bundled_models
    t0 = time.perf_counter()
    addon_pool = OutlinePool(load_generator(bundled_models().get(args.model, args.model)), matcher.threshold,
                             size=args.pool)
    addon_pool_s = time.perf_counter() - t0
    rows = {k: [] for k in ("match", "coarse", "joint", "addon", "random", "oracle")}
    addon_s = []
    match_s = []
    for i, truth in enumerate(truth_all):
        az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(0, 40))
        photo = Image.fromarray((reference.render_grid(truth, az, el) * 255).astype(np.uint8))
        t = time.perf_counter()
        best = matcher.match_image(photo, keep=1)[0][0]
        match_s.append(time.perf_counter() - t)
        shape = sampling.sample_voxels(model, best.z[None])[0] >= matcher.threshold
        first = coarse.match_image(photo, keep=1)[0][0]
        first_shape = sampling.sample_voxels(model, first.z[None])[0] >= matcher.threshold
        truth_cloud = point_clouds(truth[None], 512)
        d_match = chamfer_matrix(truth_cloud, point_clouds(shape[None], 512))[0, 0]
        d_pool = chamfer_matrix(truth_cloud, pool_clouds)[0]
        # photo-view IoU of the match, and of random samples at their best grid view
        photo_mask = matcher.photo_mask(photo)[0]
        rand_views = matcher.best_views(photo_mask, rand_idx)
        rand_sil = framed_silhouettes(torch.from_numpy(pool_grids[rand_idx]), rand_views, views_cfg)
        match_sil = framed_silhouettes(torch.from_numpy(shape[None]), Views(torch.tensor([best.azimuth]),
                                                                            torch.tensor([best.elevation])), views_cfg)
        target = torch.from_numpy(photo_mask)
        oracle = int(d_pool.argmin())
        oracle_view = matcher.best_views(photo_mask, np.array([oracle]))
        oracle_sil = framed_silhouettes(torch.from_numpy(pool_grids[oracle:oracle + 1]), oracle_view, views_cfg)
        rows["match"].append((float(iou(match_sil, target)[0]),
                              novel_iou(truth, shape[None], az, np.array([best.azimuth]), views_cfg)[0], d_match))
        if args.second_photo:  # its own generator, so the first photos stay those of a plain run
            az2, el2 = rng2.uniform(0, 2 * math.pi), math.radians(rng2.uniform(0, 40))
            photo2 = Image.fromarray((reference.render_grid(truth, az2, el2) * 255).astype(np.uint8))
            masks = np.stack([matcher.photo_mask(photo)[0], matcher.photo_mask(photo2)[0]])
            joint = matcher.match(masks, keep=1)[0]
            joint_shape = sampling.sample_voxels(model, joint.z[None])[0] >= matcher.threshold
            joint_sil = framed_silhouettes(torch.from_numpy(joint_shape[None]),
                                           Views(torch.tensor([joint.azimuth]), torch.tensor([joint.elevation])), views_cfg)
            rows["joint"].append((float(iou(joint_sil, torch.from_numpy(masks[0]))[0]),
                                  novel_iou(truth, joint_shape[None], az, np.array([joint.azimuth]), views_cfg)[0],
                                  chamfer_matrix(truth_cloud, point_clouds(joint_shape[None], 512))[0, 0]))
        t = time.perf_counter()
        fit = addon_pool.match(addon_mask(photo), keep=1)[0]
        addon_s.append(time.perf_counter() - t)
        addon_shape = pool_grids[fit.index]
        addon_sil = framed_silhouettes(torch.from_numpy(addon_shape[None]), Views(torch.tensor([fit.azimuth]),
                                                                                  torch.tensor([fit.elevation])), views_cfg)
        rows["addon"].append((float(iou(addon_sil, target)[0]),
                              novel_iou(truth, addon_shape[None], az, np.array([fit.azimuth]), views_cfg)[0],
                              d_pool[fit.index]))
        rows["coarse"].append((first.iou, novel_iou(truth, first_shape[None], az, np.array([first.azimuth]), views_cfg)[0],
                               chamfer_matrix(truth_cloud, point_clouds(first_shape[None], 512))[0, 0]))
        rows["random"].append((float(iou(rand_sil, target).mean()),
                               novel_iou(truth, pool_grids[rand_idx], az, rand_views.azimuth.numpy(), views_cfg).mean(),
                               d_pool[rand_idx].mean()))
        rows["oracle"].append((float(iou(oracle_sil, target)[0]),
                               novel_iou(truth, pool_grids[oracle:oracle + 1], az, oracle_view.azimuth.numpy(), views_cfg)[0],
                               d_pool[oracle]))
        print(f"# chair {i}: match IoU {rows['match'][-1][0]:.3f} / novel {rows['match'][-1][1]:.3f} / CD "
              f"{d_match:.4f}; random {rows['random'][-1][1]:.3f} / {rows['random'][-1][2]:.4f} ({match_s[-1]:.1f} s)",
              flush=True)
    print(f"\n{args.n} held-out chairs ({args.reference_slice}), one Pyrender photo each; pool {args.pool} "
          f"({pool_s:.1f} s once), {args.candidates} candidates refined for {args.steps} steps, {np.mean(match_s):.1f} s per photo; "
          f"Blender extension's pool {addon_pool_s:.1f} s once (numpy, uncached), {np.mean(addon_s):.1f} s per photo\n")
    print("| shape for the photo | IoU at the photo's view | IoU from 7 novel views | Chamfer to the chair |")
    print("|---|---:|---:|---:|")
    labels = {"random": f"random sample, best grid view (mean of {len(rand_idx)})",
              "match": f"`match` ({args.candidates} candidates, {args.steps} steps)",
              "coarse": "`match --steps 0` (the pool's best fit, no refinement)",
              "joint": "`match --one-object` on this photo and a second one from another random view",
              "addon": "Blender extension's Match Image (numpy, no refinement)", "oracle": f"best of the {args.pool}-shape pool by Chamfer (sees the chair in 3D)"}
    for key in ("random", "coarse", "addon", "match", "joint", "oracle"):
        if not rows[key]:
            continue
        a = np.array(rows[key])
        se = a.std(0) / math.sqrt(len(a))
        print(f"| {labels[key]} | {a[:, 0].mean():.3f} +- {se[0]:.3f} | {a[:, 1].mean():.3f} +- {se[1]:.3f} | "
              f"{a[:, 2].mean():.4f} +- {se[2]:.4f} |")
    m, r = np.array(rows["match"]), np.array(rows["random"])
    print(f"\nmatch nearer (Chamfer) than the random mean for {np.mean(m[:, 2] < r[:, 2]):.0%} of chairs; "
          f"better novel-view IoU for {np.mean(m[:, 1] > r[:, 1]):.0%}")


if __name__ == "__main__":
    main()
