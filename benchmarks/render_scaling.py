"""Where multi-process reference rendering loses its scaling. N processes each loop over the same
64 chairs for --seconds doing one half of a reference render, or both:

  surface  numpy only: voxel_surface of each grid (no GL)
  draw     pyrender only: ReferenceScene.render_batch of surfaces built beforehand
  both     what a render worker does: build the surface, draw it (16 per readback)

Prints samples/s in all and per process, and the scaling over one process.

    python benchmarks/render_scaling.py                      # paper scale: 64^3 -> 128^2
    python benchmarks/render_scaling.py --procs 1,2 --seconds 3 --res 32 --size 64
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

CHAIRS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "modelnet10-chairs-32.npz"


def _grids(res: int) -> np.ndarray:
    """(64, res, res, res) bool ModelNet chairs (+Y up), or random boxes without the shared data."""
    from iggan.eval.models import load_grids  # noqa: PLC0415 (keeps the parent light)

    path = Path(os.environ.get("IGGAN_CHAIRS", CHAIRS))
    if not path.is_file():
        rng = np.random.default_rng(0)
        return rng.random((64, res, res, res)) > 0.9
    v = load_grids(path, slice(0, 64), up="z").astype(bool)
    f = max(1, res // v.shape[1])
    return v.repeat(f, 1).repeat(f, 2).repeat(f, 3)


def _work(mode: str, seconds: float, res: int, size: int, barrier, results) -> None:
    from iggan.config import ViewConfig  # noqa: PLC0415
    from iggan.render.voxel_mesh import surface_items, voxel_surface  # noqa: PLC0415

    grids = _grids(res)
    az = np.linspace(0, 2 * np.pi, len(grids), endpoint=False)
    el = np.full(len(grids), 0.3)
    scene = None
    if mode != "surface":
        from iggan.render.scene import ReferenceScene  # noqa: PLC0415

        scene = ReferenceScene(size, ViewConfig())
        built = list(surface_items(grids, az, el))
        scene.render_batch(built[:16])  # shaders compiled before the clock starts
    barrier.wait()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(0, len(grids), 16):
            if mode == "surface":
                for g in grids[i:i + 16]:
                    voxel_surface(g)
            elif mode == "draw":
                scene.render_batch(built[i:i + 16])
            else:
                scene.render_batch(surface_items(grids[i:i + 16], az[i:i + 16], el[i:i + 16]))
            count += len(grids[i:i + 16])
    results.put(count / (time.perf_counter() - start))
    if scene is not None:
        scene.close()


def measure(mode: str, procs: int, args) -> float:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    ps = [ctx.Process(target=_work, args=(mode, args.seconds, args.res, args.size, barrier, results))
          for _ in range(procs)]
    for p in ps:
        p.start()
    rates = [results.get(timeout=600) for _ in ps]
    for p in ps:
        p.join()
    return float(sum(rates))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", default="1,4,8,15", type=lambda t: [int(x) for x in t.split(",")])
    ap.add_argument("--modes", default="surface,draw,both", type=lambda t: t.split(","))
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--res", type=int, default=64)
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()
    print(f"# {args.res}^3 -> {args.size}^2, {os.cpu_count()} CPUs, PYOPENGL_PLATFORM="
          f"{os.environ.get('PYOPENGL_PLATFORM', 'auto')}")
    print("\n| work | processes | samples/s | per process | scaling over 1 |\n|---|---:|---:|---:|---:|")
    for mode in args.modes:
        one = None
        for n in args.procs:
            rate = measure(mode, n, args)
            one = one or (rate if n == 1 else None)
            scale = f"{rate / one:.1f}x" if one else "-"
            print(f"| {mode} | {n} | {rate:.0f} | {rate / n:.0f} | {scale} |", flush=True)


if __name__ == "__main__":
    main()
