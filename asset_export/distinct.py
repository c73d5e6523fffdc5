"""Keep a generated set free of near-duplicates (`generate --distinct`, the Blender panel's Distinct).

A generator's samples resemble each other more than real shapes do: 50 bundled sofas have a median
distance to their nearest other sample of 0.0029, where the 27 training sofas are 0.0041 apart
(BENCHMARKS.md, session 28). A set for a game scene should not hold two copies of one sofa, so a
shape closer than `min_distance` to one already kept is refused, and generate resamples it as it
does a shape that falls over.

Distance is `evaluate`'s (shape_distance.py): Chamfer between surface point clouds scaled to a unit
box, minimised over rotations about +Y. The bundled cards set `min_distance` to the 25th percentile
of their training shapes' nearest-other distances: no two assets are closer than the closest quarter
of real pairs. Two draws of 512 points from one and the same shape are already about 0.002 apart
(sampling noise), so distances below about 0.0025 cannot tell shapes apart.
"""
from __future__ import annotations

import numpy as np

from .distance_bound import BoundData
from .kept_bounds import KeptBounds, grown
from .shape_distance import chamfer_to_many, chamfer_to_some, surface_points

DEFAULT_MIN_DISTANCE = 0.004  # between the chairs' (0.0045) and the sofas' (0.0031) card values
DISTINCT_RETRIES = 20  # resamples per asset with distinctness on: look-alikes are common, breakage rare
EXACT_BLOCK = 8  # exact distances computed at a time (one BLAS call), nearest bound first


class DistinctSet:
    """The shapes kept so far, as point clouds, and the distance a new one must keep from them.

    A new shape is first bounded against every kept one (distance_bound.py, kept_bounds.py: about 1/50 of
    a distance's cost) and the exact distance is computed only where the bound leaves room for one below
    min_distance: at the chairs' 0.0045, 1 pair in 40 over a set of 1,000. So too_close refuses exactly the
    shapes that comparing with every kept one refuses, and names the same nearest one, at the same distance."""

    def __init__(self, min_distance: float, points: int = 512, yaw_angles: int = 12):
        if not min_distance > 0:
            raise ValueError(f"min_distance must be > 0, got {min_distance}")
        self.min_distance = float(min_distance)
        self._pass_over = _clear_of(self.min_distance)
        self.points, self.yaw_angles = points, yaw_angles
        self.names: list[str] = []
        # one row per kept shape, in an array that doubles when full (no np.stack of every cloud per call)
        self._clouds = np.zeros((0, points, 3), np.float32)
        self._bounds = KeptBounds(points, yaw_angles)
        self._last: tuple[np.ndarray, BoundData] | None = None  # the cloud too_close bounded, for add

    @property
    def clouds(self) -> np.ndarray:
        """(kept, points, 3) float32, in the order added."""
        return self._clouds[:len(self.names)]

    def cloud(self, solid: np.ndarray) -> np.ndarray:
        """(R, R, R) bool -> (points, 3), the same draw for the same grid (seed 0)."""
        return surface_points(solid, self.points, seed=0)

    def nearest(self, cloud: np.ndarray) -> tuple[str | None, float]:
        """(points, 3) -> (name of the closest kept shape, its distance); (None, inf) when none is kept."""
        if not self.names:
            return None, float("inf")
        d = chamfer_to_many(cloud, self.clouds, self.yaw_angles)
        k = int(d.argmin())
        return self.names[k], float(d[k])

    def too_close(self, cloud: np.ndarray) -> str | None:
        """A reason to refuse the shape, or None when it keeps its distance from every kept one."""
        rows, lows = self._bounds.may_be_near(self._bound_data(cloud), self._pass_over)
        k, dist = self._nearest_of(cloud, rows, lows)
        if dist < self.min_distance:
            return f"too like {self.names[k]} (distance {dist:.5f} < {self.min_distance:.5f})"
        return None

    def _nearest_of(self, cloud: np.ndarray, rows: np.ndarray, lows: np.ndarray) -> tuple[int, float]:
        """The nearest of the kept shapes at rows (R,) ascending, whose bounds are lows (R,), if it is nearer
        than min_distance: (its index, its distance); else (-1, a distance >= min_distance).

        Exact distances go in order of bound, EXACT_BLOCK at a time, and a shape whose bound is above the
        nearest distance found (or min_distance) is dropped unseen: it cannot be nearer. Every shape at the
        nearest distance is seen (its bound is below it), so ties go to the first kept, as argmin over all."""
        order = np.argsort(lows, kind="stable")
        rows, lows = rows[order], lows[order]
        best_k, best = -1, np.inf
        while len(rows):
            d = chamfer_to_some(cloud, self.clouds, rows[:EXACT_BLOCK], self.yaw_angles)
            for k, dk in zip(rows[:EXACT_BLOCK], d):
                if dk < best or (dk == best and k < best_k):
                    best_k, best = int(k), float(dk)
            rows, lows = rows[EXACT_BLOCK:], lows[EXACT_BLOCK:]
            keep = lows <= _clear_of(min(best, self.min_distance))
            rows, lows = rows[keep], lows[keep]
        return best_k, best

    def add(self, name: str, cloud: np.ndarray) -> None:
        k = len(self.names)
        if k == len(self._clouds):
            self._clouds = grown(self._clouds, max(16, 2 * k))
        self._clouds[k] = cloud
        self._bounds.add(self._bound_data(cloud))
        self.names.append(name)

    def _bound_data(self, cloud: np.ndarray) -> BoundData:
        """The cloud's BoundData; generate adds the cloud too_close has just bounded, so that one is kept."""
        if self._last is None or self._last[0] is not cloud:
            self._last = (cloud, BoundData(cloud, self.yaw_angles))
        return self._last[1]


def _clear_of(distance: float) -> float:
    """A bound above this shows a distance above `distance`. Bounds and distances are float32 sums, each
    off by a few 1e-6 at most (distance_bound.py), so the bound must clear it by more than both together."""
    return distance * (1 + 1e-3) + 1e-5
