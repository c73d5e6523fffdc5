"""`iggan-assets generate`: voxels sampled from a generator -> game-ready GLB (or USDZ / FBX,
iggan/asset_formats.py) + manifest.json + preview sheet; and run_from_model, the body it shares with
`variations`, `interpolate` (cli/latent_commands.py) and `match`.

The mesh work is `iggan.asset_export` (no torch) and the latents each command asks for are
cli/latent_requests.py; this module adds sampling, resampling of empty/full samples, progress and errors a
user can act on.
"""
from __future__ import annotations

import time

import click
import numpy as np

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset, place_assets, write_bundle
from iggan.asset_export.distinct import DEFAULT_MIN_DISTANCE, DISTINCT_RETRIES, DistinctSet
from iggan.asset_formats import files_writer
from iggan.glb_inputs import ConversionError

from .export_options import checked_outputs, export_options, export_settings, model_defaults, sheet_sides
from .latent_requests import Request, generated_requests, parse_picks, picked_requests
from .model_options import (DISTINCT_FROM_CARD, RETRIES, device_option, load, model_option, n_option,
                            retries_option)
from .timings import Stopwatch, Timings, click_progress


RESAMPLE_REASONS = (("topple", "would topple over"), ("too flat", "too flat"), ("in pieces", "in pieces"),
                    ("too like", "too like another"))


def resample_summary(failures_per_sample: list[list[str]]) -> str:
    """'2 would topple over, 1 gave no valid mesh': each resampled sample counted once, under the first
    reason in RESAMPLE_REASONS that any of its failures gives; reasons nobody had are left out."""
    counts: dict[str, int] = {}
    for failures in failures_per_sample:
        label = next((label for words, label in RESAMPLE_REASONS if any(words in f for f in failures)),
                     "gave no valid mesh")
        counts[label] = counts.get(label, 0) + 1
    order = [label for _, label in RESAMPLE_REASONS] + ["gave no valid mesh"]
    return ", ".join(f"{counts[label]} {label}" for label in order if label in counts)


def make_assets(model, requests: list[Request], settings: ExportSettings, retries: int, timings: Timings,
                batch_size: int = 16, progress: bool = True, distinct=None):
    """Sample and export every request, resampling empty/full/invalid samples up to `retries`
    times, and with `distinct` (an asset_export.distinct.DistinctSet) samples too like one already kept.
    Returns (names, assets, extras). Raises ClickException if any request fails them all."""
    from iggan.sampling import sample_voxels

    done: dict[int, tuple] = {}
    pending, gave_up = list(range(len(requests))), []
    bar = click_progress(len(requests), "generating") if progress else None
    try:
        for attempt in range(retries + 1):
            todo = []
            for i in pending:
                got = requests[i].latent(attempt)
                if got is None:  # this request has no replacement latent
                    gave_up.append(i)
                else:
                    todo.append((i, *got, requests[i].photos(attempt) if requests[i].photos else None))
            pending = []
            for start in range(0, len(todo), batch_size):
                chunk = todo[start:start + batch_size]
                with Stopwatch(timings, "sample"):
                    grids = sample_voxels(model, np.stack([c[1] for c in chunk]))
                for (i, _z, name, extras, photos), grid in zip(chunk, grids):
                    if distinct is not None:
                        with Stopwatch(timings, "distinct"):
                            cloud = distinct.cloud(grid >= settings.threshold)
                            reason = distinct.too_close(cloud)
                        if reason is not None:
                            requests[i].failures.append(f"{name}: {reason}")
                            pending.append(i)
                            continue
                    try:
                        asset = grid_to_asset(grid, settings, timings=timings, photos=photos)
                    except ExportError as exc:
                        requests[i].failures.append(f"{name}: {exc}")
                        pending.append(i)
                        continue
                    done[i] = (name, asset, extras)
                    if distinct is not None:
                        distinct.add(name, cloud)
                    if bar is not None:
                        bar.update(1)
            if not pending:
                break
    finally:
        if bar is not None:
            bar.render_finish()
    pending = sorted(pending + gave_up)
    if pending:
        lines = [f"  sample {i}: " + "; ".join(requests[i].failures) for i in pending[:10]]
        more = f"\n  ... and {len(pending) - 10} more" if len(pending) > 10 else ""
        failures = [f for i in pending for f in requests[i].failures]
        # a command that never resamples (--pick, interpolate: the shapes are named) has no --seed or
        # --retries that could help
        other = "try another --seed or more --retries, or " if retries else ""
        if any("empty" in f or "full" in f for f in failures):
            hint = (f"try another {'--seed or ' if retries else ''}--threshold; an untrained or collapsed model "
                    "gives empty or full grids")
        elif any("too like" in f for f in failures):
            hint = ("the model cannot make that many distinct shapes: ask for fewer (--n), allow more "
                    "--retries (up to 20), or pass a smaller distance to --distinct")
        elif any("topple" in f for f in failures):
            hint = f"{other}let such shapes through with --max-tilt 180"
        elif any("too flat" in f for f in failures):
            hint = f"{other}let such shapes through with --min-height-ratio 0"
        else:
            hint = "try a larger --faces or another --threshold"
        what = "valid mesh" if distinct is None else "valid mesh far enough from the others"
        raise click.ClickException(
            f"{len(pending)} of {len(requests)} samples gave no {what} after {retries} resample(s); "
            f"nothing was written.\n" + "\n".join(lines) + more + f"\n({hint})")
    resampled = [r.failures for r in requests if r.failures]
    if resampled:  # say so: a resampled asset is named after the seed it came from, not --seed
        click.echo(f"resampled {len(resampled)} of {len(requests)} sample(s): "
                   + resample_summary(resampled), err=True)
    order = sorted(done)
    return [done[i][0] for i in order], [done[i][1] for i in order], [done[i][2] for i in order]


def write_assets(names, assets, extras, outputs, settings, layout, overwrite, preview, meta, timings):
    placed = place_assets(names, assets, extras, layout)
    try:
        return write_bundle(placed, outputs, settings, meta, overwrite=overwrite, preview=preview, timings=timings,
                            write_files=files_writer(outputs.suffix.lstrip(".")))
    except (ExportError, ConversionError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"could not write {outputs.out}: {exc}") from exc


def size_summary(assets, settings: ExportSettings) -> str:
    """One line on how big the assets came out: the measure --size fixed, and the range of the other."""
    sizes = np.array([a.report["size_m"] for a in assets], np.float64)  # (N, 3) extents x, y, z in metres
    if settings.size_by == "height":
        fixed, other, what = f"{settings.size_m:g} m tall", sizes[:, [0, 2]].max(axis=1), "across"
    else:
        fixed, other, what = f"{settings.size_m:g} m at their largest", sizes[:, 1], "tall"
    span = f"{other.min():.2f}" if other.max() - other.min() < 0.005 else f"{other.min():.2f}-{other.max():.2f}"
    return f"size: {fixed}, {span} m {what} (--size {settings.size_m:g} --size-by {settings.size_by})"


def written_megabytes(outputs, names) -> float:
    """Size of the asset files just written (a .gltf's .bin and its textures folder included), in MB."""
    from iggan.asset_export.gltf_separate import buffer_path, textures_folder

    files = [outputs.asset_file(n) for n in names] if outputs.split else [outputs.out]
    if outputs.suffix == ".gltf":
        folders = [textures_folder(f) for f in files]
        files += [buffer_path(f) for f in files] + [p for d in folders if d.is_dir() for p in d.iterdir()]
    return sum(f.stat().st_size for f in set(files) if f.is_file()) / 1e6


def report_written(outputs, names, assets, settings, timings: Timings, t0: float, show_timings: bool):
    tris = sum(a.report["triangles"][0] for a in assets)
    where = outputs.out if not outputs.split else f"{outputs.out}/ ({len(names)} files)"
    size = written_megabytes(outputs, names)
    click.echo(f"wrote {len(names)} asset(s), {tris} triangles at LOD0, {size:.2f} MB, to {where}", err=True)
    click.echo(size_summary(assets, settings), err=True)
    click.echo(f"manifest: {outputs.manifest}", err=True)
    if settings.thumbnail_size:
        click.echo(f"thumbnails: {outputs.thumbnails}/ ({len(names)} PNG, {settings.thumbnail_size} px)", err=True)
    if show_timings:
        click.echo(timings.table(time.perf_counter() - t0), err=True)


def run_from_model(requests_for, *, model, device, out, fmt, split, layout, overwrite, no_preview, preview_sides,
                   timings, retries, command: str, extra_meta: dict, progress: bool = True, morph: bool = False,
                   distinct: float | None = None, loaded=None, stages: Timings | None = None,
                   started: float | None = None, **settings_opts) -> tuple[dict, Timings, list]:
    """Shared body of generate / variations / interpolate; settings_opts are the export options that
    make ExportSettings (threshold, faces, ...: see export_options). Returns (manifest, timings, the
    exported Assets in the manifest's order). Without
    retries (interpolate: each latent is fixed) the card's tilt check is off, as nothing could
    replace a shape that topples. The frames of a morph also keep their bases as sampled: one frame
    levelled on its own would stand a layer lower than its neighbours (an explicit --level-base
    still applies). distinct: None (off), DISTINCT_FROM_CARD (the card's distance, else the
    package default) or a distance: no two assets closer than that (asset_export/distinct.py). loaded: the
    model already loaded (`load`), for a command that needs it before making its requests. stages / started: the
    Timings and perf_counter start of such a command's own work before this (match's photos, pool and search), so
    --timings lists it and its total counts it."""
    t0 = time.perf_counter() if started is None else started
    times = Timings() if stages is None else stages
    sides = sheet_sides(no_preview, preview_sides)
    outputs = checked_outputs(out, split, overwrite, sides, fmt, settings_opts)
    if loaded is None:
        with Stopwatch(times, "load"):
            loaded = load(model, device)
    defaults = model_defaults(loaded)
    if not retries:
        defaults.pop("max_tilt_deg", None)
        defaults.pop("min_height_ratio", None)
        defaults.pop("max_loose_share", None)
    if morph:
        defaults.pop("level_base", None)
    settings = export_settings(defaults, settings_opts)
    requests = requests_for(defaults["name"], loaded.config.model.z_dim)
    keeper = None
    if distinct is not None:
        gap = defaults.get("distinct_distance", DEFAULT_MIN_DISTANCE) if distinct == DISTINCT_FROM_CARD else distinct
        if not gap > 0:
            raise click.BadParameter(f"must be a distance > 0, got {distinct}", param_hint="--distinct")
        keeper = DistinctSet(gap)
        extra_meta = {**extra_meta, "distinct_distance": gap}
    names, assets, extras = make_assets(loaded, requests, settings, retries, times, progress=progress,
                                        distinct=keeper)
    # model_source is what --model takes to load this model again (the card's name is the asset name)
    meta = {"command": command, "model": defaults["name"], "model_source": str(model or loaded.name),
            "voxel_res": loaded.config.model.voxel_res, **extra_meta}
    manifest = write_assets(names, assets, extras, outputs, settings, layout, overwrite, sides, meta, times)
    report_written(outputs, names, assets, settings, times, t0, timings)
    return manifest, times, assets


@click.command()
@n_option
@model_option
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Seed of the latents; latent i of a seed does not depend on --n.")
@click.option("--pick", "pick", default=None, metavar="NAMES",
              help="Export exactly these shapes, as a set made before named them (preview sheet, manifest): "
              "'chair_12_s0,chair_14_s975157198', or latent indices of --seed ('12,30'). None is resampled "
              "or refused by the model's checks: you chose them. E.g. pick favourites from a quick 50, then "
              "export them with --lods 3 --collision --ao.")
@retries_option
@click.option("--distinct", type=float, is_flag=False, flag_value=DISTINCT_FROM_CARD, default=None,
              metavar="[DIST]", help="No two assets alike: resample a shape closer than DIST (yaw-minimised "
              "Chamfer of unit-box surface clouds, as `evaluate`) to one already kept. Alone: the model's "
              "distance (the bundled cards: the closest quarter of their training shapes' pairs), else 0.004.")
@device_option
@export_options
@click.pass_context
def generate(ctx, n, model, seed, pick, retries, distinct, device, **kw):
    """Sample N shapes from a generator and export them as one game-ready GLB (or glTF, USDZ, FBX or OBJ).

    \b
    Example: iggan-assets generate --n 50 --out chairs.glb --lods 3 --collision
    Then:    iggan-assets generate --pick chair_3_s0,chair_12_s0 --lods 3 --ao --out best.glb
    """
    if pick is not None:
        given = [f"--{name}" for name in ("n", "retries", "distinct")
                 if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if given:
            raise click.UsageError(f"--pick names the shapes to export; drop {' and '.join(given)}")
        seed_given = ctx.get_parameter_source("seed") is not click.core.ParameterSource.DEFAULT
        picks = parse_picks(pick, seed, seed_given=seed_given)
        return run_from_model(lambda label, z_dim: picked_requests(label, picks, z_dim), model=model, device=device,
                              retries=0, command="generate", extra_meta={"seed": seed, "picked": pick}, **kw)[0]
    return run_from_model(lambda label, z_dim: generated_requests(label, seed, n, z_dim), model=model, device=device,
                          retries=retries if retries is not None else DISTINCT_RETRIES if distinct is not None else RETRIES,
                          command="generate", extra_meta={"seed": seed, "n": n}, distinct=distinct,
                          **kw)[0]
