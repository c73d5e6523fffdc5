#!/usr/bin/env bash
# Chunked GPU training on the lent device machine (see BENCHMARKS.md for how it was used).
# From the repo root on the device, after `source .gl/activate.sh`:
#   bash scripts/device_chunk.sh RUN_DIR DATA SECONDS [extra train args...]   train (resuming RUN_DIR)
#   bash scripts/device_chunk.sh --pack RUN_DIR [RUN_DIR...]                  bring runs back via $OUT
# Packing leaves a portable copy (fp16 weights, no optimizer state) of each run's newest checkpoint
# in 15 MiB parts (the device returns files of at most 16 MiB and 8 files in all) and one tar of
# the small files (checkpoint JSON, config, losses, newest sample sheet). Reassemble with
#   cat NAME.safetensors.part* > NAME.safetensors
set -euo pipefail
if [ "$1" = --pack ]; then
  shift
  tmp=$(mktemp -d)
  for run in "$@"; do
    name=$(basename "$run")
    python3 -P - "$run" "$tmp/$name" <<'PY'
import shutil, sys
from pathlib import Path
from iggan.checkpoint import list_checkpoints, make_portable
run, dst = Path(sys.argv[1]), Path(sys.argv[2])
dst.mkdir(parents=True)
step, stem = list_checkpoints(run)[-1]
make_portable(stem, dst / f"ckpt_{step:08d}")
for name in ("losses.jsonl", "config.json", "timings.json"):
    if (run / name).exists():
        shutil.copy(run / name, dst / name)
for p in sorted((run / "samples").glob("*.png"))[-1:]:
    shutil.copy(p, dst / p.name)
PY
    for f in "$tmp/$name"/*.safetensors; do split -b 15M -d "$f" "$OUT/${name}__$(basename "$f").part"; rm "$f"; done
  done
  tar -C "$tmp" -cf "$OUT/small_files.tar" .
  exit 0
fi
run=$1; data=$2; secs=$3; shift 3
python3 -P scripts/check_device_wheel.py
python3 -P -m iggan.cli.main train --data "$data" --out "$run" --resume --time-limit "$secs" "$@"
