"""Move a training run to the device machine within its 64 MiB carry limit.

The generator weights are the bulk of a checkpoint, and the bundled model already holds the EMA
generator of the run it was made from. So `slim` drops both generator copies, and `unslim` (on the
device) puts them back from the bundled weights: G restarts from its EMA weights, which is what the
bundled model is. Adam restarts too (a portable checkpoint has no optimizer state). A bundled model
stores int8 convolution weights (iggan/quantize.py); `unslim` reads it through load_pair, which
dequantizes, so G restarts from the shipped weights (within 1% of the run's EMA, see BENCHMARKS.md).

    python scripts/slim_checkpoint.py slim RUN_DIR OUT_DIR
    python scripts/slim_checkpoint.py unslim OUT_DIR iggan/bundled/chairs.safetensors RUN_DIR

When no bundle holds the run's EMA generator yet (a run at a new image size), `--keep-ema` drops only
the raw G copy (a 32^3 run: 32 -> 21 MB) and `unslim OUT_DIR - RUN_DIR` restores G from the EMA weights
kept in the checkpoint itself:

    python scripts/slim_checkpoint.py slim RUN_DIR OUT_DIR --keep-ema
    python scripts/slim_checkpoint.py unslim OUT_DIR - RUN_DIR
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from iggan.checkpoint import list_checkpoints, load_pair, make_portable, save_pair


def slim(run: Path, out: Path, keep_ema: bool = False) -> None:
    found = list_checkpoints(run)
    if not found:
        sys.exit(f"{run} has no checkpoints to slim (expected {run}/checkpoints/ckpt_*.safetensors)")
    step, stem = found[-1]
    out.mkdir(parents=True, exist_ok=True)
    portable = make_portable(stem, out / f"ckpt_{step:08d}")
    tensors, meta = load_pair(portable)
    dropped = "generator." if keep_ema else "generator"  # "generator" also matches "generator_ema."
    save_pair(portable, {k: v for k, v in tensors.items() if not k.startswith(dropped)}, meta)
    for name in ("config.json", "losses.jsonl"):
        if (run / name).exists():
            shutil.copy(run / name, out / name)


def unslim(slim_dir: Path, generator: Path | None, run: Path) -> None:
    """generator: a bundle or generator file with the EMA weights, or None: the checkpoint kept them."""
    found = sorted(slim_dir.glob("ckpt_*.safetensors"))
    if not found:
        sys.exit(f"{slim_dir} has no slimmed checkpoint (ckpt_*.safetensors): run `slim` first")
    stem = found[-1].with_suffix("")
    tensors, meta = load_pair(stem)
    if generator is None:
        ema = {k: v for k, v in tensors.items() if k.startswith("generator_ema.")}
        if not ema:
            sys.exit(f"{stem} has no EMA generator weights: pass the bundle that holds them instead of '-'")
    else:
        ema, _ = load_pair(generator)  # keys "generator_ema.*", float (int8 bundles are dequantized)
    tensors.update(ema)
    tensors.update({k.replace("generator_ema.", "generator.", 1): v.clone() for k, v in ema.items()})
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    save_pair(run / "checkpoints" / stem.name, tensors, meta)
    for name in ("config.json", "losses.jsonl"):
        if (slim_dir / name).exists():
            shutil.copy(slim_dir / name, run / name)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("slim")
    a.add_argument("run", type=Path)
    a.add_argument("out", type=Path)
    a.add_argument("--keep-ema", action="store_true", help="drop only the raw G copy")
    b = sub.add_parser("unslim")
    b.add_argument("slim_dir", type=Path)
    b.add_argument("generator", help="bundle/generator file with the EMA weights, or - (the checkpoint's own)")
    b.add_argument("run", type=Path)
    args = ap.parse_args()
    if args.cmd == "slim":
        slim(args.run, args.out, keep_ema=args.keep_ema)
    else:
        unslim(args.slim_dir, None if args.generator == "-" else Path(args.generator), args.run)
