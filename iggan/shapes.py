"""Random voxel shapes: cubes/boxes and table-like objects. They pretrain the proxy renderer on a
generic set and make the self-contained CPU demo dataset. Deterministic given a torch.Generator."""
from __future__ import annotations

import numpy as np
import torch


def _randint(gen: torch.Generator, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (1,), generator=gen))


def random_box(res: int, gen: torch.Generator) -> np.ndarray:
    """One axis-aligned box of random size and position: (res, res, res) bool, [x, y, z]."""
    grid = np.zeros((res, res, res), bool)
    lo = [_randint(gen, 0, res // 2) for _ in range(3)]
    hi = [min(res, l + _randint(gen, max(2, res // 8), res - l)) for l in lo]
    grid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return grid


def random_cubes(res: int, gen: torch.Generator) -> np.ndarray:
    """Union of 1-3 random boxes: (res, res, res) bool."""
    grid = np.zeros((res, res, res), bool)
    for _ in range(_randint(gen, 1, 3)):
        grid |= random_box(res, gen)
    return grid


def random_table(res: int, gen: torch.Generator) -> np.ndarray:
    """A table-like object: a top slab on four legs, random proportions. (res, res, res) bool, +Y up."""
    grid = np.zeros((res, res, res), bool)
    m = res // 8
    x0, x1 = _randint(gen, 0, m * 2), res - _randint(gen, 0, m * 2)
    z0, z1 = _randint(gen, 0, m * 2), res - _randint(gen, 0, m * 2)
    height = _randint(gen, res // 3, res - 1)
    thick = max(1, _randint(gen, 1, max(1, res // 10)))
    leg = max(1, _randint(gen, 1, max(1, res // 8)))
    grid[x0:x1, height - thick:height, z0:z1] = True
    for x in (x0, x1 - leg):
        for z in (z0, z1 - leg):
            grid[x:x + leg, 0:height, z:z + leg] = True
    return grid


def random_shapes(n: int, res: int, gen: torch.Generator, kinds: tuple[str, ...] = ("cubes", "tables")) -> torch.Tensor:
    """n shapes, kinds alternating at random -> (n, 1, res, res, res) float32 in {0, 1}."""
    makers = {"cubes": random_cubes, "tables": random_table}
    unknown = set(kinds) - set(makers)
    if unknown:
        raise ValueError(f"unknown shape kinds {sorted(unknown)}; choose from {sorted(makers)}")
    grids = [makers[kinds[_randint(gen, 0, len(kinds) - 1)]](res, gen) for _ in range(n)]
    return torch.from_numpy(np.stack(grids)).float()[:, None]
