"""Image folders for training: load every readable PNG/JPEG/WebP as a (1, S, S) grayscale tensor.

Alpha composites the object onto black (the training background). Unreadable files are skipped
and counted; a folder with no usable image is an error that says what to do.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


class DataError(ValueError):
    """The training data cannot be used; the message says why and what to do."""


@dataclass
class LoadReport:
    loaded: int = 0
    skipped: list[str] = field(default_factory=list)


def image_to_array(img: Image.Image, size: int) -> np.ndarray:
    """Any PIL image -> (size, size) float32 in [0, 1]; alpha composited onto black."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32)
        img = Image.fromarray((arr / max(arr.max(), 1.0) * 255).astype(np.uint8))
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA"):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
        gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        img = Image.fromarray((gray * rgba[..., 3] * 255).astype(np.uint8))
    img = img.convert("L")
    if img.size != (size, size):
        img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


def load_image_folder(folder: str | Path, size: int) -> tuple[torch.Tensor, LoadReport]:
    """All images in `folder` (recursively) -> (N, 1, size, size) float32 in [0, 1], and a report."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"image folder {folder} does not exist; pass a folder of PNG/JPEG/WebP images")
    report, arrays = LoadReport(), []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            with Image.open(path) as img:
                img.load()
                arrays.append(image_to_array(img, size))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            report.skipped.append(path.name)
            log.warning("skipping unreadable image %s (%s)", path, exc)
    report.loaded = len(arrays)
    if not arrays:
        what = f"{len(report.skipped)} unreadable file(s)" if report.skipped else "no PNG/JPEG/WebP images"
        raise DataError(f"{folder} has {what}; put training images there (e.g. made by `iggan-assets render-dataset`)")
    return torch.from_numpy(np.stack(arrays))[:, None], report
