"""How strong is an extra term's pull on G next to D's? Picks `train --spread-weight`, `--volume-weight` or
`--coverage-weight`.
Prints a line per batch.

At a training checkpoint (G's raw weights and its D), on the faces path as in training (soft binarisation
at a uniform threshold in 0.3..0.7, 128 px twin renders, batch 64): the norm of the gradient on G's weights
of g_loss and of the term (`--term spread`: nn_spread, which G raises; `--term volume`: the mean occupancy
as rendered, which G lowers), their ratio (a weight W makes the term's pull W * ratio times D's), and the
cosine between the two gradients (spread: negative means lowering g_loss also raises the spread; volume:
positive means lowering g_loss also lowers the volume; `--term coverage`: iggan.coverage's IMLE loss against
renders of the real grids in `--real FILE.npz` from random views, which G lowers; positive means lowering
g_loss also covers the images). CPU, about 30 s per batch (coverage: about 3 minutes with a pool of 64).

    python benchmarks/spread_gradient.py runs/chunks_c128d/ckpt_00004888 [--term volume] [--thresholds 0.5 0.5]
    python benchmarks/spread_gradient.py runs/chunks_c128d/ckpt_00004888 --term coverage --real .data/chairs_train32.npz
"""
from __future__ import annotations

import argparse

import torch

from iggan import checkpoint as ckpt
from iggan.cameras import sample_views
from iggan.coverage import CoverageSearch, coverage_loss
from iggan.data_sources import open_data_source
from iggan.losses import g_loss, nn_spread
from iggan.models.discriminator import Discriminator
from iggan.models.generator import VoxelGenerator
from iggan.render.voxel_faces import VoxelFaceRenderer
from iggan.sampling import _resolve
from iggan.trainer import FACES_THRESHOLDS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a training checkpoint (with generator.* and discriminator.*)")
    ap.add_argument("--batches", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--term", choices=["spread", "volume", "coverage"], default="spread")
    ap.add_argument("--real", help="coverage: real voxel grids (.npz 'voxels', as `train --data voxels:`) to render")
    ap.add_argument("--pool", type=int, default=64, help="coverage: samples searched (train --coverage-pool)")
    ap.add_argument("--thresholds", type=float, nargs=2, default=FACES_THRESHOLDS, metavar=("LOW", "HIGH"),
                    help="range of the soft binarisation's threshold (training's: 0.3 0.7; e.g. 0.5 0.5 to fix it)")
    args = ap.parse_args()
    if args.term == "coverage" and not args.real:
        ap.error("--term coverage needs --real FILE.npz (the real grids whose renders G should cover)")
    stem = _resolve(args.checkpoint)
    tensors, meta = ckpt.load_pair(stem)
    cfg = ckpt.config_from_meta(meta, stem)
    G, D = VoxelGenerator(cfg.model), Discriminator(cfg.model)
    ckpt.load_module("generator", G, tensors, stem)
    ckpt.load_module("discriminator", D, tensors, stem)
    G.float(), D.float()
    faces = VoxelFaceRenderer(cfg.model.image_size, cfg.views)
    if args.term == "coverage":
        source, _ = open_data_source(f"voxels:{args.real}", cfg)
        real_grids = source.grids[:, None]  # (N, 1, R, R, R), +Y up as training draws them
        search = CoverageSearch(cfg.views)
    params = [p for p in G.parameters()]
    low, high = args.thresholds
    g = torch.Generator().manual_seed(0)
    for _ in range(args.batches):
        z = torch.randn(args.batch, cfg.model.z_dim, generator=g)
        views = sample_views(args.batch, cfg.views, g)
        t = (low + (high - low) * torch.rand(args.batch, generator=g)).view(-1, 1, 1, 1, 1)
        opacity = torch.sigmoid((G(z) - t) / cfg.train.faces_temperature)
        loss = g_loss(D(faces(opacity, views)))
        grad_g = torch.autograd.grad(loss, params, retain_graph=True)
        if args.term == "coverage":
            picked = torch.randint(len(real_grids), (args.batch,), generator=g)
            real = faces(real_grids[picked].float(), sample_views(args.batch, cfg.views, g))
            with torch.no_grad():
                pool_z = torch.randn(args.pool, cfg.model.z_dim, generator=g)
                sample, view, _ = search.nearest((G(pool_z) > 0.5).float(), real)
            chosen = torch.sigmoid((G(pool_z[sample]) - t) / cfg.train.faces_temperature)
            term = -coverage_loss(search.render(chosen, search.views_of(view)), real)  # sign: G raises it
        else:
            term = nn_spread(opacity) if args.term == "spread" else opacity[:, :1].mean()
        grad_s = torch.autograd.grad(term, params)
        norm_g = torch.sqrt(sum((x ** 2).sum() for x in grad_g))
        norm_s = torch.sqrt(sum((x ** 2).sum() for x in grad_s))
        cos = sum((a * b).sum() for a, b in zip(grad_g, grad_s)) / (norm_g * norm_s)
        print(f"loss_g {loss.item():.3f}  {args.term} {term.item():.3f}  |grad g_loss| {norm_g:.4g}  "
              f"|grad {args.term}| {norm_s:.4g}  ratio {norm_s / norm_g:.3g}  cosine {cos:.3f}", flush=True)


if __name__ == "__main__":
    main()
