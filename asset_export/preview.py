"""Preview images of exported meshes: a small pure-numpy z-buffer rasteriser (no OpenGL, so it
runs anywhere the exporter runs, Blender included) and a labelled contact sheet."""
from __future__ import annotations

import io
import itertools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .colour_space import linear_to_srgb
from .mesh import MeshData

BACKGROUND = (245, 245, 245)
BASE = np.array([0.72, 0.74, 0.78])
# camera-space directions towards the lights (x right, y up, z towards the viewer)
LIGHTS = ((np.array([-0.5, 0.7, 0.6]), 0.75), (np.array([0.6, 0.2, 0.5]), 0.35))
AMBIENT = 0.18
TILE = 160  # px per view in a preview sheet
MIN_TILE = 48
MAX_SHEET_PIXELS = 64_000_000  # below PIL's decompression-bomb warning (89 MP) and what image viewers open


def view_rotation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(3, 3) world -> camera rotation for a camera orbiting +Y-up at the given angles."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    ry = np.array([[math.cos(az), 0, -math.sin(az)], [0, 1, 0], [math.sin(az), 0, math.cos(az)]])
    rx = np.array([[1, 0, 0], [0, math.cos(el), -math.sin(el)], [0, math.sin(el), math.cos(el)]])
    return rx @ ry


def _shade(normals_cam: np.ndarray, albedo: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) unit camera-space normals -> (N, 3) RGB in [0, 1] (two Lambert lights + ambient) of the
    preview's grey, or of albedo (N, 3) in [0, 1] where given."""
    light = np.full(len(normals_cam), AMBIENT)
    for direction, strength in LIGHTS:
        d = direction / np.linalg.norm(direction)
        light += strength * np.clip(normals_cam @ d, 0.0, None)
    return np.clip(light[:, None] * (BASE[None] if albedo is None else albedo), 0.0, 1.0)


def _nearest(pix: np.ndarray, dep: np.ndarray, n_pixels: int) -> np.ndarray:
    """Indices of the fragments a z-buffer keeps: per pixel that any fragment covers, the nearest (largest
    depth), the first of equals; in pixel order. The same pick as a stable sort by pixel then by nearness,
    without the sort."""
    if np.isnan(dep).any():  # a degenerate sliver: keep the sort's order for NaN depths
        order = np.lexsort((-dep, pix))
        return order[np.r_[True, pix[order][1:] != pix[order][:-1]]]
    nearest = np.full(n_pixels, -np.inf)
    np.maximum.at(nearest, pix, dep)
    candidate = np.flatnonzero(dep == nearest[pix])
    first = np.full(n_pixels, len(pix))
    np.minimum.at(first, pix[candidate], candidate)
    return first[first < len(pix)]


def render_mesh(mesh: MeshData, size: int = 160, azimuth: float = 35.0, elevation: float = 20.0,
                supersample: int = 2, colour: np.ndarray | None = None, tint=None,
                transparent: bool = False, frame: np.ndarray | None = None, frame_tint=None) -> Image.Image:
    """Orthographic render of a mesh, framed to fit. Returns a (size, size) RGB PIL image, or with
    transparent=True an RGBA one whose alpha is the mesh's coverage (an icon on any background). colour: an
    (S, S, 3) uint8 colour map over mesh.uvs (rows top-down, as glTF reads them), sampled at the nearest
    texel in place of the preview's grey; else tint: a linear RGB(A) base colour in its place. frame: (F,) bool,
    the faces drawn in frame_tint (a linear RGB(A) colour) instead (Asset.frame).

    Triangles are bucketed by screen-space bounding-box size; each bucket tests the S x S pixels
    of its boxes at once, and the nearest candidate per pixel wins (a z-buffer, _nearest); only the
    winners are shaded.
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
    if frame is not None:
        frame = np.asarray(frame, bool)[front]
    if mesh.normals is not None:
        n_cam = mesh.normals.astype(np.float64) @ rot.T
    else:
        n_cam = None
    x0, y0 = np.floor(x.min(axis=1)).astype(np.int32), np.floor(y.min(axis=1)).astype(np.int32)
    w = np.ceil(x.max(axis=1)).astype(np.int32) - x0 + 1
    h = np.ceil(y.max(axis=1)).astype(np.int32) - y0 + 1
    # edge functions e_k(px, py) = a_k px + b_k py + c_k, scaled so that they are the barycentric
    # weights (they sum to 1); a pixel centre is inside when all three are >= 0
    xs, ys = x.astype(np.float64), y.astype(np.float64)
    coef = []
    for k in range(3):
        i, j = (k + 1) % 3, (k + 2) % 3
        a_k = (ys[:, i] - ys[:, j]) / area
        b_k = (xs[:, j] - xs[:, i]) / area
        c_k = (xs[:, i] * ys[:, j] - xs[:, j] * ys[:, i]) / area
        # evaluate relative to the box corner, in float32 from here on
        coef.append((a_k.astype(np.float32), b_k.astype(np.float32),
                     (a_k * (x0 + 0.5) + b_k * (y0 + 0.5) + c_k).astype(np.float32)))
    bw_bucket = np.ceil(np.log2(np.maximum(w, 1))).astype(np.int32)
    bh_bucket = np.ceil(np.log2(np.maximum(h, 1))).astype(np.int32)
    key = bw_bucket * 64 + bh_bucket
    pix_all, dep_all, tri_all, bary_all = [], [], [], []
    for kb in np.unique(key):
        sel = np.nonzero(key == kb)[0]
        bw, bh = 2 ** int(kb // 64), 2 ** int(kb % 64)
        dx, dy = np.meshgrid(np.arange(bw, dtype=np.float32), np.arange(bh, dtype=np.float32), indexing="xy")
        dx, dy = dx.ravel(), dy.ravel()
        for chunk in np.array_split(sel, max(1, len(sel) * bw * bh // 1_000_000 + 1)):
            ws = [c[chunk, None] + a[chunk, None] * dx[None] + b[chunk, None] * dy[None] for a, b, c in coef]
            inside = (ws[0] >= 0) & (ws[1] >= 0) & (ws[2] >= 0)
            t, p = np.nonzero(inside)
            if len(t) == 0:
                continue
            tri = chunk[t]
            px = x0[tri] + dx[p].astype(np.int32)
            py = y0[tri] + dy[p].astype(np.int32)
            ok = (px >= 0) & (px < s) & (py >= 0) & (py < s)
            t, p, tri, px, py = t[ok], p[ok], tri[ok], px[ok], py[ok]
            bary = np.stack([ws[0][t, p], ws[1][t, p], ws[2][t, p]], axis=1)  # (K, 3)
            dep_all.append((bary * z[tri]).sum(axis=1))
            pix_all.append(py * s + px)
            tri_all.append(tri)
            bary_all.append(bary)
    channels = 4 if transparent else 3
    background = (np.array([*(np.array(BACKGROUND) / 255.0), 0.0]) * 255).round().astype(np.uint8)
    image = np.empty((s * s, channels), np.uint8)
    image[:] = background[:channels]
    if pix_all:
        pix, dep = np.concatenate(pix_all), np.concatenate(dep_all)
        win = _nearest(pix, dep, s * s)  # per covered pixel, the fragment drawn there
        # only the fragments that are seen are shaded (most of a mesh's fragments are hidden behind others)
        tri, bary = np.concatenate(tri_all)[win], np.concatenate(bary_all)[win]

        def interpolate(corners):  # (K, 3, C) per-corner values -> (K, C): (bary[:, :, None] * corners).sum(axis=1)
            w = bary.astype(np.result_type(bary, corners))  # in its dtype and order, without the slow reduction
            return w[:, 0, None] * corners[:, 0] + w[:, 1, None] * corners[:, 1] + w[:, 2, None] * corners[:, 2]

        if n_cam is not None:
            nrm = interpolate(n_cam[f[tri]])
        else:
            vv = v[f[tri]]
            nrm = np.cross(vv[:, 1] - vv[:, 0], vv[:, 2] - vv[:, 0])
        albedo = None if tint is None else np.broadcast_to(linear_to_srgb(tint[:3]), (len(tri), 3))
        if colour is not None and mesh.uvs is not None:
            uv = interpolate(mesh.uvs[f[tri]])
            texel = np.clip((uv * colour.shape[0]).astype(np.int64), 0, colour.shape[0] - 1)
            albedo = colour[texel[:, 1], texel[:, 0]] / 255.0
        if frame is not None and frame_tint is not None:
            on_frame = frame[tri]
            if on_frame.any():
                albedo = np.array(np.broadcast_to(BASE if albedo is None else albedo, (len(tri), 3)))
                albedo[on_frame] = linear_to_srgb(frame_tint[:3])
        col = _shade(nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12), albedo)
        image[pix[win], :3] = (col * 255).round().astype(np.uint8)
        if transparent:
            image[pix[win], 3] = 255
    img = Image.fromarray(image.reshape(s, s, channels))
    # Pillow resizes RGBA with premultiplied alpha, so the background colour does not bleed into the edges
    return img.resize((size, size), Image.LANCZOS) if supersample > 1 else img


def around_views(mesh: MeshData, sides: int, size: int = TILE, azimuth: float = 35.0,
                 elevation: float = 20.0, colour: np.ndarray | None = None, tint=None,
                 frame: np.ndarray | None = None, frame_tint=None) -> Image.Image:
    """The mesh from `sides` azimuths evenly around it, side by side: a (size * sides, size) RGB image.
    Two sides (front and back three-quarter views) already show every face of the object once. colour:
    its colour map, tint its base colour, frame its frame faces and frame_tint their colour, as render_mesh
    takes them."""
    if sides < 1:
        raise ValueError(f"sides must be at least 1, got {sides}")
    strip = Image.new("RGB", (size * sides, size), BACKGROUND)
    for k in range(sides):
        strip.paste(render_mesh(mesh, size, azimuth + 360.0 * k / sides, elevation, colour=colour, tint=tint,
                                frame=frame, frame_tint=frame_tint), (k * size, 0))
    return strip


LABEL_HEIGHT = 16  # px under each tile of a contact sheet


def _grid(n: int, aspect: float) -> tuple[int, int]:
    """(columns, rows) of a near-square sheet of n tiles of width/height `aspect`."""
    cols = max(1, math.ceil(math.sqrt(n / aspect)))
    return cols, math.ceil(n / cols)


def sheet_tiles(n: int, sides: int) -> tuple[int, int]:
    """(pixels per view, views per asset) for a sheet of n assets with `sides` views each asked: TILE px and all
    the views, or smaller tiles (down to MIN_TILE), then fewer views, so the sheet stays within
    MAX_SHEET_PIXELS. generate allows 10,000 assets; at 160 px and 2 views their sheet would be 570 MP."""
    for views in range(sides, 0, -1):
        cols, rows = _grid(n, views)
        for size in range(TILE, MIN_TILE - 1, -1):
            if cols * size * views * rows * (size + LABEL_HEIGHT) <= MAX_SHEET_PIXELS:
                return size, views
    return MIN_TILE, 1  # past any budget (more than about 17,000 assets): the smallest sheet there is


def contact_sheet(images, labels: list[str], columns: int | None = None) -> Image.Image:
    """Tiles with a label under each, in a near-square grid (wide tiles get fewer columns). Returns an
    RGB PIL image. images: a list, or an iterable of len(labels) images of one size, each pasted as it
    comes, so a sheet of thousands of assets holds one tile at a time rather than all of them."""
    n = len(images) if hasattr(images, "__len__") else len(labels)
    tiles = iter(images)
    first = next(tiles, None) if n else None
    if first is None:
        raise ValueError("no images for the sheet")
    w, h = first.size
    cols, rows = _grid(n, w / h)
    if columns:
        cols, rows = columns, math.ceil(n / columns)
    label_h = LABEL_HEIGHT
    sheet = Image.new("RGB", (cols * w, rows * (h + label_h)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (img, label) in enumerate(zip(itertools.chain([first], tiles), labels)):
        cx, cy = (i % cols) * w, (i // cols) * (h + label_h)
        sheet.paste(img, (cx, cy))
        draw.text((cx + 4, cy + h + 2), label[: max(4, w // 6)], fill=(40, 40, 40), font=font)
    return sheet


def png_bytes(image: Image.Image, optimize: bool = True) -> bytes:
    """A PIL image as PNG bytes (for atomic_write): optimised, or without optimize at zlib's default level, which
    for a preview sheet is 3x faster for a file 1-2% larger (a 57 MP sheet of 1,000 assets: 4.5 s, not 14.5 s)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=optimize)
    return buf.getvalue()
