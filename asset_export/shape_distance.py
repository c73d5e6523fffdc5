"""How alike two voxel shapes are: yaw-minimised Chamfer between surface point clouds, in numpy.

This is `iggan-assets evaluate`'s shape distance (iggan/eval/shape_metrics.py computes whole
matrices of it with torch; tests/test_shape_distance.py holds the two to the same values). It lives
here, torch-free, so that `generate --distinct` and the Blender extension, which vendors this
package, keep look-alikes out of a set with one and the same measure.

Clouds are centres of surface voxels, centred and scaled so the longest side of their box is 1;
the distance is mean squared nearest-point distance both ways, minimised over rotations about +Y
(a generator's yaw is arbitrary).
"""
from __future__ import annotations

import math

import numpy as np


def surface_mask(solid: np.ndarray) -> np.ndarray:
    """(R, R, R) bool -> (R, R, R) bool: occupied voxels with at least one empty 6-neighbour."""
    p = np.pad(solid, 1)
    inner = p[2:, 1:-1, 1:-1] & p[:-2, 1:-1, 1:-1] & p[1:-1, 2:, 1:-1] & p[1:-1, :-2, 1:-1] \
        & p[1:-1, 1:-1, 2:] & p[1:-1, 1:-1, :-2]
    return solid & ~inner


def surface_points(grid: np.ndarray, n: int = 1024, seed: int = 0, normalise: bool = True) -> np.ndarray:
    """Binary grid (R, R, R) -> (n, 3) float32 centres of surface voxels (occupied with an empty
    6-neighbour), drawn without replacement when there are enough, with replacement otherwise.

    normalise: centre the cloud's bounding box at the origin and scale its longest side to 1, so
    the metrics compare shapes, not sizes (generators and data frame objects differently).
    An empty grid gives n copies of the origin (a degenerate shape, far from any real one).
    """
    g = np.asarray(grid) > 0.5 if np.asarray(grid).dtype != bool else np.asarray(grid)
    if not g.any():
        return np.zeros((n, 3), np.float32)
    idx = np.argwhere(surface_mask(g)).astype(np.float64)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(idx), n, replace=len(idx) < n)
    pts = (idx[pick] + 0.5) / np.array(g.shape) - 0.5
    if normalise:
        lo, hi = pts.min(0), pts.max(0)
        pts = (pts - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-6)
    return pts.astype(np.float32)


def yaw_rotations(k: int) -> np.ndarray:
    """(k, 3, 3) float32 rotations about +Y by 2 pi j / k."""
    a = np.arange(k, dtype=np.float64) * (2 * math.pi / k)
    c, s, z, o = np.cos(a), np.sin(a), np.zeros(k), np.ones(k)
    return np.stack([c, z, s, z, o, z, -s, z, c], -1).reshape(k, 3, 3).astype(np.float32)


def _chamfer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (n, 3), b (..., m, 3) -> (...,): mean_i min_j |a_i - b_j|^2 + mean_j min_i |a_i - b_j|^2 for
    each cloud of b. |a|^2 + |b|^2 - 2 a.b, all of b's points in one matrix product (one BLAS call)."""
    lead, m = b.shape[:-2], b.shape[-2]
    flat = b.reshape(-1, 3)
    # (|a|^2 + |b|^2) - 2 a.b in as few passes over the (n, K * m) matrix as possible, bit for bit as written out:
    # the -2 goes into the product (a power of two scales exactly) and a - b is a + (-b)
    d = (a * a).sum(-1)[:, None] + (flat * flat).sum(-1)[None, :]
    d += a @ (-2.0 * flat).T
    d = d.reshape(len(a), -1, m)  # (n, K, m)
    # rounding can dip just below zero: clamped after the minima (max(min, 0) is min of max(., 0)), a pass fewer
    near_a = np.maximum(d.min(2), 0.0)  # (n, K)
    near_b = np.maximum(d.min(0), 0.0)  # (K, m)
    return (near_a.mean(0) + near_b.mean(1)).reshape(lead)


def chamfer_to_many(cloud: np.ndarray, others: np.ndarray, yaw_angles: int = 12,
                    coarse_points: int = 128, block: int = 16) -> np.ndarray:
    """Yaw-minimised Chamfer from one cloud (n, 3) to each of others (K, m, 3) -> (K,) float64.

    As evaluate: the best of `yaw_angles` rotations of each other cloud is chosen on the first
    `coarse_points` points of both (the clouds are random draws, so a prefix is a random subset),
    then the full clouds are compared at that angle. `block` other clouds at a time bounds the
    memory (block x n x m distances).
    """
    # float32 as evaluate's torch: twice as fast as float64, and equal to it within 1e-7
    a = np.asarray(cloud, np.float32)
    others = np.asarray(others, np.float32)
    if len(others) == 0:
        return np.zeros(0, np.float64)
    return np.concatenate([_to_block(a, others[s:s + block], yaw_angles, coarse_points)
                           for s in range(0, len(others), block)])


def chamfer_to_some(cloud: np.ndarray, others: np.ndarray, picked: np.ndarray, yaw_angles: int = 12,
                    coarse_points: int = 128, block: int = 16) -> np.ndarray:
    """chamfer_to_many(cloud, others, ...)[picked], bit for bit, computing only the picked (P,) distances -> (P,).

    Bit for bit, the blocks matter in one place: numpy's mean sums an (n, K) array's columns row by row for
    K >= 2 but pairwise for K = 1, so chamfer_to_many's distance to the last cloud, when that one is alone in
    the last block, is rounded differently (by about 1e-9). That one is computed alone here too, and any other
    cloud alone in a block goes in twice, to be summed row by row as in a full block."""
    a = np.asarray(cloud, np.float32)
    others = np.asarray(others, np.float32)
    picked = np.asarray(picked, np.intp)
    alone = len(others) - 1 if len(others) % block == 1 else -1
    out = np.zeros(len(picked), np.float64)
    if alone in picked:
        out[picked == alone] = _to_block(a, others[alone:], yaw_angles, coarse_points)
    rest = np.flatnonzero(picked != alone)
    for s in range(0, len(rest), block):
        at = rest[s:s + block]
        chunk = picked[at] if len(at) > 1 else picked[at].repeat(2)
        out[at] = _to_block(a, others[chunk], yaw_angles, coarse_points)[:len(at)]
    return out


def _to_block(a: np.ndarray, b: np.ndarray, yaw_angles: int, coarse_points: int) -> np.ndarray:
    """chamfer_to_many for one block: a (n, 3), b (K, m, 3) float32 -> (K,)."""
    if yaw_angles > 1:
        rots = yaw_rotations(yaw_angles)
        c = coarse_points
        bc = np.einsum("kmj,rij->krmi", b[:, :c], rots)  # (K, R, c, 3)
        coarse = _chamfer(a[:c], bc)  # (K, R), a broadcast against every rotated cloud
        best = rots[coarse.argmin(1)]  # (K, 3, 3)
        b = np.einsum("kmj,kij->kmi", b, best)
    return _chamfer(a, b).astype(np.float64)
