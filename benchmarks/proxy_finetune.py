"""Is a run's proxy renderer under-trained? Fine-tune it alone and see whether its fidelity moves.

G and D are frozen at a checkpoint. The proxy is trained exactly as in the trainer (L2 to Pyrender
renders of K binarisations of G's samples + dom_weight * DOM on the continuous samples) for --steps
steps at --lr, on a pool of G's samples. Before and after, it is scored like
benchmarks/proxy_thickness.py on fixed held-out sets (other G samples, real training chairs, the
same dilated): L2 to the reference, and the rank correlation of D(reference) and D(proxy) per grid,
which is what G's gradient depends on. If a larger learning rate (or more steps) raises that
correlation quickly, the proxy lags G in training and should learn faster; if not, it lacks capacity.

    python benchmarks/proxy_finetune.py runs/fresh128/checkpoints/ckpt_00015802 --lr 2e-5 1e-4 --steps 100
    python benchmarks/proxy_finetune.py runs/fresh128/checkpoints/ckpt_00015802 --lr 2e-5 --augment 16 --steps 100
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from iggan.cameras import Views, sample_views
from iggan.eval.models import load_grids, load_subject, parse_slice
from iggan.losses import dom_loss, image_l2
from iggan.models.neural_renderer import NeuralRenderer
from iggan.proxy_augment import perturb
from iggan.render.gl import ensure_headless_gl
from iggan.render.protocol import binarise, sample_thresholds
from iggan.render.reference import PyrenderRenderer

sys.path.insert(0, str(Path(__file__).parent))
from proxy_thickness import load_proxy_and_discriminator, score, spearman  # noqa: E402


def evaluate(sets: dict[str, np.ndarray], views: Views, proxy, disc, reference) -> dict[str, float]:
    """Mean L2 over the sets and the per-grid rank correlation of D(ref) and D(proxy), pooled."""
    results = [score(g, views, proxy.eval(), disc, reference) for g in sets.values()]
    d_ref, d_proxy = (np.concatenate(x) for x in zip(*(r["logits"] for r in results)))
    return {"L2": float(np.mean([r["L2"] for r in results])), "rank": spearman(d_ref, d_proxy),
            "margin ref": results[1]["D(ref)"] - results[0]["D(ref)"],
            "margin proxy": results[1]["D(proxy)"] - results[0]["D(proxy)"]}


def finetune(proxy: NeuralRenderer, disc, reference, pool: torch.Tensor, cfg, lr: float, steps: int,
             batch: int, seed: int, augment: int = 0) -> NeuralRenderer:
    """Train the proxy alone on G's samples; pool (N, 1, R, R, R) continuous occupancy.

    augment: that many perturbed copies of the binarised samples (iggan/proxy_augment.py) join
    each step's L2 term (not DOM: their D targets would not be G's).
    """
    t, K = cfg.train, cfg.train.dom_thresholds
    proxy = copy.deepcopy(proxy).train()
    opt = torch.optim.Adam(proxy.parameters(), lr=lr, betas=t.betas)
    rng = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x_c = pool[torch.randint(len(pool), (batch,), generator=rng)]
        views = sample_views(batch, cfg.views, rng)
        x_d = binarise(x_c.repeat_interleave(K, dim=0), sample_thresholds(batch * K, rng))
        views_k = views.repeat(K)
        if augment:
            x_d = torch.cat([x_d, perturb(x_d[:augment], rng)])
            views_k = Views.cat(views_k, views_k[:augment])
        n = len(x_d)
        with torch.no_grad():
            ref = reference(x_d, views_k)  # (B*K + augment, 1, S, S)
            ref_logits = disc(ref[: batch * K]).view(batch, K)
        pred = proxy(torch.cat([x_d, x_c]), Views.cat(views_k, views))
        loss = image_l2(pred[:n], ref) + t.dom_weight * dom_loss(disc(pred[n:]), ref_logits)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return proxy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a training checkpoint (it must hold G, the proxy and D)")
    ap.add_argument("--lr", type=float, nargs="+", default=[2e-5, 1e-4])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--augment", type=int, nargs="+", default=[0],
                    help="perturbed extra grids per step (iggan/proxy_augment.py); one run per value and lr")
    ap.add_argument("--pool", type=int, default=512, help="G samples to fine-tune on")
    ap.add_argument("--n", type=int, default=64, help="grids per evaluation set")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="689:789", help="training chairs: nothing here is held out")
    args = ap.parse_args()
    ensure_headless_gl()
    torch.manual_seed(0)
    cfg, proxy, disc = load_proxy_and_discriminator(args.checkpoint)
    proxy.train()  # fine-tuned here
    for p in disc.parameters():
        p.requires_grad_(False)
    reference = PyrenderRenderer(cfg.model.image_size, cfg.views)
    subject = load_subject(args.checkpoint)
    pool = torch.from_numpy(subject.sample_grids(args.pool, seed=1))[:, None]  # (P, 1, R, R, R)
    real = load_grids(args.reference, parse_slice(args.reference_slice), "z")[: args.n] > 0.5
    sets = {"generated": subject.sample_grids(args.n, seed=0), "real": real,
            "real, dilated": np.stack([ndimage.binary_dilation(g) for g in real])}
    views = sample_views(args.n, cfg.views, torch.Generator().manual_seed(0))

    print(f"checkpoint {args.checkpoint}; G and D frozen; {args.steps} proxy steps of batch {args.batch} "
          f"x K={cfg.train.dom_thresholds}; evaluation sets of {args.n} grids")
    print("| proxy | L2 | rank corr D(ref)~D(proxy) | D margin real - generated, ref | same, proxy | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    row = evaluate(sets, views, proxy, disc, reference)
    print(f"| as trained | {row['L2']:.4f} | {row['rank']:.3f} | {row['margin ref']:.2f} | {row['margin proxy']:.2f} | |")
    for augment in args.augment:
        for lr in args.lr:
            start = time.perf_counter()
            tuned = finetune(proxy, disc, reference, pool, cfg, lr, args.steps, args.batch, seed=0, augment=augment)
            row = evaluate(sets, views, tuned, disc, reference)
            extra = f", +{augment} perturbed grids per step" if augment else ""
            print(f"| +{args.steps} steps at lr {lr:g}{extra} | {row['L2']:.4f} | {row['rank']:.3f} | "
                  f"{row['margin ref']:.2f} | {row['margin proxy']:.2f} | {time.perf_counter() - start:.0f} |")


if __name__ == "__main__":
    main()
