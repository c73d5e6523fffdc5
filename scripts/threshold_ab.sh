#!/usr/bin/env bash
# Do the paper's random binarisation thresholds let image training thicken G? An A/B for issue 8 (docs/research.md):
# from the 3D-taught G of scripts/upsample_ab.sh (.data/g3d_transposed, real-thin parts), train on images only, side by
# side: `random` (the paper's thresholds, as every bundle) and `fixed` (`train --fixed-threshold 0.5`: D judges and G
# learns from the one binarisation the export makes). Session 39 saw random-threshold arms grow a soft layer around
# one-voxel cores (thickness 1.00 at threshold 0.9, 1.34-1.41 at 0.5). Session 40's answer: no (BENCHMARKS.md), the
# fixed arm thickened as much (1.34 against 1.29 at 0.5 after ~3,000 steps) and held-out 1-NNA was the same.
# On the device, carry .data/chairs_train32.npz, .data/g3d_transposed and [".gl", ".whl"]:
#   source .gl/activate.sh && bash scripts/threshold_ab.sh 510     # -> $OUT/gthr_<arm> (EMA G, fp16), thickness
#   ARMS=fixed WORKERS=15 bash scripts/threshold_ab.sh 330          # one arm alone (compare at matched steps)
set -euo pipefail
secs=$1
arms=${ARMS:-random fixed}
python3 -P scripts/check_device_wheel.py
for arm in $arms; do
  extra=(); [ "$arm" = fixed ] && extra=(--fixed-threshold 0.5)
  python3 -P -m iggan.cli.main train --data voxels:.data/chairs_train32.npz --out "runs/thr_$arm" --preset fast \
    --image-size 128 --init-generator .data/g3d_transposed/g.json --g-renderer faces --disc-warmup 500 \
    --render-workers "${WORKERS:-7}" --time-limit "$secs" --steps 100000 "${extra[@]}" > "runs_thr_$arm.log" 2>&1 &
done
wait
for arm in $arms; do tail -c 300 "runs_thr_$arm.log"; echo; done
python3 -P - <<'PY'
import os
from pathlib import Path
from iggan.checkpoint import list_checkpoints
from iggan.sampling import load_model, save_generator
for arm in os.environ.get("ARMS", "random fixed").split():  # each arm's EMA G, fp16, and its last step
    m = load_model(f"runs/thr_{arm}")
    print(arm, "step", list_checkpoints(Path(f"runs/thr_{arm}"))[-1][0])
    save_generator(Path(os.environ["OUT"]) / f"gthr_{arm}", m.generator, m.config, {"name": f"thr_{arm}"}, half=True)
PY
python3 -P benchmarks/thickness.py .data/g3d_transposed/g.json $(for a in $arms; do echo "runs/thr_$a"; done) --n 200 \
  --reference .data/chairs_train32.npz --reference-slice 0:200 || true
ls -la "$OUT"
