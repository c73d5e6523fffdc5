#!/usr/bin/env bash
# Does a generator free of the transposed convolutions' 2-voxel lattice keep real-thin parts under image training?
# An A/B for issue 8 (docs/research.md): each arm's G is first taught in 3D (benchmarks/voxel_gan_ceiling.py, real-thin
# parts), then trained on images only from there, side by side: `transposed` (the bundles' layers) and `resize`
# (`--gen-upsample resize`: nearest-neighbour doubling + a 3^3 convolution). Session 17 saw the transposed G thicken
# from 1.08 to 1.32 solid voxels per surface voxel (real 1.05) within 4,000 image steps.
# Data (git-ignored): .data/chairs_train32.npz. On the device, carry it and [".gl", ".whl"]:
#   source .gl/activate.sh && bash scripts/upsample_ab.sh 3d 200     # -> $OUT/g3d_<arm>.{json,safetensors}
#   (copy those into .data/g3d_<arm>/g.{json,safetensors} and carry .data/g3d_transposed and .data/g3d_resize too)
#   source .gl/activate.sh && bash scripts/upsample_ab.sh img 520    # -> $OUT/gimg_<arm> (EMA G, fp16), thickness
#   bash scripts/upsample_ab.sh all 200 300                          # both stages in one call
# Score the returned generators with `iggan-assets evaluate` on the CPU box (BENCHMARKS.md).
# DEVICE=cpu runs it on a CPU (a dry run with seconds-long stages).
set -euo pipefail
stage=$1; secs=$2
python3 -P scripts/check_device_wheel.py
arms="transposed resize"
if [ "$stage" = all ] || [ "$stage" = 3d ]; then
  for arm in $arms; do
    python3 -P benchmarks/voxel_gan_ceiling.py .data/chairs_train32.npz "runs/v3d_$arm" --gen-upsample "$arm" \
      --time-limit "$secs" --device "${DEVICE:-cuda}" --save-every 100000 > "runs_v3d_$arm.log" 2>&1 &
  done
  wait
  for arm in $arms; do
    tail -n 1 "runs_v3d_$arm.log"
    last=$(ls runs/v3d_$arm/g_*.json | sort | tail -1)
    mkdir -p ".data/g3d_$arm"
    cp "$last" ".data/g3d_$arm/g.json"; cp "${last%.json}.safetensors" ".data/g3d_$arm/g.safetensors"
    cp ".data/g3d_$arm/g.json" "$OUT/g3d_$arm.json"; cp ".data/g3d_$arm/g.safetensors" "$OUT/g3d_$arm.safetensors"
  done
  [ "$stage" = all ] && secs=$3
fi
if [ "$stage" = all ] || [ "$stage" = img ]; then
  for arm in $arms; do
    python3 -P -m iggan.cli.main train --data voxels:.data/chairs_train32.npz --out "runs/img_$arm" --preset fast \
      --image-size 128 --init-generator ".data/g3d_$arm/g.json" --gen-upsample "$arm" --g-renderer faces \
      --disc-warmup 500 --render-workers 7 --time-limit "$secs" --steps 100000 > "runs_img_$arm.log" 2>&1 &
  done
  wait
  for arm in $arms; do tail -n 2 "runs_img_$arm.log"; done
  python3 -P - <<'PY'
import os
from pathlib import Path
from iggan.sampling import load_model, save_generator
for arm in ("transposed", "resize"):  # each arm's EMA generator, fp16
    m = load_model(f"runs/img_{arm}")
    save_generator(Path(os.environ["OUT"]) / f"gimg_{arm}", m.generator, m.config, {"name": f"img_{arm}"}, half=True)
PY
  python3 -P benchmarks/thickness.py .data/g3d_transposed/g.json .data/g3d_resize/g.json runs/img_transposed \
    runs/img_resize --n 200 --reference .data/chairs_train32.npz --reference-slice 0:200 || true
fi
ls -la "$OUT"
