"""What the trainer draws real images from: any object with sample(n, generator), and the in-memory set most
--data sources load into (iggan/data_sources.py)."""
from __future__ import annotations

from typing import Protocol

import torch


class ImageSource(Protocol):
    """Training images. sample(n, generator) -> (n, 1, S, S) float32 in [0, 1] (CPU)."""

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor: ...


class TensorImages:
    """An in-memory image set (N, 1, S, S); batches drawn uniformly with replacement."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.images[torch.randint(len(self.images), (n,), generator=generator)]
