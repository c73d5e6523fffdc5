"""The sheet `iggan-assets match` writes beside its GLB: each photo next to its matched shape, seen from
the view the matcher found and from a quarter and a half turn further, so a user sees at a glance
what the photo fixed and what the model filled in. With `match --texture` each row ends with the painted
asset from the matched view and from the far side, so the paint can be checked against the photo and
the fill of the sides it did not see."""
from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image

from .asset_export.mesh import MeshData
from .asset_export.preview import contact_sheet, render_mesh

from .cameras import Views
from .photos import decode
from .render.voxel_faces import VoxelFaceRenderer

TILE = 128
TURNS_DEG = (0, 90, 180)
PAINTED_TURNS_DEG = (0, 180)


def _photo_tile(img: Image.Image) -> Image.Image:
    """The photo as given, fitted into a TILE square on mid grey (transparency shows as grey)."""
    rgb, alpha = decode(img)  # as matching reads it: PIL's own convert clips a 16-bit grey photo to white
    alpha = np.ones(rgb.shape[:2], np.float32) if alpha is None else alpha
    rgba = Image.fromarray(np.rint(np.dstack([rgb, alpha]) * 255).astype(np.uint8), "RGBA")
    rgba.thumbnail((TILE, TILE), Image.LANCZOS)
    tile = Image.new("RGBA", (TILE, TILE), (128, 128, 128, 255))
    tile.alpha_composite(rgba, ((TILE - rgba.size[0]) // 2, (TILE - rgba.size[1]) // 2))
    return tile.convert("RGB")


@torch.no_grad()
def match_sheet(photos: list[Image.Image], grids: list[np.ndarray], views_deg: list[tuple[float, float]],
                labels: list[str], view_config,
                painted: list[tuple[MeshData, np.ndarray]] | None = None) -> Image.Image:
    """photos, binary grids (R, R, R) +Y up, the matched views (azimuth, elevation) in degrees and a label
    per row -> one RGB sheet, a row per photo: photo | shape from the matched view | +90 | +180 degrees.
    painted: per row the exported asset's LOD0 (in the grid's axes) and its (S, S, 3) uint8 colour map,
    drawn after those from the matched view and from +180 degrees."""
    renderer = VoxelFaceRenderer(TILE, view_config)
    rows = []
    for r, (photo, grid, (az, el)) in enumerate(zip(photos, grids, views_deg)):
        azs = torch.tensor([math.radians(az + t) for t in TURNS_DEG], dtype=torch.float32)
        views = Views(azs, torch.full((len(TURNS_DEG),), math.radians(el), dtype=torch.float32))
        vox = torch.from_numpy(np.ascontiguousarray(grid, np.float32))[None, None].expand(len(TURNS_DEG), -1, -1, -1, -1)
        shaded = renderer(vox, views)[:, 0].clamp(0, 1).numpy()  # (T, S, S), the reference renderer's look
        tiles = [np.asarray(_photo_tile(photo))] + [np.repeat((s * 255).astype(np.uint8)[..., None], 3, 2) for s in shaded]
        if painted is not None:  # the preview's orbit is the cameras' (azimuth about +Y, then elevation)
            mesh, colour = painted[r]
            tiles += [np.asarray(render_mesh(mesh, TILE, az + t, el, colour=colour)) for t in PAINTED_TURNS_DEG]
        rows.append(Image.fromarray(np.concatenate(tiles, 1)))
    return contact_sheet(rows, labels, columns=1)
