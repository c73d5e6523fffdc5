"""How flat are the exported shapes? For real grids and for each model this prints the height over the
wider horizontal side of each shape (`asset_export.proportions.height_ratio`, through the whole
export pipeline with the base levelled as the bundled cards do, as in the manifest's `height_ratio`)
and the share below --min-ratio, the check that `generate` resamples (the cards' `min_height_ratio`).
A share for real shapes above zero means the check would refuse real objects.

    PYOPENGL_PLATFORM=osmesa python benchmarks/proportions.py --real .data/chairs_train32.npz:y \\
        --models chairs --n 2000 --min-ratio 0.35 [--sheet PNG]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from iggan.asset_export import ExportSettings, export_grids
from iggan.eval.models import load_grids, load_subject
from iggan.eval.shape_metrics import export_reports


def height_ratios(grids: np.ndarray, level_base: float) -> np.ndarray:
    """(N, R, R, R) +Y up -> (N,) the manifest's height_ratio of each; NaN where no mesh is made."""
    return np.array([r["height_ratio"] if r else float("nan") for r in export_reports(grids, level_base)])


def ratio_row(name: str, ratios: np.ndarray, min_ratio: float) -> str:
    ok = ratios[np.isfinite(ratios)]
    low = np.sort(ok)[:3]
    return (f"| {name} | {len(ratios)} | {len(ok)} | {', '.join(f'{r:.2f}' for r in low)} | "
            f"{np.percentile(ok, 1):.2f} | {np.median(ok):.2f} | {int((ok < min_ratio).sum())} | "
            f"{(ok < min_ratio).mean():.4f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real", nargs="*", default=[], metavar="NPZ:UP", help="real grids and their up axis (y or z)")
    ap.add_argument("--models", nargs="*", default=[], help="bundled names, run folders or checkpoints")
    ap.add_argument("--n", type=int, default=2000, help="shapes per set (seed 0)")
    ap.add_argument("--min-ratio", type=float, default=0.35, help="the check (the chairs card's value)")
    ap.add_argument("--level-base", type=float, default=0.1, help="bases levelled as the cards do")
    ap.add_argument("--sheet", help="write the preview sheet of the first model's refused shapes here")
    args = ap.parse_args()

    print(f"| set | shapes | meshed | flattest three | 1st pct | median | < {args.min_ratio:g} | share |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for spec in args.real:
        path, _, up = spec.rpartition(":")
        t0 = time.perf_counter()
        ratios = height_ratios(load_grids(path, None, up)[:args.n], args.level_base)  # load_grids: +Y up
        print(ratio_row(Path(path).name, ratios, args.min_ratio) + f"  ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    first = None
    for name in args.models:
        grids = load_subject(name).sample_grids(args.n, 0)
        t0 = time.perf_counter()
        ratios = height_ratios(grids, args.level_base)
        print(ratio_row(name, ratios, args.min_ratio) + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
        if first is None:
            first = (name, grids, ratios)

    if first and args.sheet:
        name, grids, ratios = first
        refused = np.nonzero(ratios < args.min_ratio)[0][:12]
        if not len(refused):
            print(f"no shape of {name} is below {args.min_ratio:g}: no sheet")
            return
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "refused.glb"
            export_grids(grids[refused], out, ExportSettings(size_m=0.9, level_base=args.level_base),
                         names=[f"{name}_{i}_ratio{ratios[i]:.2f}" for i in refused], preview=2)
            shutil.copyfile(out.with_suffix(".preview.png"), args.sheet)
        print(f"wrote {args.sheet}: latents {', '.join(map(str, refused))} of seed 0")


if __name__ == "__main__":
    main()
