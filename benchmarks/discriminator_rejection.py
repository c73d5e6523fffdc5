"""Does discriminator rejection sampling (keep the samples D likes best) close the shape gap?

Draws 4n samples from a training run's EMA generator, renders each binarised sample with Pyrender
from V random training views, scores it by D's mean logit, and keeps the best n (of 4n: top 25%) or
the best n of the first 2n (top 50%). Each set is scored against n training chairs (689:789) like
`evaluate` (MMD/COV/1-NNA, yaw-minimised Chamfer). Needs a run directory (the bundles ship no D).

    PYOPENGL_PLATFORM=osmesa python benchmarks/discriminator_rejection.py runs/chairs9 --views 8 --draws 2
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from iggan import checkpoint as ckpt
from iggan.cameras import sample_views
from iggan.config import Config
from iggan.eval.models import load_grids, parse_slice
from iggan.eval.shape_metrics import shape_metrics
from iggan.models.discriminator import Discriminator
from iggan.models.generator import VoxelGenerator
from iggan.render.reference import PyrenderRenderer
from iggan.sampling import latents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--draws", type=int, default=2)
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="689:789")
    args = ap.parse_args()
    step, stem = ckpt.list_checkpoints(args.run)[-1]
    tensors, meta = ckpt.load_pair(stem)
    cfg = Config.from_dict(meta["config"])
    G, D = VoxelGenerator(cfg.model).eval(), Discriminator(cfg.model).eval()
    ckpt.load_module("generator_ema", G, tensors, stem)
    ckpt.load_module("discriminator", D, tensors, stem)
    renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
    ref = load_grids(args.reference, parse_slice(args.reference_slice), "z")
    n = len(ref)
    print(f"{args.run} step {step}: {4 * n} samples, D's mean logit over {args.views} views, vs "
          f"{args.reference}[{args.reference_slice}]\n")
    print("| draw | as drawn (first n) | top 25% by D | top 50% by D | bottom 50% by D |\n|---|---|---|---|---|")
    for draw in range(args.draws):
        t0 = time.perf_counter()
        z = torch.from_numpy(latents(draw, 4 * n, cfg.model.z_dim))
        views_rng = torch.Generator().manual_seed(draw)
        with torch.no_grad():
            vox = torch.cat([G(z[i:i + 16])[:, :1] for i in range(0, 4 * n, 16)]) > 0.5
            scores = []
            for i in range(0, 4 * n, 16):
                batch = vox[i:i + 16].float().repeat_interleave(args.views, 0)
                images = renderer(batch, sample_views(len(batch), cfg.views, views_rng))
                scores.append(D(images).view(-1, args.views).mean(1))
        scores = torch.cat(scores).numpy()
        grids = vox[:, 0].numpy()
        first2 = np.argsort(-scores[:2 * n])
        sets = [grids[:n], grids[np.argsort(-scores)[:n]], grids[first2[:n]], grids[first2[n:]]]
        cells = []
        for g in sets:
            m = shape_metrics(g, ref, seed=draw)
            cells.append(f"1-NNA {m['1nna_cd']:.3f}, COV {m['cov_cd']:.2f}")
        print(f"| {draw} | " + " | ".join(cells) + f" |  ({time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
