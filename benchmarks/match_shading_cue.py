"""Could the photo's shading tell which way a matched chair faces? Prints how often it picks the right way.

An outline seen from azimuth a also fits a left-right symmetric chair seen from 180 - a (front and back
swap), and `iggan-assets match` sometimes takes that turn. The cue tried here: how much of the photo's
brightness inside its outline one brightness per face direction of the candidate explains (R^2 of a
per-direction mean, a fit to any lighting: the voxel renderer draws 6 face directions). For each chair
(held-out ModelNet, photo from one random view, as benchmarks/photo_match.py), each of `match`'s best 4
candidates is scored at its own view and at the mirrored one (pi - azimuth); a pair counts where one of the
two views is within 45 degrees of the photo's and the other is not. Photos: the voxel chair under the
reference lights (the renderer's own shading model), and the smoothed mesh of the chair (the export's
surface) under one light from a random direction, as a real photo would be.

    IGGAN_CACHE_DIR=/tmp/mc_bench PYOPENGL_PLATFORM=osmesa python benchmarks/match_shading_cue.py --n 24
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from iggan import sampling
from iggan.asset_export.pipeline import _smoothed_surface
from iggan.cameras import Views
from iggan.eval.models import load_grids, parse_slice
from iggan.matching import REFINE_SIZE, ShapeMatcher, framed
from iggan.photos import photo_image
from iggan.render.reference import PyrenderRenderer
from iggan.render.scene import LIGHT_OFFSETS, _light_offset
from iggan.render.voxel_faces import VoxelFaceRenderer


class FaceDirections(VoxelFaceRenderer):
    """Draws each pixel's face direction + 1 (0 = background) instead of its shade."""

    def _shades(self, rot, cam_dirs):
        return torch.arange(1, 7, dtype=cam_dirs.dtype).expand(rot.shape[0], cam_dirs.shape[0], 6).clone()


def face_maps(solid: np.ndarray, azimuth: np.ndarray, elevation: np.ndarray, view_config) -> torch.Tensor:
    """Binary grids (B, R, R, R), grid b from view b -> (B, 6, S, S) coverage of each face direction, framed
    by the silhouette's box as the matcher frames silhouettes (at 2S, averaged down)."""
    b = solid.shape[0]
    renderer = FaceDirections(2 * REFINE_SIZE, view_config)
    views = Views(torch.tensor(azimuth, dtype=torch.float32), torch.tensor(elevation, dtype=torch.float32))
    ids = renderer(torch.from_numpy(solid).float()[:, None], views)[:, 0]  # (B, 2S, 2S)
    onehot = torch.stack([(ids == f + 1).float() for f in range(6)], 1)
    out = []
    for i in range(b):
        # `framed` finds each map's own box; silhouette + 2 x channel has the silhouette's box, and framing
        # is linear in the pixels, so subtracting the framed silhouette leaves the channel framed by that box
        sil = (ids[i] > 0).float().expand(6, -1, -1)
        out.append((framed(sil + 2 * onehot[i], 2 * REFINE_SIZE) - framed(sil, 2 * REFINE_SIZE)) / 2)
    return F.avg_pool2d(torch.stack(out), 2)


def explained(gray: np.ndarray, mask: np.ndarray, maps: torch.Tensor) -> np.ndarray:
    """Share of the photo's brightness variance inside both outlines explained by one brightness per face
    direction: gray, mask (S, S); maps (B, 6, S, S) -> (B,)."""
    g, m = torch.from_numpy(gray), torch.from_numpy(mask)
    cover = maps.sum(1)
    w = m[None] * (cover > 0.5)
    wf = maps * w[:, None]
    mean = (wf * g).flatten(2).sum(-1) / wf.flatten(2).sum(-1).clamp_min(1e-6)  # (B, 6)
    pred = (maps * mean[:, :, None, None]).sum(1) / cover.clamp_min(1e-6)
    gm = (w * g).flatten(1).sum(1) / w.flatten(1).sum(1).clamp_min(1e-6)
    total = (w * (g - gm[:, None, None]) ** 2).flatten(1).sum(1)
    return (1 - (w * (g - pred) ** 2).flatten(1).sum(1) / total.clamp_min(1e-9)).numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="789:889")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1, help="photo views (benchmarks/photo_match.py's)")
    args = ap.parse_args()
    model = sampling.load_model("chairs")
    cfg = model.config.views
    truths = load_grids(args.reference, parse_slice(args.reference_slice))[:args.n]
    reference = PyrenderRenderer(128, cfg)
    matcher = ShapeMatcher(model)
    rng, light_rng = np.random.default_rng(args.seed), np.random.default_rng(5)
    wins = {"voxel chair, reference lights": [0, 0], "smoothed chair, one random light": [0, 0]}
    for i, truth in enumerate(truths):
        az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(0, 40))
        photo = Image.fromarray((reference.render_grid(truth, az, el) * 255).astype(np.uint8))
        found = matcher.match_image(photo, keep=4)[0]
        mesh = _smoothed_surface(truth.astype(bool), 0.0, 10)
        reference.scene.light_offsets = [_light_offset(light_rng.uniform(-90, 90), light_rng.uniform(0, 80))]
        smooth = reference.scene.render(mesh.vertices, mesh.normals, mesh.faces.astype(np.uint32), az, el)
        reference.scene.light_offsets = list(LIGHT_OFFSETS)
        azs = np.array([m.azimuth for m in found], np.float32)
        els = np.array([m.elevation for m in found], np.float32)
        solid = sampling.sample_voxels(model, np.stack([m.z for m in found])) >= matcher.threshold
        maps = face_maps(np.concatenate([solid, solid]), np.concatenate([azs, math.pi - azs]),
                         np.concatenate([els, els]), cfg)
        off = lambda a: abs((math.degrees(a - az) + 180) % 360 - 180)  # noqa: E731
        for label, img in zip(wins, (photo, Image.fromarray((smooth * 255).astype(np.uint8)))):
            gray, mask, _ = photo_image(img, 2 * REFINE_SIZE, fill_holes=False)
            gray, mask = (F.avg_pool2d(torch.from_numpy(x)[None], 2)[0].numpy() for x in (gray, mask))
            score = explained(gray, mask, maps)
            for k, a in enumerate(azs):
                right, mirrored = off(a) < 45, off(math.pi - a) < 45
                if right != mirrored:
                    wins[label][1] += 1
                    wins[label][0] += (score[k] > score[k + len(azs)]) == right
        print(f"# chair {i}: " + ", ".join(f"{k}: {w}/{n}" for k, (w, n) in wins.items()), flush=True)
    print(f"\n{args.n} held-out chairs; pairs (candidate at its view, at the mirrored view) where exactly one view "
          "is within 45 degrees of the photo's\n")
    print("| photo | right way scores higher |\n|---|---:|")
    for k, (w, n) in wins.items():
        print(f"| {k} | {w} / {n} ({w / max(n, 1):.0%}) |")


if __name__ == "__main__":
    main()
