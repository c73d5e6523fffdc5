#!/usr/bin/env bash
# Issue 8 (docs/research.md, session 47): does a 64^3 generator keep real-thin parts under image training, where
# the 32^3 bundles thicken by one voxel? Each arm trains on images only (the same Pyrender renders of ModelNet's
# chairs 0:789 at fresh views; a 64^3 grid doubled from a 32^3 one renders the same picture), side by side:
#   img32 / img64      from the bundled chairs, and from them grown to 64^3 (scripts/grow_generator.py): images only
#   img32_3d / img64_3d  from those two first taught in 3D for a while (benchmarks/voxel_gan_ceiling.py --warm), so
#                      their parts start real-thin: the premise test of sessions 39-40 at two resolutions
# Needs .data/modelnet10-chairs-32.npz; either stage grows the bundled chairs into .data/g64/g first when that is
# missing (a 24 MB fp32 pair, too large to come back through $OUT; an fp16 copy does). On the device:
#   source .gl/activate.sh && bash scripts/res64_ab.sh img 420 "$OUT"        # img32, img64
#   source .gl/activate.sh && bash scripts/res64_ab.sh 3d 120 380 "$OUT"     # img32_3d, img64_3d
# Each arm's EMA G comes back in $OUT as gimg_<arm>.{json,safetensors} (fp16); score them on the CPU box with
# benchmarks/resolution_nna.py. DEVICE=cpu WORKERS=1 runs it on a CPU (a dry run with seconds-long stages).
set -euo pipefail
stage=$1; shift
if [ "$stage" = 3d ]; then secs3d=$1; shift; fi
secs=$1; out=$2
[ "${DEVICE:-cuda}" = cpu ] || python3 -P scripts/check_device_wheel.py
npz32=.data/modelnet10-chairs-32.npz; npz64=.data/modelnet10-chairs-64.npz
mkdir -p "$out" runs
python3 -P - "$npz32" "$npz64" <<'PY'
import sys
import numpy as np
v = np.load(sys.argv[1])["voxels"]  # ModelNet, Z up, as the 32^3 file: no 'up' entry either way
np.savez_compressed(sys.argv[2], voxels=v.repeat(2, 1).repeat(2, 2).repeat(2, 3))
PY
train() {  # arm res init
  local res_opt=()
  [ "$2" = 64 ] && res_opt=(--voxel-res 64)
  local npz=$npz32; [ "$2" = 64 ] && npz=$npz64
  python3 -P -m iggan.cli.main train --data "voxels:$npz?up=z&slice=0:789" --out "runs/img_$1" --preset fast \
    --image-size 128 "${res_opt[@]}" --init-generator "$3" --g-renderer faces --disc-warmup 500 \
    --render-workers "${WORKERS:-7}" --time-limit "$secs" --steps 100000 --device "${DEVICE:-cuda}" \
    > "runs/img_$1.log" 2>&1
}
if [ ! -f .data/g64/g.json ]; then  # the bundled chairs grown to 64^3 (15 s on an H100); fp16 in $OUT, which
  # takes files up to about 12 MB back
  python3 -P scripts/grow_generator.py chairs .data/g64/g --steps "${GROW_STEPS:-1500}" --batch 32 --lr 1e-3 \
    --device "${DEVICE:-cuda}" | tail -n 3
  python3 -P -c "import sys; from iggan.sampling import load_model, save_generator; m = load_model('.data/g64/g'); \
save_generator(sys.argv[1], m.generator, m.config, m.card, half=True)" "$out/g64"
fi
if [ "$stage" = img ]; then
  arms="img32 img64"
  train img32 32 chairs & train img64 64 .data/g64/g & wait
else
  arms="img32_3d img64_3d"
  python3 -P benchmarks/voxel_gan_ceiling.py "$npz32" runs/v3d_32 --init chairs --warm --slice 0:789 \
    --time-limit "$secs3d" --device "${DEVICE:-cuda}" --save-every 100000 > runs/v3d_32.log 2>&1 &
  python3 -P benchmarks/voxel_gan_ceiling.py "$npz64" runs/v3d_64 --init .data/g64/g.json --warm --slice 0:789 \
    --time-limit "$secs3d" --device "${DEVICE:-cuda}" --save-every 100000 > runs/v3d_64.log 2>&1 &
  wait
  for r in 32 64; do
    tail -n 1 "runs/v3d_$r.log"
    last=$(ls runs/v3d_$r/g_*.json | sort | tail -1)
    cp "$last" "$out/g3d_$r.json"; cp "${last%.json}.safetensors" "$out/g3d_$r.safetensors"
  done
  train img32_3d 32 "$out/g3d_32.json" & train img64_3d 64 "$out/g3d_64.json" & wait
fi
for arm in $arms; do  # the last progress count (the log is one long progress line) and the run's end
  echo "$arm: $(grep -o '[0-9]*/100000 \[[^,]*,' "runs/img_$arm.log" | tail -n 1) $(tail -n 1 "runs/img_$arm.log")"
done
python3 -P - "$out" $arms <<'PY'
import sys
from pathlib import Path
from iggan.sampling import load_model, save_generator
for arm in sys.argv[2:]:  # each arm's EMA generator, fp16
    m = load_model(f"runs/img_{arm}")
    save_generator(Path(sys.argv[1]) / f"gimg_{arm}", m.generator, m.config, {"name": arm}, half=True)
PY
ls -la "$out"
