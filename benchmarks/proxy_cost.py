"""What the proxy renderer costs per training step, by image size and posed-volume size.

Times one forward + backward of the proxy (the L2 part of its update) for the `fast` preset's 32^3
generator at several (image size, pose size) pairs, and prints a table. The posed volume is the
3D part's input: pose 128 means 128^3 samples for a 32^3 grid, 8x the voxels of pose 64.

    python benchmarks/proxy_cost.py --batch 8 --repeats 3            # CPU (dev box)
    python benchmarks/proxy_cost.py --batch 128 --repeats 10 --device cuda
"""
from __future__ import annotations

import argparse
import time

import torch

from iggan.cameras import sample_views
from iggan.config import preset
from iggan.models.neural_renderer import NeuralRenderer


def time_proxy(image_size: int, pose_size: int, batch: int, repeats: int, device: str) -> tuple[float, int]:
    """Median seconds of one forward + backward, and the parameter count."""
    cfg = preset("fast")
    cfg.model.image_size, cfg.model.proxy_pose_size = image_size, pose_size
    proxy = NeuralRenderer(cfg.model).to(device)
    r = cfg.model.voxel_res
    vox = (torch.rand(batch, 1, r, r, r, device=device) > 0.9).float()
    views = sample_views(batch, cfg.views, torch.Generator().manual_seed(0)).to(device)
    target = torch.rand(batch, 1, image_size, image_size, device=device)
    times = []
    for i in range(repeats + 1):  # the first run warms up
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = (proxy(vox, views) - target).pow(2).mean()
        loss.backward()
        if device == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2], sum(p.numel() for p in proxy.parameters())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    print(f"proxy forward + backward, `fast` preset (32^3 voxels), batch {args.batch}, {args.device}, "
          f"median of {args.repeats}\n")
    print("| image size | pose size | ms | parameters |\n|---:|---:|---:|---:|")
    for image_size, pose_size in ((64, 64), (128, 128), (128, 64)):
        sec, n = time_proxy(image_size, pose_size, args.batch, args.repeats, args.device)
        print(f"| {image_size} | {pose_size} | {1000 * sec:.0f} | {n:,} |", flush=True)


if __name__ == "__main__":
    main()
