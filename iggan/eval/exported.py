"""The shapes `generate` ships, for scoring: sampled grids put through the export's cleaning and checks, the ones
a model card's checks refuse replaced, as generate's resampling replaces them."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset

from .models import EvalError, Subject

MAX_POOL_FACTOR = 8  # give up on a model whose checks refuse 7 shapes in 8


def _as_grid_size(solid: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A solid meshed on a pooled grid (the export's noise guard) back at the sampled resolution."""
    if solid.shape == shape:
        return solid
    factor = shape[0] // solid.shape[0]
    return solid.repeat(factor, 0).repeat(factor, 1).repeat(factor, 2)[: shape[0], : shape[1], : shape[2]]


def exported_grids(subject: Subject, n: int, seed: int, settings: ExportSettings) -> tuple[np.ndarray, dict]:
    """The first n of the subject's shapes of `seed` (latents 0, 1, ...) that the export accepts under `settings` (a
    model card's checks: toppling, flat, in pieces), each as the cleaned, joined and levelled voxels its mesh is
    made from -> ((n, R, R, R) bool, +Y up; {"exported_tried": latents looked at, "exported_refused": {reason:
    count by error class}}). Raises EvalError when fewer than n of MAX_POOL_FACTOR * n latents (a set of real
    shapes: all of them) pass."""
    # only LOD0's voxels are scored: no further LODs, hulls, atlases or maps
    settings = replace(settings, lods=1, collision=None, uv=False, ao=False, thumbnail_size=0)
    kept: list[np.ndarray] = []
    refused: Counter = Counter()
    # a set of real shapes holds what it holds; a generator has latents to spare
    limit = len(subject.grids) if subject.kind == "grids" else MAX_POOL_FACTOR * n
    tried, pool = 0, n
    while len(kept) < n:
        if tried >= limit:
            raise EvalError(f"only {len(kept)} of {tried} shapes passed the export's checks, {n} were asked for: "
                            f"refused {dict(refused)}; score fewer shapes (--shape-samples) or drop --as-exported")
        pool = min(pool, limit)
        for grid in subject.sample_grids(pool, seed)[tried:]:  # latent i of a seed does not depend on the count
            tried += 1
            try:
                solid = grid_to_asset(grid, settings).solid
            except ExportError as exc:
                refused[type(exc).__name__] += 1  # TipsOverError, TooFlatError, BrokenError, ...
                continue
            kept.append(_as_grid_size(solid, grid.shape))
            if len(kept) == n:
                break
        pool *= 2
    return np.stack(kept), {"exported_tried": tried, "exported_refused": dict(refused)}
