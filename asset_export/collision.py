"""Stage 7 (optional): a convex collision hull, and the node names engines look for."""
from __future__ import annotations

import fast_simplification
import numpy as np
from scipy.spatial import ConvexHull

from .errors import ExportError
from .mesh import MeshData
from .surface import signed_volume

STYLES = ("godot", "unreal")


def _hull(points: np.ndarray) -> MeshData:
    hull = ConvexHull(points.astype(np.float64))
    used = np.unique(hull.simplices)
    remap = np.full(len(points), -1, np.int64)
    remap[used] = np.arange(len(used))
    verts = points[used].astype(np.float32)
    faces = remap[hull.simplices]
    # qhull's simplices are unordered; orient each triangle along its outward facet normal
    a, b, c = (points[hull.simplices[:, k]] for k in range(3))
    flip = np.einsum("ij,ij->i", np.cross(b - a, c - a), hull.equations[:, :3]) < 0
    faces[flip] = faces[flip][:, ::-1]
    return MeshData(verts, np.ascontiguousarray(faces, dtype=np.uint32))


def convex_hull(mesh: MeshData, max_vertices: int = 255) -> MeshData:
    """Convex hull of a mesh's vertices, with at most max_vertices vertices (PhysX, and so Unreal
    and Unity, cook convex hulls of up to 255 vertices). A bigger hull is decimated and re-hulled,
    which keeps it convex and closed and moves its surface inward by a hair."""
    try:
        hull = _hull(mesh.vertices)
    except Exception as exc:  # qhull: flat or degenerate point sets
        raise ExportError(f"no convex hull: {exc}") from exc
    if len(hull.vertices) > max_vertices:
        # a closed triangle mesh has F = 2V - 4 triangles
        target = max(8, 2 * max_vertices - 4)
        v, _ = fast_simplification.simplify(hull.vertices.astype(np.float64), hull.faces.astype(np.int32),
                                            target_count=target)
        hull = _hull(np.asarray(v, np.float32))
        while len(hull.vertices) > max_vertices:  # rare: decimation overshoot
            keep = np.linspace(0, len(hull.vertices) - 1, max_vertices).astype(int)
            hull = _hull(hull.vertices[keep])
    if signed_volume(hull.vertices, hull.faces) <= 0:
        raise ExportError("convex hull is flat")
    return hull


def collision_node_name(asset_name: str, style: str) -> str:
    """Godot's importer turns a node named '<x>-convcolonly' into a convex CollisionShape3D (no
    visible mesh). Unreal pairs 'UCX_<mesh name>_NN' with the static mesh '<mesh name>'."""
    if style == "godot":
        return f"{asset_name}-convcolonly"
    if style == "unreal":
        return f"UCX_{asset_name}_00"
    raise ValueError(f"collision style must be one of {STYLES}, got {style!r}")
