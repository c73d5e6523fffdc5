"""What a long-running process keeps per reference render: one ReferenceScene draws the same chair
batch after batch; every --every batches prints the process's RSS, PyOpenGL's per-context records
(OpenGL.contextdata.storedPointers) and the seconds per batch. --keep-records turns
gl.forget_context_records off, to show the leak it fixes.

    PYOPENGL_PLATFORM=osmesa python benchmarks/render_leak.py
    PYOPENGL_PLATFORM=osmesa python benchmarks/render_leak.py --keep-records
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=400)
    ap.add_argument("--batch", type=int, default=16, help="renders per batch (one readback)")
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--keep-records", action="store_true", help="PyOpenGL keeps every draw's records (the bug)")
    args = ap.parse_args()

    from iggan.config import ViewConfig
    from iggan.render import gl
    from iggan.render.scene import ReferenceScene
    from iggan.render.voxel_mesh import voxel_surface

    if args.keep_records:
        gl.forget_context_records = lambda: None  # tiles imports it at each frame's end
    from OpenGL import contextdata

    grid = np.zeros((32, 32, 32), bool)
    grid[6:26, 12:15, 6:26] = True  # seat
    grid[6:9, 12:30, 6:26] = True  # back
    for x in (6, 23):
        for z in (6, 23):
            grid[x:x + 3, 0:12, z:z + 3] = True
    pos, nrm, tris = voxel_surface(grid)
    scene = ReferenceScene(args.size, ViewConfig(), max_tiles=args.batch)
    items = [(pos, nrm, tris, 20.0 * i, 20.0) for i in range(args.batch)]
    print(f"{'batch':>6} {'renders':>8} {'RSS MB':>8} {'records':>8} {'s/batch':>8}")
    t0, start_rss = time.perf_counter(), None
    for b in range(1, args.batches + 1):
        scene.render_batch(items)
        start_rss = start_rss or rss_mb()  # after the first batch: shaders compiled, buffers made
        if b % args.every == 0 or b == 1:
            dt = (time.perf_counter() - t0) / (args.every if b > 1 else 1)
            print(f"{b:>6} {b * args.batch:>8} {rss_mb():>8.1f} {len(contextdata.storedPointers):>8} {dt:>8.4f}")
            t0 = time.perf_counter()
    print(f"RSS growth: {rss_mb() - start_rss:+.1f} MB over the {(args.batches - 1) * args.batch} renders after the first batch")


if __name__ == "__main__":
    main()
