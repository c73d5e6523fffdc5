"""A clean border between a piece's frame and its body: the mesh is cut along a smooth line instead of along
the triangle edges that happen to lie between frame and body voxels.

Labelling whole faces by the voxel nearest each one (as the first `--frame` did) draws the border as a staircase
of triangle edges, one voxel tall, with flecks where a frame voxel touches the surface of a panel. Here the voxel
labels become a smooth field (each grid cell takes its nearest solid voxel's label, then a Gaussian blur of
BLUR_SIGMA voxels), sampled at the vertices; every triangle the field's 0.5 level crosses is split along it, so the
border runs level across a leg where it meets the seat, and a frame fleck smaller than the blur leaves no mark.

    lods, on_frame = frame_lods(lods, budgets, solid)    # each LOD cut within its budget, (F,) bool per LOD
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .check import AREA_EPS, triangle_areas
from .decimate import decimate
from .errors import ExportError
from .mesh import MeshData
from .parts import frame_voxels, nearest_labels
from .surface import voxel_index_coords

BLUR_SIGMA = 1.0  # voxels: smooths the voxel staircase; a one-voxel-tall sofa foot still keeps its label
SNAP = 0.2  # a crossing nearer than this share of an edge to a vertex moves onto the vertex: no sliver triangles


def _snapped(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """values (V,) with a vertex set to 0 (on the border) where a crossing of an edge (E, 2) would lie within SNAP
    of it."""
    values = np.array(values, np.float64)
    a, b = values[edges[:, 0]], values[edges[:, 1]]
    crossing = a * b < 0
    t = np.where(crossing, a / np.where(crossing, a - b, 1.0), 0.5)
    values[edges[crossing & (t < SNAP), 0]] = 0.0
    values[edges[crossing & (t > 1 - SNAP), 1]] = 0.0
    return values


def cut_along(mesh: MeshData, values: np.ndarray) -> tuple[MeshData, np.ndarray]:
    """Split mesh (V vertices, F faces) along the zero level of values (V,), linear along each edge.

    Returns (mesh with V' >= V vertices and F' >= F faces, (F',) bool: the faces where values > 0). A new vertex
    on an edge is shared by both triangles of that edge, so a closed mesh stays closed; winding is kept; normals
    and uvs, if present, are interpolated like the positions. Faces with every vertex on the border go by the
    mean of the unsnapped values."""
    faces = np.asarray(mesh.faces, np.int64)
    n_vertices = len(mesh.vertices)
    pairs = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2).reshape(-1, 2)
    keys = np.unique(pairs.min(axis=1) * n_vertices + pairs.max(axis=1))  # each undirected edge once, sorted
    edges = np.stack([keys // n_vertices, keys % n_vertices], axis=1)
    raw = np.asarray(values, np.float64)
    values = _snapped(raw, edges)
    sign = np.sign(values).astype(np.int8)

    is_crossed = sign[edges[:, 0]] * sign[edges[:, 1]] < 0
    crossed, keys = edges[is_crossed], keys[is_crossed]
    a, b = values[crossed[:, 0]], values[crossed[:, 1]]
    t = (a / (a - b))[:, None]

    def lerp(attribute):
        if attribute is None:
            return None
        x = np.asarray(attribute, np.float64)
        return np.concatenate([x, x[crossed[:, 0]] + t * (x[crossed[:, 1]] - x[crossed[:, 0]])]).astype(np.float32)

    positions = lerp(mesh.vertices)

    def new_vertex(p, q):  # (N,) vertex pairs -> (N,) index of the vertex on their edge
        lo, hi = np.minimum(p, q), np.maximum(p, q)
        return n_vertices + np.searchsorted(keys, lo * n_vertices + hi)

    s = sign[faces]  # (F, 3)
    has_pos, has_neg = (s > 0).any(axis=1), (s < 0).any(axis=1)
    split = has_pos & has_neg
    out_faces, out_frame = [faces[~split]], [np.where(has_pos | has_neg, has_pos, raw[faces].mean(axis=1) > 0)[~split]]

    # one vertex on the border and the other two on opposite sides: two triangles through that vertex
    one = split & (s == 0).any(axis=1)
    if one.any():
        r = np.argmax(s[one] == 0, axis=1)
        f = np.take_along_axis(faces[one], (r[:, None] + np.arange(3)) % 3, axis=1)  # (z, p, q), winding kept
        m = new_vertex(f[:, 1], f[:, 2])
        out_faces += [np.stack([f[:, 0], f[:, 1], m], 1), np.stack([f[:, 0], m, f[:, 2]], 1)]
        out_frame += [sign[f[:, 1]] > 0, sign[f[:, 2]] > 0]

    # one vertex alone on its side: a triangle at that vertex and a quad (two triangles) beyond the border
    two = split & ~one
    if two.any():
        st = s[two]
        r = np.where(st[:, 1] == st[:, 2], 0, np.where(st[:, 0] == st[:, 2], 1, 2))
        f = np.take_along_axis(faces[two], (r[:, None] + np.arange(3)) % 3, axis=1)  # (lone, u, v)
        mu, mv = new_vertex(f[:, 0], f[:, 1]), new_vertex(f[:, 0], f[:, 2])
        lone_frame = sign[f[:, 0]] > 0
        # the quad (mu, u, v, mv) is split along its shorter diagonal
        short_uv = (np.linalg.norm(positions[mu] - positions[f[:, 2]], axis=1)
                    <= np.linalg.norm(positions[f[:, 1]] - positions[mv], axis=1))[:, None]
        quad_a = np.where(short_uv, np.stack([mu, f[:, 1], f[:, 2]], 1), np.stack([mu, f[:, 1], mv], 1))
        quad_b = np.where(short_uv, np.stack([mu, f[:, 2], mv], 1), np.stack([f[:, 1], f[:, 2], mv], 1))
        out_faces += [np.stack([f[:, 0], mu, mv], 1), quad_a, quad_b]
        out_frame += [lone_frame, ~lone_frame, ~lone_frame]

    normals = lerp(mesh.normals)
    if normals is not None:
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    cut = MeshData(positions, np.concatenate(out_faces).astype(np.uint32), normals, lerp(mesh.uvs))
    return cut, np.concatenate(out_frame)


def frame_lods(lods: list[MeshData], budgets: list[int], solid: np.ndarray) -> tuple[list[MeshData], list[np.ndarray]]:
    """Each LOD (in surface_mesh's grid-cube coordinates of `solid`) cut along its frame border, and (F,) bool per
    LOD: its faces on the frame. The cut adds triangles along the border; a LOD within its budget that the cut
    would take over it is decimated by the excess first, so the budgets still hold. Should that fail, or a cut
    piece of a tiny triangle come out degenerate, the LOD stays uncut, each face labelled by its vertices' mean."""
    frame = frame_voxels(solid)
    labels = nearest_labels(solid, frame).astype(np.float32)
    field = ndimage.gaussian_filter(labels, BLUR_SIGMA, mode="nearest")

    def weights(mesh):  # (V,) in [0, 1]
        return ndimage.map_coordinates(field, voxel_index_coords(mesh.vertices, solid.shape).T, order=1,
                                       mode="nearest")

    out, masks = [], []
    for lod, budget in zip(lods, budgets):
        limit = max(budget, lod.n_faces)  # a LOD that could not be decimated to its budget keeps its count
        mesh, lod_weights = lod, weights(lod)
        result = cut_along(mesh, lod_weights - 0.5)
        for _ in range(3):
            if result[0].n_faces <= limit:
                break
            try:
                mesh = decimate(mesh, mesh.n_faces - (result[0].n_faces - limit))
            except ExportError:
                break
            result = cut_along(mesh, weights(mesh) - 0.5)
        if result[0].n_faces > limit or (triangle_areas(result[0].vertices, result[0].faces) <= AREA_EPS).any():
            result = lod, lod_weights[lod.faces].mean(axis=1) > 0.5
        out.append(result[0])
        masks.append(result[1])
    return out, masks
