#!/usr/bin/env bash
# Training on photos: G's renders framed as the photos are (`train --framing auto`, experimental; the default in
# session 53) against the camera's framing (`--framing camera`, the default), at equal wall time. Both arms continue the
# bundled chairs through the faces twin with a fresh D (`--disc-warmup`), on cut-out "photos" of ModelNet's
# training chairs 0:789 (scripts/photo_set.py), and are scored on photos of the held-out chairs 789:889 (FID on
# framed renders) and against those chairs' grids (MMD/COV/1-NNA). The bundled start is scored the same way.
#   bash scripts/framing_ab.sh DEVICE WORK OUT        e.g. cuda /tmp/framing "$OUT"
# Needs .data/modelnet10-chairs-32.npz (cp ../shared/data/modelnet10-chairs-32.npz .data/; AB_DATA names another
# copy). AB_STEPS / AB_WARMUP (D-only steps first, 500) / AB_VIEWS / AB_SAMPLES / AB_WORKERS / AB_PRESET /
# AB_EVAL_ARGS / AB_SEED (train's seed, 0) set it; AB_START=scratch starts both arms from a random G (no bundle, no
# warm-up) instead of the bundled chairs. Each arm's preview sheet (12 chairs, 2 sides) goes to OUT/ARM.preview.png.
# The two arms train at once
# (AB_TIME_LIMIT seconds stops each with a checkpoint, for one device call; compare the steps they reached).
# A CPU dry run:
#   AB_STEPS=2 AB_PRESET=tiny AB_VIEWS=1 AB_SAMPLES=8 AB_EVAL_ARGS="--shape-samples 8 --points 64 --yaw-angles 2" \
#   PYOPENGL_PLATFORM=osmesa PATH=.venv/bin:$PATH bash scripts/framing_ab.sh cpu /tmp/fr /tmp/fr/out
set -euo pipefail
device=$1; work=$2; out=$3
steps=${AB_STEPS:-2000}; views=${AB_VIEWS:-4}; samples=${AB_SAMPLES:-500}; workers=${AB_WORKERS:-7}; warmup=${AB_WARMUP:-500}
preset=${AB_PRESET:-fast}; eval_extra=${AB_EVAL_ARGS:-}; npz=${AB_DATA:-.data/modelnet10-chairs-32.npz}
seed=${AB_SEED:-0}
cli() { python3 -P -m iggan.cli.main "$@"; }
[[ -f $npz ]] || { echo "framing_ab.sh: $npz is missing: cp ../shared/data/modelnet10-chairs-32.npz .data/" \
  "(or name a copy with AB_DATA=FILE)" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work" "$out"
python3 -P scripts/photo_set.py "$npz" --slice 0:789 --views "$views" --out "$work/photos" --seed 1
python3 -P scripts/photo_set.py "$npz" --slice 789:889 --views 4 --out "$work/heldout" --seed 2
# the bundled chairs are a fast-preset model; a tiny dry run starts from a random tiny one instead
start=chairs; [[ $preset == fast ]] || start=
[[ ${AB_START:-} == scratch ]] && { start=; warmup=0; }
score() {  # MODEL NAME
  cli evaluate "$1" --data "$work/heldout" --samples "$samples" --reference-shapes "$npz" --reference-slice 789:889 \
    --device "$device" --json $eval_extra > "$out/$2.json" 2> "$work/$2.eval.log" \
    || { echo "framing_ab.sh: evaluate $2 failed, see $work/$2.eval.log" >&2; tail -5 "$work/$2.eval.log" >&2; return 1; }
}
[[ -n $start ]] && score "$start" start
pids=()
for arm in auto camera; do
  cli train --data "$work/photos" --out "$work/run_$arm" --preset "$preset" --steps "$steps" --framing "$arm" --seed "$seed" \
    --g-renderer faces ${start:+--init-generator $start} --disc-warmup "$warmup" --device "$device" \
    --render-workers "$workers" ${AB_TIME_LIMIT:+--time-limit $AB_TIME_LIMIT} > "$work/$arm.train.log" 2>&1 &
  pids+=($!)
done
failed=0
arms=(auto camera)
for i in 0 1; do
  wait "${pids[$i]}" || { echo "framing_ab.sh: arm ${arms[$i]} failed, see $work/${arms[$i]}.train.log" >&2; failed=1; }
done
pids=()
for arm in auto camera; do  # scored side by side
  if [[ -d $work/run_$arm/checkpoints ]]; then score "$work/run_$arm" "$arm" & pids+=($!); else failed=1; fi
  cp "$work/run_$arm/losses.jsonl" "$out/$arm.losses.jsonl" 2>/dev/null || true
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
for arm in auto camera; do  # what each arm's shapes look like, as generate exports them
  [[ -d $work/run_$arm/checkpoints ]] || continue
  cli generate --model "$work/run_$arm" --n 12 --preview-sides 2 --out "$work/$arm.glb" > "$work/$arm.gen.log" 2>&1 \
    && cp "$work/$arm.preview.png" "$out/$arm.preview.png" \
    || echo "framing_ab.sh: no preview for $arm, see $work/$arm.gen.log" >&2
done
python3 -P - "$out" "$work" <<'PY'
import json, re, sys
from pathlib import Path
out, work = Path(sys.argv[1]), Path(sys.argv[2])
print("| arm | steps | FID | KID | MMD-CD | COV-CD | 1-NNA-CD |\n|---|---:|---:|---:|---:|---:|---:|")
for name in ("start", "auto", "camera"):
    path = out / f"{name}.json"
    if path.is_file():
        m = json.loads(path.read_text())["metrics"]
        saved = [int(n) for n in re.findall(r"ckpt_(\d+)", " ".join(p.name for p in (work / f"run_{name}" / "checkpoints").glob("*")))]
        steps = max(saved, default=0)  # the newest checkpoint, which evaluate scored
        print(f"| {name} | {steps} | {m['fid']:.2f} | {m['kid']:.3f} | {m.get('mmd_cd', float('nan')):.5f} | "
              f"{m.get('cov_cd', float('nan')):.2f} | {m.get('1nna_cd', float('nan')):.3f} |")
PY
exit $failed
