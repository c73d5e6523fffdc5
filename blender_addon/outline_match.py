"""Match a photo to a generator's shapes by outline, in numpy: the Blender extension's twin of
`iggan-assets match --steps 0` (iggan/matching.py), which has torch and also refines the latent.

1. pool: the shapes of latents 0..POOL-1 of POOL_SEED (the CLI's pool), binarised, and their exact
   silhouettes from SEARCH_YAWS x SEARCH_ELEVATIONS_DEG views at SEARCH_SIZE px, traced once per model
   (cached on disk as bits) as a sparse ray-voxel incidence matrix times the grids;
2. compare: every silhouette and the photo's mask are framed alike (bounding box centred, its longer
   side photos.FILL of the frame) and scored by IoU;
3. re-rank: the best few shapes are traced again (at twice RERANK_SIZE, framed, then averaged down, as the
   CLI frames photos) from their best grid view and its four half-step neighbours, and ranked by that IoU.
A matched shape is latent `index` of POOL_SEED, so the extension's Variations work on it.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

POOL = 512
POOL_SEED = 0x3A7C  # the pool is fixed, so the same photo gives the same shapes (iggan.matching's too)
SEARCH_SIZE = 32
SEARCH_YAWS = 24  # every 15 degrees
SEARCH_ELEVATIONS_DEG = (0.0, 15.0, 30.0, 45.0)
RERANK_SIZE = 64
RERANK = 6  # shapes re-ranked at RERANK_SIZE
FILL = 0.5  # photos.FILL

try:  # the tracer lives in asset_export (numpy + scipy): vendored inside the extension, else the sibling package
    from .asset_export.silhouette import CAMERA_DISTANCE, FOV_DEG, ray_voxel_matrix, silhouettes
except ImportError:
    from ..asset_export.silhouette import CAMERA_DISTANCE, FOV_DEG, ray_voxel_matrix, silhouettes


class MatchError(ValueError):
    """A photo that cannot be matched; the message says what to do."""


@dataclass
class OutlineMatch:
    """Pool shape `index` (latent index of POOL_SEED) fits the photo best from this view (radians) with
    this silhouette IoU (0..1). With several photos of one object: the first photo's view, the mean IoU,
    and every photo's view in photo_views."""

    index: int
    azimuth: float
    elevation: float
    iou: float
    photo_views: tuple[tuple[float, float], ...] = ()


def search_views() -> tuple[np.ndarray, np.ndarray]:
    """(azimuths, elevations) of the grid, (V,) radians each, elevation-major as iggan.matching."""
    yaws = np.arange(SEARCH_YAWS, dtype=np.float32) * np.float32(2 * math.pi / SEARCH_YAWS)
    els = np.radians(np.asarray(SEARCH_ELEVATIONS_DEG, np.float32))
    return np.tile(yaws, len(els)), np.repeat(els, SEARCH_YAWS).astype(np.float32)


def _sampling_weights(lo: np.ndarray, hi: np.ndarray, s: int, size: int, fill: float) -> np.ndarray:
    """Bilinear weights (N, size, s) that map a box [lo, hi) of each row of s pixels to the middle `fill`
    of size pixels, as torch's affine_grid + grid_sample(align_corners=False, zeros padding)."""
    side = (np.maximum(hi - lo, 1e-9) * 2 / s)[:, None]  # set per call to the longer side
    centre = ((lo + hi) / s - 1)[:, None]
    base = (2 * np.arange(size, dtype=np.float32) + 1) / size - 1  # output pixel centres in [-1, 1]
    coord = ((base[None] * side / (2 * fill) + centre) + 1) * s / 2 - 0.5  # input pixel coordinate
    i0 = np.floor(coord)
    w1 = (coord - i0).astype(np.float32)
    idx = np.arange(s)
    return (((idx == i0[..., None]) * (1 - w1)[..., None]) + ((idx == i0[..., None] + 1) * w1[..., None])).astype(np.float32)


def framed(sil: np.ndarray, size: int, fill: float = FILL) -> np.ndarray:
    """Silhouettes (N, S, S) in [0, 1] -> (N, size, size), the bounding box (pixels > 0.5) centred with its
    longer side fill * size (iggan.matching.framed, in numpy). An empty silhouette stays empty."""
    sil = np.asarray(sil, np.float32)
    s = sil.shape[-1]
    solid = sil > 0.5
    rows, cols = solid.any(2), solid.any(1)
    idx = np.arange(s)

    def extent(hit):
        lo = np.where(hit, idx, s).min(1).astype(np.float32)
        hi = np.where(hit, idx + 1, 0).max(1).astype(np.float32)
        return lo, hi

    (y0, y1), (x0, x1) = extent(rows), extent(cols)
    empty = ~rows.any(1)
    y0, y1, x0, x1 = (np.where(empty, 0.0, y0), np.where(empty, s, y1), np.where(empty, 0.0, x0),
                      np.where(empty, s, x1))
    longer = np.maximum(y1 - y0, x1 - x0)
    # a box of the longer side about each centre, so both axes share one scale
    wy = _sampling_weights((y0 + y1 - longer) / 2, (y0 + y1 + longer) / 2, s, size, fill)
    wx = _sampling_weights((x0 + x1 - longer) / 2, (x0 + x1 + longer) / 2, s, size, fill)
    out = np.einsum("nis,nst,njt->nij", wy, sil, wx, optimize=True)
    return out * (~empty)[:, None, None]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Soft IoU of masks (..., H, W) in [0, 1] -> (...)."""
    inter = np.minimum(a, b).reshape(*a.shape[:-2], -1).sum(-1)
    union = np.maximum(a, b).reshape(*a.shape[:-2], -1).sum(-1)
    return inter / np.maximum(union, 1e-6)


def _mean_pool2(x: np.ndarray) -> np.ndarray:
    return x.reshape(*x.shape[:-2], x.shape[-2] // 2, 2, x.shape[-1] // 2, 2).mean((-3, -1))


def photo_mask(path) -> np.ndarray:
    """An image file or PIL image (a cut-out with alpha, or a plain background) -> its mask (RERANK_SIZE, RERANK_SIZE)
    framed for matching, as `iggan-assets match` frames it (found at twice the size, then averaged).
    Raises MatchError saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    photos = _photos()
    try:
        if isinstance(path, Image.Image):
            _, mask, warning = photos.photo_image(path, 2 * RERANK_SIZE, fill_holes=False)
        else:
            with Image.open(path) as img:
                img.load()
                _, mask, warning = photos.photo_image(img, 2 * RERANK_SIZE, fill_holes=False)
    except FileNotFoundError as exc:
        raise MatchError(f"image {path} not found: choose an image file") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise MatchError(f"cannot read image {path} ({exc}): use a PNG or JPEG") from exc
    except Image.DecompressionBombError as exc:  # not an OSError: the job reported it as a bug
        raise MatchError(f"{path} is too large to read safely ({exc}); scale it down first") from exc
    except photos.PhotoError as exc:
        raise MatchError(f"{path}: {exc}") from exc
    if warning is not None:
        raise MatchError(f"{path}: cannot find the object's outline ({warning}); give a cut-out PNG with "
                         "transparency, or a photo on a plain background")
    return _mean_pool2(mask)


def photo_view(image, azimuth: float, elevation: float, fov_deg: float = FOV_DEG, distance: float = CAMERA_DISTANCE):
    """An image file or PIL image and the view (radians) from which a match fits it -> the PhotoView that
    paints the match (asset_export/photo_texture.py), reduced and masked exactly as photo_mask masks it."""
    from PIL import Image

    try:
        from .asset_export.photo_texture import PhotoView
    except ImportError:
        from ..asset_export.photo_texture import PhotoView
    photos = _photos()
    img = image if isinstance(image, Image.Image) else Image.open(image)
    rgb, alpha = photos.decode(photos.open_reduced(img))
    mask, _ = photos.object_mask(rgb, alpha, fill_holes=False)
    return PhotoView(rgb, np.asarray(mask, np.float32), float(azimuth), float(elevation), float(fov_deg), float(distance))


def _photos():
    """photos.py: vendored beside this file in the extension, iggan.photos in the repository."""
    try:
        from . import photos
    except ImportError:
        from .. import photos
    return photos


class OutlinePool:
    """A generator's pool: latents (K, z_dim) and framed silhouettes (K, V, SEARCH_SIZE, SEARCH_SIZE)."""

    def __init__(self, generator, threshold: float = 0.5, size: int | None = None, cache_dir: str | Path | None = None,
                 progress=None, cancelled=lambda: False):
        from .numpy_generator import latents

        size = size or POOL
        self.generator, self.threshold = generator, threshold
        self.azimuth, self.elevation = search_views()
        self.z = latents(POOL_SEED, size, generator.z_dim)
        views = getattr(generator, "views", {}) or {}  # trace with the camera the model was trained with
        self.camera = {"distance": float(views.get("camera_distance", CAMERA_DISTANCE)),
                       "fov_deg": float(views.get("fov_deg", FOV_DEG))}
        key = self._key(size)
        path = Path(cache_dir) / f"{key}.npz" if cache_dir else None
        binary = _load_bits(path, (size, len(self.azimuth), SEARCH_SIZE, SEARCH_SIZE))
        if binary is None:
            matrix = ray_voxel_matrix(self.azimuth, self.elevation, generator.voxel_res, SEARCH_SIZE, **self.camera)
            parts = []
            for k0 in range(0, size, 32):
                if cancelled():
                    from .engine import JobCancelled
                    raise JobCancelled("cancelled while tracing the model's outlines")
                grids = generator(self.z[k0:k0 + 32]) >= threshold
                parts.append(silhouettes(matrix, grids, SEARCH_SIZE))
                if progress:
                    progress(min(k0 + 32, size), size)
            binary = np.concatenate(parts)
            if path is not None:
                _save_bits(path, binary)
        flat = binary.reshape(-1, SEARCH_SIZE, SEARCH_SIZE)
        self.framed = np.concatenate([framed(part, SEARCH_SIZE).astype(np.float16)
                                      for part in np.array_split(flat, max(1, len(flat) // 4096))]
                                     ).reshape(binary.shape)

    _last: "OutlinePool | None" = None  # the last pool made, kept for the next photo (about 100 MB)

    @classmethod
    def shared(cls, generator, threshold: float = 0.5, **kwargs) -> "OutlinePool":
        """The last pool made if it is this generator's at this threshold, else a new one (kept in its place),
        so matching one photo after another frames the pool's silhouettes once."""
        last = cls._last
        if last is not None and last.generator is generator and last.threshold == threshold and len(last.z) == (
                kwargs.get("size") or POOL):
            return last
        cls._last = None  # free the old one first
        cls._last = cls(generator, threshold, **kwargs)
        return cls._last

    def _key(self, size: int) -> str:
        h = hashlib.sha256()
        for layer in self.generator.layers:
            for arr in layer:
                for a in (arr if isinstance(arr, tuple) else (arr,)):
                    if a is not None:
                        h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((size, POOL_SEED, self.threshold, SEARCH_SIZE, SEARCH_YAWS, SEARCH_ELEVATIONS_DEG,
                       round(self.camera["distance"], 6), round(self.camera["fov_deg"], 6))).encode())
        return "outline_" + h.hexdigest()[:24]

    def match(self, masks: np.ndarray, keep: int = 4) -> list[OutlineMatch]:
        """A photo's mask (RERANK_SIZE, RERANK_SIZE) from photo_mask, or (P, RERANK_SIZE, RERANK_SIZE) for P
        photos of one object -> up to `keep` matches, best first (distinct shapes). With several photos a
        shape is scored by its mean IoU over them, each from its own best view (`match --one-object`)."""
        masks = np.asarray(masks, np.float32)
        masks = masks[None] if masks.ndim == 2 else masks
        per_photo = []
        for mask in masks:
            coarse = _mean_pool2(mask)
            per_photo.append(np.concatenate([iou(part.astype(np.float32), coarse) for part in np.array_split(
                self.framed, max(1, len(self.framed) // 64))]))  # (K, V)
        scores = np.stack(per_photo)  # (P, K, V)
        best_view = scores.argmax(2)  # (P, K)
        order = np.argsort(-scores.max(2).mean(0), kind="stable")[:max(RERANK, keep)]
        half_az, half_el = math.pi / SEARCH_YAWS, math.radians(7.5)
        offsets = np.array([(0, 0), (-half_az, 0), (half_az, 0), (0, -half_el), (0, half_el)], np.float32)
        grids = self.generator(self.z[order]) >= self.threshold
        found = []
        for k, grid in zip(order, grids):
            views, fits = [], []
            for p, mask in enumerate(masks):
                az = self.azimuth[best_view[p, k]] + offsets[:, 0]
                el = self.elevation[best_view[p, k]] + offsets[:, 1]
                # traced at twice the size, framed there and averaged down, as the CLI frames both
                sil = silhouettes(ray_voxel_matrix(az, el, self.generator.voxel_res, 2 * RERANK_SIZE, **self.camera),
                                  grid[None], 2 * RERANK_SIZE)[0]
                fit = iou(_mean_pool2(framed(sil, 2 * RERANK_SIZE)), mask)
                j = int(fit.argmax())
                views.append((float(az[j]), float(el[j])))
                fits.append(float(fit[j]))
            found.append(OutlineMatch(int(k), *views[0], float(np.mean(fits)), tuple(views)))
        found.sort(key=lambda m: -m.iou)
        return found[:keep]


def _load_bits(path: Path | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """A cached pool (bool, shape), or None when missing or unreadable (it is then recomputed)."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path) as data:
            bits = np.unpackbits(data["bits"])[:int(np.prod(shape))]
            return bits.reshape(shape).astype(bool)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _save_bits(path: Path, binary: np.ndarray) -> None:
    """Write atomically (temporary file, then rename); a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".outline_", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, bits=np.packbits(binary.ravel()))
        os.replace(tmp, path)
    except OSError:
        pass
