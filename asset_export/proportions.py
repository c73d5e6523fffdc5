"""How tall a shape is for its width: a cheap check that a sample is a whole object, not a flat slab.

A generator now and then draws a shape flatter than anything it was trained on (the bundled chairs:
about 1 sample in 1,000 is a seat-like plate with no legs or back). Its height over its width says so
at once, and `generate` resamples it like a shape that topples.
"""
from __future__ import annotations

from .errors import TooFlatError
from .mesh import MeshData


def height_ratio(mesh: MeshData) -> float:
    """Bounding-box height (+Y) over the larger horizontal extent (X or Z) of a +Y-up mesh.

    mesh.vertices: (V, 3). A cube gives 1.0, a plate lying flat about 0.1, a tall stool over 1."""
    lo, hi = mesh.bounds()
    size = hi - lo
    width = max(float(size[0]), float(size[2]))
    return float(size[1]) / width if width > 0 else float("inf")


def require_height_ratio(ratio: float, min_ratio: float) -> None:
    """TooFlatError when a height_ratio is below min_ratio."""
    if ratio < min_ratio:
        raise TooFlatError(f"it is too flat to be a whole object: {ratio:.2f} times as tall as it is wide "
                           f"(at least {min_ratio:g} allowed)")
