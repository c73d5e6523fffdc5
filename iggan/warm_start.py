"""Start a new training run from an existing generator (bundled name, run folder or checkpoint).

Use: continue a trained model under a changed setting that a checkpoint cannot resume, e.g. larger
training images (`train --image-size 128 --init-generator chairs`). D and the proxy renderer start
fresh (their shapes depend on the image size); G and its EMA copy start from the given weights.
"""
from __future__ import annotations

from torch import nn

from .checkpoint import CheckpointError
from .config import Config
from .sampling import load_model

# Fields that fix the generator's architecture: they must match for the weights to fit.
GENERATOR_FIELDS = ("kind", "voxel_res", "z_dim", "gen_channels", "voxel_channels")


def warm_start_generator(cfg: Config, generator: nn.Module, generator_ema: nn.Module, source: str) -> str:
    """Copy the source's generator weights (its EMA when it has one) into both G and G_ema.

    Raises CheckpointError when the source is missing, damaged or of another architecture.
    Returns the source model's name.
    """
    model = load_model(source)
    mismatch = [f"{f} {getattr(model.config.model, f)} (run: {getattr(cfg.model, f)})"
                for f in GENERATOR_FIELDS if getattr(model.config.model, f) != getattr(cfg.model, f)]
    if mismatch:
        raise CheckpointError(
            f"generator {source!r} does not fit this run: " + ", ".join(mismatch)
            + f"; use the preset it was trained with (--preset {model.config.preset})")
    state = model.generator.state_dict()
    generator.load_state_dict(state)
    generator_ema.load_state_dict(state)
    return model.name
