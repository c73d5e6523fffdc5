#!/usr/bin/env bash
# One chunk of GPU training on the lent device machine (see BENCHMARKS.md for how it was used).
# Usage (from the repo root on the device, after `source .gl/activate.sh`):
#   bash scripts/device_chunk.sh RUN_DIR DATA_DIR SECONDS [extra train args...]
# Resumes RUN_DIR if it holds a checkpoint, trains for SECONDS, then leaves a portable (fp16,
# no optimizer state) copy of the newest checkpoint, the last sample sheet and the logs under $OUT.
# The device returns files of at most 16 MiB, so the weights come back in 15 MiB parts:
#   cat ckpt_N.safetensors.part* > ckpt_N.safetensors
set -euo pipefail
run=$1; data=$2; secs=$3; shift 3
python3 -P -m iggan.cli.main train --data "$data" --out "$run" --resume --time-limit "$secs" "$@"
python3 -P - "$run" "$OUT" <<'PY'
import sys, shutil
from pathlib import Path
from iggan.checkpoint import list_checkpoints, make_portable
run, out = Path(sys.argv[1]), Path(sys.argv[2])
step, stem = list_checkpoints(run)[-1]
make_portable(stem, Path("/tmp/portable") / f"ckpt_{step:08d}")
for name in ("losses.jsonl", "config.json", "timings.json"):
    if (run / name).exists():
        shutil.copy(run / name, out / name)
sheets = sorted((run / "samples").glob("*.png"))
for p in sheets[-1:]:
    shutil.copy(p, out / p.name)
PY
cd /tmp/portable
for f in *.safetensors; do split -b 15M -d "$f" "$OUT/$f.part"; done
cp *.json "$OUT/"
