#!/usr/bin/env bash
# Issue 5's comparison runs on one lent GPU box, in calls of at most 10 minutes (everything resumes).
# Repo root on the device, after `source .gl/activate.sh`, carrying .gl .whl and the .data/ inputs:
#   bash scripts/device_compare.sh SECONDS
# Runs side by side on the one GPU (methods are compared at equal steps, so sharing it is fair):
#   chairs: the paper's six methods on .data/chairs64, 3D metrics vs ModelNet chairs 789..888
#   sofas:  the same six on .data/sofas64 (concave class; no voxel ground truth, so FID/KID only)
#   ablations (chairs): D on proxy renders; proxy pretrained on cubes / tables / in-domain chairs,
#   kept training or frozen (proxies pretrained here first, 1000 steps each)
# Each call ends by copying the tables and sample sheets (no checkpoints) to $OUT.
set -uo pipefail
secs=$1
start=$(date +%s)
left() { echo $((secs - ($(date +%s) - start))); }
common=(--steps "${STEPS:-700}" --time-limit 100000 --chunk 400 --overhead 25 --render-workers 3 --samples 300)
chairs_eval=(--reference-shapes .data/chairs_holdout.npz --reference-slice :)
compare() { python3 -P benchmarks/compare.py --max-wall "$(($(left) - 10))" "${common[@]}" "$@"; }

mkdir -p runs/logs runs/proxies
pretrain() {  # name, pretrain-renderer options; skipped once made
  [ -f "runs/proxies/$1/proxy.safetensors" ] && return 0
  python3 -P -m iggan.cli.main pretrain-renderer --out "runs/proxies/$1" --preset fast --steps 1000 \
    --render-workers 3 "${@:2}" >"runs/logs/pretrain_$1.log" 2>&1
}

compare --data .data/chairs64 --out runs/compare/chairs "${chairs_eval[@]}" >>runs/logs/chairs.log 2>&1 &
compare --data .data/sofas64 --out runs/compare/sofas --train-args "--elevation 15 60" >>runs/logs/sofas.log 2>&1 &
(
  pretrain cubes --shapes cubes && pretrain tables --shapes tables &&
    pretrain in_domain --shapes-from .data/chairs256.npz --shapes-up z &&
    compare --data .data/chairs64 --out runs/compare/chairs_ablations --proxies runs/proxies "${chairs_eval[@]}" \
      --methods iggan_disc_on_proxy,iggan_proxy_cubes,iggan_proxy_tables,iggan_proxy_in_domain,iggan_proxy_in_domain_frozen
) >>runs/logs/ablations.log 2>&1 &
wait

tar -C runs --exclude='checkpoints' --exclude='*.jsonl' --exclude='events.*' -czf "$OUT/compare_results.tgz" compare logs proxies/*/proxy.json 2>/dev/null
for f in runs/logs/*.log; do echo "== $f"; grep -v "step/s\|it/s" "$f" | tail -n 4; done
