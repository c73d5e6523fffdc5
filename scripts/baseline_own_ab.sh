#!/usr/bin/env bash
# The paper's protocol for its baselines against this project's default: each differentiable baseline trained
# (a) on the data's reference (Pyrender) renders, the images IG-GAN sees (`--real-renderer reference`), and
# (b) on its own renders of the same voxel grids (`--real-renderer own`), then both evaluated on held-out chairs.
#   bash scripts/baseline_own_ab.sh DEVICE WORK OUT        e.g. cuda /tmp/own "$OUT"
# Needs .data/modelnet10-chairs-32.npz (cp ../shared/data/modelnet10-chairs-32.npz .data/). ModelNet's chairs
# 0:789 train, 789:889 are held out (FID images and MMD/COV/1-NNA shapes). AB_STEPS / AB_PRESET / AB_METHODS /
# AB_WORKERS scale it; a CPU dry run: AB_STEPS=5 AB_PRESET=tiny AB_SAMPLES=20 AB_METHODS=visual_hull \
#   PYOPENGL_PLATFORM=osmesa PATH=.venv/bin:$PATH bash scripts/baseline_own_ab.sh cpu /tmp/own /tmp/own/out
set -euo pipefail
device=$1; work=$2; out=$3
steps=${AB_STEPS:-500}; preset=${AB_PRESET:-fast}; samples=${AB_SAMPLES:-100}; workers=${AB_WORKERS:-1}
methods=${AB_METHODS:-"visual_hull absorption"}
npz=.data/modelnet10-chairs-32.npz
cli() { python3 -P -m iggan.cli.main "$@"; }
size=$(python3 -P -c "from iggan.config import preset; print(preset('$preset').model.image_size)")
rm -rf "$work"; mkdir -p "$work" "$out"
t0=$(date +%s)
cli render-dataset "$npz" --up z --slice 789:889 --out "$work/heldout" --views 5 --size "$size" --workers "$workers" \
  --quiet 2>&1 | tail -1
for method in $methods; do
  for real in reference own; do
    run=$work/${method}_$real
    cli train --data "voxels:$npz?up=z&slice=0:789" --out "$run" --preset "$preset" --renderer "$method" \
      --real-renderer "$real" --steps "$steps" --device "$device" --seed 1 2>&1 | grep -v "step/s" | tail -1
    cli evaluate "$run" --data "$work/heldout" --samples "$samples" --reference-shapes "$npz" \
      --reference-slice 789:889 --device "$device" --json > "$out/${method}_$real.json"
    cp "$(ls "$run"/samples/*.png | tail -1)" "$out/${method}_$real.png"
    python3 -P -c "import json,sys; m=json.load(open(sys.argv[1]))['metrics']; print(sys.argv[2], ' '.join(f'{k}={m[k]:.4g}' for k in ('fid','kid','mmd_cd','cov_cd','1nna_cd')))" \
      "$out/${method}_$real.json" "${method}_$real"
  done
done
echo "== done in $(( $(date +%s) - t0 )) s"
