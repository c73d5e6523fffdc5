"""Perturbed copies of G's binarised samples, for training the proxy renderer beyond them.

The proxy is trained on G's current samples only, so it is faithful there and not in the directions
G has to move (BENCHMARKS.md, "What is left: the proxy": D(proxy) orders G's samples as D(reference)
does, rank 0.76, but not real chairs, 0.51). Rendering a few grids that are one local move away
(one voxel thinner or thicker, one axis thinner, a part cut out) with the reference renderer gives
the proxy L2 targets there. They are perturbations of G's own samples, never real 3D data: the
method still learns from images only.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

MOVES = ("erode", "dilate", "erode_axis", "cut_box")


def _shifted(x: torch.Tensor, axis: int, step: int) -> torch.Tensor:
    """x (N, 1, R, R, R) moved by step (+-1) voxels along spatial axis 0..2, zero-filled (no wrap)."""
    dim = 2 + axis
    pad = [0, 0] * 3
    # F.pad lists the last dimension first
    side = 2 * (2 - axis) + (0 if step > 0 else 1)
    pad[side] = 1
    padded = F.pad(x, pad)
    start = 0 if step > 0 else 1
    return padded.narrow(dim, start, x.shape[dim])


def erode(x: torch.Tensor) -> torch.Tensor:
    """Keep voxels whose 6 neighbours are all solid: one voxel thinner everywhere. (N, 1, R, R, R) in {0, 1}."""
    out = x.clone()
    for axis in range(3):
        for step in (1, -1):
            out = out * _shifted(x, axis, step)
    return out


def dilate(x: torch.Tensor) -> torch.Tensor:
    """Add every 6-neighbour of a solid voxel: one voxel thicker everywhere."""
    out = x.clone()
    for axis in range(3):
        for step in (1, -1):
            out = torch.maximum(out, _shifted(x, axis, step))
    return out


def erode_axis(x: torch.Tensor, axis: int, step: int) -> torch.Tensor:
    """Keep voxels whose neighbour on one side of one axis is solid: one voxel thinner along it."""
    return x * _shifted(x, axis, step)


def cut_box(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Clear one random box of R/4..R/2 voxels a side (a missing part) in each grid."""
    out = x.clone()
    res = x.shape[-1]
    for i in range(len(x)):
        size = torch.randint(res // 4, res // 2 + 1, (3,), generator=gen)
        lo = [int(torch.randint(0, res - int(s) + 1, (1,), generator=gen)) for s in size]
        out[i, :, lo[0]:lo[0] + size[0], lo[1]:lo[1] + size[1], lo[2]:lo[2] + size[2]] = 0
    return out


def perturb(x_d: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One random local move per grid. x_d (N, 1, R, R, R) binary -> same shape, binary.

    A move that would empty a grid (erosion of a one-voxel-thin shape) leaves that grid as it was,
    so the proxy is never taught on empty grids it did not ask for.
    """
    moves = torch.randint(len(MOVES), (len(x_d),), generator=gen)
    out = x_d.clone()
    for k, name in enumerate(MOVES):
        idx = (moves == k).nonzero().flatten().to(x_d.device)  # the moves are drawn on the CPU generator
        if len(idx) == 0:
            continue
        sel = x_d[idx]
        if name == "erode":
            moved = erode(sel)
        elif name == "dilate":
            moved = dilate(sel)
        elif name == "erode_axis":
            axis = int(torch.randint(3, (1,), generator=gen))
            moved = erode_axis(sel, axis, 1 if bool(torch.randint(2, (1,), generator=gen)) else -1)
        else:
            moved = cut_box(sel, gen)
        keep = moved.flatten(1).sum(1) > 0
        out[idx[keep]] = moved[keep]
    return out
