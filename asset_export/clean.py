"""Stage 1: occupancy -> one clean solid (threshold, rejoin broken-off parts, drop specks, fill sealed cavities)."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .errors import BrokenError, EmptyGridError, ExportError, FullGridError

# 18-connectivity (faces and edges, not corners): marching cubes at a level just below 0.5
# (see surface.py) joins voxels that share an edge, and keeps apart voxels that share only a
# corner, so labelling with the same rule makes "one body" here mean one body in the mesh.
SOLID_CONNECTIVITY = ndimage.generate_binary_structure(3, 2)
# A part broken off the main body by a one-voxel gap (an office chair's thin column, cut by the threshold)
# is joined back when the gap's voxels are at least BRIDGE_LEVEL x threshold (the generator nearly made
# them solid), the part holds at least BRIDGE_MIN_SHARE of the main body's voxels (not a speck) and the
# bridge is at most BRIDGE_MAX_VOXELS (a joint, not a seam along two parts that merely run side by side).
BRIDGE_LEVEL = 0.5
BRIDGE_MIN_SHARE = 0.02
BRIDGE_MAX_VOXELS = 16
BRIDGE_ROUNDS = 3


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


def bridge_bodies(solid: np.ndarray, occupancy: np.ndarray, threshold: float) -> np.ndarray:
    """Join parts broken off the largest body by a one-voxel gap the generator nearly filled (see
    BRIDGE_LEVEL): (X, Y, Z) bool solid, (X, Y, Z) occupancy -> (X, Y, Z) bool, the gap voxels added.

    A bridge voxel touches both bodies (18-connected, as keep_bodies labels), so marching cubes joins them.
    Up to BRIDGE_ROUNDS rounds, since a part joined may bring another within reach; only the parts next to
    the gap voxels around the main body are tried, so a grid of noise in many pieces costs no more than a chair."""
    solid = np.asarray(solid, bool).copy()
    weak = np.asarray(occupancy) >= BRIDGE_LEVEL * threshold
    for _ in range(BRIDGE_ROUNDS):
        labels, n = ndimage.label(solid, structure=SOLID_CONNECTIVITY)
        if n <= 1:
            break
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        main = int(np.argmax(sizes))
        reach = ndimage.binary_dilation(labels == main, SOLID_CONNECTIVITY) & weak & ~solid
        beside = np.unique(labels[ndimage.binary_dilation(reach, SOLID_CONNECTIVITY)])
        joined = False
        for body in beside[(beside != 0) & (beside != main) & (sizes[beside] >= BRIDGE_MIN_SHARE * sizes[main])]:
            bridge = reach & ndimage.binary_dilation(labels == body, SOLID_CONNECTIVITY)
            if 0 < bridge.sum() <= BRIDGE_MAX_VOXELS:
                solid |= bridge
                joined = True
        if not joined:
            break
    return solid


def fill_cavities(solid: np.ndarray) -> np.ndarray:
    """Fill voids that no path of face-adjacent empty voxels connects to the outside.

    A sealed cavity would become an inward-facing inner surface: hidden triangles, and a
    second shell that breaks "one connected body". Background uses 6-connectivity, the
    complement of the solid's 18-connectivity.
    """
    return ndimage.binary_fill_holes(solid)


def clean_grid(occupancy: np.ndarray, threshold: float = 0.5, keep_fraction: float = 1.0,
               fill: bool = True, min_voxels: int = 8, max_fill: float = 0.9,
               max_loose: float | None = None) -> np.ndarray:
    """(X, Y, Z) occupancy -> (X, Y, Z) bool solid ready for marching cubes.

    Raises EmptyGridError when fewer than min_voxels stay solid, FullGridError when more than
    max_fill of the grid is solid (a generator collapsed to all-full makes a plain cube), BrokenError
    when the bodies dropped hold more than max_loose of the solid voxels (None: no check).
    """
    solid = threshold_grid(occupancy, threshold)
    fraction = float(solid.mean())
    if fraction > max_fill:
        raise FullGridError(f"sample is all full: {fraction:.0%} of the grid is solid (limit {max_fill:.0%})")
    if solid.sum() < min_voxels:
        raise EmptyGridError(f"sample is empty: {int(solid.sum())} solid voxels at threshold {threshold}")
    joined = bridge_bodies(solid, occupancy, threshold)
    solid = keep_bodies(joined, keep_fraction)
    loose = 1.0 - solid.sum() / joined.sum()
    if max_loose is not None and loose > max_loose:
        raise BrokenError(f"it is in pieces: {loose:.0%} of its voxels lie in parts cut off from its main body "
                          f"(limit {max_loose:.0%})")
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
