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

from .shape_distance import chamfer_to_many, surface_points

DEFAULT_MIN_DISTANCE = 0.004  # between the chairs' (0.0045) and the sofas' (0.0031) card values
DISTINCT_RETRIES = 20  # resamples per asset with distinctness on: look-alikes are common, breakage rare


class DistinctSet:
    """The shapes kept so far, as point clouds, and the distance a new one must keep from them."""

    def __init__(self, min_distance: float, points: int = 512, yaw_angles: int = 12):
        if not min_distance > 0:
            raise ValueError(f"min_distance must be > 0, got {min_distance}")
        self.min_distance = float(min_distance)
        self.points, self.yaw_angles = points, yaw_angles
        self.names: list[str] = []
        self.clouds: list[np.ndarray] = []  # each (points, 3)

    def cloud(self, solid: np.ndarray) -> np.ndarray:
        """(R, R, R) bool -> (points, 3), the same draw for the same grid (seed 0)."""
        return surface_points(solid, self.points, seed=0)

    def nearest(self, cloud: np.ndarray) -> tuple[str | None, float]:
        """(points, 3) -> (name of the closest kept shape, its distance); (None, inf) when none is kept."""
        if not self.clouds:
            return None, float("inf")
        d = chamfer_to_many(cloud, np.stack(self.clouds), self.yaw_angles)
        k = int(d.argmin())
        return self.names[k], float(d[k])

    def too_close(self, cloud: np.ndarray) -> str | None:
        """A reason to refuse the shape, or None when it keeps its distance from every kept one."""
        name, dist = self.nearest(cloud)
        if dist < self.min_distance:
            return f"too like {name} (distance {dist:.5f} < {self.min_distance:.5f})"
        return None

    def add(self, name: str, cloud: np.ndarray) -> None:
        self.names.append(name)
        self.clouds.append(cloud)
