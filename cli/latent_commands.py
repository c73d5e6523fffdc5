"""`iggan-assets variations` (latents near one shape's) and `interpolate` (a morph between two shapes'),
exported as `generate` exports (run_from_model)."""
from __future__ import annotations

import click

from .export_options import export_options
from .generate import run_from_model
from .latent_requests import (MAX_N, PICK_NAME, check_pick_labels, interpolation_requests, parse_picks,
                              variation_requests)
from .model_options import RETRIES, device_option, model_option, n_option, retries_option


@click.command()
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True, help="The base latent.")
@click.option("--of", "of", default=None, metavar="NAME",
              help="The shape to vary: an asset's name from a generate set (chair_12_s0: latent 12 of seed 0), or "
              "a latent index of --seed. Default: latent 0 of --seed.")
@n_option
@click.option("--spread", type=click.FloatRange(0, 5, min_open=True), default=0.35, show_default=True,
              help="How far variations move from the base latent.")
@model_option
@retries_option
@device_option
@export_options
@click.pass_context
def variations(ctx, seed, of, n, spread, model, retries, device, **kw):
    """N variations of one shape: latents near latent 0 of --seed, or near the shape --of names (variation 0 is
    the shape itself).

    \b
    Example: iggan-assets variations --of chair_12_s0 --n 8 --out more_like_12.glb
    """
    index = 0
    if of is not None:
        picks = parse_picks(of, seed, "--of",
                            seed_given=ctx.get_parameter_source("seed") is not click.core.ParameterSource.DEFAULT)
        if len(picks) != 1:
            raise click.BadParameter("name one shape", param_hint="--of")
        label, index, seed = picks[0]

    def requests(model_label, z_dim):
        if of is not None:
            check_pick_labels(model_label, picks, "--of")
        return variation_requests(model_label, seed, n, z_dim, spread, index)

    return run_from_model(requests, model=model, device=device, retries=RETRIES if retries is None else retries,
                   command="variations", extra_meta={"seed": seed, "latent_index": index, "n": n, "spread": spread},
                   **kw)[0]


@click.command()
@click.option("--seeds", type=(click.IntRange(0, 2**31 - 1), click.IntRange(0, 2**31 - 1)), default=None,
              help="Two seeds A B: interpolate from latent 0 of A to latent 0 of B.")
@click.option("--between", type=(str, str), default=None, metavar="NAME NAME",
              help="Two assets' names from generate sets, e.g. chair_3_s0 chair_12_s0: interpolate between those "
              "shapes (instead of --seeds).")
@click.option("--n", "n", type=click.IntRange(2, MAX_N), default=8, show_default=True, help="Steps, ends included.")
@model_option
@device_option
@export_options
def interpolate(seeds, between, n, model, device, **kw):
    """N shapes morphing from one seed's shape to another's (spherical interpolation of latents)."""
    if (seeds is None) == (between is None):
        raise click.UsageError("give the two ends: --seeds A B (latent 0 of each) or --between NAME NAME")
    if between is not None:
        picks = []
        for name in between:
            match = PICK_NAME.fullmatch(name.strip())
            if match is None or match["label"] is None or match["seed"] is None or int(match["index"]) >= MAX_N:
                raise click.BadParameter(f"{name!r} is not an asset name like chair_12_s0", param_hint="--between")
            picks.append((match["label"], int(match["index"]), int(match["seed"])))
        (_, ia, a), (_, ib, b) = picks
    else:
        (a, b), ia, ib = seeds, 0, 0

    def requests(model_label, z_dim):
        if between is not None:
            check_pick_labels(model_label, picks, "--between")
        return interpolation_requests(model_label, a, b, n, z_dim, ia, ib)

    meta = {"seeds": [a, b], "latent_indices": [ia, ib], "n": n}
    return run_from_model(requests, model=model, device=device, retries=0, command="interpolate", extra_meta=meta,
                          morph=True, **kw)[0]
