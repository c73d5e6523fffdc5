"""A 'photo' of a real held-out ModelNet chair for the match pictures: rendered by Pyrender at 256 px
from a view, tinted, as a cut-out PNG with alpha.

    PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/chair_photo.py 812 --azimuth 35 --elevation 20 --out photo.png
"""
import argparse
import math

import numpy as np
from PIL import Image

from iggan.config import ViewConfig
from iggan.eval.models import load_grids, parse_slice
from iggan.render.reference import PyrenderRenderer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index", type=int, help="chair index in the file (789..888 are the held-out chairs)")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--azimuth", type=float, default=35.0, help="degrees")
    ap.add_argument("--elevation", type=float, default=20.0, help="degrees")
    ap.add_argument("--tint", type=float, nargs=3, default=(0.85, 0.62, 0.42), help="RGB multiplier")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    grid = load_grids(args.reference, parse_slice(f"{args.index}:{args.index + 1}"))[0]
    gray = PyrenderRenderer(256, ViewConfig()).render_grid(grid, math.radians(args.azimuth), math.radians(args.elevation))
    rgb = np.clip(gray[..., None] * np.asarray(args.tint) * 255, 0, 255).astype(np.uint8)
    alpha = np.where(gray > 0, 255, 0).astype(np.uint8)[..., None]
    Image.fromarray(np.concatenate([rgb, alpha], -1)).save(args.out)


if __name__ == "__main__":
    main()
