"""How well does `train` find an object in a photo without alpha? Prints mean mask IoU by photo kind.

Real held-out ModelNet chairs (789..) are rendered by Pyrender at 256 px from a random view, tinted, laid on a
plain backdrop (optionally with a brightness gradient, as an unevenly lit studio sweep) and saved as JPEG, as a
product photo would be. Their true masks come from the render. Three rules for the enclosed holes of the mask
that `photos.object_mask` finds by difference from the border's colour:
- fill every hole (the rule before session 34: a chair's slat gaps become object, bright as the backdrop);
- keep every hole open (`match`'s rule: `fill_holes=False`);
- fill a hole only where it is not plainly the backdrop (`photos.BACKDROP_TOLERANCE`; `train`'s rule now).

    PYOPENGL_PLATFORM=osmesa python benchmarks/photo_masks.py --n 40 [--quality 70] [--gradient 0.06]
"""
from __future__ import annotations

import argparse
import io
import math

import numpy as np
from PIL import Image
from scipy import ndimage

from iggan.config import ViewConfig
from iggan.eval.models import load_grids, parse_slice
from iggan.photos import decode, object_mask
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_mesh import voxel_surface

KINDS = {  # name -> (backdrop grey, tint of the object: RGB multiplier drawn per photo)
    "coloured chair on white": (1.0, lambda rng: rng.uniform(0.2, 1.0, 3)),
    "grey chair on white": (1.0, lambda rng: np.full(3, rng.uniform(0.6, 0.9))),
    "white chair on white": (1.0, lambda rng: np.full(3, rng.uniform(1.05, 1.25))),
    "coloured chair on black": (0.0, lambda rng: rng.uniform(0.2, 1.0, 3)),
    "dark chair on black": (0.0, lambda rng: np.full(3, rng.uniform(0.15, 0.35))),
}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--n", type=int, default=40, help="chairs (one photo each per kind)")
    ap.add_argument("--quality", type=int, default=90, help="JPEG quality")
    ap.add_argument("--gradient", type=float, default=0.0, help="backdrop brightness change from top to bottom")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    reference = PyrenderRenderer(256, ViewConfig())
    rng = np.random.default_rng(args.seed)
    rules = ("fill every hole (before)", "keep every hole open (match)", "fill unless backdrop (train now)")
    scores = {k: {r: [] for r in rules} for k in KINDS}
    ramp = np.linspace(0, 1, 256, dtype=np.float32)[:, None, None] * np.ones((1, 256, 3), np.float32)
    for truth in load_grids(args.reference, parse_slice(f"789:{789 + args.n}")):
        az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(0, 40))
        shaded = reference.scene.render_batch([(*voxel_surface(truth), az, el)], rgb=True)[0]
        inside = shaded.max(-1) > 0
        for kind, (grey, tint) in KINDS.items():
            backdrop = np.clip(grey + (args.gradient if grey < 0.5 else -args.gradient) * ramp, 0, 1)
            rgb = np.where(inside[..., None], np.clip(shaded * tint(rng), 0, 1), backdrop)
            buf = io.BytesIO()
            Image.fromarray((rgb * 255).astype(np.uint8)).save(buf, "JPEG", quality=args.quality)
            photo, _ = decode(Image.open(io.BytesIO(buf.getvalue())))
            kept_open = object_mask(photo, None, fill_holes=False)[0] > 0.5
            masks = (ndimage.binary_fill_holes(kept_open), kept_open, object_mask(photo, None)[0] > 0.5)
            for rule, mask in zip(rules, masks):
                scores[kind][rule].append(iou(mask, inside))
    print(f"\n{args.n} held-out chairs per kind, 256 px JPEG (quality {args.quality}), backdrop gradient "
          f"{args.gradient}; mean mask IoU with the true mask\n")
    print("| photo | " + " | ".join(rules) + " |\n|---|" + "---:|" * len(rules))
    for kind, by_rule in scores.items():
        print(f"| {kind} | " + " | ".join(f"{np.mean(v):.3f}" for v in by_rule.values()) + " |")


if __name__ == "__main__":
    main()
