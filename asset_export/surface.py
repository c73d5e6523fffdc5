"""Stage 2: solid voxels -> closed triangle surface (marching cubes), wound outward."""
from __future__ import annotations

import numpy as np
from skimage.measure import marching_cubes

from .check import body_labels
from .errors import ExportError
from .mesh import MeshData

# Just below 0.5 so the marching-cubes face test (saddle value 0.5 on a binary grid) is never a
# tie: voxels sharing an edge are always joined, matching clean.SOLID_CONNECTIVITY.
LEVEL = 0.499


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed mesh; positive when faces wind counter-clockwise from outside."""
    a, b, c = (vertices[faces[:, k]].astype(np.float64) for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def surface_mesh(solid: np.ndarray) -> MeshData:
    """(X, Y, Z) bool solid -> closed surface in grid-cube coordinates.

    Voxel [i, j, k] is centred at ((i, j, k) + 0.5) / R - 0.5 * shape / R, R = max(shape), so a
    cubic grid fills [-0.5, 0.5]^3 as in the voxel convention. The grid is padded by one empty
    voxel so shapes touching the border are still closed.
    """
    solid = np.asarray(solid, bool)
    if not solid.any():
        raise ExportError("cannot make a surface of an empty grid")
    padded = np.pad(solid, 1).astype(np.float32)
    verts, faces, _, _ = marching_cubes(padded, level=LEVEL, allow_degenerate=False)
    res = float(max(solid.shape))
    verts = (verts - 1.0 + 0.5) / res - 0.5 * np.asarray(solid.shape, np.float32) / res
    faces = faces.astype(np.int64)
    # skimage's winding depends on its gradient convention; measure rather than assume, and flip
    # so the enclosed volume is positive (counter-clockwise seen from outside, glTF's front face).
    if signed_volume(verts, faces) < 0:
        faces = faces[:, ::-1]
    return MeshData(verts.astype(np.float32), np.ascontiguousarray(faces, dtype=np.uint32))


def voxel_index_coords(points: np.ndarray, shape) -> np.ndarray:
    """Invert surface_mesh's placement: (N, 3) grid-cube coordinates of a grid of `shape` -> (N, 3)
    voxel index coordinates (voxel [i, j, k] centred at (i, j, k))."""
    res = float(max(shape))
    return (np.asarray(points, np.float64) + 0.5 * np.asarray(shape, np.float64) / res) * res - 0.5


def grid_cube_coords(indices: np.ndarray, shape) -> np.ndarray:
    """voxel_index_coords' inverse: (N, 3) voxel index coordinates of a grid of `shape` -> (N, 3) grid-cube
    coordinates, as surface_mesh places its vertices."""
    res = float(max(shape))
    return (np.asarray(indices, np.float64) + 0.5) / res - 0.5 * np.asarray(shape, np.float64) / res


def keep_mesh_bodies(mesh: MeshData, min_fraction: float = 1.0) -> MeshData:
    """Keep the largest body by volume, plus others with >= min_fraction of its volume.

    clean.keep_bodies already does this on voxels; this is the guarantee on the mesh itself.
    """
    n, labels = body_labels(mesh.faces, len(mesh.vertices))
    if n <= 1:
        return mesh
    v = mesh.vertices.astype(np.float64)
    a, b, c = (v[mesh.faces[:, k]] for k in range(3))
    vol = np.bincount(labels, weights=np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0, minlength=n)
    keep = vol >= vol.max() * min_fraction if min_fraction < 1.0 else np.arange(n) == np.argmax(vol)
    faces = mesh.faces[keep[labels]]
    used = np.unique(faces)
    remap = np.full(len(mesh.vertices), -1, np.int64)
    remap[used] = np.arange(len(used))
    return MeshData(mesh.vertices[used], remap[faces].astype(np.uint32))
