"""Where a character sits on a piece of seating furniture, and which way it faces (`--seats`): an anchor a game can
snap a sitting character or an NPC's "sit here" interaction to.

Found in the solid voxels (+Y up): the seat is the lowest wide, flat surface open to the sky above the lowest
SEAT_MIN_HEIGHT of the shape: the lowest layer, give or take one, where the columns' highest voxels form a connected
patch, seen from above, of at least SEAT_AREA_SHARE of the largest such patch. The back is the solid in the top
quarter between that seat and the top (above arm rests). The piece faces away from it along the horizontal grid axis
along which the back's centre lies furthest from the seat's middle, relative to the seat's extent along that axis (so
a sofa whose arm rests are as tall as its back still faces across its length). A stool, with no back, faces nowhere in particular. A seat wider than
PLACE_WIDTH_M across the facing holds several places, side by side (a sofa, a bench).

    places = seat_places(solid, to_metres)    # [SeatPlace(position (3,) metres, facing (3,) unit or None), ...]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .orient import yaw_matrix

SEAT_MIN_HEIGHT = 0.15  # share of the height below which a top surface is a foot or a base, not a seat
PLACE_WIDTH_M = 0.55  # seat width one sitting person takes (a sofa with 1.6 m between its arms seats three)
SEAT_AREA_SHARE = 0.5  # the seat is the lowest flat patch at least this share of the largest one
MIN_SEAT_M = 0.2  # a seat narrower than this either way is no seat (a rail, an arm rest)
BACK_SHARE = 0.75  # the back is the solid above this share of the way from the seat to the top (above arm rests)


@dataclass
class SeatPlace:
    """position: (3,) metres in the asset's frame (pivot at the base centre, +Y up), on the seat's top surface;
    facing: (3,) horizontal unit vector the sitter looks along, or None when the seat has no back."""

    position: np.ndarray
    facing: np.ndarray | None

    def turned(self, yaw_deg: int) -> "SeatPlace":
        """The place on the asset turned about +Y by yaw_deg (orient.turn_mesh)."""
        r = yaw_matrix(yaw_deg)
        return SeatPlace(r @ self.position, None if self.facing is None else r @ self.facing)

    def rotation(self) -> list[float] | None:
        """glTF node rotation (x, y, z, w) turning +Z (glTF's forward) to the facing, about +Y; None if no facing."""
        if self.facing is None:
            return None
        yaw = float(np.arctan2(self.facing[0], self.facing[2]))
        q = [0.0, float(np.sin(yaw / 2)), 0.0, float(np.cos(yaw / 2))]
        return None if np.isclose(q[3], 1.0) else q

    def to_dict(self) -> dict:
        def rounded(v):  # + 0.0: no -0.0 in the manifest
            return [round(float(x), 4) + 0.0 for x in v]

        return {"position_m": rounded(self.position), "facing": None if self.facing is None else rounded(self.facing)}


def seat_node_name(asset_name: str, index: int, count: int) -> str:
    """`<name>_seat` for an asset's only sitting place, `<name>_seat0`, `<name>_seat1`, ... for several."""
    return f"{asset_name}_seat" if count == 1 else f"{asset_name}_seat{index}"


def _largest_patch(tops: np.ndarray, layer: int) -> np.ndarray:
    """(X, Z) bool: the largest connected patch, seen from above, of the columns whose highest voxel lies within a
    layer of `layer` (a seat sloping by a layer still counts as one)."""
    patches, n = ndimage.label(tops[:, max(layer - 1, 0): layer + 2].any(axis=1))
    if n == 0:
        return np.zeros((tops.shape[0], tops.shape[2]), bool)
    return patches == 1 + int(np.argmax(np.bincount(patches.ravel())[1:]))


def _seat_layer(tops: np.ndarray, floor: int, top: int) -> int | None:
    """The lowest layer (index along Y) above the feet whose largest patch of column tops is at least SEAT_AREA_SHARE
    of the largest such patch on any layer: the seat, not the top of a back and arms as high as it (which can join
    into one U-shaped patch as large as the seat)."""
    lowest = floor + int(np.ceil(SEAT_MIN_HEIGHT * (top - floor + 1)))
    areas = np.array([int(_largest_patch(tops, j).sum()) for j in range(lowest, top + 1)])
    if len(areas) == 0 or areas.max() == 0:
        return None
    return lowest + int(np.flatnonzero(areas >= SEAT_AREA_SHARE * areas.max())[0])


def _facing(solid: np.ndarray, layer: int, top: int, seat: np.ndarray) -> np.ndarray | None:
    """(3,) unit horizontal vector, along a grid axis, from the back to the seat (voxel axes), or None for no back.
    seat: (C, 2) x, z columns of the seat."""
    upper = solid.copy()
    upper[:, : layer + 1 + int(BACK_SHARE * (top - layer))] = False
    if not upper.any():
        return None
    centre = seat.mean(axis=0)
    away = centre - np.argwhere(upper)[:, [0, 2]].mean(axis=0)
    if np.linalg.norm(away) < 1.0:  # the upper part sits over the seat: no back to face away from
        return None
    # the axis along which the back lies furthest out, relative to the seat's extent: a sofa's back lies across its
    # depth while tall arm rests at both ends move its centre little along its length; a lounger's lies along it
    axis = int(np.argmax(np.abs(away) / (np.ptp(seat, axis=0) + 1.0)))
    away = np.where(np.arange(2) == axis, np.sign(away), 0.0)
    return np.array([away[0], 0.0, away[1]])


def seat_places(solid: np.ndarray, to_metres) -> list[SeatPlace]:
    """(X, Y, Z) bool solid, +Y up; to_metres: (N, 3) voxel index coordinates -> (N, 3) metres in the asset's frame.
    Returns the sitting places, or [] when no flat top surface is wide enough to sit on."""
    solid = np.asarray(solid, bool)
    rows = np.flatnonzero(solid.any(axis=(0, 2)))
    if len(rows) == 0:
        return []
    floor, top = int(rows[0]), int(rows[-1])
    # open to the sky: each column's highest solid voxel (a lower plate under the seat is no seat)
    highest = solid.shape[1] - 1 - np.argmax(solid[:, ::-1, :], axis=1)  # (X, Z)
    tops = np.zeros_like(solid)
    xs, zs = np.nonzero(solid.any(axis=1))
    tops[xs, highest[xs, zs], zs] = True
    layer = _seat_layer(tops, floor, top)
    if layer is None:
        return []
    seat = _largest_patch(tops, layer)  # (X, Z) columns of the seat
    columns = np.argwhere(seat)  # (C, 2) x, z
    heights = highest[columns[:, 0], columns[:, 1]].astype(np.float64)  # the seat's top voxel in each column
    points = to_metres(np.column_stack([columns[:, 0], heights + 0.5, columns[:, 1]]).astype(np.float64))
    extent = np.ptp(points[:, [0, 2]], axis=0)
    if extent.min() < MIN_SEAT_M:
        return []
    facing = _facing(solid, layer, top, columns)
    if facing is None:
        return [SeatPlace(np.array([points[:, 0].mean(), np.median(points[:, 1]), points[:, 2].mean()]), None)]
    across = np.array([-facing[2], 0.0, facing[0]])  # horizontal, perpendicular to the facing
    u = points @ across
    n_places = max(1, int(round((u.max() - u.min()) / PLACE_WIDTH_M)))
    edges = np.linspace(u.min(), u.max(), n_places + 1)
    which = np.clip(np.searchsorted(edges, u, side="right") - 1, 0, n_places - 1)
    places = []
    for k in range(n_places):
        p = points[which == k]
        if len(p):  # the seat's middle across its depth, at the seat's typical height there
            places.append(SeatPlace(np.array([p[:, 0].mean(), np.median(p[:, 1]), p[:, 2].mean()]), facing))
    return places
