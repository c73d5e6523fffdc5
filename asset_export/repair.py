"""Repairs for the two defects quadric decimation leaves on thin parts: back-to-back triangle
pairs ("fins" of zero volume), and edges shared by four triangles where a thin tube was squashed
flat. Both are pure topology fixes; positions do not move."""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .check import remove_degenerate
from .mesh import MeshData


def drop_fin_pairs(mesh: MeshData) -> MeshData:
    """Remove every triangle whose vertex set another triangle repeats (back-to-back pairs)."""
    f = mesh.faces.astype(np.int64)
    n = len(mesh.vertices)
    s = np.sort(f, axis=1)
    key = (s[:, 0] * n + s[:, 1]) * n + s[:, 2]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    keep = counts[inverse] == 1
    if keep.all():
        return mesh
    return remove_degenerate(MeshData(mesh.vertices, mesh.faces[keep]))


def split_nonmanifold_edges(mesh: MeshData, flip: np.ndarray | None = None) -> MeshData:
    """Give each fan of triangles around a vertex its own copy of that vertex.

    Half-edge h = 3*face + j runs F[face, j] -> F[face, j+1]. Each a->b is paired with one b->a
    (the k-th with the k-th on an edge with four triangles). The corner at vertex v of a triangle
    is joined to the corner at v of the triangle across its incoming edge; connected corners
    share a vertex. On an edge-manifold mesh this changes nothing; on an edge with four
    triangles it makes two edges of two triangles each, so the mesh is closed again.
    """
    f = mesh.faces.astype(np.int64)
    n_f, n_v = len(f), len(mesh.vertices)
    a = f.ravel()
    b = np.roll(f, -1, axis=1).ravel()
    h = np.arange(3 * n_f)
    lo, hi, fwd = np.minimum(a, b), np.maximum(a, b), a < b
    edge = lo * n_v + hi
    order = np.lexsort((h, fwd, edge))
    e_s, f_s = edge[order], fwd[order]
    # rank of each half-edge among those with the same (edge, direction)
    group = np.r_[True, (e_s[1:] != e_s[:-1]) | (f_s[1:] != f_s[:-1])]
    start = np.maximum.accumulate(np.where(group, np.arange(len(order)), 0))
    rank = np.empty_like(h)
    rank[order] = np.arange(len(order)) - start
    if flip is not None and len(flip):
        # the other pairing on the given edges: the k-th a->b with the (n-1-k)-th b->a
        size = np.bincount(np.cumsum(group) - 1)[np.cumsum(group) - 1]
        count = np.empty_like(h)
        count[order] = size
        sel = np.isin(edge, flip) & ~fwd
        rank[sel] = count[sel] - 1 - rank[sel]
    key = (edge * 3 * n_f + rank) * 2
    fwd_key, bwd_key = key[fwd], key[~fwd]
    fwd_h, bwd_h = h[fwd], h[~fwd]
    sort_b = np.argsort(bwd_key)
    bwd_sorted = bwd_key[sort_b]
    pos = np.minimum(np.searchsorted(bwd_sorted, fwd_key), max(len(bwd_sorted) - 1, 0))
    hit = bwd_sorted[pos] == fwd_key if len(bwd_sorted) else np.zeros(len(fwd_key), bool)
    twin_a, twin_b = fwd_h[hit], bwd_h[sort_b[pos[hit]]]
    twin = np.full(3 * n_f, -1)
    twin[twin_a], twin[twin_b] = twin_b, twin_a
    # corner c = 3*face + j sits at F[face, j]; its incoming half-edge is 3*face + (j+2)%3, whose
    # twin starts at the same vertex, so the twin's index is the neighbouring corner.
    corner = h
    incoming = 3 * (corner // 3) + (corner % 3 + 2) % 3
    other = twin[incoming]
    ok = other >= 0
    graph = coo_matrix((np.ones(int(ok.sum()), np.int8), (corner[ok], other[ok])), shape=(3 * n_f, 3 * n_f))
    _, label = connected_components(graph, directed=False)
    # corners with no link (open boundary) keep their own label; map labels to vertex copies
    uniq, first = np.unique(label, return_index=True)
    new_pos = mesh.vertices[a[first]]
    new_faces = np.searchsorted(uniq, label).reshape(-1, 3).astype(np.uint32)
    return MeshData(new_pos, new_faces)


def nonmanifold_edges(mesh: MeshData) -> np.ndarray:
    """Keys lo * V + hi of the undirected edges used by other than two triangles."""
    f = mesh.faces.astype(np.int64)
    n_v = len(mesh.vertices)
    a, b = f.ravel(), np.roll(f, -1, axis=1).ravel()
    edge = np.minimum(a, b) * n_v + np.maximum(a, b)
    keys, counts = np.unique(edge, return_counts=True)
    return keys[counts != 2]


def make_edge_manifold(mesh: MeshData) -> MeshData:
    """drop_fin_pairs, then split_nonmanifold_edges with whichever pairing on each bad edge
    leaves fewer bad edges (a squashed tube needs one pairing or the other)."""
    mesh = drop_fin_pairs(mesh)
    bad = nonmanifold_edges(mesh)
    if len(bad) == 0:
        return mesh
    first = split_nonmanifold_edges(mesh)
    # edges still bad after the first pairing, in the original vertex numbering
    still = bad[_still_bad(mesh, first, bad)]
    if len(still) == 0:
        return first
    second = split_nonmanifold_edges(mesh, flip=still)
    return second if len(nonmanifold_edges(second)) < len(nonmanifold_edges(first)) else first


def _still_bad(before: MeshData, after: MeshData, bad: np.ndarray) -> np.ndarray:
    """Which of `bad` (edge keys of `before`) are still shared by more than two triangles after
    splitting (same triangle order, new vertex numbering)."""
    n0, n1 = len(before.vertices), len(after.vertices)
    f0, f1 = before.faces.astype(np.int64), after.faces.astype(np.int64)
    a0, b0 = f0.ravel(), np.roll(f0, -1, axis=1).ravel()
    a1, b1 = f1.ravel(), np.roll(f1, -1, axis=1).ravel()
    old = np.minimum(a0, b0) * n0 + np.maximum(a0, b0)
    new = np.minimum(a1, b1) * n1 + np.maximum(a1, b1)
    keys, counts = np.unique(new, return_counts=True)
    bad_new = np.isin(new, keys[counts != 2])
    return np.isin(bad, old[bad_new])
