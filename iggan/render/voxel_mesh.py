"""Vectorised surface mesh of a binary voxel grid, no Python loop per voxel. This is the exact
blocky geometry the reference renderer draws.

Exposed faces that lie next to each other in a row (same direction, same plane) are merged into
one long quad: the union covers the same area with the same normal, so a flat-shaded render is
the same image, with several times fewer vertices to build, upload and rasterise."""
from __future__ import annotations

import numpy as np

# For each of the six face directions: the axis, the sign, and the face's four corner offsets
# (in voxel units, counter-clockwise seen from outside so the winding faces outward).
_FACES = []
for axis in range(3):
    for sign in (-1, 1):
        u, v = [a for a in range(3) if a != axis]
        corners = np.zeros((4, 3))
        corners[:, axis] = 1.0 if sign > 0 else 0.0
        uv = [(0, 0), (1, 0), (1, 1), (0, 1)]
        for i, (cu, cv) in enumerate(uv):
            corners[i, u], corners[i, v] = cu, cv
        normal = np.zeros(3)
        normal[axis] = sign
        # make the quad counter-clockwise around its outward normal
        e1, e2 = corners[1] - corners[0], corners[2] - corners[0]
        if np.dot(np.cross(e1, e2), normal) < 0:
            corners = corners[::-1].copy()
        _FACES.append((axis, sign, corners, normal))


def _runs_along_last_axis(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of True along the last axis of a C-contiguous (A, B, C) bool mask.

    Returns start indices (n, 3) float32 and lengths (n,) float32. Flat indices (1-D nonzero is
    several times faster than argwhere on a 3-D mask) of starts and ends come in the same order,
    and each run starts and ends in its own row, so the two lists pair up.
    """
    A, B, C = mask.shape
    framed = np.zeros((A, B, C + 2), np.int8)
    framed[:, :, 1:-1] = mask
    step = np.diff(framed, axis=2)  # (A, B, C + 1): +1 where a run starts, -1 just past its end
    starts = np.flatnonzero(step == 1)
    ends = np.flatnonzero(step == -1)
    ab, c = np.divmod(starts, C + 1)
    a, b = np.divmod(ab, B)
    return np.stack([a, b, c], axis=1).astype(np.float32), (ends - starts).astype(np.float32)


def voxel_surface(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exposed faces of a binary grid as a flat-shaded triangle mesh.

    grid: (X, Y, Z) bool, indexed [x, y, z], filling the world cube [-0.5, 0.5]^3.
    Returns positions (V, 3) float32, normals (V, 3) float32, triangles (F, 3) uint32,
    with four unshared vertices per quad so shading is flat (a quad covers a row of faces).
    """
    grid = np.asarray(grid, dtype=bool)
    res = np.array(grid.shape, dtype=np.float32)
    # Work only inside the occupied bounding box: samples rarely fill the cube, and the per-face
    # scans below cost in proportion to the voxels looked at.
    spans = [np.flatnonzero(grid.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3)]
    if any(len(s) == 0 for s in spans):
        empty = np.zeros((0, 3), np.float32)
        return empty, empty, np.zeros((0, 3), np.uint32)
    offset = np.array([s[0] for s in spans], dtype=np.float32)
    grid = grid[spans[0][0]:spans[0][-1] + 1, spans[1][0]:spans[1][-1] + 1, spans[2][0]:spans[2][-1] + 1]
    padded = np.pad(grid, 1)
    positions, normals = [], []
    for axis, sign, corners, normal in _FACES:
        window = [slice(1, -1)] * 3
        window[axis] = slice(2, None) if sign > 0 else slice(0, -2)
        neighbour = padded[tuple(window)]  # a view: the voxel next to each one along axis*sign
        exposed = grid & ~neighbour  # (X, Y, Z): this face of this voxel is visible
        if axis != 2:  # merge along z, the contiguous axis
            run = 2
            start, length = _runs_along_last_axis(exposed)
        else:  # z-facing faces merge along y: swap y and z, then swap the coordinates back
            run = 1
            start, length = _runs_along_last_axis(np.ascontiguousarray(exposed.transpose(0, 2, 1)))
            start = start[:, [0, 2, 1]]
        if len(start) == 0:
            continue
        scale = np.ones((len(start), 1, 3), np.float32)
        scale[:, 0, run] = length
        quad = (start + offset)[:, None, :] + corners[None].astype(np.float32) * scale  # (n, 4, 3)
        positions.append(quad.reshape(-1, 3))
        normals.append(np.broadcast_to(normal.astype(np.float32), (len(start) * 4, 3)))
    if not positions:
        empty = np.zeros((0, 3), np.float32)
        return empty, empty, np.zeros((0, 3), np.uint32)
    pos = np.concatenate(positions) / res - 0.5
    nrm = np.concatenate(normals)
    base = np.arange(0, len(pos), 4, dtype=np.uint32)[:, None]
    tris = np.concatenate([base + [0, 1, 2], base + [0, 2, 3]], axis=0).astype(np.uint32)
    return pos.astype(np.float32), np.ascontiguousarray(nrm), tris


def surface_items(grids, azimuth, elevation):
    """Lazily (positions, normals, triangles, azimuth, elevation) per binary grid (X, Y, Z), for
    `ReferenceScene.render_batch`, which builds the next surface while the GPU draws the last."""
    for grid, a, e in zip(grids, azimuth, elevation):
        yield (*voxel_surface(grid), float(a), float(e))
