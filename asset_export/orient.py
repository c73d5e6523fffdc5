"""Stage 5: axes, units and pivot: +Y up, metres, pivot at the base centre; unit normals."""
from __future__ import annotations

import numpy as np

from .errors import ExportError
from .mesh import MeshData

UP_AXES = ("y", "z")
# what --size measures: the largest bounding-box extent, or the height (+Y). Real seats vary in height
# far less than in length (Sweet Home 3D sofas: 0.75-0.94 m tall, 1.45-2.76 m long), so a model that
# learnt their proportions gets realistic lengths when sized by height (benchmarks/real_sizes.py).
SIZE_BY_CHOICES = ("largest", "height")


def grid_to_y_up(grid: np.ndarray, up: str = "y") -> np.ndarray:
    """(X, Y, Z) grid whose up axis is `up` -> the same shape as a +Y-up, right-handed grid.

    up="z" rotates -90 deg about X: (x, y, z) -> (x, z, -y), so new[i, j, k] = old[i, R-1-k, j].
    Datasets such as ModelNet are Z-up.
    """
    if up == "y":
        return grid
    if up == "z":
        return np.ascontiguousarray(np.swapaxes(grid, 1, 2)[:, :, ::-1])
    raise ValueError(f"up must be one of {UP_AXES}, got {up!r}")


def turn_about_y(grid: np.ndarray, yaw_deg: int) -> np.ndarray:
    """(X, Y, Z) +Y-up grid turned by yaw_deg (a multiple of 90) about +Y, right-handed, as turn_mesh turns its
    surface: +90 takes +Z to +X and +X to -Z. A model whose shapes face +X turns by -90 to face +Z, glTF's
    forward."""
    if yaw_deg % 90:
        raise ValueError(f"yaw must be a multiple of 90 degrees, got {yaw_deg}")
    k = (int(yaw_deg) // 90) % 4
    return grid if k == 0 else np.ascontiguousarray(np.rot90(grid, k, axes=(2, 0)))  # from +Z towards +X


def yaw_matrix(yaw_deg: int) -> np.ndarray:
    """(3, 3) exact rotation about +Y by a multiple of 90 degrees, right-handed (column vectors: R @ p)."""
    k = (int(yaw_deg) // 90) % 4
    c, s = (1, 0, -1, 0)[k], (0, 1, 0, -1)[k]
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], np.float64)


def turn_mesh(mesh: MeshData, yaw_deg: int) -> MeshData:
    """The mesh turned about +Y through the origin (the pivot at its base centre stays put) by yaw_deg, a multiple
    of 90: positions and normals are permuted and negated exactly."""
    r = yaw_matrix(yaw_deg).T.astype(np.float32)
    normals = None if mesh.normals is None else mesh.normals @ r
    return MeshData(mesh.vertices @ r, mesh.faces, normals, mesh.uvs)


def place_transform(vertices: np.ndarray, size_m: float, size_by: str = "largest") -> tuple[float, np.ndarray]:
    """(scale, offset) such that vertices (V, 3) * scale + offset has its largest bounding-box extent
    (size_by "largest") or its height (size_by "height") equal to size_m metres, min y = 0, and x/z
    centred on 0 (pivot at the base centre)."""
    if size_by not in SIZE_BY_CHOICES:
        raise ValueError(f"size_by must be one of {', '.join(SIZE_BY_CHOICES)}, got {size_by!r}")
    lo, hi = vertices.min(axis=0).astype(np.float64), vertices.max(axis=0).astype(np.float64)
    extent = float((hi - lo).max() if size_by == "largest" else (hi - lo)[1])
    if not extent > 0:
        raise ExportError("mesh has zero extent" if size_by == "largest" else
                          "mesh has zero height; size it by its largest extent instead")
    scale = size_m / extent
    centre = (lo + hi) / 2.0 * scale
    offset = np.array([-centre[0], -lo[1] * scale, -centre[2]])
    return scale, offset


def apply_transform(mesh: MeshData, scale: float, offset: np.ndarray) -> MeshData:
    return MeshData((mesh.vertices.astype(np.float64) * scale + offset).astype(np.float32), mesh.faces)


def floored(mesh: MeshData) -> MeshData:
    """The mesh moved along y so its lowest vertex is at y = 0."""
    v = mesh.vertices.copy()
    v[:, 1] -= v[:, 1].min()
    return MeshData(v, mesh.faces)


def vertex_normals(mesh: MeshData) -> MeshData:
    """Mesh with (V, 3) float32 unit vertex normals: area-weighted sums of the face normals.

    A vertex whose sum cancels out (a needle tip) gets the normal of its largest face instead,
    so every normal is unit length as glTF requires.
    """
    v = mesh.vertices.astype(np.float64)
    f = mesh.faces.astype(np.int64)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])  # length = 2 * area
    acc = np.zeros_like(v)
    for k in range(3):
        np.add.at(acc, f[:, k], fn)
    length = np.linalg.norm(acc, axis=1)
    bad = length < 1e-12
    if bad.any():
        # largest adjacent face normal for each bad vertex
        fn_len = np.linalg.norm(fn, axis=1)
        best = np.full(len(v), -1.0)
        pick = np.zeros((len(v), 3))
        for k in range(3):
            idx = f[:, k]
            better = fn_len > best[idx]
            best[idx[better]] = fn_len[better]
            pick[idx[better]] = fn[better]
        acc[bad] = pick[bad]
        length = np.linalg.norm(acc, axis=1)
        acc[length < 1e-20] = (0.0, 1.0, 0.0)
        length = np.linalg.norm(acc, axis=1)
    normals = (acc / length[:, None]).astype(np.float32)
    # renormalise in float32 so the stored vectors are unit to float32 precision
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return MeshData(mesh.vertices, mesh.faces, normals)
