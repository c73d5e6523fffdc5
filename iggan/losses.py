"""Pure loss functions. D returns logits; log D(x) = logsigmoid(logit)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator: -log D(real) - log(1 - D(fake)). Logits (B,) -> scalar."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: -log D(R_phi(G(z))). Logits (B,) -> scalar."""
    return F.softplus(-fake_logits).mean()


def image_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error between proxy and reference renders, (B, 1, S, S) -> scalar."""
    return F.mse_loss(pred, target)


def dom_loss(proxy_logits: torch.Tensor, reference_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator output matching.

    DOM = (log D(R_phi(x_c)) - E_{x_d ~ p(x_d | x_c)} log D(R_d(x_d)))^2, averaged over the batch.
    proxy_logits: (B,) logits of D on proxy renders of the continuous grids x_c.
    reference_logits: (B, K) logits of D on reference renders of K binarisations of each x_c
    (the expectation is estimated by their mean). The reference side is a target: no gradient.
    """
    target = F.logsigmoid(reference_logits.detach()).mean(dim=1)
    return (F.logsigmoid(proxy_logits) - target).pow(2).mean()


def move_dom_loss(proxy_source: torch.Tensor, proxy_moved: torch.Tensor, ref_source: torch.Tensor,
                  ref_moved: torch.Tensor) -> torch.Tensor:
    """DOM on differences: how D's verdict changes when a grid is moved locally (thinner, thicker, cut).

    G's update uses how D(R_phi(x)) changes with x, which DOM's match of values at x does not pin down.
    Each argument is (A,) logits of D on the proxy's (proxy_*) or the reference's (ref_*) render of a
    binarised source grid and of its perturbed copy (iggan/proxy_augment.py). Returns the mean squared
    difference between the two changes of log D; the reference side is a target (no gradient).
    """
    proxy_change = F.logsigmoid(proxy_moved) - F.logsigmoid(proxy_source)
    ref_change = (F.logsigmoid(ref_moved) - F.logsigmoid(ref_source)).detach()
    return (proxy_change - ref_change).pow(2).mean()


def dom_rank_correlation(proxy_logits: torch.Tensor, reference_logits: torch.Tensor) -> float:
    """How well the proxy orders a batch as D does through the reference renderer (Spearman, -1..1).

    G climbs D(proxy(x)), so it only improves in D's eyes as far as the proxy ranks shapes as the
    reference does; DOM matches the values, this checks the order. proxy_logits (B,), reference_logits
    (B, K) as in dom_loss. A diagnostic for the training log: no gradient.
    """
    # on the CPU: B numbers, one transfer each, instead of a handful of tiny GPU kernels and syncs
    a, b = proxy_logits.detach().flatten().cpu(), reference_logits.detach().mean(dim=1).cpu()
    ra, rb = (x.argsort().argsort().double() for x in (a, b))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(ra.norm() * rb.norm())
    return float(ra @ rb) / denom if denom > 0 else 0.0


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1 = E ||grad_x D(x)||^2 on real images (Mescheder et al. 2018). real_images must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def nn_spread(grids: torch.Tensor) -> torch.Tensor:
    """Mean log distance from each sample of a batch to its nearest other sample (higher = more spread).

    The Kozachenko-Leonenko entropy estimate up to constants: G maximises it (train.spread_weight) against
    gathering on common shapes while rare ones go missing (BENCHMARKS.md, session 15). grids (B, ...) with
    B >= 2, as rendered (e.g. the soft binarisation (B, 1, R, R, R), or a 2D G's images); distance = mean
    absolute difference per element.
    The neighbour is picked without gradient; the gradient then pushes each pair apart. Returns a scalar.
    """
    flat = grids.flatten(1)  # (B, F)
    with torch.no_grad():
        d = torch.cdist(flat.float(), flat.float(), p=1)
        d.fill_diagonal_(float("inf"))
        nearest = d.argmin(dim=1)  # (B,)
    # 1e-4: a floor for identical samples (log 0), a hundredth of a typical chair-to-chair distance
    return torch.log((flat - flat[nearest]).abs().mean(dim=1) + 1e-4).mean()
