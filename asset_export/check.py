"""Checks every exported mesh must pass: closed, consistently and outward wound, no degenerate
triangles, finite, unit normals. Pure numpy/scipy so the checks are cheap enough to run always."""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .errors import ExportError
from .mesh import MeshData

AREA_EPS = 1e-12  # triangles smaller than this (in squared units of the mesh) count as degenerate


def triangle_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F,) areas of the triangles."""
    v = vertices.astype(np.float64)
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    return 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)


def remove_degenerate(mesh: MeshData) -> MeshData:
    """Drop triangles with a repeated index or zero area, then vertices no triangle uses."""
    f = mesh.faces
    ok = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    ok &= triangle_areas(mesh.vertices, f) > AREA_EPS
    f = f[ok]
    used = np.unique(f)
    remap = np.full(len(mesh.vertices), -1, np.int64)
    remap[used] = np.arange(len(used))
    normals = None if mesh.normals is None else mesh.normals[used]
    return MeshData(mesh.vertices[used], remap[f].astype(np.uint32), normals)


def edge_check(faces: np.ndarray, n_vertices: int) -> tuple[bool, bool]:
    """(closed, consistent): every undirected edge has exactly two triangles, and they run it in
    opposite directions. Both together = a watertight, consistently wound (edge-manifold) mesh."""
    f = faces.astype(np.int64)
    directed = np.stack([f, np.roll(f, -1, axis=1)], axis=2).reshape(-1, 2)  # (3F, 2) a->b
    key = directed[:, 0] * n_vertices + directed[:, 1]
    rev = directed[:, 1] * n_vertices + directed[:, 0]
    unique, counts = np.unique(key, return_counts=True)
    consistent = bool(np.all(counts == 1))
    closed = consistent and bool(np.all(np.isin(rev, unique)))
    if not consistent:  # maybe wound inconsistently but still closed: check undirected counts
        und = np.sort(directed, axis=1)
        _, c2 = np.unique(und[:, 0] * n_vertices + und[:, 1], return_counts=True)
        closed = bool(np.all(c2 == 2))
    return closed, consistent


def body_labels(faces: np.ndarray, n_vertices: int) -> tuple[int, np.ndarray]:
    """(number of connected bodies, (F,) body label per triangle) via shared vertices."""
    f = faces.astype(np.int64)
    rows = np.concatenate([f[:, 0], f[:, 1]])
    cols = np.concatenate([f[:, 1], f[:, 2]])
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n_vertices, n_vertices))
    n, vertex_labels = connected_components(graph, directed=False)
    face_labels = vertex_labels[f[:, 0]]
    used = np.unique(face_labels)
    return int(len(used)), np.searchsorted(used, face_labels)


def body_volumes(mesh: MeshData) -> np.ndarray:
    """(B,) signed volume of each connected body."""
    n, labels = body_labels(mesh.faces, len(mesh.vertices))
    v = mesh.vertices.astype(np.float64)
    a, b, c = (v[mesh.faces[:, k]] for k in range(3))
    per_face = np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0
    return np.bincount(labels, weights=per_face, minlength=n)


def mesh_report(mesh: MeshData) -> dict:
    """Facts about a mesh, as plain Python values (for the manifest and for require_valid)."""
    if mesh.n_faces == 0:
        return {"triangles": 0, "watertight": False, "consistent_winding": False, "outward": False,
                "bodies": 0, "degenerate_triangles": 0, "finite": True, "unit_normals": False}
    closed, consistent = edge_check(mesh.faces, len(mesh.vertices))
    volumes = body_volumes(mesh)
    f = mesh.faces
    repeated = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])
    degenerate = int(np.count_nonzero(repeated | (triangle_areas(mesh.vertices, f) <= AREA_EPS)))
    unit = mesh.normals is not None and bool(
        np.all(np.abs(np.linalg.norm(mesh.normals.astype(np.float64), axis=1) - 1.0) < 1e-4))
    return {
        "triangles": mesh.n_faces,
        "watertight": bool(closed and consistent),
        "consistent_winding": consistent,
        "outward": bool(np.all(volumes > 0)),
        "bodies": int(len(volumes)),
        "degenerate_triangles": degenerate,
        "finite": bool(np.all(np.isfinite(mesh.vertices))),
        "unit_normals": unit,
    }


def require_valid(mesh: MeshData, what: str = "mesh", watertight: bool = True) -> dict:
    """Raise ExportError naming the first failed check; return mesh_report(mesh) otherwise."""
    r = mesh_report(mesh)
    problems = []
    if r["triangles"] == 0:
        problems.append("no triangles")
    else:
        if not r["finite"]:
            problems.append("non-finite vertex positions")
        if r["degenerate_triangles"]:
            problems.append(f"{r['degenerate_triangles']} degenerate triangles")
        if watertight and not r["watertight"]:
            problems.append("not watertight" if r["consistent_winding"] else "inconsistent winding / not closed")
        if watertight and not r["outward"]:
            problems.append("faces wound inward")
        if mesh.normals is not None and not r["unit_normals"]:
            problems.append("normals are not unit length")
    if problems:
        raise ExportError(f"{what} failed checks: {', '.join(problems)}")
    return r
