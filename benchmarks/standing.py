"""Do the exported shapes stand? For real grids and for each model this prints how far each shape
topples when stood on a floor (`asset_export.stability.rest_tilt`, through the whole export
pipeline, as in the manifest's `rest_tilt_deg`), as sampled and with the base levelled as the
bundled cards do (--level-base, `asset_export.level`), and, with --nna, what refusing the shapes that
topple more than --max-tilt does to the shape metrics: 1-NNA etc. of the first n latents of each
draw (as `evaluate`), against the first n of the same draw that stand once levelled (as `generate`
ships, which resamples the others).

    PYOPENGL_PLATFORM=osmesa python benchmarks/standing.py --real ../shared/data/modelnet10-chairs-32.npz:z \\
        --models chairs sofas --n 500 [--nna --reference-slice 789:889 --draws 3] [--sheet PNG]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from iggan.asset_export import ExportSettings, export_grids
from iggan.eval.models import load_grids, load_subject, parse_slice
from iggan.eval.shape_metrics import rest_tilts, shape_metrics

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
BINS = (2.0, 5.0, 10.0, 30.0)


def tilt_row(name: str, tilts: np.ndarray) -> str:
    ok = tilts[np.isfinite(tilts)]
    shares = " | ".join(f"{(ok > b).mean():.3f}" for b in BINS)
    return f"| {name} | {len(tilts)} | {len(ok)} | {np.median(ok):.2f} | {shares} |"


def standing_draw(subject, n: int, seed: int, max_tilt: float,
                  level_base: float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    """The first n latents of draw `seed`, and the first n of the same draw that stand: (raw, standing,
    latents looked at). Latent i of a seed does not depend on how many are drawn."""
    pool = subject.sample_grids(3 * n, seed)
    keep = []
    for k, grid in enumerate(pool):
        tilt = rest_tilts(grid[None], level_base)[0]
        if np.isfinite(tilt) and tilt <= max_tilt:
            keep.append(k)
        if len(keep) == n:
            break
    if len(keep) < n:
        raise SystemExit(f"only {len(keep)} of {3 * n} shapes stand within {max_tilt} degrees")
    return pool[:n] > 0.5, pool[keep] > 0.5, keep[-1] + 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", nargs="*", default=[], metavar="NPZ:UP", help="real grids and their up axis (y or z)")
    ap.add_argument("--models", nargs="*", default=[], help="bundled names, run folders or checkpoints")
    ap.add_argument("--n", type=int, default=500, help="shapes per set for the tilt table")
    ap.add_argument("--max-tilt", type=float, default=10.0, help="the gate, in degrees (the bundled cards' value)")
    ap.add_argument("--level-base", type=float, default=0.1,
                    help="the second row per set levels bases by up to this share of the extent (the cards' value)")
    ap.add_argument("--nna", action="store_true", help="score raw vs standing draws of the first model")
    ap.add_argument("--reference-shapes", default=MODELNET)
    ap.add_argument("--reference-slice", default="789:889")
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--sheet", help="write the preview sheet of the first model's refused shapes here")
    args = ap.parse_args()

    print("| set | shapes | meshed | median tilt (deg) | " + " | ".join(f"> {b:g} deg" for b in BINS) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(BINS))
    for spec in args.real:
        path, _, up = spec.rpartition(":")
        grids = load_grids(path, None, up)[:args.n]  # load_grids turns them +Y up
        t0 = time.perf_counter()
        tilts = rest_tilts(grids)
        print(tilt_row(Path(path).name, tilts) + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
        print(tilt_row(f"{Path(path).name}, base levelled", rest_tilts(grids, args.level_base)), flush=True)
    first = None
    for name in args.models:
        subject = load_subject(name)
        grids = subject.sample_grids(args.n, 0)
        t0 = time.perf_counter()
        tilts = rest_tilts(grids)
        print(tilt_row(name, tilts) + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
        print(tilt_row(f"{name}, base levelled", rest_tilts(grids, args.level_base)), flush=True)
        if first is None:
            first = (name, subject, grids, tilts)

    if first and args.sheet:
        name, _, grids, tilts = first
        refused = np.nonzero(tilts > args.max_tilt)[0][:12]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "refused.glb"
            export_grids(grids[refused], out, ExportSettings(size_m=0.9),
                         names=[f"{name}_{i}_tilt{tilts[i]:.0f}" for i in refused], preview=2)
            shutil.copyfile(out.with_suffix(".preview.png"), args.sheet)
        print(f"wrote {args.sheet}: latents {', '.join(map(str, refused))} of seed 0 (tilts "
              f"{', '.join(f'{tilts[i]:.0f}' for i in refused)} deg)")

    if first and args.nna:
        name, subject = first[:2]
        ref = load_grids(args.reference_shapes, parse_slice(args.reference_slice), "z")
        rows = {"as sampled (evaluate)": [], f"standing within {args.max_tilt:g} deg (generate)": []}
        looked = []
        for seed in range(args.draws):
            raw, standing, used = standing_draw(subject, len(ref), seed, args.max_tilt, args.level_base)
            looked.append(used)
            for key, g in zip(rows, (raw, standing)):
                m = shape_metrics(g, ref, 512, 12, seed)
                rows[key].append((m["mmd_cd"], m["cov_cd"], m["1nna_cd"], m["nn_home_generated"]))
            print(f"draw {seed}: " + ", ".join(f"{k} {v[-1][2]:.3f}" for k, v in rows.items()), flush=True)
        print(f"\n{name} vs {args.reference_shapes}[{args.reference_slice}], {args.draws} draws of {len(ref)}; "
              f"the standing draws looked at {np.mean(looked):.0f} latents on average")
        print("| shapes | MMD-CD | COV-CD | 1-NNA-CD | NN home G |")
        print("|---|---:|---:|---:|---:|")
        for key, r in rows.items():
            a = np.array(r)
            print(f"| {key} | {a[:, 0].mean():.5f} | {a[:, 1].mean():.2f} | {a[:, 2].mean():.3f} +- "
                  f"{a[:, 2].std():.3f} | {a[:, 3].mean():.2f} |")


if __name__ == "__main__":
    main()
