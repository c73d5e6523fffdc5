"""Does a run's proxy renderer or discriminator favour thick parts? Prints a table.

Generated chairs are thicker than real ones (benchmarks/thickness.py: ~1.3 solid voxels per surface
voxel against 1.05). G only learns through D(proxy(G(z))), so this checks, on one checkpoint, whether
that path rewards thickness. It scores three sets of binary grids at the same random views: real
training chairs, the same chairs dilated by one voxel (thicker; erosion would delete 1-voxel parts),
G's samples binarised at 0.5, and G's samples as they are (the proxy's input in G's update). For each set: ink (mean image intensity) of the Pyrender reference and of the proxy,
the proxy's L2 error, and D's mean logit on the reference render and on the proxy render.

If D(reference) prefers real over dilated but D(proxy) does not, the proxy hides thickness from G.
The last line is the rank correlation (Spearman) of D(ref) and D(proxy) per grid over all sets: G
climbs D(proxy), so it improves in D's eyes only as far as the proxy ranks grids as the reference does.
A second line gives the trainer's own measure, `proxy_rank` in losses.jsonl, on these G samples:
the same correlation between D(proxy) on the continuous grids and D(reference) averaged over K
random-threshold binarisations.

    python benchmarks/proxy_thickness.py runs/chairs128/checkpoints/ckpt_00037158 --n 64
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy import ndimage

from iggan import checkpoint as ckpt
from iggan.cameras import sample_views
from iggan.eval.models import load_grids, load_subject, parse_slice
from iggan.models.discriminator import Discriminator
from iggan.models.neural_renderer import NeuralRenderer
from iggan.render.gl import ensure_headless_gl
from iggan.losses import dom_rank_correlation
from iggan.render.protocol import binarise, sample_thresholds
from iggan.render.reference import PyrenderRenderer


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation of two (N,) arrays: the trainer's proxy_rank with K = 1."""
    return dom_rank_correlation(torch.from_numpy(a), torch.from_numpy(b)[:, None])


def load_proxy_and_discriminator(checkpoint: str):
    """(config, proxy, D) of a training checkpoint, both in eval mode (the other proxy benchmarks use it)."""
    tensors, meta = ckpt.load_pair(checkpoint)
    cfg = ckpt.config_from_meta(meta, checkpoint)
    proxy, disc = NeuralRenderer(cfg.model).eval(), Discriminator(cfg.model).eval()
    ckpt.load_module("proxy", proxy, tensors, checkpoint)
    ckpt.load_module("discriminator", disc, tensors, checkpoint)
    return cfg, proxy, disc


@torch.no_grad()
def score(grids: np.ndarray, views, proxy, disc, reference) -> dict:
    """grids (N, R, R, R) occupancy in [0, 1] -> mean ink, proxy L2 and D logits over N views.

    The reference renders the grids binarised at 0.5; the proxy gets them as they are (in training
    it gets G's continuous grids, so a continuous set shows what G's gradient passes through).
    """
    vox = torch.from_numpy(grids.astype(np.float32))[:, None]  # (N, 1, R, R, R)
    ref, out = [], []
    for i in range(0, len(vox), 16):
        v = views[i:i + 16]
        ref.append(reference((vox[i:i + 16] >= 0.5).float(), v))
        out.append(proxy(vox[i:i + 16], v))  # raw, as D sees it in training
    ref_img, proxy_img = torch.cat(ref), torch.cat(out)  # (N, 1, S, S)
    d_ref, d_proxy = disc(ref_img).flatten().numpy(), disc(proxy_img).flatten().numpy()  # (N,)
    return {"ink ref": ref_img.mean().item(), "ink proxy": proxy_img.mean().item(),
            "L2": ((proxy_img - ref_img) ** 2).mean().item(),
            "D(ref)": float(d_ref.mean()), "D(proxy)": float(d_proxy.mean()), "logits": (d_ref, d_proxy)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a training checkpoint (it must hold the proxy and D)")
    ap.add_argument("--n", type=int, default=64, help="shapes per set")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="689:789", help="training chairs: nothing here is held out")
    args = ap.parse_args()
    ensure_headless_gl()
    cfg, proxy, disc = load_proxy_and_discriminator(args.checkpoint)
    reference = PyrenderRenderer(cfg.model.image_size, cfg.views)

    generated = load_subject(args.checkpoint).sample_grids(args.n, seed=0)  # (N, R, R, R) in [0, 1]
    real = load_grids(args.reference, parse_slice(args.reference_slice), "z")[: args.n] > 0.5
    sets = {
        "real chairs": real,
        "real, dilated 1 voxel": np.stack([ndimage.binary_dilation(g) for g in real]),
        "generated @0.5": (generated >= 0.5),
        "generated, continuous (proxy input as in G's update)": generated,
    }
    views = sample_views(args.n, cfg.views, torch.Generator().manual_seed(0))
    cols = ["ink ref", "ink proxy", "L2", "D(ref)", "D(proxy)"]
    print(f"checkpoint {args.checkpoint}, {args.n} shapes per set, {cfg.model.image_size} px")
    print("| set | occupancy | " + " | ".join(cols) + " |\n|---|---:|" + "---:|" * len(cols))
    pooled = []
    for name, grids in sets.items():
        s = score(grids, views, proxy, disc, reference)
        print(f"| {name} | {grids.mean():.4f} | " + " | ".join(f"{s[c]:.4f}" for c in cols) + " |")
        if "continuous" not in name:  # the binarised twin of the same grids is already pooled
            pooled.append(s["logits"])
    d_ref, d_proxy = (np.concatenate(x) for x in zip(*pooled))
    print(f"rank correlation of D(ref) and D(proxy) per grid, {len(d_ref)} grids of the first three "
          f"sets: {spearman(d_ref, d_proxy):.3f}")
    k = cfg.train.dom_thresholds
    x_c = torch.from_numpy(generated)[:, None]  # (N, 1, R, R, R)
    x_d = binarise(x_c.repeat_interleave(k, dim=0), sample_thresholds(len(x_c) * k, torch.Generator().manual_seed(1)))
    with torch.no_grad():
        views_k = views.repeat(k)
        ref_logits = torch.cat([disc(reference(x_d[i:i + 16], views_k[i:i + 16]))
                                for i in range(0, len(x_d), 16)]).view(-1, k)  # (N, K)
        proxy_logits = torch.cat([disc(proxy(x_c[i:i + 16], views[i:i + 16])) for i in range(0, len(x_c), 16)])
    print(f"proxy_rank as the trainer logs it, on the {len(x_c)} G samples (K={k} random thresholds): "
          f"{dom_rank_correlation(proxy_logits, ref_logits):.3f}")


if __name__ == "__main__":
    main()
