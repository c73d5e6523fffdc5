"""The feature network for FID/KID: a small CNN classifier of 64^2 gray reference renders.

The paper computed FID with an Inception net retrained on renders of 21 ShapeNet classes, because
ImageNet features fit renders badly (and ImageNet weights cannot be downloaded here). This is the
same idea at a size that trains on a CPU: 5 conv blocks (conv3x3 + BatchNorm + ReLU + 2x2 max
pool), global average pooling to a 256-d feature, a linear classifier on top. FID/KID use the
256-d penultimate features. Trained by `benchmarks/train_eval_classifier.py`; shipped as
`iggan/bundled/eval_classifier.safetensors` + `.json` (config, classes, held-out accuracy).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

BUNDLED = Path(__file__).resolve().parents[1] / "bundled" / "eval_classifier"
INPUT_SIZE = 64
WIDTHS = (32, 64, 128, 192, 256)  # channels per block; the last is the feature size


class EvalClassifier(nn.Module):
    """images (B, 1, S, S) in [0, 1] -> logits (B, n_classes); `features` -> (B, widths[-1])."""

    def __init__(self, n_classes: int, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for c in widths:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(c_in, n_classes)
        self.widths = tuple(widths)

    @staticmethod
    def prepare(images: torch.Tensor) -> torch.Tensor:
        """(B, 1, S, S) or (B, S, S) in [0, 1] -> (B, 1, 64, 64) in [-1, 1] (area-resized if S != 64)."""
        if images.dim() == 3:
            images = images[:, None]
        if images.shape[-1] != INPUT_SIZE or images.shape[-2] != INPUT_SIZE:
            images = F.interpolate(images, size=(INPUT_SIZE, INPUT_SIZE), mode="area" if images.shape[-1] > INPUT_SIZE
                                   else "bilinear", **({} if images.shape[-1] > INPUT_SIZE else {"align_corners": False}))
        return images * 2.0 - 1.0

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 1, S, S) in [0, 1] -> (B, F) penultimate features (after global average pooling)."""
        return self.body(self.prepare(images)).mean(dim=(2, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(images)))


class FeatureNetError(RuntimeError):
    """The feature network's weights are missing or do not fit."""


def load_classifier(stem: str | Path | None = None) -> tuple[EvalClassifier, dict]:
    """The shipped (or given) classifier in eval mode, float32, and its JSON metadata."""
    from safetensors.torch import load_file

    stem = Path(stem) if stem is not None else BUNDLED
    weights, meta_path = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    if not weights.is_file() or not meta_path.is_file():
        raise FeatureNetError(f"feature network {stem}.safetensors/.json not found; train it with "
                              "`python benchmarks/train_eval_classifier.py`")
    meta = json.loads(meta_path.read_text())
    model = EvalClassifier(len(meta["classes"]), tuple(meta["config"]["widths"]))
    try:
        model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    except RuntimeError as exc:
        raise FeatureNetError(f"{weights} does not fit the network in {meta_path} ({exc})") from exc
    return model.eval(), meta


@torch.no_grad()
def extract_features(model: EvalClassifier, images: torch.Tensor | np.ndarray, batch_size: int = 256,
                     device: str = "cpu") -> np.ndarray:
    """images (N, 1, S, S) or (N, S, S) in [0, 1] -> features (N, F) float64."""
    images = torch.as_tensor(np.asarray(images) if isinstance(images, np.ndarray) else images).float()
    model = model.to(device)
    out = [model.features(images[i:i + batch_size].to(device)).double().cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, model.widths[-1]))
