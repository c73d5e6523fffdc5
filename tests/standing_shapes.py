"""Voxel shapes with a known answer to "does it stand?", shared by the stability tests. Grids are
(res, res, res) float32 occupancy, +Y up."""
from __future__ import annotations

import numpy as np


def table(res: int = 32, short: int = 0, short_legs: tuple = ((3, 3),)) -> np.ndarray:
    """A table (at res 32: a 24 x 3 x 24 top at height 12 on four 3 x 3 legs; scaled for other res).
    The legs at the `short_legs` corners ((x, z), each 0 or 3) are `short` voxels shorter."""
    k = res / 32
    g = np.zeros((res, res, res), np.float32)
    lo, hi, leg, top = round(4 * k), round(28 * k), max(1, round(3 * k)), round(12 * k)
    g[lo:hi, top:top + leg, lo:hi] = 1.0
    corners = {0: lo, 3: hi - leg}
    for cx in (0, 3):
        for cz in (0, 3):
            bottom = short if (cx, cz) in short_legs else 0
            g[corners[cx]:corners[cx] + leg, bottom:top, corners[cz]:corners[cz] + leg] = 1.0
    return g


def lamp_post(res: int = 32) -> np.ndarray:
    """A thin post under a block that sticks out to +x: falls over (about 47 degrees)."""
    g = np.zeros((res, res, res), np.float32)
    q = res // 8
    g[q:2 * q, :6 * q, 3 * q:4 * q] = 1.0
    g[q:res - 1, 6 * q:7 * q + 1, 2 * q:5 * q] = 1.0
    return g


def drip_sofa(res: int = 32, drip: int = 2) -> np.ndarray:
    """A 24 x 8 x 12 block on a 8 x 1 x 6 patch, with a 2 x 2 drip `drip` voxels long hanging
    off-centre under it (what a generator that never sees under its shapes leaves): it rocks on the
    drip. Its largest extent is 24 voxels."""
    g = np.zeros((res, res, res), np.float32)
    g[4:28, drip + 1:drip + 9, 10:22] = 1.0
    g[12:20, drip, 13:19] = 1.0
    g[14:16, :drip, 17:19] = 1.0
    return g


def slab(res: int = 32) -> np.ndarray:
    """A 24 x 3 x 24 plate lying on the floor (a chair model's seat with no legs or back): it stands,
    but it is 1/8 as tall as it is wide."""
    k = res / 32
    g = np.zeros((res, res, res), np.float32)
    g[round(4 * k):round(28 * k), :max(1, round(3 * k)), round(4 * k):round(28 * k)] = 1.0
    return g


def swivel_chair(res: int = 32, gap_occupancy: float = 0.4) -> np.ndarray:
    """An office chair: seat and back on a thin column over a wide star base, the column cut by a one-voxel
    gap of occupancy `gap_occupancy` just under the seat (what thresholding does to a thin part a generator
    nearly filled). At res 32 the base and column hold 9% of the voxels."""
    k = res / 32

    def span(a: int, b: int) -> slice:  # a..b at res 32, scaled, at least one voxel
        lo = round(a * k)
        return slice(lo, max(lo + 1, round(b * k)))

    g = np.zeros((res, res, res), np.float32)
    seat_y = span(14, 17)
    g[span(8, 24), seat_y, span(8, 24)] = 1.0  # seat
    g[span(8, 24), span(17, 30), span(8, 11)] = 1.0  # back
    column = span(15, 17)
    gap = seat_y.start - 1
    g[column, 1:gap, column] = 1.0  # column, from the base to just under the seat
    g[column, gap, column] = gap_occupancy  # the gap
    g[span(4, 28), 0:1, column] = 1.0  # star base: two crossed bars
    g[column, 0:1, span(4, 28)] = 1.0
    return g
