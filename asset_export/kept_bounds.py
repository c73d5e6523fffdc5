"""The kept shapes' bound data (distance_bound.py) laid out for fast gathers, and the search that bounds a
new shape against all of them and returns the few whose exact distance is still needed.

Layout: the kept tables are columns of one (GRID^3, capacity) float16 array (rounded down: half the memory,
and the bound only gets lower), so a new shape's turned points read whole rows (a gather of rows is about
20x faster than one of single values); the kept shapes' cells and offsets are split by step of points
(below) so that each step reads contiguous rows too. About 140 KB a kept shape.

Steps: the bound's terms are summed over the first quarter of each cloud's points, then the next, then
the last half, and the kept shapes the sum already clears drop out: a sum over some points is a bound too
(the terms are >= 0), and on the chairs a quarter clears a third of pairs, a half three quarters.
"""
from __future__ import annotations

import numpy as np

from .distance_bound import GRID, BoundData, square_sums

STEPS = (0.25, 0.5, 1.0)  # fractions of the points summed after each step


class KeptBounds:
    """Bound data of the shapes kept so far, in arrays that double when full."""

    def __init__(self, points: int, yaw_angles: int):
        self.count = 0
        self.points = points
        ends = [round(f * points) for f in STEPS]
        self._spans = list(zip([0] + ends[:-1], ends))
        self._tables = np.zeros((GRID ** 3, 0), np.float16)  # one column a kept shape
        self._cells = [np.zeros((0, yaw_angles, e - s), np.intp) for s, e in self._spans]
        self._offsets = [np.zeros((0, yaw_angles, e - s), np.float32) for s, e in self._spans]

    def add(self, bound: BoundData) -> None:
        k = self.count
        if k == self._tables.shape[1]:
            rows = max(16, 2 * k)
            self._tables = np.concatenate([self._tables, np.zeros((GRID ** 3, rows - k), np.float16)], 1)
            self._cells = [grown(c, rows) for c in self._cells]
            self._offsets = [grown(o, rows) for o in self._offsets]
        self._tables[:, k] = float16_below(bound.table)
        for (s, e), cells, offsets in zip(self._spans, self._cells, self._offsets):
            cells[k], offsets[k] = bound.cell[:, s:e], bound.offset[:, s:e]
        self.count += 1

    def may_be_near(self, a: BoundData, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """Indices (R,) ascending of the kept shapes whose bound to `a` is at most `limit`, and their bounds
        (R,) float32: all others are farther than `limit` by chamfer_to_many's distance (up to rounding,
        distance_bound.py)."""
        k = self.count
        rows = np.arange(k)
        sums = np.zeros((k, len(a.cell)), np.float32)  # (kept, yaws) bound terms summed so far
        cell, offset = a.turned_back()
        for (s, e), cells, offsets in zip(self._spans, self._cells, self._offsets):
            if not len(rows):
                break
            if len(rows) == k:  # a's turned points in every kept table: whole rows, (yaws, p, kept)
                some, seen = slice(0, k), self._tables[cell[:, s:e], :k]
            else:  # in the tables still in question: (yaws, p, rows), single values
                some, seen = rows, self._tables[cell[:, s:e, None], rows]
            to_kept = square_sums(seen, offset[:, s:e, None], 1).T
            # the kept shapes' turned points in a's table: (rows, yaws, p)
            to_a = square_sums(a.table[cells[some]], offsets[some], 2)
            sums[rows] += to_kept + to_a
            rows = rows[sums[rows].min(1) <= limit * self.points]
        return rows, sums[rows].min(1) / self.points


def grown(rows: np.ndarray, n: int) -> np.ndarray:
    """rows (k, ...) -> (n, ...) with the k rows first and zeros after."""
    out = np.zeros((n, *rows.shape[1:]), rows.dtype)
    out[:len(rows)] = rows
    return out


def float16_below(x: np.ndarray) -> np.ndarray:
    """float32 (...) >= 0 -> float16 (...), each the nearest float16 not above it: a table may only shrink."""
    h = x.astype(np.float16)
    high = h.astype(np.float32) > x
    h[high] = np.nextafter(h[high], np.float16(0))
    return h
