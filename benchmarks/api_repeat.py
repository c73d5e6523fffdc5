"""iggan.api in a long-running process: one command called --calls times in a loop, printing after each
--every calls the seconds per call, RSS, open file descriptors, Python threads and gc-tracked objects, so a
steady leak shows as a column that keeps growing. Also checks that every call wrote byte-identical files.

    PYOPENGL_PLATFORM=osmesa python benchmarks/api_repeat.py generate 2>/dev/null
    PYOPENGL_PLATFORM=osmesa python benchmarks/api_repeat.py export 2>/dev/null
    PYOPENGL_PLATFORM=osmesa python benchmarks/api_repeat.py render-dataset 2>/dev/null

(The commands' progress lines go to stderr. Redirect it with the shell, not with contextlib.redirect_stderr into a
new StringIO per call: click caches a wrapper per stream that holds the stream, so each StringIO is kept.)
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS"))


def chairs(path: Path) -> Path:
    """Two 32^3 box chairs in an .npz, as `export` and `render-dataset` read them."""
    grids = np.zeros((2, 32, 32, 32), np.float32)
    grids[:, 8:24, 10:14, 8:24] = 1.0  # seat
    grids[:, 8:11, 10:28, 8:24] = 1.0  # back
    for x in (8, 21):
        for z in (8, 21):
            grids[:, x:x + 3, 0:10, z:z + 3] = 1.0
    grids[1, 8:24, 14:18, 8:11] = 1.0  # an arm: the two differ
    np.savez(path, voxels=grids)
    return path


def call(command: str, work: Path, i: int) -> Path:
    """Run `command` once; returns the file whose bytes must not change between calls."""
    from iggan import api

    if command == "generate":
        api.generate(work / f"g{i}.glb", n=2, seed=1, thumbnails=64)
        return work / f"g{i}.glb"
    if command == "export":
        api.export(work / "chairs.npz", work / f"e{i}.glb", lods=2, collision="godot")
        return work / f"e{i}.glb"
    api.run("render-dataset", work / "chairs.npz", out=work / f"r{i}", views=4, size=64, quiet=True, min_images=1)
    return work / f"r{i}" / sorted(p.name for p in (work / f"r{i}").glob("*.png"))[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["generate", "export", "render-dataset"])
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--every", type=int, default=5)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="api_repeat-"))
    chairs(work / "chairs.npz")
    print(f"{'call':>5} {'s/call':>7} {'RSS MB':>8} {'fds':>4} {'threads':>7} {'objects':>8}")
    hashes, t0 = set(), time.perf_counter()
    first = None
    for i in range(1, args.calls + 1):
        hashes.add(hashlib.sha256(call(args.command, work, i).read_bytes()).hexdigest())
        if i % args.every == 0 or i == 1:
            dt = (time.perf_counter() - t0) / (args.every if i > 1 else 1)
            gc.collect()
            row = (rss_mb(), len(os.listdir("/proc/self/fd")), threading.active_count(), len(gc.get_objects()))
            first = first or row
            print(f"{i:>5} {dt:>7.3f} {row[0]:>8.1f} {row[1]:>4} {row[2]:>7} {row[3]:>8}")
            t0 = time.perf_counter()
    print(f"after call 1: RSS {row[0] - first[0]:+.1f} MB, fds {row[1] - first[1]:+d}, threads {row[2] - first[2]:+d}, "
          f"objects {row[3] - first[3]:+d}; {len(hashes)} distinct output(s) over {args.calls} calls")


if __name__ == "__main__":
    main()
