"""Start a new training run from an existing generator (bundled name, run folder or checkpoint).

Use: continue a trained model under a changed setting that a checkpoint cannot resume, e.g. larger
training images (`train --image-size 128 --init-generator chairs`). D and the proxy renderer start
fresh (their shapes depend on the image size); G and its EMA copy start from the given weights.
`train --init-discriminator` also starts D from a training checkpoint of the same image size.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from torch import nn

from .checkpoint import CheckpointError, config_from_meta, load_module
from .config import Config
from .models.disc_conversions import add_minibatch_std_input, bake_spectral_norm, has_spectral_norm, widen_to_views
from .sampling import load_checkpoint, load_model

# Fields that fix the generator's architecture: they must match for the weights to fit.
GENERATOR_FIELDS = ("kind", "voxel_res", "z_dim", "gen_channels", "gen_upsample", "voxel_channels")


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
            + f"; use the preset it was trained with (--preset {model.config.preset})"
            + (f" and --voxel-res {model.config.model.voxel_res}"
               if model.config.model.voxel_res != cfg.model.voxel_res else ""))
    state = model.generator.state_dict()
    generator.load_state_dict(state)
    generator_ema.load_state_dict(state)
    return model.name


# Fields that fix the discriminator's architecture.
DISCRIMINATOR_FIELDS = ("image_size", "disc_channels")


def warm_start_discriminator(cfg: Config, discriminator: nn.Module, source: str | Path) -> int:
    """Copy D's weights from a training checkpoint (a checkpoint file or stem, or a run folder: its
    newest checkpoint) into `discriminator`; its optimiser starts fresh.

    For a new run that changes what a checkpoint cannot resume (e.g. a wider proxy renderer) while
    keeping a trained, non-memorising D, so G does not go through a fresh D's shock again.
    Raises CheckpointError when the source is missing, holds no D, or has another architecture.
    Returns the source checkpoint's step.
    """
    path, tensors, meta = load_checkpoint(str(source))  # as --init-generator: run folder -> newest that reads
    theirs = config_from_meta(meta, path).model
    mismatch = [f"{f} {getattr(theirs, f)} (run: {getattr(cfg.model, f)})"
                for f in DISCRIMINATOR_FIELDS if getattr(theirs, f) != getattr(cfg.model, f)]
    if mismatch:
        raise CheckpointError(f"the discriminator in {path} does not fit this run: " + ", ".join(mismatch)
                              + "; use a checkpoint of a run with the same --image-size and preset")
    if not any(k.startswith("discriminator.") for k in tensors):
        raise CheckpointError(f"{path} holds no discriminator (bundled models ship only the generator); "
                              "pass a training checkpoint (runs/NAME/checkpoints/ckpt_*.safetensors)")
    theirs_state = {k[len("discriminator."):]: v for k, v in tensors.items() if k.startswith("discriminator.")}
    if theirs.disc_views != cfg.model.disc_views:
        if theirs.disc_views != 1:
            raise CheckpointError(f"the discriminator in {path} judges {theirs.disc_views} views at once and this "
                                  f"run's {cfg.model.disc_views}; only a one-view D can be widened")
        # a one-view D into a several-view one that starts as the same judge of the first view
        theirs_state = widen_to_views(theirs_state, cfg.model.disc_views)
        theirs = dataclasses.replace(theirs, disc_views=cfg.model.disc_views)
    if bool(theirs.disc_minibatch_std) != bool(cfg.model.disc_minibatch_std):
        if theirs.disc_minibatch_std:
            raise CheckpointError(f"the discriminator in {path} has the minibatch-std feature and this run's has "
                                  "not; add --disc-minibatch-std N to the run")
        # the feature joins with zero weight: the run starts from the same D
        theirs_state = add_minibatch_std_input(theirs_state, f"net.{len(discriminator.net) - 1}")
        theirs = dataclasses.replace(theirs, disc_minibatch_std=cfg.model.disc_minibatch_std)
    if has_spectral_norm(theirs_state) and not cfg.model.disc_spectral_norm:
        # a normalised D into a plain one: bake W / sigma, so the run starts from the same D
        theirs_state = bake_spectral_norm(theirs, theirs_state)
    elif not has_spectral_norm(theirs_state) and cfg.model.disc_spectral_norm:
        raise CheckpointError(f"the discriminator in {path} has no spectral normalisation and this run's has; "
                              "a plain D cannot be normalised without changing it: add --no-disc-spectral-norm")
    load_module("discriminator", discriminator, {f"discriminator.{k}": v for k, v in theirs_state.items()}, path)
    return int(meta.get("step", 0))
