#!/usr/bin/env bash
# Do the 65 mesh chairs (Kenney + Sweet Home 3D; thicker parts than ModelNet's) make image training thicken G?
# An A/B for issue 8 (docs/research.md): from a 3D-taught G with real-thin parts, train on images only, side by
# side, on the 854-grid mix and on the 789 ModelNet grids alone, and compare thickness (printed here) and held-out
# 1-NNA (`evaluate` on the returned g_mix / g_mn). Session 34 ran it: both arms thickened alike (BENCHMARKS.md).
# Data (git-ignored; the `voxelize` commands in BENCHMARKS.md): .data/chairs_train32.npz (the mix) and
# .data/vox_mn_chairs_train.npz (ModelNet 0:789). On the device, carry those and [".gl", ".whl"]:
#   source .gl/activate.sh && bash scripts/mesh_chairs_ab.sh all 190 300     # fits one 600 s call (536 s)
#   bash scripts/mesh_chairs_ab.sh 3d SECS     the 3D-taught G (vA) on the mix -> $OUT/vA.{json,safetensors}
#   bash scripts/mesh_chairs_ab.sh arms SECS   from .data/vA, the two image-only arms -> $OUT/g_mix, g_mn (EMA G, fp16)
# DEVICE=cpu runs it on a CPU (a dry run with seconds-long stages).
set -euo pipefail
stage=$1; secs=$2
[ "$stage" = all ] || python3 -P scripts/check_device_wheel.py
if [ "$stage" = all ]; then
  bash "$0" 3d "$2"
  mkdir -p .data/vA && cp "$OUT/vA.json" "$OUT/vA.safetensors" .data/vA/
  bash "$0" arms "$3"
  exit 0
fi
if [ "$stage" = 3d ]; then
  python3 -P benchmarks/voxel_gan_ceiling.py .data/chairs_train32.npz runs/vA --time-limit "$secs" --device "${DEVICE:-cuda}" --save-every 100000
  last=$(ls runs/vA/g_*.json | sort | tail -1)
  cp "$last" "$OUT/vA.json"; cp "${last%.json}.safetensors" "$OUT/vA.safetensors"
  ls -la "$OUT"; exit 0
fi
for arm in mix:.data/chairs_train32.npz mn:.data/vox_mn_chairs_train.npz; do
  name=${arm%%:*}; data=${arm#*:}
  python3 -P -m iggan.cli.main train --data "voxels:$data" --out "runs/$name" --preset fast --image-size 128 \
    --init-generator .data/vA/vA.json --g-renderer faces --disc-warmup 500 --render-workers 7 \
    --time-limit "$secs" --steps 100000 > "runs_$name.log" 2>&1 &
done
wait
tail -n 3 runs_mix.log runs_mn.log
python3 -P - <<'PY'
import os
from pathlib import Path
from iggan.sampling import load_model, save_generator
for run in ("mix", "mn"):  # each arm's EMA generator, fp16, for `evaluate` on the CPU box
    m = load_model(f"runs/{run}")
    save_generator(Path(os.environ["OUT"]) / f"g_{run}", m.generator, m.config, {"name": run}, half=True)
PY
python3 -P benchmarks/thickness.py .data/vA/vA.json runs/mix runs/mn --n 200 --reference .data/vox_mn_chairs_train.npz || true
ls -la "$OUT"
