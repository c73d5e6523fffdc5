"""Where each asset sits in a multi-asset file: on a grid in the XZ plane, or all at the origin."""
from __future__ import annotations

import math

import numpy as np

LAYOUTS = ("grid", "origin")


def layout_positions(footprints: np.ndarray, layout: str = "grid", gap: float = 0.25) -> np.ndarray:
    """footprints: (N, 2) x and z extents in metres -> (N, 3) translations.

    "grid": a near-square grid, row-major along +X then +Z, cell = largest footprint + gap
    (relative), centred on the origin so the file opens framed. "origin": all at (0, 0, 0),
    for engines where the user places each asset themselves.
    """
    n = len(footprints)
    if layout == "origin" or n == 0:
        return np.zeros((n, 3))
    if layout != "grid":
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cell = float(np.max(footprints)) * (1.0 + gap) if n else 1.0
    i = np.arange(n)
    x = (i % cols - (cols - 1) / 2.0) * cell
    z = (i // cols - (rows - 1) / 2.0) * cell
    return np.stack([x, np.zeros(n), z], axis=1)
