"""Does the proxy's gradient tell G what D thinks of a local change? Prints a table.

G learns only from d D(proxy(x)) / d x. This checks that gradient against what the reference path
actually does, one voxel at a time. For each of --n of the checkpoint's G samples (binarised at 0.5)
it flips --flips surface voxels (half removed from the surface, half added next to it), renders each
flipped grid with Pyrender at --views fixed views and records how D's mean logit moves (dD_ref). Then:

- gradient: the proxy's first-order prediction, d mean_v D(proxy(x, v)) / d x at that voxel, times
  +1 (added) or -1 (removed): what G's update assumes the flip does;
- finite difference: D(proxy(x with the flip)) - D(proxy(x)): what the proxy's render of the flip does.

Rank correlations (Spearman, per shape, then averaged) with dD_ref, and how often the sign agrees
(over flips whose dD_ref is clearly not zero). Near 0 means G's gradient is blind to what D sees.
A second table takes a step: the k flips the gradient favours most, k random ones and the k it
disfavours most, each applied at once and scored through Pyrender. If the gradient is useful in
aggregate, favoured > random > disfavoured even where single flips look like noise.
`--faces` puts the differentiable voxel-face renderer (iggan/render/voxel_faces.py, the reference's
exact twin on binary grids) where the proxy was: what G's gradient would be through it.
`--control` swaps both Pyrender and the proxy for the differentiable absorption renderer, where the
gradient is exact: it shows what the table looks like when G's gradient does follow D (single-voxel
flips are not infinitesimal, so even then it is not 1).

    PYOPENGL_PLATFORM=osmesa python benchmarks/proxy_gradient.py runs/ctl128/checkpoints/ckpt_00025791 --n 8
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from scipy.stats import spearmanr

from iggan.cameras import Views, sample_views
from iggan.eval.models import load_subject
from iggan.render.gl import ensure_headless_gl
from iggan.render.reference import PyrenderRenderer
from iggan.render.volume import VolumeRenderer
from iggan.render.voxel_faces import VoxelFaceRenderer

sys.path.insert(0, str(Path(__file__).parent))
from proxy_thickness import load_proxy_and_discriminator  # noqa: E402


def candidate_flips(grid: np.ndarray, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(m, 3) voxel indices and (m,) signs: m//2 surface voxels to remove (-1), m - m//2 to add (+1)."""
    grown = ndimage.binary_dilation(grid)
    surface = grid & ~ndimage.binary_erosion(grid)
    shell = grown & ~grid
    picks, signs = [], []
    for mask, sign, k in ((surface, -1, m // 2), (shell, +1, m - m // 2)):
        idx = np.argwhere(mask)
        idx = idx[rng.choice(len(idx), size=min(k, len(idx)), replace=False)]
        picks.append(idx)
        signs.append(np.full(len(idx), sign))
    return np.concatenate(picks), np.concatenate(signs)


@torch.no_grad()
def mean_logits(disc, images: torch.Tensor, n_views: int) -> np.ndarray:
    """images (G*V, 1, S, S), V consecutive views per grid -> (G,) D's logit averaged over views."""
    logits = torch.cat([disc(images[i:i + 64]) for i in range(0, len(images), 64)]).flatten()
    return logits.view(-1, n_views).mean(1).numpy()


def one_shape(grid: np.ndarray, views, proxy, disc, reference, flips: int, rng, step_rng) -> dict[str, np.ndarray]:
    """Flip `flips` voxels of one binary (R, R, R) grid; D's response through each path, (flips,) each."""
    V = len(views.azimuth)
    idx, sign = candidate_flips(grid, flips, rng)
    grids = np.repeat(grid[None], len(idx) + 1, axis=0)
    for j, (a, b, c) in enumerate(idx):
        grids[j + 1, a, b, c] = sign[j] > 0
    vox = torch.from_numpy(grids.astype(np.float32))[:, None]  # (1 + F, 1, R, R, R)
    rep = lambda t: t.repeat_interleave(V, dim=0)  # noqa: E731  (G, ...) -> (G*V, ...): V copies of each grid
    tiled = Views(views.azimuth.repeat(len(vox)), views.elevation.repeat(len(vox)))  # the V views, per grid
    ref_imgs = torch.cat([reference(rep(vox[i:i + 16]), tiled[i * V:(i + 16) * V]) for i in range(0, len(vox), 16)])
    d_ref = mean_logits(disc, ref_imgs, V)
    with torch.no_grad():
        prox_imgs = torch.cat([proxy(rep(vox[i:i + 8]), tiled[i * V:(i + 8) * V]) for i in range(0, len(vox), 8)])
    d_prox = mean_logits(disc, prox_imgs, V)
    x = vox[:1].clone().requires_grad_(True)
    disc(proxy(x.expand(V, -1, -1, -1, -1), views)).mean().backward()
    grad = x.grad[0, 0].numpy()
    return {"ref": d_ref[1:] - d_ref[0], "fd": d_prox[1:] - d_prox[0],
            "grad": grad[idx[:, 0], idx[:, 1], idx[:, 2]] * sign, "sign": sign,
            "steps": gradient_steps(grid, grad, d_ref[0], views, disc, reference, step_rng,
                                    measured=(idx, d_ref[1:] - d_ref[0]))}


STEP_SIZES = (8, 32, 128)


def gradient_steps(grid: np.ndarray, grad: np.ndarray, d_base: float, views, disc, reference,
                   rng: np.random.Generator, measured: tuple[np.ndarray, np.ndarray]) -> dict[tuple[str, int], float]:
    """Flip k voxels at once, chosen by the proxy's gradient, and score the result through Pyrender.

    Among all surface voxels (removal) and empty voxels next to the surface (addition), "favoured"
    flips are the k the gradient predicts raise D most (what a step of G's update would do, taken on
    the binary grid), "disfavoured" the k it predicts lower D most, "random" any k. "best measured"
    (k up to half the measured flips) takes the k single flips of `measured` ((F, 3) voxels, (F,) their
    own change of D through Pyrender) that raised D most: whether improving moves exist at all.
    Returns {(choice, k): change of D's view-averaged logit through Pyrender}.
    """
    surface = np.argwhere(grid & ~ndimage.binary_erosion(grid))
    shell = np.argwhere(ndimage.binary_dilation(grid) & ~grid)
    idx = np.concatenate([surface, shell])
    predicted = np.concatenate([-grad[tuple(surface.T)], grad[tuple(shell.T)]])  # gain in D per flip
    order = np.argsort(-predicted)
    grids, keys = [], []
    for k in STEP_SIZES:
        for choice, pick in (("favoured", order[:k]), ("random", rng.choice(len(idx), k, replace=False)),
                             ("disfavoured", order[::-1][:k])):
            g = grid.copy()
            g[tuple(idx[pick].T)] = ~g[tuple(idx[pick].T)]
            grids.append(g)
            keys.append((choice, k))
        flipped, gain = measured
        if k <= len(gain) // 2:
            g = grid.copy()
            best = flipped[np.argsort(-gain)[:k]]
            g[tuple(best.T)] = ~g[tuple(best.T)]
            grids.append(g)
            keys.append(("best measured", k))
    V = len(views.azimuth)
    vox = torch.from_numpy(np.stack(grids).astype(np.float32))[:, None].repeat_interleave(V, dim=0)
    tiled = Views(views.azimuth.repeat(len(grids)), views.elevation.repeat(len(grids)))
    d = mean_logits(disc, torch.cat([reference(vox[i:i + 64], tiled[i:i + 64]) for i in range(0, len(vox), 64)]), V)
    return {key: float(v - d_base) for key, v in zip(keys, d)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a training checkpoint (it must hold the proxy and D)")
    ap.add_argument("--n", type=int, default=8, help="G samples")
    ap.add_argument("--flips", type=int, default=64, help="voxel flips per sample")
    ap.add_argument("--views", type=int, default=4, help="views per sample (D's logit is averaged)")
    ap.add_argument("--control", action="store_true", help="absorption renderer as reference and proxy")
    ap.add_argument("--faces", action="store_true",
                    help="the differentiable voxel-face renderer in place of the proxy (reference stays Pyrender)")
    args = ap.parse_args()
    ensure_headless_gl()
    torch.manual_seed(0)
    t0 = time.perf_counter()
    cfg, proxy, disc = load_proxy_and_discriminator(args.checkpoint)
    for p in [*proxy.parameters(), *disc.parameters()]:
        p.requires_grad_(False)
    reference = PyrenderRenderer(cfg.model.image_size, cfg.views)
    if args.control:
        reference = proxy = VolumeRenderer("absorption", cfg.model.image_size)
    elif args.faces:
        proxy = VoxelFaceRenderer(cfg.model.image_size, cfg.views)
    samples = load_subject(args.checkpoint).sample_grids(args.n, seed=0) >= 0.5  # (N, R, R, R)
    rng = np.random.default_rng(0)
    rows = []
    for i, grid in enumerate(samples):
        views = sample_views(args.views, cfg.views, torch.Generator().manual_seed(100 + i))
        rows.append(one_shape(grid, views, proxy, disc, reference, args.flips, rng, np.random.default_rng(1000 + i)))
    path = ("control: absorption renderer for both" if args.control else "voxel-face renderer in place of the proxy"
            if args.faces else f"proxy {cfg.model.proxy_channels} channels")
    print(f"checkpoint {args.checkpoint}: {args.n} G samples x {args.flips} voxel flips x {args.views} views, "
          f"{cfg.model.image_size} px, {path} ({time.perf_counter() - t0:.0f} s)")
    print("| flips | mean abs dD_ref | rank corr. gradient | rank corr. finite diff. | sign agrees: gradient "
          "| sign agrees: finite diff. |\n|---|---:|---:|---:|---:|---:|")
    for name, keep in (("all", None), ("removals", -1), ("additions", +1)):
        corr_g, corr_f, agree_g, agree_f, mags = [], [], [], [], []
        for r in rows:
            m = slice(None) if keep is None else r["sign"] == keep
            ref, fd, grad = r["ref"][m], r["fd"][m], r["grad"][m]
            corr_g.append(spearmanr(ref, grad).statistic)
            corr_f.append(spearmanr(ref, fd).statistic)
            clear = np.abs(ref) > 0.25 * np.abs(ref).mean()  # flips D reacts to at all
            agree_g.append(np.mean(np.sign(grad[clear]) == np.sign(ref[clear])))
            agree_f.append(np.mean(np.sign(fd[clear]) == np.sign(ref[clear])))
            mags.append(np.abs(ref).mean())
        print(f"| {name} | {np.mean(mags):.4f} | {np.nanmean(corr_g):.3f} | {np.nanmean(corr_f):.3f} | "
              f"{np.mean(agree_g):.2f} | {np.mean(agree_f):.2f} |")
    print("\nA step on the binary grid: k voxels flipped at once; change of D's logit through Pyrender, mean "
          "+- std over the samples\n| k | favoured by the gradient | random | disfavoured | best measured single flips |"
          "\n|---:|---:|---:|---:|---:|")
    for k in STEP_SIZES:
        cells = [np.array([r["steps"].get((c, k), np.nan) for r in rows])
                 for c in ("favoured", "random", "disfavoured", "best measured")]
        print(f"| {k} | " + " | ".join("-" if np.isnan(c).all() else f"{c.mean():+.4f} +- {c.std():.4f}"
                                       for c in cells) + " |")


if __name__ == "__main__":
    main()
