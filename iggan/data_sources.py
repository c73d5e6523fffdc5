"""Turn a `--data` specification into an ImageSource for the trainer."""
from __future__ import annotations

from .config import Config
from .images import DataError, LoadReport, load_image_folder
from .trainer import ImageSource, TensorImages


def open_data_source(spec: str, cfg: Config) -> tuple[ImageSource, LoadReport]:
    """A folder of images (loaded into memory at cfg.model.image_size). Raises DataError."""
    images, report = load_image_folder(spec, cfg.model.image_size)
    return TensorImages(images), report


__all__ = ["DataError", "open_data_source"]
