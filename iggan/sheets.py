"""Sample sheets: grids of images saved as PNG, for looking at what a run makes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .checkpoint import atomic_write_bytes


def image_grid(images: np.ndarray, cols: int, pad: int = 2) -> np.ndarray:
    """images (N, S, S) in [0, 1] -> one (rows*(S+pad), cols*(S+pad)) uint8 array."""
    n, s = images.shape[0], images.shape[-1]
    rows = (n + cols - 1) // cols
    out = np.full((rows * (s + pad) + pad, cols * (s + pad) + pad), 40, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (s + pad): pad + r * (s + pad) + s, pad + c * (s + pad): pad + c * (s + pad) + s] = (
            np.clip(img, 0, 1) * 255
        ).astype(np.uint8)
    return out


def grid_png(images: np.ndarray, cols: int) -> bytes:
    """images (N, S, S) in [0, 1] -> the PNG file of their grid (image_grid)."""
    import io

    buf = io.BytesIO()
    Image.fromarray(image_grid(images, cols)).save(buf, format="PNG")
    return buf.getvalue()


def save_grid(path: Path, images: np.ndarray, cols: int) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(path), grid_png(images, cols))
