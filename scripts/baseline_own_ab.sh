#!/usr/bin/env bash
# The paper's protocol for its baselines beside IG-GAN, in one harness at equal steps: each differentiable baseline
# trained (a) on the data's reference (Pyrender) renders, the images IG-GAN sees (`--real-renderer reference`), and
# (b) on its own renders of the same voxel grids (`--real-renderer own`); IG-GAN (`iggan`: Pyrender + proxy + DOM;
# `iggan_faces`: G trained through the exact twin of Pyrender's voxel drawing, as the bundled models were)
# and emission-absorption (no renderer of its own for grids without emission) on the reference renders only. Every
# run then evaluated on the same held-out chairs.
#   bash scripts/baseline_own_ab.sh DEVICE WORK OUT        e.g. cuda /tmp/own "$OUT"
# Needs .data/modelnet10-chairs-32.npz (cp ../shared/data/modelnet10-chairs-32.npz .data/; AB_DATA names another
# copy). ModelNet's chairs 0:789 train, 789:889 are held out (FID images and MMD/COV/1-NNA shapes). AB_STEPS /
# AB_PRESET / AB_METHODS / AB_WORKERS / AB_SAMPLES / AB_PARALLEL / AB_SEED / AB_ARMS set it (AB_PARALLEL methods
# train at once, each with its own runs; the budget compared is steps, so sharing the GPU changes only wall time).
# An arm that fails is named with its log and the others go on; the script then exits 1. A CPU dry run:
#   AB_STEPS=5 AB_PRESET=tiny AB_SAMPLES=20 AB_METHODS="iggan visual_hull" \
#   PYOPENGL_PLATFORM=osmesa PATH=.venv/bin:$PATH bash scripts/baseline_own_ab.sh cpu /tmp/own /tmp/own/out
set -euo pipefail
device=$1; work=$2; out=$3
steps=${AB_STEPS:-500}; preset=${AB_PRESET:-fast}; samples=${AB_SAMPLES:-100}; workers=${AB_WORKERS:-1}
methods=${AB_METHODS:-"visual_hull absorption"}; parallel=${AB_PARALLEL:-1}; seed=${AB_SEED:-1}
arms=${AB_ARMS:-"reference own"}  # which protocols to run, of those a method has
eval_extra=${AB_EVAL_ARGS:-}  # more `evaluate` options, e.g. the CI test's "--shape-samples 8 --points 64 --yaw-angles 2"
npz=${AB_DATA:-.data/modelnet10-chairs-32.npz}
cli() { python3 -P -m iggan.cli.main "$@"; }
size=$(python3 -P -c "from iggan.config import preset; print(preset('$preset').model.image_size)")
arms_of() {  # which real images a method can be trained on
  case $1 in visual_hull|absorption) echo "reference own" ;; iggan|iggan_faces|emission_absorption) echo "reference" ;;
    *) echo "baseline_own_ab.sh: unknown method '$1'" \
         "(iggan, iggan_faces, visual_hull, absorption, emission_absorption)" >&2
       return 1 ;; esac
}
renderer_of() { case $1 in iggan|iggan_faces) echo pyrender ;; *) echo "$1" ;; esac; }
extra_of() { case $1 in iggan_faces) echo "--g-renderer faces" ;; esac; }  # G through the exact twin, as the bundles

for method in $methods; do arms_of "$method" > /dev/null; done  # refuse a typo before any training
[[ -f $npz ]] || { echo "baseline_own_ab.sh: $npz is missing: cp ../shared/data/modelnet10-chairs-32.npz .data/" \
  "(or name a copy with AB_DATA=FILE)" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work" "$out"
t0=$(date +%s)
cli render-dataset "$npz" --up z --slice 789:889 --out "$work/heldout" --views 5 --size "$size" --workers "$workers" \
  --quiet 2>&1 | tail -1

run_arm() {  # train and evaluate one arm; prints its metrics line. Each step is checked: `||` turns -e off
  local method=$1 real=$2 run=$work/${1}_$2
  cli train --data "voxels:$npz?up=z&slice=0:789" --out "$run" --preset "$preset" \
    --renderer "$(renderer_of "$method")" \
    --real-renderer "$real" --steps "$steps" --device "$device" --seed "$seed" --render-workers "$workers" \
    $(extra_of "$method") > "$out/${method}_$real.train.log" 2>&1 || return 1
  cli evaluate "$run" --data "$work/heldout" --samples "$samples" --reference-shapes "$npz" \
    --reference-slice 789:889 --device "$device" $eval_extra --json > "$out/${method}_$real.json" \
    2>> "$out/${method}_$real.train.log" || return 1
  cp "$(ls "$run"/samples/*.png | tail -1)" "$out/${method}_$real.png" || return 1
  python3 -P -c "import json,sys; m=json.load(open(sys.argv[1]))['metrics']; print(sys.argv[2], ' '.join(f'{k}={m[k]:.4g}' for k in ('fid','kid','mmd_cd','cov_cd','1nna_cd')))" \
    "$out/${method}_$real.json" "${method}_$real"
}

run_method() {  # every chosen arm of one method; exits 1 if any failed, after trying them all
  local method=$1 real failed=0 ran=0
  for real in $(arms_of "$method"); do
    [[ " $arms " == *" $real "* ]] || continue
    ran=1
    run_arm "$method" "$real" || { echo "${method}_$real failed: see $out/${method}_$real.train.log" >&2; failed=1; }
  done
  (( ran )) || echo "$method: skipped, it has no arm in AB_ARMS ($arms); it has: $(arms_of "$method")" >&2
  return $failed
}

pids=(); failed=0
for method in $methods; do
  run_method "$method" & pids+=($!)
  if (( ${#pids[@]} >= parallel )); then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
echo "== done in $(( $(date +%s) - t0 )) s"
exit $failed
