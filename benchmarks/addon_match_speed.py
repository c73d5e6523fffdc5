"""How long the Blender extension's Match Image takes outside Blender (the same engine code, torch-free).
Prints a table: the model's outline pool traced cold and read from its cache, then per photo.

    PYOPENGL_PLATFORM=osmesa python benchmarks/addon_match_speed.py --photos 8
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from iggan.blender_addon import engine
from iggan.blender_addon.outline_match import OutlinePool, photo_mask


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--photos", type=int, default=8, help="held-out chairs (789..) rendered from random views")
    args = ap.parse_args()
    from iggan.config import ViewConfig
    from iggan.eval.models import load_grids, parse_slice
    from iggan.render.reference import PyrenderRenderer
    gen = engine.get_generator(args.model)
    reference = PyrenderRenderer(128, ViewConfig())
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        OutlinePool(gen, cache_dir=cache)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        pool = OutlinePool(gen, cache_dir=cache)
        warm = time.perf_counter() - t
        size = sum(p.stat().st_size for p in Path(cache).glob("*.npz"))
    per_photo = []
    for truth in load_grids(args.reference, parse_slice(f"789:{789 + args.photos}")):
        az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(0, 40))
        photo = Image.fromarray((reference.render_grid(truth, az, el) * 255).astype(np.uint8))
        t = time.perf_counter()
        pool.match(photo_mask(photo), keep=1)
        per_photo.append(time.perf_counter() - t)
    print(f"\nBlender extension's Match Image, engine outside Blender, model {args.model}\n")
    print("| step | seconds |\n|---|---:|")
    print(f"| outline pool, traced (512 shapes x 96 views; once per model) | {cold:.1f} |")
    print(f"| outline pool, read from the cache ({size / 2**20:.1f} MB) | {warm:.1f} |")
    print(f"| one photo (mask, search, re-rank), mean of {len(per_photo)} | {np.mean(per_photo):.2f} |")


if __name__ == "__main__":
    main()
