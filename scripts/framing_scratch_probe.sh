#!/usr/bin/env bash
# Early in training from scratch on photos: G's raw samples with G's renders framed as the photos are
# (`--framing object`) and as the camera drew them (`--framing camera`), side by side for T seconds each (100),
# then benchmarks/sample_stats.py on both (box side, occupancy, largest body, spur voxels). Run on the GPU box:
#   source .gl/activate.sh && T=110 bash scripts/framing_scratch_probe.sh      (carry .gl .whl .data/modelnet10-chairs-32.npz)
set -euo pipefail
work=${WORK:-/tmp/p}
python3 -P scripts/photo_set.py .data/modelnet10-chairs-32.npz --slice 0:789 --views 2 --out "$work/photos" --seed 1 | tail -1
for a in object camera; do
  python3 -P -m iggan.cli.main train --data "$work/photos" --out "$work/run_$a" --preset fast --steps 100000 --framing $a \
    --g-renderer faces --seed 0 --device cuda --render-workers 7 --time-limit "${T:-100}" > "$work/$a.log" 2>&1 &
done
wait
for a in object camera; do tail -c 200 "$work/$a.log"; python3 -P benchmarks/sample_stats.py "$work/run_$a" 200; done
