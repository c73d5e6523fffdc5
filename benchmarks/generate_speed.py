"""Time `iggan-assets generate --n 50` at 64^3 on the CPU, stage by stage.

    .venv/bin/python benchmarks/generate_speed.py [--n 50] [--data /work/shared/data/modelnet10-chairs-32.npz]

Two runs, each printed as a table of seconds per stage:
  1. generate: the real command path (model load, sampling, export, GLB + manifest + preview) with a
     random-init 64^3 "paper" generator. Its output is noise, not chairs, so its mesh stages are not
     representative; the threshold is set so the noise is ~30% solid, as a worst case for meshing.
  2. export: the same export stages on real ModelNet chairs (32^3, linearly upsampled to 64^3), the
     realistic mesh workload until a trained 64^3 model ships.
  3. the export of 2 with a UV atlas per mesh (`--uv`).
  4. the export of 2 with ambient occlusion baked over that atlas (`--ao`).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def bench_generate(n: int, workdir: Path) -> tuple[dict, float]:
    from iggan import sampling
    from iggan.cli.generate import run_from_model
    from iggan.cli.latent_requests import generated_requests

    stem = sampling.save_random_model(workdir / "paper", "paper", seed=0)
    probe = sampling.load_model(str(stem))
    z = sampling.latents(0, 2, probe.config.model.z_dim)
    threshold = float(np.clip(np.quantile(sampling.sample_voxels(probe, z), 0.7), 1e-3, 1 - 1e-3))
    del probe
    t0 = time.perf_counter()
    _, times, _ = run_from_model(
        lambda label, z_dim: generated_requests(label, 0, n, z_dim), model=str(stem), device="cpu",
        out=workdir / "gen.glb", fmt=None, threshold=threshold, faces=5000, lods=1, collision=None, collision_hulls=1,
        size_m=None, smooth_iterations=20, keep_bodies=1.0, mirror=None, max_tilt=None, min_height_ratio=None,
        level_base=None, uv=False, ao=False, base_color=None, split=False, layout="grid", overwrite=True,
        no_preview=False, preview_sides=2, timings=False, retries=3, command="generate", extra_meta={}, progress=False)
    return dict(times), time.perf_counter() - t0


def bench_export(n: int, data: Path, workdir: Path, uv: bool = False, ao: bool = False) -> tuple[dict, float, int]:
    from scipy import ndimage

    from iggan.asset_export import ExportSettings, grid_to_asset, place_assets, plan_outputs, write_bundle
    from iggan.asset_export.orient import grid_to_y_up

    grids = np.load(data)["voxels"][:n]
    grids = [np.clip(ndimage.zoom(grid_to_y_up(g, "z").astype(np.float32), 2, order=1), 0, 1) for g in grids]
    settings = ExportSettings(uv=uv, ao=ao)
    times: dict = {}
    t0 = time.perf_counter()
    assets = [grid_to_asset(g, settings, timings=times) for g in grids]
    names = [f"chair_{i}" for i in range(len(assets))]
    placed = place_assets(names, assets, [{} for _ in assets], "grid")
    write_bundle(placed, plan_outputs(workdir / "chairs.glb", False, True), settings, {}, overwrite=True,
                 timings=times)
    tris = sum(a.report["triangles"][0] for a in assets)
    return times, time.perf_counter() - t0, tris


def table(title: str, times: dict, wall: float) -> str:
    rows = [f"{title}", f"| {'stage':<10} | {'seconds':>8} |", f"|{'-' * 12}|{'-' * 10}|"]
    rows += [f"| {k:<10} | {v:>8.3f} |" for k, v in times.items()]
    rows.append(f"| {'**wall**':<10} | {wall:>8.3f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/modelnet10-chairs-32.npz"))
    args = ap.parse_args()
    import torch

    print(f"cpu cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, n = {args.n}, 64^3\n")
    with tempfile.TemporaryDirectory() as tmp:
        times, wall = bench_generate(args.n, Path(tmp))
        print(table(f"1. generate --n {args.n} (random-init 64^3 generator, load + sample + export + write)",
                    times, wall))
        print()
        if args.data.is_file():
            times, wall, tris = bench_export(args.n, args.data, Path(tmp))
            print(table(f"2. export stages on {args.n} ModelNet chairs upsampled to 64^3 ({tris} triangles)",
                        times, wall))
            print()
            times, wall, tris = bench_export(args.n, args.data, Path(tmp), uv=True)
            print(table(f"3. the same with a UV atlas (--uv; {tris} triangles)", times, wall))
            print()
            times, wall, tris = bench_export(args.n, args.data, Path(tmp), ao=True)
            print(table(f"4. the same with baked occlusion (--ao, 256^2 maps; {tris} triangles)", times, wall))
        else:
            print(f"2. skipped: {args.data} is absent")


if __name__ == "__main__":
    main()
