"""A lower bound of shape_distance's yaw-minimised Chamfer, cheap enough to try on every kept shape first.

`generate --distinct` compares each new shape with every kept one, and nearly all pairs are far apart:
this bound (about 25 us a pair, where the distance takes about 1.2 ms) shows it for most of them.

Why it is a bound: D_b(x) = min_j |x - b_j|, the distance from a point to cloud b, is 1-Lipschitz, so
D_b(x) >= D_b(c) - |x - c| for any point c. A table of D_b at the centres of a GRID^3 grid over the unit
box (where normalised clouds lie) therefore bounds D_b anywhere, from the centre nearest x. Chamfer at a
yaw R is mean_i D_b(R^T a_i)^2 + mean_j D_a(R b_j)^2, and chamfer_to_many's distance is the full clouds'
Chamfer at one of the `yaw_angles` yaws (the one its coarse points chose), so the least of the bounds at
those yaws is below it, whichever yaw was chosen.

Rounding: in the unit box each float32 squared distance |a|^2 + |b|^2 - 2ab, and each turn by a float32
rotation, is off by under 1e-6, and a float32 mean of 512 terms by a relative 3e-5; the bound is float32
too. So distinct.py passes a pair over only when its bound clears the threshold by 1e-5 plus 0.1%.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .shape_distance import yaw_rotations

# 32^3 centres, 1/32 apart: about 15 ms to tabulate a cloud. 24 takes half that but leaves 1.6x the pairs
# to the exact distance (the same time in all at N = 1000); 48 takes 10x
GRID = 32


def _centres() -> np.ndarray:
    """(GRID^3, 3) float64 cell centres of the unit box [-0.5, 0.5]^3, x slowest."""
    c = (np.arange(GRID) + 0.5) / GRID - 0.5
    return np.stack(np.meshgrid(c, c, c, indexing="ij"), -1).reshape(-1, 3)


_CENTRES = _centres()


def distance_table(cloud: np.ndarray) -> np.ndarray:
    """(n, 3) -> (GRID^3,) float32: the distance from each cell centre to the nearest point of the cloud."""
    return cKDTree(np.asarray(cloud, np.float64)).query(_CENTRES)[0].astype(np.float32)


def nearest_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 3) -> (index of the nearest cell centre (...,) intp, distance to it (...,) float32). Points
    outside the box (a box turned about +Y reaches 0.71 from its axis) get the nearest edge cell's centre,
    farther away: the bound there is weaker, never wrong."""
    cell = np.clip(np.floor((points + 0.5) * GRID), 0, GRID - 1).astype(np.intp)  # numpy gathers fastest by intp
    offset = np.linalg.norm(points - ((cell + 0.5) / GRID - 0.5), axis=-1).astype(np.float32)
    return (cell[..., 0] * GRID + cell[..., 1]) * GRID + cell[..., 2], offset


class BoundData:
    """What the bound needs of one cloud (n, 3): its distance table (GRID^3,) float32, and for each yaw r of
    yaw_rotations(yaw_angles) the nearest cell centre of each turned point R_r p, cell (yaw_angles, n) intp,
    and how far it is, offset (yaw_angles, n) float32."""

    def __init__(self, cloud: np.ndarray, yaw_angles: int):
        cloud = np.asarray(cloud, np.float32)
        self.table = distance_table(cloud)
        self.cell, self.offset = nearest_centres(np.einsum("rij,nj->rni", yaw_rotations(yaw_angles), cloud))

    def turned_back(self) -> tuple[np.ndarray, np.ndarray]:
        """cell and offset with yaw r holding R_r^T p: R_r^T is the turn by yaw (-r) mod yaw_angles."""
        back = (-np.arange(len(self.cell))) % len(self.cell)
        return self.cell[back], self.offset[back]


def square_sums(distances: np.ndarray, offsets: np.ndarray, points_axis: int) -> np.ndarray:
    """D(c) and |x - c| float32 of one shape -> max(D(c) - |x - c|, 0)^2 summed over `points_axis`."""
    gap = distances - offsets
    np.maximum(gap, 0.0, out=gap)
    gap *= gap
    return gap.sum(points_axis)


def lower_bound(a: BoundData, b: BoundData) -> float:
    """The bound between two clouds of n points each: below chamfer_to_many(a, b[None])[0], up to rounding.
    kept_bounds.py computes the same against many clouds at once."""
    cell, offset = a.turned_back()
    to_b = square_sums(b.table[cell], offset, 1)  # (yaws,): sum_i D_b(R^T a_i)^2 at each yaw
    to_a = square_sums(a.table[b.cell], b.offset, 1)  # (yaws,): sum_j D_a(R b_j)^2
    return float((to_b + to_a).min() / cell.shape[1])
