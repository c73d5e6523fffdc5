"""The optional `ao` stage: ambient occlusion baked into a texture over each LOD's UV atlas.

An untextured prop reads as a flat grey blob in an engine; baked occlusion darkens the creases, the
underside of a seat and the space between legs, which is what modellers ship for props. The shape
is the voxel grid it was meshed from, so occlusion is found by marching rays through that grid (a
few million lookups) rather than by ray-casting triangles.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from .mesh import MeshData

RAYS = 32  # cosine-weighted directions over each texel's hemisphere
STEPS_VOXELS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # how far each ray looks, in voxels
LIFT_VOXELS = 0.75  # rays start this far out along the normal: the smoothed surface is within half a voxel
CHUNK = 8192  # texels per batch (CHUNK x RAYS x steps lookups at once)
BLUR_TEXELS = 1.0  # Gaussian sigma of the smoothing over covered texels


def hemisphere_directions(n: int = RAYS) -> np.ndarray:
    """(n, 3) cosine-weighted unit directions about +Z (a Fibonacci spiral on the disc, lifted)."""
    k = np.arange(n) + 0.5
    r = np.sqrt(k / n)
    phi = k * np.pi * (3.0 - np.sqrt(5.0))
    x, y = r * np.cos(phi), r * np.sin(phi)
    return np.stack([x, y, np.sqrt(np.clip(1.0 - x * x - y * y, 0.0, 1.0))], axis=1)


def texel_samples(mesh: MeshData, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The surface point and normal under every texel the UV atlas covers.

    mesh: uvs (V, 2) in [0, 1], normals (V, 3). Returns (rows, cols) (T,) int texel indices (row 0 =
    v near 0: glTF stores images top row first for v = 0), points (T, 3) and unit normals (T, 3).
    Pillow fills each triangle with its index (C code, a few microseconds a triangle); barycentric
    weights then place every texel centre on its triangle, clamped for texels on a triangle's edge."""
    uv = mesh.uvs.astype(np.float64)
    ids = Image.new("I", (size, size), 0)
    draw = ImageDraw.Draw(ids)
    for i, tri in enumerate(mesh.faces):
        draw.polygon([tuple(p) for p in uv[tri] * size], fill=i + 1)
    face = np.asarray(ids, np.int64) - 1
    rows, cols = np.nonzero(face >= 0)
    if not len(rows):
        empty = np.zeros((0, 3))
        return rows, cols, empty, empty
    tri = mesh.faces[face[rows, cols]].astype(np.int64)  # (T, 3)
    q = (np.stack([cols, rows], axis=1) + 0.5) / size
    a, b, c = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    area = np.where(np.abs(area) < 1e-15, 1e-15, area)
    w0 = ((b[:, 0] - q[:, 0]) * (c[:, 1] - q[:, 1]) - (b[:, 1] - q[:, 1]) * (c[:, 0] - q[:, 0])) / area
    w1 = ((c[:, 0] - q[:, 0]) * (a[:, 1] - q[:, 1]) - (c[:, 1] - q[:, 1]) * (a[:, 0] - q[:, 0])) / area
    w = np.clip(np.stack([w0, w1, 1.0 - w0 - w1], axis=1), 0.0, 1.0)
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    v, nrm = mesh.vertices.astype(np.float64), mesh.normals.astype(np.float64)
    points = np.einsum("tk,tkd->td", w, v[tri])
    normals = np.einsum("tk,tkd->td", w, nrm[tri])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return rows, cols, points, normals


def occlusion_at(points: np.ndarray, normals: np.ndarray, solid: np.ndarray) -> np.ndarray:
    """Share of the cosine-weighted hemisphere that sees out of the shape within 8 voxels.

    points (T, 3) and unit normals (T, 3) in voxel index coordinates of `solid` (X, Y, Z) bool
    (voxel [i, j, k] centred at (i, j, k)); outside the grid is empty. Returns (T,) in [0, 1], 1 = open."""
    dirs = hemisphere_directions().astype(np.float32)
    steps = np.asarray(STEPS_VOXELS, np.float32)
    padded = np.pad(np.asarray(solid, bool), 1).ravel()  # index -1 and R land on empty padding
    dims = np.asarray(solid.shape) + 2
    strides = np.array([dims[1] * dims[2], dims[2], 1], np.int64)
    out = np.empty(len(points))
    for start in range(0, len(points), CHUNK):
        p = points[start:start + CHUNK].astype(np.float32)
        n = normals[start:start + CHUNK].astype(np.float32)
        # a tangent frame per texel: any unit vector not parallel to n, made orthogonal
        helper = np.where(np.abs(n[:, :1]) < 0.9, np.float32([[1, 0, 0]]), np.float32([[0, 1, 0]]))
        t1 = np.cross(n, helper)
        t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
        t2 = np.cross(n, t1)
        d = np.einsum("rk,ckd->crd", dirs, np.stack([t1, t2, n], axis=1))  # (C, RAYS, 3) world directions
        origin = p + LIFT_VOXELS * n + 1.5  # +1 for the padding, +0.5 so floor() rounds to the nearest voxel
        samples = origin[:, None, None] + steps[None, None, :, None] * d[:, :, None]  # (C, RAYS, S, 3)
        cell = np.clip(np.floor(samples).astype(np.int64), 0, dims - 1)
        hit = padded[cell[..., 0] * strides[0] + cell[..., 1] * strides[1] + cell[..., 2]].any(axis=2)  # (C, RAYS)
        out[start:start + CHUNK] = 1.0 - hit.mean(axis=1)
    return out


def bake_occlusion(mesh: MeshData, solid: np.ndarray, to_voxels, size: int) -> np.ndarray:
    """(size, size) uint8 occlusion map (255 = open) over mesh.uvs, rows top-down as glTF reads them.

    to_voxels maps (N, 3) mesh coordinates to voxel index coordinates of `solid`. Texels no triangle
    covers take the value of the nearest covered texel, so filtering at chart borders stays clean.
    The blur also runs across chart borders that touch in the atlas (2 texels apart at the least):
    a sigma of one texel keeps that to a faint mix at the border."""
    rows, cols, points, normals = texel_samples(mesh, size)
    image = np.zeros((size, size))
    covered = np.zeros((size, size), bool)
    if len(rows):
        image[rows, cols] = occlusion_at(to_voxels(points), normals, solid)
        covered[rows, cols] = True
        # 32 rays leave speckle; a blur over covered texels only (normalised convolution) smooths it
        # without pulling in the empty gutter
        weight = ndimage.gaussian_filter(covered.astype(np.float64), BLUR_TEXELS)
        image = np.where(covered, ndimage.gaussian_filter(image, BLUR_TEXELS) / np.maximum(weight, 1e-6), 0.0)
        image = fill_gutter(image, rows, cols)
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def fill_gutter(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Every texel outside the charts (not at rows, cols) takes the value of the nearest covered texel, so
    filtering at chart borders never pulls in black. image (S, S) or (S, S, C) -> the same shape."""
    covered = np.zeros(image.shape[:2], bool)
    covered[rows, cols] = True
    _, (ri, ci) = ndimage.distance_transform_edt(~covered, return_indices=True)
    return image[ri, ci]
