"""Does an asset stand? Furniture stood on a floor in a game engine must stay upright: the centre of
mass of the solid must lie above the polygon its feet span on the ground, or the shape topples until
it does. A generated chair with a stub for a back leg passes every mesh check and still falls over.

Pure numpy/scipy; the mesh is +Y up with its base at its lowest vertex.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from .errors import ExportError, TipsOverError
from .mesh import MeshData


def centre_of_mass(mesh: MeshData) -> np.ndarray:
    """(3,) centroid of the solid a closed, outward-wound mesh bounds, at uniform density
    (sum of signed tetrahedra from the origin)."""
    v = mesh.vertices.astype(np.float64)
    a, b, c = (v[mesh.faces[:, k]] for k in range(3))
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0  # (F,)
    total = volume.sum()
    if not abs(total) > 1e-18:
        raise ExportError("mesh encloses no volume, so it has no centre of mass")
    return (volume[:, None] * (a + b + c)).sum(axis=0) / (4.0 * total)


def _barycentric(p: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """(3,) barycentric coordinates of p (3,) projected into the plane of tri (3, 3)."""
    a, b, c = tri
    v0, v1, v2 = b - a, c - a, p - a
    d00, d01, d11, d20, d21 = v0 @ v0, v0 @ v1, v1 @ v1, v2 @ v0, v2 @ v1
    den = d00 * d11 - d01 * d01
    v = (d11 * d20 - d01 * d21) / den
    w = (d00 * d21 - d01 * d20) / den
    return np.array([1.0 - v - w, v, w])


def rest_tilt(mesh: MeshData) -> float:
    """Degrees from upright at which the shape comes to rest when stood on a floor and let go.

    The shape rests on a face of its convex hull. It starts on the hull face that looks most
    straight down (the floor under an upright shape) and, while its centre of mass does not lie
    above that face, rolls over the edge it lies beyond onto the next face (quasi-static toppling,
    as in trimesh.poses, but from one start pose). 0 = stands as placed; a few degrees = rocks onto
    an uneven foot; tens of degrees = falls over.
    """
    v = mesh.vertices.astype(np.float64)
    com = centre_of_mass(mesh)
    try:
        hull = ConvexHull(v)
    except QhullError as exc:
        raise ExportError(f"mesh is flat, so it cannot stand: {exc}") from None
    normals, simplices, neighbours = hull.equations[:, :3], hull.simplices, hull.neighbors
    face = int(np.argmin(normals[:, 1]))  # outward normal nearest -Y
    for _ in range(len(simplices)):
        weights = _barycentric(com, v[simplices[face]])
        if weights.min() >= -1e-9:
            break
        face = int(neighbours[face][int(np.argmin(weights))])  # over the edge opposite that vertex
    return float(np.degrees(np.arccos(np.clip(-normals[face, 1], -1.0, 1.0))))


def require_standing(tilt_deg: float, max_tilt_deg: float) -> None:
    """TipsOverError when a rest_tilt is beyond max_tilt_deg."""
    if tilt_deg > max_tilt_deg:
        raise TipsOverError(f"it would not stay upright: stood on a floor, it topples {tilt_deg:.0f} degrees "
                            f"(at most {max_tilt_deg:g} allowed)")
