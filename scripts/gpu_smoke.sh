#!/usr/bin/env bash
# End-to-end smoke of training and sampling on a device: train, resume, resume past a damaged
# newest checkpoint, then generate and evaluate from the run folder. It checks that the paths the
# CPU tests cover also hold on CUDA (EGL rendering, GPU tensors in checkpoints, device moves).
#   bash scripts/gpu_smoke.sh DEVICE WORK [OUT]    e.g. cuda /tmp/smoke "$OUT"
# A CPU dry run: PYOPENGL_PLATFORM=osmesa PATH=.venv/bin:$PATH SMOKE_STEPS=10 SMOKE_PRESET=tiny bash scripts/gpu_smoke.sh cpu /tmp/s
# Needs .data/smoke_train.npz (y-up grids) and .data/smoke_ref.npz (z-up ModelNet grids), made with
# `iggan-assets voxelize` / numpy from ../shared/data (see BENCHMARKS.md, session 45).
# The device lacks fast-simplification, which generate needs; add its cp312 wheel to .whl once:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 -d .whl fast-simplification
set -euo pipefail
device=$1; work=$2; out=${3:-$work}
run=$work/run; ref=$work/ref_images
steps=${SMOKE_STEPS:-100}; preset=${SMOKE_PRESET:-fast}
cli() { python3 -P -m iggan.cli.main "$@"; }
steps_in() { python3 -P -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['step'])" "$run/losses.jsonl"; }
newest() { ls "$run"/checkpoints/ckpt_*.safetensors | sort | tail -1; }
rm -rf "$work"; mkdir -p "$work" "$out"
t0=$(date +%s)
echo "== train $steps steps"
cli train --data 'voxels:.data/smoke_train.npz?up=y' --out "$run" --preset "$preset" --image-size 64 \
  --steps "$steps" --batch-size 16 --device "$device" --seed 1 2>&1 | tail -3
echo "== resume to $((2 * steps))"
cli train --data 'voxels:.data/smoke_train.npz?up=y' --out "$run" --resume --steps $((2 * steps)) --device "$device" 2>&1 | tail -3
echo "checkpoints: $(cd "$run/checkpoints" && ls ckpt_*.safetensors | tr '\n' ' ')"
echo "== damage the newest checkpoint, resume to $((3 * steps))"
bad=$(newest); head -c 1000 "$bad" > "$bad.tmp" && mv "$bad.tmp" "$bad"
cli train --data 'voxels:.data/smoke_train.npz?up=y' --out "$run" --resume --steps $((3 * steps)) --device "$device" 2>&1 | tail -4
echo "set aside: $(cd "$run" && ls checkpoints | grep -c damaged || true); last logged step: $(steps_in)"
echo "== generate from the run folder"
cli generate --model "$run" --n 8 --out "$out/smoke.glb" --device "$device" 2>&1 | tail -3
echo "== evaluate"
cli render-dataset .data/smoke_ref.npz --up z --out "$ref" --views 5 --size 64 --quiet 2>&1 | tail -2
cli evaluate "$run" --data "$ref" --samples 100 --reference-shapes .data/smoke_ref.npz --reference-up z \
  --shape-samples 20 --device "$device" --json > "$out/smoke_eval.json"
cat "$out/smoke_eval.json"; echo
echo "== done in $(( $(date +%s) - t0 )) s"
