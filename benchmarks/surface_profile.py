"""Per-sample cost of the two halves of a reference render, in one process: building the voxel
surface (numpy) and drawing it with pyrender. Paper scale: 64 ModelNet chairs upsampled to 64^3,
128^2 images.

    python benchmarks/surface_profile.py                     # IGGAN_CHAIRS=FILE.npz to pick the grids
    python benchmarks/surface_profile.py --builder old.py    # compare another voxel_surface (a file)
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from iggan.config import preset
from iggan.eval.models import load_grids
from iggan.render.scene import ReferenceScene
from iggan.render.voxel_mesh import voxel_surface

CHAIRS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "modelnet10-chairs-32.npz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builder", type=Path, help="a .py file defining voxel_surface(grid), e.g. from git history")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    builders = {"current": voxel_surface}
    if args.builder:
        spec = importlib.util.spec_from_file_location("other_builder", args.builder)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        builders[args.builder.name] = module.voxel_surface
    cfg = preset("paper")
    v = load_grids(os.environ.get("IGGAN_CHAIRS", CHAIRS), slice(0, 64), up="z")  # ModelNet is Z-up
    f = cfg.model.voxel_res // v.shape[1]
    grids = np.ascontiguousarray(v.repeat(f, 1).repeat(f, 2).repeat(f, 3))
    scene = ReferenceScene(cfg.model.image_size, cfg.views)
    print("| builder | triangles per chair | surface ms | render ms |\n|---|---:|---:|---:|")
    for _ in range(args.repeats):
        for name, build in builders.items():
            t = time.perf_counter()
            surfaces = [build(g) for g in grids]
            surface_ms = 1000 * (time.perf_counter() - t) / len(grids)
            scene.render(*surfaces[0], 0.3, 0.2)  # warm-up
            t = time.perf_counter()
            for s in surfaces:
                scene.render(*s, 0.3, 0.2)
            render_ms = 1000 * (time.perf_counter() - t) / len(grids)
            tris = np.mean([len(s[2]) for s in surfaces])
            print(f"| {name} | {tris:.0f} | {surface_ms:.2f} | {render_ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
