"""Stage 1: occupancy -> one clean solid (threshold, drop specks, fill sealed cavities)."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .errors import EmptyGridError, ExportError, FullGridError

# 18-connectivity (faces and edges, not corners): marching cubes at a level just below 0.5
# (see surface.py) joins voxels that share an edge, and keeps apart voxels that share only a
# corner, so labelling with the same rule makes "one body" here mean one body in the mesh.
SOLID_CONNECTIVITY = ndimage.generate_binary_structure(3, 2)


def threshold_grid(occupancy: np.ndarray, threshold: float) -> np.ndarray:
    """(X, Y, Z) occupancy in [0, 1] -> (X, Y, Z) bool, solid where occupancy >= threshold."""
    occ = np.asarray(occupancy)
    if occ.ndim != 3 or min(occ.shape) < 1:
        raise ExportError(f"expected a 3D grid (X, Y, Z), got shape {occ.shape}")
    if not np.issubdtype(occ.dtype, np.number) and occ.dtype != bool:
        raise ExportError(f"expected a numeric grid, got dtype {occ.dtype}")
    if occ.dtype != bool and not np.all(np.isfinite(occ)):
        raise ExportError("grid contains NaN or infinite values")
    return occ >= threshold


def keep_bodies(solid: np.ndarray, min_fraction: float = 1.0) -> np.ndarray:
    """Keep the largest connected body, plus others with >= min_fraction of its voxel count.

    solid: (X, Y, Z) bool -> (X, Y, Z) bool. Floating specks are the usual casualty.
    """
    labels, n = ndimage.label(solid, structure=SOLID_CONNECTIVITY)
    if n <= 1:
        return solid.copy()
    sizes = np.bincount(labels.ravel())[1:]  # voxels per label 1..n
    if min_fraction >= 1.0:
        keep = np.zeros(n + 1, bool)
        keep[1 + int(np.argmax(sizes))] = True
    else:
        keep = np.concatenate([[False], sizes >= min_fraction * sizes.max()])
    return keep[labels]


def fill_cavities(solid: np.ndarray) -> np.ndarray:
    """Fill voids that no path of face-adjacent empty voxels connects to the outside.

    A sealed cavity would become an inward-facing inner surface: hidden triangles, and a
    second shell that breaks "one connected body". Background uses 6-connectivity, the
    complement of the solid's 18-connectivity.
    """
    return ndimage.binary_fill_holes(solid)


def clean_grid(occupancy: np.ndarray, threshold: float = 0.5, keep_fraction: float = 1.0,
               fill: bool = True, min_voxels: int = 8, max_fill: float = 0.9) -> np.ndarray:
    """(X, Y, Z) occupancy -> (X, Y, Z) bool solid ready for marching cubes.

    Raises EmptyGridError when fewer than min_voxels stay solid, FullGridError when more than
    max_fill of the grid is solid (a generator collapsed to all-full makes a plain cube).
    """
    solid = threshold_grid(occupancy, threshold)
    fraction = float(solid.mean())
    if fraction > max_fill:
        raise FullGridError(f"sample is all full: {fraction:.0%} of the grid is solid (limit {max_fill:.0%})")
    if solid.sum() < min_voxels:
        raise EmptyGridError(f"sample is empty: {int(solid.sum())} solid voxels at threshold {threshold}")
    solid = keep_bodies(solid, keep_fraction)
    if fill:
        solid = fill_cavities(solid)
    if solid.sum() < min_voxels:
        raise EmptyGridError(f"sample is empty: only specks of < {min_voxels} voxels at threshold {threshold}")
    return solid


def pool_grid(occupancy: np.ndarray, factor: int) -> np.ndarray:
    """(X, Y, Z) -> (ceil(X/f), ceil(Y/f), ceil(Z/f)) block means: the same shape on coarser voxels
    (the grid is padded with empty space to a multiple of f, keeping its centre)."""
    occ = np.asarray(occupancy, np.float32)
    pad = [((-n) % factor // 2, (-n) % factor - (-n) % factor // 2) for n in occ.shape]
    occ = np.pad(occ, pad)
    x, y, z = (n // factor for n in occ.shape)
    return occ.reshape(x, factor, y, factor, z, factor).mean(axis=(1, 3, 5))


def exposed_faces(solid: np.ndarray) -> int:
    """Number of voxel faces between solid and empty (grid border counts as empty): about half
    the triangle count marching cubes will make, known before running it."""
    padded = np.pad(np.asarray(solid, bool), 1)
    return int(sum(np.count_nonzero(np.diff(padded, axis=a)) for a in range(3)))
