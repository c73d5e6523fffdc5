"""Preview images of exported meshes: a small pure-numpy z-buffer rasteriser (no OpenGL, so it
runs anywhere the exporter runs, Blender included) and a labelled contact sheet."""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .mesh import MeshData

BACKGROUND = (245, 245, 245)
BASE = np.array([0.72, 0.74, 0.78])
# camera-space directions towards the lights (x right, y up, z towards the viewer)
LIGHTS = ((np.array([-0.5, 0.7, 0.6]), 0.75), (np.array([0.6, 0.2, 0.5]), 0.35))
AMBIENT = 0.18


def view_rotation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(3, 3) world -> camera rotation for a camera orbiting +Y-up at the given angles."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    ry = np.array([[math.cos(az), 0, -math.sin(az)], [0, 1, 0], [math.sin(az), 0, math.cos(az)]])
    rx = np.array([[1, 0, 0], [0, math.cos(el), -math.sin(el)], [0, math.sin(el), math.cos(el)]])
    return rx @ ry


def _shade(normals_cam: np.ndarray) -> np.ndarray:
    """(N, 3) unit camera-space normals -> (N, 3) RGB in [0, 1] (two Lambert lights + ambient)."""
    light = np.full(len(normals_cam), AMBIENT)
    for direction, strength in LIGHTS:
        d = direction / np.linalg.norm(direction)
        light += strength * np.clip(normals_cam @ d, 0.0, None)
    return np.clip(light[:, None] * BASE[None], 0.0, 1.0)


def render_mesh(mesh: MeshData, size: int = 160, azimuth: float = 35.0, elevation: float = 20.0,
                supersample: int = 2) -> Image.Image:
    """Orthographic render of a mesh, framed to fit. Returns a (size, size) RGB PIL image.

    Triangles are bucketed by screen-space bounding-box size; each bucket tests the S x S pixels
    of its boxes at once, and the nearest candidate per pixel wins (a z-buffer by sorting).
    """
    s = size * supersample
    rot = view_rotation(azimuth, elevation)
    v = mesh.vertices.astype(np.float64) @ rot.T
    lo, hi = v.min(axis=0), v.max(axis=0)
    scale = 0.9 * s / max(float((hi - lo)[:2].max()), 1e-9)
    centre = (lo + hi) / 2.0
    sx = (v[:, 0] - centre[0]) * scale + s / 2.0
    sy = s / 2.0 - (v[:, 1] - centre[1]) * scale  # image rows grow downwards
    depth = v[:, 2]
    f = mesh.faces.astype(np.int64)
    x, y, z = sx[f], sy[f], depth[f]  # (F, 3) each
    # counter-clockwise in view (y up) = clockwise in image rows: keep front faces only
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    front = area < 0
    f, x, y, z, area = f[front], x[front], y[front], z[front], area[front]
    if mesh.normals is not None:
        n_cam = mesh.normals.astype(np.float64) @ rot.T
    else:
        n_cam = None
    x0, y0 = np.floor(x.min(axis=1)).astype(int), np.floor(y.min(axis=1)).astype(int)
    extent = np.maximum(np.ceil(x.max(axis=1)).astype(int) - x0, np.ceil(y.max(axis=1)).astype(int) - y0) + 1
    bucket = np.ceil(np.log2(np.maximum(extent, 1))).astype(int)
    pix_all, dep_all, col_all = [], [], []
    for b in np.unique(bucket):
        sel = np.nonzero(bucket == b)[0]
        side = 2 ** int(b)
        off = np.arange(side)
        dx, dy = np.meshgrid(off, off, indexing="xy")
        dx, dy = dx.ravel(), dy.ravel()
        for chunk in np.array_split(sel, max(1, len(sel) * side * side // 2_000_000 + 1)):
            px = x0[chunk, None] + dx[None] + 0.5  # (T, P) pixel centres
            py = y0[chunk, None] + dy[None] + 0.5
            xa, ya = x[chunk], y[chunk]
            # barycentric weights of the pixel centre
            w0 = ((xa[:, 1:2] - px) * (ya[:, 2:3] - py) - (xa[:, 2:3] - px) * (ya[:, 1:2] - py))
            w1 = ((xa[:, 2:3] - px) * (ya[:, 0:1] - py) - (xa[:, 0:1] - px) * (ya[:, 2:3] - py))
            w2 = ((xa[:, 0:1] - px) * (ya[:, 1:2] - py) - (xa[:, 1:2] - px) * (ya[:, 0:1] - py))
            a = area[chunk, None]
            w0, w1, w2 = w0 / a, w1 / a, w2 / a
            inside = (w0 >= 0) & (w1 >= 0) & (w2 >= 0) & (px >= 0) & (px < s) & (py >= 0) & (py < s)
            t, p = np.nonzero(inside)
            if len(t) == 0:
                continue
            tri = chunk[t]
            bw = np.stack([w0[t, p], w1[t, p], w2[t, p]], axis=1)  # (K, 3)
            dep_all.append((bw * z[tri]).sum(axis=1))
            pix_all.append((py[t, p].astype(int)) * s + px[t, p].astype(int))
            if n_cam is not None:
                nrm = (bw[:, :, None] * n_cam[f[tri]]).sum(axis=1)
            else:
                vv = v[f[tri]]
                nrm = np.cross(vv[:, 1] - vv[:, 0], vv[:, 2] - vv[:, 0])
            col_all.append(_shade(nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)))
    image = np.empty((s * s, 3))
    image[:] = np.array(BACKGROUND) / 255.0
    if pix_all:
        pix, dep, col = np.concatenate(pix_all), np.concatenate(dep_all), np.concatenate(col_all)
        order = np.lexsort((-dep, pix))  # per pixel, nearest (largest z) first
        pix, col = pix[order], col[order]
        first = np.r_[True, pix[1:] != pix[:-1]]
        image[pix[first]] = col[first]
    img = Image.fromarray((image.reshape(s, s, 3) * 255).round().astype(np.uint8))
    return img.resize((size, size), Image.LANCZOS) if supersample > 1 else img


def contact_sheet(images: list[Image.Image], labels: list[str], columns: int | None = None) -> Image.Image:
    """Tiles with a label under each, in a near-square grid. Returns an RGB PIL image."""
    if not images:
        raise ValueError("no images for the sheet")
    n = len(images)
    cols = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    w, h = images[0].size
    label_h = 16
    sheet = Image.new("RGB", (cols * w, rows * (h + label_h)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (img, label) in enumerate(zip(images, labels)):
        cx, cy = (i % cols) * w, (i // cols) * (h + label_h)
        sheet.paste(img, (cx, cy))
        draw.text((cx + 4, cy + h + 2), label[: max(4, w // 6)], fill=(40, 40, 40), font=font)
    return sheet
