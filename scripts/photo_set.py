"""Cut-out 'photos' of voxel chairs for training and evaluating on photos: each grid drawn by Pyrender at --size px
from --views random views of the training range, saved as an RGBA PNG (alpha where the object is), so `train` and
`evaluate` read the folder as photos (photos.photo_image frames each one) rather than as renders.

    PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/photo_set.py .data/modelnet10-chairs-32.npz --up z \\
        --slice 0:789 --views 4 --out .data/chair_photos
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from iggan.cameras import sample_views
from iggan.config import ViewConfig
from iggan.eval.models import load_grids, parse_slice
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_mesh import surface_items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("grids", help=".npz with 'voxels' (N, R, R, R)")
    ap.add_argument("--up", choices=("y", "z"), default="z", help="the file's up axis (ModelNet: z)")
    ap.add_argument("--slice", default=":", help="START:STOP of the grids to draw")
    ap.add_argument("--views", type=int, default=4, help="photos per grid")
    ap.add_argument("--size", type=int, default=256, help="photo side in px")
    ap.add_argument("--elevation", type=float, nargs=2, default=ViewConfig().elevation, help="degrees")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, type=Path, help="new folder")
    args = ap.parse_args()
    grids = load_grids(args.grids, parse_slice(args.slice), up=args.up).repeat(args.views, axis=0)
    views_cfg = ViewConfig(elevation=tuple(args.elevation))
    views = sample_views(len(grids), views_cfg, torch.Generator().manual_seed(args.seed))
    renderer = PyrenderRenderer(args.size, views_cfg)
    args.out.mkdir(parents=True, exist_ok=False)
    for start in range(0, len(grids), 64):
        part = slice(start, start + 64)
        images = renderer.scene.render_batch(surface_items(grids[part], views.azimuth[part].numpy(),
                                                           views.elevation[part].numpy()))
        for i, image in enumerate(images, start):
            gray = np.round(image * 255).astype(np.uint8)
            alpha = np.where(image > 0, 255, 0).astype(np.uint8)
            Image.fromarray(np.stack([gray, gray, gray, alpha], -1), "RGBA").save(args.out / f"photo_{i:05d}.png")
    print(f"wrote {len(grids)} photos to {args.out}")


if __name__ == "__main__":
    main()
