"""Loading a generator for the sampling commands, and the options they share (--model, --device, --n,
--retries)."""
from __future__ import annotations

import click

from iggan.asset_export.distinct import DISTINCT_RETRIES

from .devices import device_callback
from .latent_requests import MAX_N


def load(model_name: str | None, device: str = "cpu"):
    """iggan.sampling.load_model with CLI errors."""
    from iggan import sampling
    from iggan.checkpoint import CheckpointError

    if model_name is None:
        bundled = sampling.bundled_models()
        if not bundled:
            raise click.UsageError("no model is bundled with this install yet; pass --model RUN_DIR or a "
                                   "checkpoint (.safetensors)")
        model_name = "chairs" if "chairs" in bundled else sorted(bundled)[0]
    try:
        return sampling.load_model(model_name, device=device)
    except CheckpointError as exc:
        raise click.BadParameter(str(exc), param_hint="--model") from exc
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise click.BadParameter(f"could not load model {model_name!r}: {exc}", param_hint="--model") from exc


DISTINCT_FROM_CARD = -1.0  # `--distinct` given without a distance
model_option = click.option("--model", default=None, metavar="NAME|PATH",
                            help="A bundled model name (see `iggan-assets models`), a run folder or a checkpoint.")
device_option = click.option("--device", default="cpu", show_default=True, callback=device_callback,
                             help="torch device for sampling: cpu, cuda, cuda:N, mps or auto.")
RETRIES = 3
retries_option = click.option("--retries", type=click.IntRange(0, 20), default=None,
                              help=f"Resample an empty/full/invalid or toppling sample this many times before "
                              f"giving up. Default {RETRIES}; {DISTINCT_RETRIES} with --distinct.")
n_option = click.option("--n", "n", type=click.IntRange(1, MAX_N), default=1, show_default=True,
                        help="Number of assets.")
