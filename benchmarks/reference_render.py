"""Reference rendering throughput and its cost inside a training step. Prints two tables.

    python benchmarks/reference_render.py            # paper scale: 64^3 -> 128^2, batch 64, K=2
    python benchmarks/reference_render.py --quick    # small, for a 2-core CPU
    python benchmarks/reference_render.py --workers 15 --steps 30

Table 1: samples/s of each rendering path on real ModelNet chairs (upsampled to the grid size), or
random boxes when the shared data is absent. Table 2: ms per training step with a no-op reference
renderer vs the Pyrender renderer (in-process, worker pool, worker pool pipelined), side by side in one
process, plus peak resident memory of the render workers.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

if __name__ == "__main__":
    # Spawned render workers import this file again as `__mp_main__`: keep torch and the trainer out
    # of them, as the CLI's workers are, so their memory below is what training would see.
    import torch

    from iggan.cameras import sample_views
    from iggan.config import preset
    from iggan.eval.models import load_grids
    from iggan.render.gl import choose_platform, import_pyrender
    from iggan.render.naive import marching_cubes_mesh, render_fresh_scene
    from iggan.render.pool import PooledPyrenderRenderer
    from iggan.render.reference import NullRenderer, PyrenderRenderer
    from iggan.render.scene import MAX_TILES
    from iggan.shapes import random_shapes
    from iggan.image_sources import TensorImages
    from iggan.trainer import Trainer

CHAIRS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "modelnet10-chairs-32.npz"


def real_grids(n: int, res: int) -> torch.Tensor:
    """(n, 1, res, res, res) binary chairs, +Y up; random boxes if the data is absent."""
    path = Path(os.environ.get("IGGAN_CHAIRS", CHAIRS))
    if not path.is_file():
        return random_shapes(n, res, torch.Generator().manual_seed(0))
    v = load_grids(path, slice(0, n), up="z")  # ModelNet is Z-up
    f = res // v.shape[1]
    if f > 1:
        v = v.repeat(f, 1).repeat(f, 2).repeat(f, 3)
    return torch.from_numpy(np.ascontiguousarray(v)).float()[:, None]


def peak_rss_mb(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def throughput(args, cfg, grids, views):
    rows = []
    s = cfg.model.image_size
    n_naive = min(len(grids), 8 if args.quick else 32)
    gl = import_pyrender().OffscreenRenderer(s, s)  # the plain path: one render, one readback
    render_fresh_scene(marching_cubes_mesh(grids[0, 0].numpy() > 0.5), 0.0, 0.0, s, cfg.views, gl)  # warm-up
    t = time.perf_counter()
    for g, a, e in zip(grids[:n_naive], views.azimuth, views.elevation):
        render_fresh_scene(marching_cubes_mesh(g[0].numpy() > 0.5), float(a), float(e), s, cfg.views, gl)
    rows.append(("marching cubes + new scene per sample", 1, n_naive / (time.perf_counter() - t)))
    gl.delete()
    for tiles in (1, MAX_TILES):
        renderer = PyrenderRenderer(s, cfg.views, max_tiles=tiles)
        renderer(grids[:2], views[:2])  # GL context warm-up
        t = time.perf_counter()
        renderer(grids, views)
        rows.append((f"vectorised surface, persistent scene, {_per_readback(tiles)}", 1,
                     len(grids) / (time.perf_counter() - t)))
        renderer.scene.close()
    pool_mem = 0.0
    src = grids.to(args.device)  # handed over from the training device, as the trainer does
    runs = [(max(1, args.workers // 2), MAX_TILES), (args.workers, 1), (args.workers, MAX_TILES)]
    for workers, tiles in sorted(set(runs)):
        pool = PooledPyrenderRenderer(s, cfg.views, workers, max_tiles=tiles)
        pool(src[:workers], views[:workers])
        t = time.perf_counter()
        for _ in range(args.repeats):
            pool(src, views)
        rows.append((f"  + worker pool, shared memory, {_per_readback(tiles)}", workers,
                     args.repeats * len(grids) / (time.perf_counter() - t)))
        if workers == args.workers and tiles == MAX_TILES:
            # As the pipelined trainer uses the pool: the next batch is handed over while this one
            # renders, so the hand-off and the slowest worker's tail overlap with work.
            t = time.perf_counter()
            jobs = [pool.submit(src, views)]
            for _ in range(args.repeats - 1):
                jobs.append(pool.submit(src, views))
                jobs.pop(0).result()
            jobs.pop(0).result()
            rows.append((f"  + worker pool, {_per_readback(tiles)}, next batch handed over while one renders",
                         workers, args.repeats * len(grids) / (time.perf_counter() - t)))
        pool_mem = max(pool_mem, peak_rss_mb([p.pid for p in pool._procs]))
        pool.close()
    return rows, pool_mem


def _per_readback(tiles: int) -> str:
    return "1 image per readback" if tiles == 1 else f"up to {tiles} images per readback"


class RealShapes:
    """Wraps a reference renderer so it draws real chairs (B*K, 1, R, R, R) in place of the samples.

    An untrained generator emits speckle noise whose surface has many times the faces of a real
    object, so a step measured with it shows the cost early in training, not the steady state. This
    keeps the trainer's calls (same count, views and timing) and swaps only the shapes drawn."""

    def __init__(self, inner, grids: "torch.Tensor"):
        self.inner, self.grids, self.differentiable = inner, grids, False
        if hasattr(inner, "submit"):
            self.submit = lambda voxels, views: inner.submit(self._swap(voxels), views)

    def _swap(self, voxels):
        return self.grids[: len(voxels)].to(voxels.device, voxels.dtype)

    def __call__(self, voxels, views):
        return self.inner(self._swap(voxels), views)

    def close(self):
        getattr(self.inner, "close", lambda: None)()


def step_times(args, cfg, images, grids):
    """ms per training step for each reference renderer, measured in this one process."""
    def run(name, reference, pipelined):
        cfg.train.pipeline_render = pipelined
        tr = Trainer(cfg, TensorImages(images), Path("/tmp/iggan-bench-run"), reference, device=args.device)
        tr.train_step()  # warm-up (cudnn autotune, GL context, worker start)
        tr.train_step()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        for _ in range(args.steps):
            tr.train_step(last_step=10**9)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        ms = 1000 * (time.perf_counter() - t) / args.steps
        if hasattr(reference, "close"):
            reference.close()
        print(f"# {name}: {ms:.1f} ms/step", flush=True)  # partial results survive a time limit
        return name, ms

    s = cfg.model.image_size
    results = [run("no-op reference renderer", NullRenderer(s), False)]
    if not args.quick and not args.no_in_process:
        results.append(run("Pyrender, in-process, real chairs", RealShapes(PyrenderRenderer(s, cfg.views), grids), False))
    pool = lambda w=args.workers, tiles=MAX_TILES: PooledPyrenderRenderer(s, cfg.views, w, max_tiles=tiles)  # noqa: E731
    results.append(run(f"Pyrender, {args.workers} workers, real chairs", RealShapes(pool(), grids), False))
    for w in sorted(set(args.pipelined_workers or [args.workers])):
        results.append(run(f"Pyrender, {w} workers, real chairs, pipelined", RealShapes(pool(w), grids), True))
    results.append(run(f"Pyrender, {args.workers} workers, real chairs, pipelined, 1 image per readback",
                       RealShapes(pool(tiles=1), grids), True))
    if not args.quick:
        results.append(run(f"Pyrender, {args.workers} workers, untrained G's noise", pool(), False))
        results.append(run(f"Pyrender, {args.workers} workers, untrained G's noise, pipelined", pool(), True))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny preset-sized run for a CPU")
    ap.add_argument("--preset", default=None, help="default: paper (tiny with --quick)")
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--pipelined-workers", type=lambda t: [int(x) for x in t.split(",")],
                    help="comma-separated worker counts for the pipelined real-chairs rows (default: --workers)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--throughput-only", action="store_true", help="skip the training-step table")
    ap.add_argument("--no-in-process", action="store_true", help="skip the slow in-process training-step row")
    ap.add_argument("--gl", choices=["egl", "osmesa"], help="GL platform of the renderers (default: EGL with an "
                    "NVIDIA GPU, else OSMesa; OSMesa on the GPU box was slower, BENCHMARKS.md)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    if args.gl:
        os.environ["PYOPENGL_PLATFORM"] = args.gl  # inherited by the spawned render workers
    cfg = preset(args.preset or ("tiny" if args.quick else "paper"))
    if args.quick:
        args.steps, args.repeats = min(args.steps, 5), 1
        cfg.train.batch_size = 8
    n = cfg.train.batch_size * cfg.train.dom_thresholds
    grids = real_grids(n, cfg.model.voxel_res)
    views = sample_views(len(grids), cfg.views, torch.Generator().manual_seed(1))
    print(f"# {cfg.preset}: {cfg.model.voxel_res}^3 -> {cfg.model.image_size}^2, {len(grids)} renders per step "
          f"(batch {cfg.train.batch_size} x K={cfg.train.dom_thresholds}), device {args.device}, "
          f"{os.cpu_count()} CPUs, GL {choose_platform()}; the pools get the grids on {args.device}")
    rows, pool_mem = throughput(args, cfg, grids, views)
    print("\n| path | processes | samples/s | ms per step's renders |\n|---|---|---|---|")
    for name, procs, rate in rows:
        print(f"| {name} | {procs} | {rate:.0f} | {1000 * n / rate:.0f} |")
    print(f"\npeak resident memory of the render workers (all together): {pool_mem:.0f} MB")
    if args.throughput_only:
        return
    images = torch.rand(256, 1, cfg.model.image_size, cfg.model.image_size)
    results = step_times(args, cfg, images, grids)
    base = results[0][1]
    print("\n| training step with | ms/step | ratio to no-op |\n|---|---|---|")
    for name, ms in results:
        print(f"| {name} | {ms:.1f} | {ms / base:.2f}x |")


if __name__ == "__main__":
    main()
