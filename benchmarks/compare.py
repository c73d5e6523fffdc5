"""The paper's comparison in one harness: train IG-GAN and the baselines on the same images with
the same time budget, evaluate each, and write a markdown table and a sample sheet per method.

Methods (all through `iggan-assets train`):
  iggan                IG-GAN: Pyrender reference renderer + proxy neural renderer, DOM (paper's method)
  iggan_nodom          IG-GAN without discriminator output matching (proxy trained with L2 only)
  visual_hull          G trained through I = 1 - exp(-sum_z v)            (PrGAN)
  absorption           G trained through I = 1 - prod_z (1 - v)           (PlatonicGAN)
  emission_absorption  G trained through front-to-back RGBA compositing   (PlatonicGAN)
  dcgan2d              a 2D DCGAN on the images (no 3D; FID/KID only)
  visual_hull_own, absorption_own   the baseline trained on its own renders of the --data voxels:FILE.npz grids,
                       as the paper trained its baselines (`train --real-renderer own`; not in the default set)

Resumable in chunks: each call trains every unfinished method for at most --chunk seconds at a
time (`train --resume --time-limit`), records the time it used in runs/compare/<method>/budget.json,
and stops starting new work when --max-wall would be exceeded; run the same command again until it
prints the table. A method is done when it has used --time-limit seconds (or reached --steps).
Evaluation (`iggan-assets evaluate --json`) runs once per method when all training is done and is
cached in eval.json (redone if the checkpoint changed).

GPU box (one H100, 10-minute commands):
  python3 benchmarks/compare.py --data .data/chairs64 --out runs/compare/chairs --time-limit 600 \\
      --chunk 240 --max-wall 540 --render-workers 15 --reference-shapes ../shared/data/modelnet10-chairs-32.npz \\
      --reference-slice 789:889
CPU smoke test (tiny preset, a few steps):
  .venv/bin/python benchmarks/compare.py --quick --data DIR --out /tmp/cmp
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

METHODS = {
    "iggan": ["--renderer", "pyrender"],
    "iggan_nodom": ["--renderer", "pyrender", "--no-dom"],
    "visual_hull": ["--renderer", "visual_hull"],
    "absorption": ["--renderer", "absorption"],
    "emission_absorption": ["--renderer", "emission_absorption"],
    "dcgan2d": ["--model", "dcgan2d"],
    # The paper's protocol for its baselines: real images made by the baseline's own renderer (needs voxels: data)
    "visual_hull_own": ["--renderer", "visual_hull", "--real-renderer", "own"],
    "absorption_own": ["--renderer", "absorption", "--real-renderer", "own"],
    # The paper's ablations (Tables 2 and 3). {proxies} is --proxies: a folder with the proxy renderers
    # made by `pretrain-renderer --out {proxies}/cubes --shapes cubes` (and tables, in_domain).
    "iggan_disc_on_proxy": ["--renderer", "pyrender", "--disc-on-proxy"],
    "iggan_proxy_cubes": ["--renderer", "pyrender", "--proxy", "{proxies}/cubes/proxy.safetensors"],
    "iggan_proxy_tables": ["--renderer", "pyrender", "--proxy", "{proxies}/tables/proxy.safetensors"],
    "iggan_proxy_in_domain": ["--renderer", "pyrender", "--proxy", "{proxies}/in_domain/proxy.safetensors"],
    "iggan_proxy_cubes_frozen": ["--renderer", "pyrender", "--freeze-proxy",
                                 "--proxy", "{proxies}/cubes/proxy.safetensors"],
    "iggan_proxy_in_domain_frozen": ["--renderer", "pyrender", "--freeze-proxy",
                                     "--proxy", "{proxies}/in_domain/proxy.safetensors"],
}
DEFAULT_METHODS = ["iggan", "iggan_nodom", "visual_hull", "absorption", "emission_absorption", "dcgan2d"]
THREE_D = {m for m in METHODS if m != "dcgan2d"}
CLI = [sys.executable, "-P", "-m", "iggan.cli.main"]


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def latest_step(run: Path) -> int:
    steps = [int(p.stem.split("_")[1]) for p in (run / "checkpoints").glob("ckpt_*.json")] if run.is_dir() else []
    return max(steps, default=0)


def log(msg: str) -> None:
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def train_chunks(args, method: str, deadline: float) -> bool:
    """Train `method` until its budget is used or the deadline comes. True when it is done."""
    run = args.out / method
    run.mkdir(parents=True, exist_ok=True)
    budget_path = run / "budget.json"
    budget = read_json(budget_path, {"seconds": 0.0, "chunks": 0})
    while True:
        used, step = budget["seconds"], latest_step(run)
        if used >= args.time_limit - 1 or step >= args.steps:
            return True
        # Clip the chunk to the time left, so a run goes on up to the deadline (train checkpoints
        # at its time limit) rather than waiting a whole call for the next one.
        chunk = min(args.chunk, args.time_limit - used, deadline - time.time() - args.overhead)
        if chunk < min(30.0, args.time_limit - used):
            log(f"{method}: stopping for now ({used:.0f}/{args.time_limit:.0f}s used, step {step}); run again to go on")
            return False
        cmd = CLI + ["train", "--data", args.data, "--out", str(run), "--preset", args.preset,
                     "--steps", str(args.steps), "--resume", "--time-limit", str(max(1, int(chunk))),
                     "--device", args.device, *method_args(args, method), *args.train_args]
        if args.render_workers is not None and method.startswith("iggan"):
            cmd += ["--render-workers", str(args.render_workers)]
        log(f"{method}: train chunk {budget['chunks'] + 1} ({chunk:.0f}s) from step {step}")
        t0 = time.time()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        spent = time.time() - t0
        (run / "train_log.txt").open("a").write(proc.stderr[-4000:])
        if proc.returncode != 0:
            raise SystemExit(f"{method}: training failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        # A chunk counts its wall time capped at the --time-limit it was given: train stops itself at
        # that limit measured from the start of training, so start-up (imports, render pool) is not
        # charged to a method when the chunk runs to its limit.
        budget = {"seconds": used + min(spent, chunk), "chunks": budget["chunks"] + 1,
                  "wall_seconds": budget.get("wall_seconds", 0.0) + spent, "step": latest_step(run)}
        atomic_write(budget_path, json.dumps(budget, indent=1))


def method_args(args, method: str) -> list[str]:
    """The train options of a method, with {proxies} filled in (and checked) for the ablations."""
    out = []
    for a in METHODS[method]:
        if "{proxies}" in a:
            if args.proxies is None:
                raise SystemExit(f"{method} needs --proxies DIR (pretrained proxy renderers)")
            a = a.format(proxies=args.proxies)
            if not Path(a).is_file():
                raise SystemExit(f"{method}: {a} not found; make it with `iggan-assets pretrain-renderer --out "
                                 f"{Path(a).parent} ...` (see the top of this file)")
        out.append(a)
    return out


def evaluate(args, method: str) -> dict:
    run = args.out / method
    cache = run / "eval.json"
    step = latest_step(run)
    cached = read_json(cache, None)
    key = {"step": step, "samples": args.samples, "data": args.data, "reference": str(args.reference_shapes)}
    if cached and cached.get("key") == key:
        return cached
    # --overwrite: the sheet is this script's own, redrawn whenever the run is evaluated again
    cmd = CLI + ["evaluate", str(run), "--data", args.data, "--samples", str(args.samples), "--json",
                 "--sheet", str(run / "sheet.png"), "--overwrite", "--device", args.eval_device]
    if args.reference_shapes and method in THREE_D:  # evaluate refuses the 3D options without reference shapes
        cmd += ["--reference-shapes", str(args.reference_shapes), "--reference-slice", args.reference_slice,
                "--reference-up", args.reference_up, "--points", str(args.points), "--yaw-angles", str(args.yaw_angles)]
    log(f"{method}: evaluate (step {step})")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{method}: evaluate failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    result = {**json.loads(proc.stdout), "key": key, "budget": read_json(run / "budget.json", {})}
    atomic_write(cache, json.dumps(result, indent=1))
    return result


def table(args, results: dict[str, dict]) -> str:
    cols = [("fid", "FID", "{:.2f}"), ("kid", "KID", "{:.4f}"), ("mmd_cd", "MMD-CD", "{:.5f}"),
            ("cov_cd", "COV-CD", "{:.2f}"), ("1nna_cd", "1-NNA-CD", "{:.3f}")]
    lines = [f"Data: `{args.data}`; preset `{args.preset}`; training budget {args.time_limit:.0f} s per method; "
             f"FID/KID on {args.samples} reference renders (threshold 0.5) vs the data images"
             + (f"; 3D metrics vs `{args.reference_shapes}[{args.reference_slice}]`" if args.reference_shapes else ""),
             "", "| method | steps | train s | " + " | ".join(c[1] for c in cols) + " | samples |",
             "|---|---:|---:|" + "---:|" * len(cols) + "---|"]
    for method, res in results.items():
        m, b = res["metrics"], res.get("budget", {})
        cells = [fmt.format(m[k]) if k in m else "-" for k, _, fmt in cols]
        sheet = os.path.relpath(args.out / method / "sheet.png", args.out)
        lines.append(f"| {method} | {b.get('step', '?')} | {b.get('seconds', 0):.0f} | " + " | ".join(cells)
                     + f" | ![{method}]({sheet}) |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="training images (the same for every method), a --data spec")
    ap.add_argument("--out", type=Path, default=Path("runs/compare"))
    ap.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                    help="comma-separated, from " + ",".join(METHODS))
    ap.add_argument("--proxies", type=Path, help="folder of pretrained proxies for the iggan_proxy_* ablations")
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--time-limit", type=float, default=600.0, help="training seconds per method")
    ap.add_argument("--steps", type=int, default=1_000_000, help="stop a method at this step even within budget")
    ap.add_argument("--chunk", type=float, default=240.0, help="seconds per train command")
    ap.add_argument("--max-wall", type=float, default=540.0, help="start no work that would end after this many "
                    "seconds (keep one call under the device's 10-minute limit)")
    ap.add_argument("--overhead", type=float, default=25.0, help="start-up + checkpoint seconds assumed per chunk")
    ap.add_argument("--render-workers", type=int, help="Pyrender worker processes for the IG-GAN methods")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--eval-device", default=None, help="device for features / Chamfer (default: cuda if available)")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--points", type=int, default=512)
    ap.add_argument("--yaw-angles", type=int, default=12)
    ap.add_argument("--reference-shapes", type=Path)
    ap.add_argument("--reference-slice", default=":")
    ap.add_argument("--reference-up", default="z", choices=["z", "y"])
    ap.add_argument("--train-args", default="", help="extra train options for every method, e.g. '--elevation 15 60'")
    ap.add_argument("--quick", action="store_true", help="CPU smoke test: tiny preset, a few steps, few samples")
    args = ap.parse_args()
    args.train_args = args.train_args.split()
    if args.quick:
        args.preset, args.steps, args.time_limit, args.chunk = "tiny", min(args.steps, 4), min(args.time_limit, 120), 120
        args.samples, args.points, args.yaw_angles, args.max_wall = min(args.samples, 16), 128, 4, 1e9
    if args.eval_device is None:
        import torch

        args.eval_device = "cuda" if torch.cuda.is_available() else "cpu"
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    deadline = time.time() + args.max_wall
    done = [train_chunks(args, m, deadline) for m in methods]
    if not all(done):
        log("training not finished; run the same command again")
        raise SystemExit(3)
    results = {}
    for m in methods:
        if time.time() + 60 > deadline and not (args.out / m / "eval.json").is_file():
            log("no time left for evaluation; run the same command again")
            raise SystemExit(3)
        results[m] = evaluate(args, m)
    text = table(args, results)
    atomic_write(args.out / "results.md", text)
    atomic_write(args.out / "results.json", json.dumps({m: {"metrics": r["metrics"], "budget": r.get("budget")}
                                                        for m, r in results.items()}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
