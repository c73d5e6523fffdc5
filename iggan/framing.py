"""Bring G's renders to the form photos take: framed as a photo is framed (the object's bounding box centred, its
longer side FILL of the image), and with the object's mean brightness levelled (level_brightness).

`photos.photo_image` frames every training photo that way, because a photo's camera distance and crop are unknown.
The reference renderer frames the voxel cube instead, so the object's box in a render wanders in size and place
from view to view: a fresh D tells framed chairs from camera-framed renders of other real chairs on the framing
alone (benchmarks/photo_framing.py). `evaluate` on photos frames G's renders as the photos were, so FID compares
shapes; `match` compares a photo's outline with outlines framed the same way. `train --framing object`
(`train.framing = "object"`, experimental) frames every render D sees, but from scratch G then scattered specks
through the grid (BENCHMARKS.md session 54), so `train` keeps the camera's framing by default.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .photos import FILL, RENDER_LEVEL

OBJECT_LEVEL = 0.1  # a pixel above this is object: renders are black behind the object, at least 0.29 on it


def frame_like_photos(images: torch.Tensor, size: int | None = None, fill: float = FILL,
                      level: float = OBJECT_LEVEL) -> torch.Tensor:
    """(N, C, S, S) images of one object each on black -> (N, C, size, size) (size: S by default), each channel
    framed on its own: the box of its pixels above `level` centred, with its longer side fill * size.
    Differentiable in the pixel values (the box itself is not, as a photo's crop is not); an image with no
    pixel above `level` comes out black."""
    n, c, s = images.shape[0], images.shape[1], images.shape[-1]
    size = s if size is None else size
    flat = images.reshape(n * c, s, s)
    solid = flat.detach() > level
    rows, cols = solid.any(2), solid.any(1)  # (N*C, S)
    idx = torch.arange(s, device=images.device)
    big = torch.full_like(idx, s)

    def extent(hit):
        lo = torch.where(hit, idx, big).amin(1)
        hi = torch.where(hit, idx + 1, torch.zeros_like(idx)).amax(1)
        return lo.float(), hi.float()

    y0, y1 = extent(rows)
    x0, x1 = extent(cols)
    empty = ~rows.any(1)
    y0, y1 = torch.where(empty, 0.0, y0), torch.where(empty, float(s), y1)
    x0, x1 = torch.where(empty, 0.0, x0), torch.where(empty, float(s), x1)
    side = torch.maximum(y1 - y0, x1 - x0) * 2 / s  # in normalised [-1, 1] units
    theta = torch.zeros(n * c, 2, 3, device=images.device)
    theta[:, 0, 0] = theta[:, 1, 1] = side / (2 * fill)
    theta[:, 0, 2] = (x0 + x1) / s - 1
    theta[:, 1, 2] = (y0 + y1) / s - 1
    grid = F.affine_grid(theta, [n * c, 1, size, size], align_corners=False)
    out = F.grid_sample(flat[:, None], grid.to(images.dtype), mode="bilinear", padding_mode="zeros",
                        align_corners=False)[:, 0]
    out = out * (~empty).to(out.dtype)[:, None, None]
    return out.reshape(n, c, size, size)


def level_brightness(images: torch.Tensor, level: float = RENDER_LEVEL, object_level: float = OBJECT_LEVEL) -> torch.Tensor:
    """(N, C, S, S) images on black -> the same with each image's mean over its object (pixels above `object_level`)
    scaled to `level`, clipped to 1; an image with no object pixel is left as it is. Applied alike to photos and to
    G's renders (train.unify_intensity), so D cannot tell a dark material or exposure from the renderer's grey.
    Differentiable in the pixels (the object mask is not)."""
    mask = (images.detach() > object_level).to(images.dtype)
    area = mask.sum((-2, -1), keepdim=True)
    mean = (images * mask).sum((-2, -1), keepdim=True) / area.clamp_min(1)
    gain = torch.where(area > 0, level / mean.clamp_min(1e-6), torch.ones_like(mean))
    return (images * gain).clamp(max=1.0)
