"""Optional stage before cleaning: make a shape mirror-symmetric (`generate --mirror x|z|auto`).

Real chairs and most furniture are left-right symmetric (ModelNet chairs: median IoU 0.99 with their own
mirror image), generated ones less so (the bundled chairs: about 0.7); a leg or armrest on one side only
reads as a defect in a game. Off by default: L-shaped sofas and other truly one-sided designs would lose
their odd part (BENCHMARKS.md, session 18).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .errors import ExportError

MIRROR_AXES = {"x": 0, "z": 2}  # in the +Y-up grid frame; Y (up) is never a symmetry plane for furniture
MIRROR_CHOICES = ("x", "z", "auto")
PLANE_SEARCH = 2  # voxels either side of the extent's middle in which the best mirror plane is sought


def mirrored(grid: np.ndarray, dim: int, twice_centre: int) -> np.ndarray:
    """grid reflected about the plane at index twice_centre / 2 along dim (voxel i -> twice_centre - i);
    what falls outside the grid is empty. (X, Y, Z) -> (X, Y, Z)."""
    n = grid.shape[dim]
    src = twice_centre - np.arange(n)
    valid = (src >= 0) & (src < n)
    out = np.zeros_like(grid)
    dst_index = [slice(None)] * 3
    dst_index[dim] = np.nonzero(valid)[0]
    out[tuple(dst_index)] = np.take(grid, src[valid], axis=dim)
    return out


def _soft_iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.minimum(a, b).sum() / max(float(np.maximum(a, b).sum()), 1e-9))


def best_mirror_plane(occ: np.ndarray, dim: int, threshold: float = 0.5) -> tuple[int, float] | None:
    """(2 x the plane's index, soft IoU of occ with its reflection) for the plane, in half-voxel steps
    within PLANE_SEARCH voxels of the middle of the solid extent along dim, that overlaps occ the most;
    None for an empty grid. The extent's middle alone is biased by one-sided parts such as an armrest."""
    others = tuple(d for d in range(3) if d != dim)
    present = np.nonzero((occ >= threshold).any(axis=others))[0]
    if len(present) == 0:
        return None
    middle = int(present[0] + present[-1])
    candidates = range(middle - 2 * PLANE_SEARCH, middle + 2 * PLANE_SEARCH + 1)
    scores = [(_soft_iou(occ, mirrored(occ, dim, k)), -abs(k - middle), k) for k in candidates]
    iou, _, k = max(scores)  # ties go to the plane nearest the middle
    return k, iou


def mirror_occupancy(occupancy: np.ndarray, axis: str, threshold: float = 0.5) -> np.ndarray:
    """(X, Y, Z) occupancy in [0, 1] -> (X, Y, Z) occupancy symmetric about the best mirror plane along
    axis ("x", "z", or "auto": whichever of the two the shape is already more symmetric about).

    A voxel keeps its value where its mirror image has support within one voxel, and each side gains what
    the other side's supported parts have. So a part with no counterpart (an odd leg or spoke) goes, legs a
    voxel off-mirror both stay (a plain max would double them, a plain mean would drop them), and parts on
    one side only reappear on the other only if the other side has something near."""
    if axis not in MIRROR_CHOICES:
        raise ExportError(f"mirror must be one of {', '.join(MIRROR_CHOICES)}, got {axis!r}")
    occ = np.asarray(occupancy, dtype=np.float32)
    planes = {a: best_mirror_plane(occ, MIRROR_AXES[a], threshold) for a in MIRROR_AXES if axis in (a, "auto")}
    planes = {a: p for a, p in planes.items() if p is not None}
    if not planes:
        return occ.copy()  # empty: cleaning reports it
    chosen = max(planes, key=lambda a: planes[a][1])
    mirror = mirrored(occ, MIRROR_AXES[chosen], planes[chosen][0])
    near = ndimage.maximum_filter(occ, size=3)
    near_mirror = ndimage.maximum_filter(mirror, size=3)
    return np.maximum(np.minimum(occ, near_mirror), np.minimum(mirror, near))
