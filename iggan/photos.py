"""One photo -> one training image: decode any mode, find the object, crop, resize, pad.

Training images show a gray object on a black background, about half the image wide (the object's
cube spans half of the rendered frame). A photo is brought to that form:
1. decode any PNG/JPEG/WebP/AVIF/HEIC mode (RGBA, RGB, L, LA, P, 1, I;16, I, F, CMYK) to gray + alpha, turned
   upright by its EXIF orientation and converted to sRGB by its ICC profile (phone photos);
2. mask: the alpha channel when it has any transparency; otherwise the background colour is
   estimated from the image border and pixels that differ from it are the object. A border that
   is not one plain colour gives a warning and the whole image is used unmasked;
3. crop to the mask's bounding box, scale (keeping the aspect ratio) so the longer side is
   `fill` of the image, and centre it on black.
Images written by render-dataset are already in this form; `prepared_image` only resizes them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

MIN_SIDE = 16  # smaller images carry too little detail to train on; they are skipped
WORK_SIDE = 1024  # images are reduced to at most this before masking (fast, and enough for 128 px)
BORDER_TOLERANCE = 0.12  # |pixel - background| above this (in [0, 1] RGB, max channel) is object
PLAIN_FRACTION = 0.9  # a border is "plain" when this fraction of it lies within the tolerance
# An enclosed hole in the mask whose median |pixel - background| is at most this is the backdrop seen
# through the object (between a chair's slats, under its stretchers) and stays open; a hole less like the
# backdrop is a part of the object that came close to its colour, and is filled (benchmarks/photo_masks.py).
BACKDROP_TOLERANCE = 0.04
FILL = 0.5  # the object's longer side as a fraction of the image side (the voxel cube's share)
# Mean brightness on the object of the reference renders (grey material, the reference lights): 0.729 for the
# ModelNet training chairs at the default views, 0.748 for random cubes (sd 0.10 from view to view). Photos of
# objects of any material and exposure are brought to it by `train --unify-intensity` (benchmarks/photo_brightness.py).
RENDER_LEVEL = 0.73


# File types read as photos. HEIC/HEIF (iPhones' default) are read through pillow-heif (a dependency, registered
# with Pillow here); AVIF by Pillow itself (11.3+).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".avif", ".heic", ".heif")
HEIF_SUFFIXES = (".heic", ".heif")


def _register_heif() -> bool:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # the Blender extension, or an install without it: unsupported_reason says what to do
        return False
    register_heif_opener()
    return True


HEIF_READABLE = _register_heif()


def unsupported_reason(path) -> str:
    """Why a file that Pillow cannot identify was not read, and what to do about it."""
    from PIL import features

    suffix = Path(path).suffix.lower()
    if suffix in HEIF_SUFFIXES and not HEIF_READABLE:
        return ("a HEIC/HEIF photo, and pillow-heif is not installed: `pip install pillow-heif` (scripts/setup.sh "
                "installs it), or save the photo as JPEG")
    if suffix == ".avif" and not features.check("avif"):
        return "an AVIF image, which this Pillow cannot read: upgrade Pillow (11.3+), or save it as JPEG or PNG"
    return "not an image (or an unsupported format)"


class PhotoError(ValueError):
    """This image cannot be used; the message says why."""


def decode(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """PIL image (any mode) -> (rgb (H, W, 3) float32 in [0, 1], alpha (H, W) float32 or None)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float32)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        gray = np.clip(arr / top, 0, 1)
        return np.repeat(gray[..., None], 3, axis=2), None
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info) \
        or (img.mode in ("L", "RGB") and "transparency" in img.info)
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        return rgba[..., :3], (alpha if alpha.min() < 1.0 else None)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0, None


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], np.float32)


def border_background(rgb: np.ndarray) -> tuple[np.ndarray, bool]:
    """The background colour (median of a 2-pixel border) and whether the border is plain."""
    h, w = rgb.shape[:2]
    b = max(1, min(2, h // 4, w // 4))
    border = np.concatenate([rgb[:b].reshape(-1, 3), rgb[-b:].reshape(-1, 3),
                             rgb[:, :b].reshape(-1, 3), rgb[:, -b:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    close = np.abs(border - bg).max(axis=1) <= BORDER_TOLERANCE
    return bg, bool(close.mean() >= PLAIN_FRACTION)


def object_mask(rgb: np.ndarray, alpha: np.ndarray | None, fill_holes: bool = True) -> tuple[np.ndarray, str | None]:
    """(H, W) float mask in [0, 1] and a warning (None when the mask is trustworthy). fill_holes: close
    each enclosed hole that is not plainly the backdrop (a patch of the object near the background's
    colour), keeping gaps that show the backdrop open (see BACKDROP_TOLERANCE); False keeps every hole
    open, as matching outlines does."""
    if alpha is not None:
        return alpha, None
    bg, plain = border_background(rgb)
    if not plain:
        return np.ones(rgb.shape[:2], np.float32), "background is not plain (no alpha and a mixed border): used unmasked"
    diff = np.abs(rgb - bg).max(axis=2)
    mask = (diff > BORDER_TOLERANCE).astype(np.float32)
    from scipy import ndimage

    mask = ndimage.binary_opening(mask > 0, iterations=1)  # drop isolated noise pixels (JPEG speckle)
    if fill_holes:
        filled = ndimage.binary_fill_holes(mask)
        holes, count = ndimage.label(filled & ~mask)
        if count:
            backdrop = np.asarray(ndimage.median(diff, holes, index=np.arange(1, count + 1))) <= BACKDROP_TOLERANCE
            filled &= ~np.concatenate([[False], backdrop])[holes]
        mask = filled
    return mask.astype(np.float32), None


EXIF_ORIENTATION = 0x0112  # the tag a camera sets instead of rotating the pixels of an upright photo
# EXIF orientation -> the transpose that turns the stored pixels upright (as ImageOps.exif_transpose)
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


def exif_orientation(img: Image.Image) -> int:
    """1..8 (1: stored upright). A phone's portrait JPEG stores its pixels sideways with this tag, which
    viewers apply and PIL does not, so without it a chair would lie on its side."""
    try:
        return int(img.getexif().get(EXIF_ORIENTATION, 1) or 1)
    except Exception:  # noqa: BLE001  a damaged EXIF block: keep the pixels as stored
        return 1


def _turned_upright(img: Image.Image, orientation: int) -> Image.Image:
    if orientation not in UPRIGHT:
        return img
    out = img.transpose(UPRIGHT[orientation])
    for key in ("exif", "xmp", "XML:com.adobe.xmp"):  # the tag is spent: turning again would overturn it
        out.info.pop(key, None)
    return out


def upright(img: Image.Image) -> Image.Image:
    """The loaded image turned as its EXIF orientation says, without the tag (so this is idempotent)."""
    orientation = exif_orientation(img)
    img.load()
    return _turned_upright(img, orientation)


def to_srgb(img: Image.Image) -> Image.Image:
    """An RGB, RGBA or CMYK image with an embedded ICC profile converted to sRGB, which every step after
    this assumes (iPhones tag their photos Display P3: read as sRGB, a red chair would be painted duller).
    Without a profile, or with one that cannot be read, the pixels are kept as they are."""
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    try:
        import io

        from PIL import ImageCms

        out = ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"),
                                        outputMode="RGBA" if img.mode == "RGBA" else "RGB")
    except Exception:  # noqa: BLE001  a damaged profile or no littlecms: the pixels as stored
        return img
    out.info.pop("icc_profile", None)  # now sRGB: converting again would be wrong
    return out


def open_reduced(img: Image.Image) -> Image.Image:
    """Reduce a large image cheaply to at most WORK_SIDE (JPEG draft mode decodes at 1/2..1/8 scale), turn it
    upright by its EXIF orientation and convert it to sRGB by its ICC profile."""
    orientation = exif_orientation(img)
    if max(img.size) > WORK_SIDE:
        if img.format == "JPEG":
            img.draft(img.mode, (WORK_SIDE, WORK_SIDE))
        img.load()
        if max(img.size) > WORK_SIDE:
            scale = WORK_SIDE / max(img.size)
            size = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
            if img.mode in ("P", "1"):
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            img = img.resize(size, Image.BOX) if img.mode not in ("I;16", "I;16B", "I;16L", "I", "F") \
                else Image.fromarray(np.asarray(img, np.float32)).resize(size, Image.BOX)
    else:
        img.load()
    return to_srgb(_turned_upright(img, orientation))


def photo_image(img: Image.Image, size: int, fill: float = FILL, margin: float = 0.0,
                fill_holes: bool = True) -> tuple[np.ndarray, np.ndarray, str | None]:
    """A photo -> (gray (size, size) float32 on black, mask (size, size), warning or None)."""
    w, h = img.size
    if min(w, h) < MIN_SIDE:
        raise PhotoError(f"too small ({w}x{h} px; need at least {MIN_SIDE} px per side)")
    rgb, alpha = decode(open_reduced(img))
    mask, warning = object_mask(rgb, alpha, fill_holes)
    ys, xs = np.nonzero(mask > 0.5)
    if len(ys) == 0:
        raise PhotoError("no object found (fully transparent, or nothing differs from the background)")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    gray = to_gray(rgb) * mask if warning is None else to_gray(rgb)
    crop, cmask = gray[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    side = max(y1 - y0, x1 - x0) * (1 + 2 * margin)
    target = fill * size if warning is None else float(size)  # unmasked: the whole photo fills the frame
    scale = target / side
    nw, nh = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    out, out_mask = np.zeros((size, size), np.float32), np.zeros((size, size), np.float32)
    resized = _resize(crop, nw, nh)
    resized_mask = _resize(cmask, nw, nh)
    oy, ox = (size - nh) // 2, (size - nw) // 2
    out[oy:oy + nh, ox:ox + nw] = resized
    out_mask[oy:oy + nh, ox:ox + nw] = resized_mask
    return np.clip(out, 0, 1), np.clip(out_mask, 0, 1), warning


def prepared_image(img: Image.Image, size: int) -> np.ndarray:
    """An image already in training form (e.g. from render-dataset): gray, alpha onto black, resized."""
    rgb, alpha = decode(open_reduced(img))
    gray = to_gray(rgb) * (alpha if alpha is not None else 1.0)
    if gray.shape != (size, size):
        gray = _resize(gray, size, size)
    return np.clip(gray, 0, 1).astype(np.float32)


def unify_mean(images: np.ndarray, masks: np.ndarray, target: float | None = None) -> np.ndarray:
    """Scale each image so its mean intensity over its object mask equals `target` (default: the
    mean of the per-image means), as the paper did for its Chanterelle photos. (N, S, S) -> same."""
    weight = masks.reshape(len(masks), -1).sum(1)
    means = (images * masks).reshape(len(images), -1).sum(1) / np.maximum(weight, 1e-6)
    valid = (weight > 0) & (means > 1e-6)
    if not valid.any():
        return images
    target = float(means[valid].mean()) if target is None else target
    gain = np.where(valid, target / np.maximum(means, 1e-6), 1.0)
    return np.clip(images * gain[:, None, None], 0, 1).astype(np.float32)


def _resize(arr: np.ndarray, w: int, h: int) -> np.ndarray:
    """float (H, W) -> (h, w); area-averaging when shrinking, bilinear when growing."""
    if arr.shape == (h, w):
        return arr.astype(np.float32)
    shrinking = w < arr.shape[1] or h < arr.shape[0]
    resample = Image.BOX if shrinking else Image.BILINEAR
    return np.asarray(Image.fromarray(arr.astype(np.float32)).resize((w, h), resample), np.float32)
