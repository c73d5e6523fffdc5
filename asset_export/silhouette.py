"""Exact silhouettes of voxel grids, traced as a sparse ray-voxel incidence matrix (numpy + scipy).

One ray per pixel centre, cut at the grid's planes, as iggan/render/voxel_faces.py casts them: a binary
grid's silhouette is (matrix @ grid) > 0. Shared by `iggan-assets match` (iggan/matching.py), the Blender
extension's Match Image (blender_addon/outline_match.py) and the photo texture (photo_texture.py), so the
three frame a shape alike. Cameras follow iggan.cameras: azimuth and elevation in radians, the camera at
`distance` looking at the grid's cube [-0.5, 0.5]^3, +Y up.
"""
from __future__ import annotations

import math

import numpy as np

CAMERA_DISTANCE = 3.0  # iggan.config.ViewConfig's defaults, for a checkpoint that does not say its camera
FOV_DEG = 2.0 * math.degrees(math.atan(1.0 / 3.0))


def camera_rotations(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """Camera-to-world rotations (V, 3, 3), as iggan.cameras.rotation_batch."""
    ca, sa = np.cos(azimuth), np.sin(azimuth)
    ce, se = np.cos(-elevation), np.sin(-elevation)
    zero, one = np.zeros_like(ca), np.ones_like(ca)
    ry = np.stack([ca, zero, sa, zero, one, zero, -sa, zero, ca], -1).reshape(-1, 3, 3)
    rx = np.stack([one, zero, zero, zero, ce, -se, zero, se, ce], -1).reshape(-1, 3, 3)
    return (ry @ rx).astype(np.float32)


def ray_voxel_matrix(azimuth: np.ndarray, elevation: np.ndarray, res: int, size: int, chunk: int = 8,
                     fov_deg: float = FOV_DEG, distance: float = CAMERA_DISTANCE):
    """Which voxels each pixel's ray crosses: a sparse (V * size^2, res^3) matrix, rows view-major then
    pixel (row 0 at the top), columns the flat [x, y, z] index. The rays are those of
    iggan.render.voxel_faces (one per pixel centre, cut at the grid's planes), so a binary grid's
    silhouette is (matrix @ grid) > 0."""
    from scipy import sparse

    half = math.tan(math.radians(fov_deg) / 2)
    u = ((np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1) * np.float32(half)
    y, x = np.meshgrid(-u, u, indexing="ij")
    cam = np.stack([x, y, -np.ones_like(x)], -1).reshape(-1, 3)
    cam /= np.linalg.norm(cam, axis=1, keepdims=True)
    planes = np.arange(res + 1, dtype=np.float32) / res - np.float32(0.5)
    rot = camera_rotations(np.asarray(azimuth, np.float32), np.asarray(elevation, np.float32))
    rows, cols = [], []
    for v0 in range(0, len(rot), chunk):  # a few views at a time: (v, P, 3(R + 1)) floats
        r = rot[v0:v0 + chunk]
        origin = r[:, :, 2] * np.float32(distance)  # (v, 3)
        dirs = np.einsum("bij,pj->bpi", r, cam)  # (v, P, 3)
        safe = np.where(np.abs(dirs) < 1e-9, np.float32(1e-9), dirs)
        t = (planes - origin[:, None, :, None]) / safe[..., None]  # (v, P, 3, R + 1)
        t = np.sort(t.reshape(len(r), len(cam), -1), axis=-1)
        mid = (t[..., 1:] + t[..., :-1]) / 2  # one segment = one voxel
        inside = t[..., 1:] - t[..., :-1] > 1e-7
        flat = np.zeros(mid.shape, np.int64)
        for k in range(3):
            i = np.floor((origin[:, None, None, k] + mid * dirs[:, :, None, k] + np.float32(0.5)) * res).astype(np.int64)
            inside &= (i >= 0) & (i < res)
            flat = flat * res + np.clip(i, 0, res - 1)
        ray = (np.arange(len(r) * len(cam)) + v0 * len(cam)).reshape(len(r), len(cam), 1)
        rows.append(np.broadcast_to(ray, inside.shape)[inside])
        cols.append(flat[inside])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(rot) * size * size, res ** 3))


def silhouettes(matrix, solid: np.ndarray, size: int, chunk: int = 64) -> np.ndarray:
    """Binary grids (K, R, R, R) seen along every view of `matrix` -> (K, V, size, size) bool."""
    flat = np.asarray(solid, bool).reshape(len(solid), -1)
    out = [(matrix @ part.T.astype(np.float32)).T > 0 for part in np.array_split(flat, max(1, -(-len(flat) // chunk)))]
    sil = np.concatenate(out) if out else np.zeros((0, matrix.shape[0]), bool)
    return sil.reshape(len(flat), -1, size, size)
