"""`iggan-assets match`: for each photo, the model's shape that looks most like it, as game-ready assets.

The search is `iggan.matching` (silhouettes, so any lighting or material works); the export is the one
`generate` uses (cli/generate.py run_from_model). Beside the GLB it writes `<out>.match.png`: each
photo next to its shape from the matched view and from two more.
"""
from __future__ import annotations

import io
import math
import time
from dataclasses import replace
from pathlib import Path

import click

from iggan.asset_export import ExportError
from iggan.asset_export.atomic import atomic_write, check_can_write
from iggan.photos import IMAGE_SUFFIXES

from .export_options import checked_outputs, export_options, model_defaults, safe_name, sheet_sides
from .generate import run_from_model
from .model_options import RETRIES, device_option, load, model_option
from .timings import Stopwatch, Timings, click_progress
from .latent_requests import Request

MAX_PHOTOS = 200


def collect_photos(sources: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder gives its images (sorted). Raises UsageError when nothing is left."""
    photos: list[Path] = []
    for src in sources:
        if src.is_dir():
            found = sorted(p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                raise click.UsageError(f"folder {src} holds no {'/'.join(IMAGE_SUFFIXES)} image")
            photos += found
        else:
            photos.append(src)
    if len(photos) > MAX_PHOTOS:
        raise click.UsageError(f"{len(photos)} photos; match at most {MAX_PHOTOS} per call")
    return photos


def open_photo(path: Path):
    """PIL image, loaded, or ClickException naming the file and what to do."""
    from PIL import Image, UnidentifiedImageError

    from iggan.photos import to_srgb, unsupported_reason, upright

    try:
        return to_srgb(upright(Image.open(path)))  # as viewers show it: the match sheet's photo tile too
    except UnidentifiedImageError as exc:
        raise click.ClickException(f"{path}: {unsupported_reason(path)}; pass a PNG, JPEG, WebP or HEIC photo or "
                                   f"render of one object") from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise click.ClickException(f"{path}: not a readable image ({exc}); pass a PNG, JPEG, WebP or HEIC "
                                   f"photo or render of one object")


def match_paths(out: Path, split: bool) -> Path:
    return out / "match.png" if split else out.with_suffix(".match.png")


def unique_names(label: str, photos: list[Path]) -> list[str]:
    """<model>_<photo stem>, with _2, _3, ... for repeated stems (asset names must be unique)."""
    names, seen = [], {}
    for p in photos:
        base = safe_name(f"{label}_{p.stem}")
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


@click.command()
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@model_option
@click.option("--pool", type=click.IntRange(16, 8192), default=512, show_default=True,
              help="Shapes searched (drawn once per model and cached; more find closer matches, slower).")
@click.option("--candidates", type=click.IntRange(1, 64), default=4, show_default=True,
              help="How many of the pool's best fits are refined (at least --retries + 1 are kept).")
@click.option("--steps", type=click.IntRange(0, 1000), default=40, show_default=True,
              help="Refinement steps on the candidates' latents (0: the pool's fits as they are).")
@click.option("--retries", type=click.IntRange(0, 20), default=RETRIES, show_default=True,
              help="A match that gives no valid mesh or topples is replaced by the next best candidate, "
              "this many times.")
@click.option("--one-object", is_flag=True,
              help="All PHOTOS show the same object (from different sides): fit one shape to all of them, "
              "each photo from its own view, and export that one asset.")
@click.option("--texture", is_flag=True,
              help="Paint each asset with its photo's colours (a 512 px colour map per asset over a UV atlas): "
              "what the photo shows is projected from the matched view; hidden sides take the colours of "
              "their mirror side, of a thin part's other face, or of the nearest surface facing alike. With "
              "--one-object, each part from the photo that faces it most squarely. The sheet <out>.match.png "
              "then shows the painted asset too.")
@click.option("--delight", is_flag=True,
              help="With --texture: divide each photo's lighting out of its colours (shading fitted as a "
              "function of the surface normal, albedo as a few flat colours), so engines light the asset "
              "themselves; a point lit far off that fit (a cast shadow) is filled like a hidden one. "
              "Experimental: checked on rendered photos only (Lambertian; studio with highlights and shadows).")
@device_option
@export_options
def match(photos, model, pool, candidates, steps, retries, one_object, texture, delight, device, **kw):
    """For each photo, the model's shape that looks most like it, as one GLB.

    PHOTOS are images or folders of images of single objects of the model's class: a transparent or
    plain background (renders, product shots, cut-outs), any view. The match fits the photo's outline;
    what the photo does not show comes from the model. With --one-object, all photos show one object
    and one shape is fitted to all of them. A sheet <out>.match.png shows each photo beside its shape.

    \b
    Examples: iggan-assets match my_chair.jpg --out my_chair.glb
              iggan-assets match front.jpg side.jpg --one-object --out my_chair.glb
    """
    import numpy as np

    from iggan.match_sheet import match_sheet
    from iggan.matching import ShapeMatcher
    from iggan.photos import PhotoError
    from iggan.sampling import sample_voxels

    started, times = time.perf_counter(), Timings()  # match's own stages lead --timings' table
    if delight and not texture:
        raise click.UsageError("--delight takes the lighting out of --texture's colour maps: add --texture")
    if texture and kw.get("variants"):  # a painted asset's colour is its map, which a variant cannot change
        raise click.UsageError("--variants recolours plain assets; --texture paints each from its photo: drop one")
    paths = collect_photos(photos)
    sides = sheet_sides(kw["no_preview"], kw["preview_sides"])
    outputs = checked_outputs(kw["out"], kw["split"], kw["overwrite"], sides, kw["fmt"], {**kw, "texture": texture})
    sheet_path = match_paths(outputs.out, outputs.split)
    if not outputs.split or outputs.out.exists():
        try:
            check_can_write(sheet_path, kw["overwrite"])
        except ExportError as exc:
            raise click.BadParameter(str(exc), param_hint="--out") from exc
    with Stopwatch(times, "photos"):
        images = [open_photo(p) for p in paths]  # every photo readable before the slow part
    with Stopwatch(times, "load"):
        loaded = load(model, device)
    threshold = kw["threshold"] if kw["threshold"] is not None else model_defaults(loaded).get("threshold", 0.5)
    matcher = ShapeMatcher(loaded, threshold=threshold, pool=pool, refine=candidates, steps=steps)
    masks = []
    for path, img in zip(paths, images):
        try:
            with Stopwatch(times, "photos"):
                mask, warning = matcher.photo_mask(img)
        except PhotoError as exc:
            raise click.ClickException(f"{path}: {exc}; nothing was written")
        if warning is not None:
            raise click.ClickException(
                f"{path}: cannot find the object's outline ({warning}). Give a photo with a transparent "
                f"background (a cut-out PNG) or a plain one; nothing was written")
        masks.append(mask)
    with click_progress(pool, "drawing the pool (cached after the first call)") as bar, Stopwatch(times, "pool"):
        matcher.pool(progress=lambda done, total: bar.update(done - bar.pos))
    groups = [list(range(len(paths)))] if one_object else [[i] for i in range(len(paths))]
    found = []
    with click_progress(len(groups), "matching") as bar, Stopwatch(times, "match"):
        for group in groups:
            found.append(matcher.match(np.stack([masks[i] for i in group]), keep=retries + 1))
            bar.update(1)
    names = unique_names(model_defaults(loaded)["name"], [paths[g[0]] for g in groups])

    def requests_for(label, z_dim):
        def make(i):
            def latent(attempt):
                if attempt >= len(found[i]):
                    return None
                m = found[i][attempt]
                views = [[round(math.degrees(az) % 360, 2), round(math.degrees(el), 2)] for az, el in m.photo_views]
                extras = {"model": label, "match_rank": attempt, "silhouette_iou": round(m.iou, 4)}
                if one_object:
                    extras.update(photos=[str(paths[j]) for j in groups[i]], views_deg=views)
                else:
                    extras.update(photo=str(paths[i]), view_deg=views[0])
                return m.z, names[i] + (f"_m{attempt}" if attempt else ""), extras
            return latent
        decoded = {}

        def photo(j):  # each photo decoded and masked once, then posed for each candidate
            if j not in decoded:
                from iggan.matching import photo_view
                decoded[j] = photo_view(images[j], 0.0, 0.0, loaded.config.views)
            return decoded[j]

        def paint(i):
            def photos_for(attempt):
                return [replace(photo(j), azimuth=az, elevation=el, delight=delight)
                        for j, (az, el) in zip(groups[i], found[i][attempt].photo_views)]
            return photos_for if texture else None

        return [Request(make(i), photos=paint(i)) for i in range(len(groups))]

    manifest, _, assets = run_from_model(requests_for, model=model, device=device, retries=retries, command="match",
                                 extra_meta={"photos": [str(p) for p in paths], "one_object": one_object, "pool": pool,
                                             "candidates": candidates, "steps": steps, "texture": texture,
                                             "delight": delight},
                                 loaded=loaded, stages=times, started=started, **{**kw, "timings": False})
    # the sheet shows what was exported: the candidate each group kept (assets are in group order), a
    # row per photo, from that photo's view
    grids, views, labels = [], [], []
    painted = [] if texture else None  # with --texture, the painted LOD0 and its colour map per row
    for group, matches, asset, exported in zip(groups, found, manifest["assets"], assets):
        m = matches[asset["match_rank"]]
        grid = sample_voxels(loaded, m.z[None])[0] >= threshold
        for j, (az, el) in zip(group, m.photo_views):
            grids.append(grid)
            if painted is not None:
                painted.append((exported.lods[0], exported.colour[0]))
            views.append((math.degrees(az) % 360, math.degrees(el)))
            labels.append(f"{asset['name']}: outline IoU {m.iou:.2f}, from {views[-1][0]:.0f} / {views[-1][1]:.0f} deg"
                          + (f" ({paths[j].name})" if one_object else ""))
    with Stopwatch(times, "sheet"):
        buf = io.BytesIO()
        match_sheet(images, grids, views, labels, loaded.config.views, painted).save(buf, format="PNG", optimize=True)
        try:
            atomic_write(sheet_path, buf.getvalue(), overwrite=True)
        except (ExportError, OSError) as exc:
            raise click.ClickException(f"could not write {sheet_path}: {exc}") from exc
    click.echo(f"match sheet: {sheet_path}", err=True)
    if kw["timings"]:  # here, so the table has the sheet and the total is the whole command
        click.echo(times.table(time.perf_counter() - started), err=True)
    return manifest
