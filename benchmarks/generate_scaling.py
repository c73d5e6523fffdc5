"""How `iggan-assets generate` scales with --n: wall time, peak RSS and the per-stage seconds of --timings.

    .venv/bin/python benchmarks/generate_scaling.py [--n 10 50 200 1000] [--opts=--distinct] [--cli CMD]

Each N runs as its own process under /usr/bin/time (peak RSS is the whole process, torch included, about
400 MB before any asset) with the bundled chairs and seed 0; the table gives ms per asset for the total and
for the stages that should stay flat (sample, the mesh stages together, write, preview) and the load average
beside each run (the box is shared). --cli runs another checkout's CLI (e.g. "python /path/run_base.py").
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

MESH = ("clean", "surface", "smooth", "stand", "level", "decimate", "parts", "place", "seats", "normals", "check",
        "uv", "ao", "texture", "turn", "collision")


def run(cli: list[str], n: int, opts: list[str], workdir: Path) -> dict:
    out = workdir / f"g{n}.glb"
    load = os.getloadavg()[0]
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", *cli, "generate", "--n", str(n), "--out", str(out), "--overwrite",
           "--timings", *opts]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYOPENGL_PLATFORM": "osmesa"})
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    stages = {m[1]: float(m[2]) for m in re.finditer(r"^(\w+)\s+([\d.]+)$", proc.stderr, re.M)}
    wall, kb = re.search(r"TIME ([\d.]+) (\d+)", proc.stderr).groups()
    return {"n": n, "load": load, "wall": float(wall), "rss_mb": int(kb) / 1024, "stages": stages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[10, 50, 200, 1000])
    ap.add_argument("--opts", default="", help="extra generate options, as --opts=\"--distinct --split\"")
    ap.add_argument("--cli", default="iggan-assets", help="the command that runs the CLI")
    args = ap.parse_args()
    print(f"generate {args.opts} ({args.cli})".strip())
    print("| N | load avg | wall s | peak RSS MB | ms/asset | sample | mesh stages | distinct | write | preview |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            r = run(shlex.split(args.cli), n, shlex.split(args.opts), Path(tmp))
            s = r["stages"]
            mesh = sum(s.get(k, 0.0) for k in MESH)
            print(f"| {n} | {r['load']:.2f} | {r['wall']:.1f} | {r['rss_mb']:.0f} | {1000 * r['wall'] / n:.0f} | "
                  f"{s.get('sample', 0):.2f} | {mesh:.2f} | {s.get('distinct', 0):.2f} | {s.get('write', 0):.2f} | "
                  f"{s.get('preview', 0):.2f} |", flush=True)


if __name__ == "__main__":
    main()
