"""`iggan-assets evaluate`: FID/KID of a model's reference renders against data images, and
MMD/COV/1-NNA of its shapes against reference shapes."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .devices import device_callback


@click.command("evaluate")
@click.argument("run")
@click.option("--data", required=True, type=click.Path(path_type=Path),
              help="Folder of data images (e.g. made by render-dataset) to compare the renders with.")
@click.option("--samples", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Generated images for FID/KID.")
@click.option("--reference-shapes", type=click.Path(path_type=Path),
              help="An .npz with 'voxels' (N, R, R, R): also compute MMD/COV/1-NNA against these shapes.")
@click.option("--reference-slice", help="START:STOP of the reference grids (e.g. 789:889, ModelNet's hold-out).")
@click.option("--reference-up", type=click.Choice(["z", "y"]), default="z", show_default=True,
              help="Up axis of the reference grids (ModelNet: z).")
@click.option("--shape-samples", type=click.IntRange(min=2),
              help="Generated shapes for the 3D metrics (default: as many as reference shapes).")
@click.option("--shape-repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Draw this many independent sets of generated shapes (seeds SEED, SEED+1, ...) and report "
                   "the mean and std of MMD/COV/1-NNA over them (one draw's 1-NNA moves by several points).")
@click.option("--points", type=click.IntRange(min=16), default=512, show_default=True,
              help="Surface points per shape for Chamfer distances (GPU: 2048 is cheap).")
@click.option("--yaw-angles", type=click.IntRange(min=1), default=12, show_default=True,
              help="Rotations about +Y over which each Chamfer distance is minimised.")
@click.option("--elevation", nargs=2, type=float, help="Override the run's elevation range (degrees).")
@click.option("--max-data", type=click.IntRange(min=2), default=5000, show_default=True,
              help="Use at most this many data images.")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path), help="Save 32 sample renders as a PNG.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --sheet file.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True, callback=device_callback,
              help="cpu, cuda, cuda:N, mps or auto (features, Chamfer, sampling).")
@click.option("--as-exported", is_flag=True,
              help="Score the 3D metrics on the shapes `generate` ships: each sample cleaned, joined and levelled "
              "as the export does, and those the model card's checks refuse (toppling, too flat, in pieces) replaced "
              "by the next latents, as generate resamples them. Default: the raw samples at threshold 0.5.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.pass_context
def evaluate(ctx, run, data, samples, reference_shapes, reference_slice, reference_up, shape_samples, shape_repeats,
             points, yaw_angles, elevation, max_data, sheet, overwrite, seed, device, as_exported, as_json):
    """Evaluate RUN: a bundled model name (e.g. chairs), a run folder, a checkpoint, or
    voxels:FILE.npz?slice=A:B (real shapes scored like a model: the "data floor").

    FID and KID use the shipped feature network (a classifier of renders of 16 object classes).
    FID is biased by the sample size: compare FIDs at the same --samples and data size.
    """
    import torch

    from iggan.eval.classifier import FeatureNetError
    from iggan.eval.evaluate import EvalOptions, evaluate as run_eval
    from iggan.eval.models import EvalError, load_subject, parse_slice

    if reference_shapes is None:
        refuse_shape_options(ctx)
    check_sheet(sheet, overwrite)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    def say(msg: str) -> None:  # progress to stderr; with --json only warnings, so stdout stays one object
        if not as_json or msg.startswith("warning:"):
            click.echo(f"evaluate: {msg}", err=True)
    try:
        check_data_folder(data)
        subject = load_subject(run, device)
        opts = EvalOptions(samples=samples, seed=seed, max_data=max_data, reference_shapes=reference_shapes,
                           reference_slice=parse_slice(reference_slice), reference_up=reference_up,
                           shape_samples=shape_samples, shape_repeats=shape_repeats, points=points, yaw_angles=yaw_angles, device=device,
                           sheet=sheet, overwrite=overwrite, elevation=tuple(elevation) if elevation else None,
                           as_exported=card_export_settings(subject) if as_exported else None)
        result = run_eval(subject, data, opts, say)
    except (EvalError, FeatureNetError) as exc:
        raise click.ClickException(str(exc)) from exc
    report = {"metrics": result.metrics, "info": result.info}  # what --json prints; returned for iggan.api
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return report
    click.echo(format_table(result.metrics, result.info))
    return report


# options that only change the 3D metrics, which run only with --reference-shapes
SHAPE_OPTIONS = ("as_exported", "reference_slice", "reference_up", "shape_samples", "shape_repeats", "points",
                 "yaw_angles")


def refuse_shape_options(ctx: click.Context) -> None:
    """Without --reference-shapes there are no 3D metrics: a shape option the user passed would be silently
    ignored, so it is a usage error instead (defaults are not the user's doing and pass)."""
    given = [f"--{name.replace('_', '-')}" for name in SHAPE_OPTIONS
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    if given:
        verb, pronoun = ("changes", "it") if len(given) == 1 else ("change", "them")
        raise click.UsageError(f"{' and '.join(given)} only {verb} the 3D metrics: add --reference-shapes "
                               f"FILE.npz, or leave {pronoun} out")


def check_sheet(sheet: Path | None, overwrite: bool) -> None:
    """Refuse a --sheet that is not a .png name or would replace a file without --overwrite, before any
    rendering (and --overwrite without a --sheet, which it would silently not affect)."""
    from .output_folder import check_png_target

    if sheet is None:
        if overwrite:
            raise click.UsageError("--overwrite replaces an existing --sheet: add --sheet FILE.png, or leave it out")
        return
    check_png_target(sheet, overwrite)


def check_data_folder(data: Path) -> None:
    """Raise EvalError unless --data is an existing folder (saying what it is instead)."""
    from iggan.eval.models import EvalError

    hint = "pass a folder of images (e.g. one made by render-dataset)"
    if data.is_file():
        raise EvalError(f"--data {data} is a file, not a folder of images; {hint}")
    if not data.is_dir():
        raise EvalError(f"--data folder {data} does not exist; {hint}")


def card_export_settings(subject):
    """The export settings `generate` uses for this model: its card's threshold, checks and levelling (none for a
    set of real shapes, which has no card)."""
    from iggan.asset_export import ExportSettings

    from .export_options import card_fields, model_defaults

    return ExportSettings(**card_fields(model_defaults(subject)))


NAMES = {"fid": ("FID", "lower is better"), "kid": ("KID", "lower; ~0 = same distribution"),
         "kid_std": ("KID std", "over 100 subsets"), "mmd_cd": ("MMD-CD", "lower: fidelity"),
         "cov_cd": ("COV-CD", "higher: diversity"), "1nna_cd": ("1-NNA-CD", "0.5 ideal, 1.0 disjoint"),
         "mmd_cd_std": ("MMD std", "over draws"), "cov_cd_std": ("COV std", "over draws"),
         "1nna_cd_std": ("1-NNA std", "over draws"),
         "nn_home_generated": ("NN home G", "generated shapes whose nearest is generated; high: a shared style"),
         "nn_home_reference": ("NN home R", "reference shapes whose nearest is reference; high: kinds not made"),
         "near_ratio": ("near G/R", "median distance to the nearest reference, over the references' own; <1: hugs them"),
         "copies_generated": ("copies G", "generated shapes nearer to a reference than any two references are"),
         "thickness_generated": ("thick G", "solid voxels per surface voxel; 1.0 = one-voxel parts"),
         "thickness_reference": ("thick R", "the same for the reference shapes"),
         "spur_generated": ("spur G", "surface voxels with at most one solid face-neighbour: drips, specks"),
         "spur_reference": ("spur R", "the same for the reference shapes"),
         "loose_generated": ("loose G", "surface voxels off the largest body (export drops them)"),
         "loose_reference": ("loose R", "the same for the reference shapes"),
         "topple_generated": ("topple G", "exported shapes that fall over (rest tilt > 10 deg; generate resamples)"),
         "topple_reference": ("topple R", "the same for the reference shapes")}


def format_table(metrics: dict, info: dict) -> str:
    lines = [f"model: {info.get('model')} ({info.get('kind')}); {info.get('generated_images')} renders vs "
             f"{info.get('data_images')} data images from {info.get('data')}"]
    if "reference_shapes" in info:
        lines.append(f"shapes: {info.get('n_generated')} generated ({info.get('empty_generated')} empty) vs "
                     f"{info.get('n_reference')} reference from {info['reference_shapes']}; "
                     f"{info.get('points')} points, {info.get('yaw_angles')} yaw angles, "
                     f"{len(info.get('shape_draws', [None]))} draw(s)")
    if "exported_tried" in info:
        refused = ", ".join(f"{count} {reason}" for reason, count in info["exported_refused"].items()) or "none"
        lines.append(f"as exported: {info['n_generated']} shapes kept of {info['exported_tried']} sampled "
                     f"(refused: {refused})")
    lines += ["", f"| {'metric':<9} | {'value':>10} | note", f"|{'-' * 11}|{'-' * 12}|------"]
    for key, value in metrics.items():
        name, note = NAMES.get(key, (key, ""))
        lines.append(f"| {name:<9} | {value:>10.4g} | {note}")
    if "shape_metrics" in info:
        lines.append(f"(3D metrics {info['shape_metrics']})")
    if "fid_note" in info:
        lines.append(f"({info['fid_note']})")
    return "\n".join(lines)
