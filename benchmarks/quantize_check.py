"""How much does int8 storage (iggan/quantize.py) change a generator's shapes? Prints a table.

Quantizes the model's weights in memory and compares 0.5-isosurface solids of the same latents:
IoU per sample (min and mean), the largest occupancy change, and the file sizes fp16 vs int8.

    python benchmarks/quantize_check.py runs/chairs7 runs/sofas2_s5500 --n 64
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from iggan.sampling import latents, load_model, sample_voxels, save_generator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="run folders or checkpoints (full-precision weights)")
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| model | fp16 MB | int8 MB | IoU min | IoU mean | max occupancy change |\n|---|---:|---:|---:|---:|---:|")
    for name in args.models:
        full = load_model(name)
        z = latents(args.seed, args.n, full.config.model.z_dim)
        with tempfile.TemporaryDirectory() as tmp:
            sizes = {}
            for kind in ("half", "int8"):
                save_generator(Path(tmp) / kind, full.generator, full.config, {}, **{kind: True})
                sizes[kind] = (Path(tmp) / f"{kind}.safetensors").stat().st_size / 1e6
            small = load_model(Path(tmp) / "int8")
            a, b = sample_voxels(full, z), sample_voxels(small, z)
        sa, sb = a > 0.5, b > 0.5
        iou = (sa & sb).sum((1, 2, 3)) / np.maximum((sa | sb).sum((1, 2, 3)), 1)
        print(f"| {name} | {sizes['half']:.1f} | {sizes['int8']:.1f} | {iou.min():.4f} | {iou.mean():.4f} | "
              f"{np.abs(a - b).max():.3f} |")


if __name__ == "__main__":
    main()
