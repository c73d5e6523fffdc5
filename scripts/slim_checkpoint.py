"""Move a training run to the device machine within its 64 MiB carry limit.

The generator weights are the bulk of a checkpoint, and the bundled model already holds the EMA
generator of the run it was made from. So `slim` drops both generator copies, and `unslim` (on the
device) puts them back from the bundled weights: G restarts from its EMA weights, which is what the
bundled model is. Adam restarts too (a portable checkpoint has no optimizer state). A bundled model
stores int8 convolution weights (iggan/quantize.py); `unslim` reads it through load_pair, which
dequantizes, so G restarts from the shipped weights (within 1% of the run's EMA, see BENCHMARKS.md).

    python scripts/slim_checkpoint.py slim RUN_DIR OUT_DIR
    python scripts/slim_checkpoint.py unslim OUT_DIR iggan/bundled/chairs.safetensors RUN_DIR
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from iggan.checkpoint import list_checkpoints, load_pair, make_portable, save_pair


def slim(run: Path, out: Path) -> None:
    step, stem = list_checkpoints(run)[-1]
    out.mkdir(parents=True, exist_ok=True)
    portable = make_portable(stem, out / f"ckpt_{step:08d}")
    tensors, meta = load_pair(portable)
    save_pair(portable, {k: v for k, v in tensors.items() if not k.startswith("generator")}, meta)
    for name in ("config.json", "losses.jsonl"):
        if (run / name).exists():
            shutil.copy(run / name, out / name)


def unslim(slim_dir: Path, generator: Path, run: Path) -> None:
    stem = sorted(slim_dir.glob("ckpt_*.safetensors"))[-1].with_suffix("")
    tensors, meta = load_pair(stem)
    ema, _ = load_pair(generator)  # keys "generator_ema.*", float (int8 bundles are dequantized)
    tensors.update(ema)
    tensors.update({k.replace("generator_ema.", "generator.", 1): v.clone() for k, v in ema.items()})
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    save_pair(run / "checkpoints" / stem.name, tensors, meta)
    for name in ("config.json", "losses.jsonl"):
        if (slim_dir / name).exists():
            shutil.copy(slim_dir / name, run / name)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    {"slim": slim, "unslim": unslim}[cmd](*map(Path, rest))
