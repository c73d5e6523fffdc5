"""`iggan-assets render-dataset`: training images of real meshes / voxel sets, lit as in training;
`iggan-assets voxelize`: real objects as grids, for fresh-view training (`--data voxels:`)."""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from iggan.asset_export.atomic import check_can_write
from iggan.asset_export.errors import ExportError
from iggan.config import LVP_VIEWS
from iggan.dataset_swap import commit_staged, discard_staging, fresh_staging, listed_images
from iggan.name_filters import FilterError, check_filters

from .output_folder import check_png_target, make_output_folder


@click.command("render-dataset")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--views", type=click.IntRange(min=1), default=1, show_default=True, help="Views per object.")
@click.option("--size", type=click.IntRange(min=8, max=2048), default=64, show_default=True,
              help="Image size in pixels (the preset's image_size: tiny 32, fast 64, paper 128).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many objects (drawn by --seed).")
@click.option("--up", type=click.Choice(["y", "z"]),
              help="The source's up axis. Default: y for meshes and .sh3f, z for voxel .npz (ModelNet).")
@click.option("--elevation", nargs=2, type=float, default=(-30.0, 60.0), show_default=True,
              help="Elevation range in degrees (paper: chairs -30 60, couches/bathtubs 15 60).")
@click.option("--azimuth", nargs=2, type=float, default=(0.0, 360.0), show_default=True,
              help="Azimuth range in degrees.")
@click.option("--lvp", is_flag=True, help="The paper's limited view points: azimuth -60 60, elevation 15 60.")
@click.option("--color", type=click.Choice(["gray", "rgb"]), default="gray", show_default=True,
              help="gray = training images; rgb = material colours under the same lights.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Render processes (each with its own GL context).")
@click.option("--filter", "name_filter", help="Keep objects whose name matches this regex (case-insensitive).")
@click.option("--exclude", help="Drop objects whose name matches this regex.")
@click.option("--category", help="Keep Sweet Home 3D objects whose category matches this regex.")
@click.option("--protocol", type=click.Choice(["500", "full"]),
              help="Paper's sizes: 500 = 500 images, one view per object; full = every object, "
                   "max(--views, ceil(--min-images / objects)) views each.")
@click.option("--min-images", type=click.IntRange(min=1), default=2000, show_default=True,
              help="With --protocol full: at least this many images.")
@click.option("--slice", "window", help="START:STOP range of the sorted objects (e.g. 0:789).")
@click.option("--sheet", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save a contact sheet (PNG) of up to 64 images.")
@click.option("--overwrite", is_flag=True,
              help="Replace a dataset already in --out (once the new one has rendered), files with the names it "
                   "writes, and an existing --sheet.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--renderer", type=click.Choice(["pyrender", "blender"]), default="pyrender", show_default=True,
              help="Reference renderer: Pyrender (OpenGL) or Blender EEVEE with the same camera and lights.")
def render_dataset(src, out, views, size, limit, up, elevation, azimuth, lvp, color, seed, workers, name_filter,
                   exclude, category, protocol, min_images, window, sheet, overwrite, quiet, renderer="pyrender"):
    """Render SRC (a mesh, a folder of meshes, a .sh3f catalog, or a voxel .npz) into training images.

    Each object is centred, scaled into the unit cube, turned +Y up and lit by the reference
    scene's two lights, exactly as the generator's samples are in training. Writes PNGs and a
    manifest.json (object, view, seed) into --out.
    """
    from .progress import progress_bar

    from iggan.render_dataset import MANIFEST, RenderOptions, render_dataset as render

    if renderer == "blender" and color == "rgb":
        raise click.BadParameter("--color rgb needs --renderer pyrender (EEVEE renders the grey training look)",
                                 param_hint="--renderer")
    if renderer == "blender":
        from iggan.render.blender_eevee import BlenderUnavailable, find_blender
        try:
            find_blender()
        except BlenderUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    if lvp:
        azimuth, elevation = LVP_VIEWS.azimuth, LVP_VIEWS.elevation
    if elevation[0] > elevation[1] or azimuth[0] > azimuth[1]:
        raise click.BadParameter("give ranges as MIN MAX", param_hint="--elevation/--azimuth")
    if not -90.0 <= elevation[0] <= elevation[1] <= 90.0:
        raise click.BadParameter("elevation must lie within -90..90 degrees", param_hint="--elevation")
    try:  # before any folder is made: a typo in a regex is named with its option
        check_filters({"--filter": name_filter, "--exclude": exclude, "--category": category})
    except FilterError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = out / MANIFEST
    if manifest.exists() and not overwrite:
        raise click.ClickException(f"{out} already holds a dataset ({manifest}); pass --overwrite or choose "
                                   "another --out")
    created = not out.exists()
    make_output_folder(out)
    try:
        opts = RenderOptions(size=size, views=views, azimuth=tuple(azimuth), elevation=tuple(elevation),
                             color=color, seed=seed, limit=limit, protocol=protocol, min_images=min_images,
                             workers=workers, renderer=renderer)
        summary = _render_into(out, src, sheet, overwrite, quiet, opts, render, progress_bar,
                               plan=lambda: _plan(src, up, name_filter, exclude, category, window, opts))
    except BaseException:
        # Nothing of the failed run stays: its staging folder goes, and so does --out if this run made it.
        discard_staging(out)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    click.echo(f"wrote {summary.images} images of {summary.objects} objects to {out} in {summary.seconds:.1f}s "
               f"({summary.images_per_second:.1f} images/s); skipped {len(summary.skipped)}")


def _plan(src, up, name_filter, exclude, category, window, opts):
    """render-dataset's jobs, or click.ClickException when there is nothing to render."""
    from iggan.data_sources import DataError, parse_slice
    from iggan.meshes import SourceError, list_objects
    from iggan.render_dataset import plan_dataset

    try:
        refs = list_objects(src, up=up, filter=name_filter, exclude=exclude, category=category)
        span = parse_slice(window)
        if span is not None:
            refs = refs[span]
        return plan_dataset(refs, opts)
    except (SourceError, DataError) as exc:
        raise click.ClickException(str(exc)) from exc


def _render_into(out, src, sheet, overwrite, quiet, opts, render, progress_bar, plan):
    """Check the --sheet and clashes, render into staging, then swap the new set in (iggan/dataset_swap.py)."""
    from iggan.render_dataset import MANIFEST, planned_files

    if sheet:
        check_png_target(sheet, overwrite)  # before any rendering: these failed only after all of it
    jobs = plan()
    clashes = [name for name in planned_files(jobs) if (out / name).exists()]
    if clashes and not overwrite:  # without a manifest these are a user's files, not an old dataset
        more = f" and {len(clashes) - 1} more" if len(clashes) > 1 else ""
        raise click.ClickException(f"{out / clashes[0]}{more} would be replaced; pass --overwrite to replace "
                                   f"{'them' if more else 'it'} or choose another --out")
    old_files = listed_images(out)
    total = sum(len(j.views) for j in jobs)
    click.echo(f"render-dataset: {len(jobs)} object(s), {total} image(s) at {opts.size}px, {opts.workers} worker(s)",
               err=True)
    bar = progress_bar(total=len(jobs), unit="obj", disable=quiet)

    def progress(done, n, name):
        bar.update(1)
        bar.set_postfix_str(name[:30])

    try:
        summary = render(jobs, fresh_staging(out), opts, str(src), progress)
    finally:
        bar.close()
    for item in summary.skipped[:10]:
        click.echo(f"warning: skipped {item['object']}: {item['error']}", err=True)
    if len(summary.skipped) > 10:
        click.echo(f"warning: ... and {len(summary.skipped) - 10} more skipped (see {out / MANIFEST})", err=True)
    if summary.images == 0:
        raise click.ClickException(f"no object could be rendered ({len(summary.skipped)} skipped); see the warnings"
                                   + ("; the dataset already in --out is unchanged" if old_files else ""))
    commit_staged(out, old_files)
    if sheet:
        _contact_sheet(out, sheet)
    return summary


def _contact_sheet(out: Path, sheet: Path, n: int = 64) -> None:
    import numpy as np
    from PIL import Image

    from iggan.sheets import save_grid

    manifest = json.loads((out / "manifest.json").read_text())
    files = [img["file"] for obj in manifest["objects"] for img in obj["images"]]
    step = max(1, len(files) // n)
    picked = files[::step][:n]
    images = np.stack([np.asarray(Image.open(out / f).convert("L"), np.float32) / 255.0 for f in picked])
    save_grid(sheet, images, cols=min(8, len(images)))


@click.command("voxelize")
@click.argument("srcs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .npz.")
@click.option("--res", type=click.IntRange(min=4, max=256), default=32, show_default=True,
              help="Grid resolution: the generator's (fast preset 32, paper 64).")
@click.option("--up", type=click.Choice(["y", "z"]), help="Up axis of the sources (default: per format).")
@click.option("--filter", "name_filter", help="Keep objects whose name matches this regex (case-insensitive).")
@click.option("--exclude", help="Drop objects whose name matches this regex.")
@click.option("--category", help="Keep Sweet Home 3D objects whose category matches this regex.")
@click.option("--slice", "window", help="START:STOP range of each source's sorted objects (e.g. 0:789).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def voxelize(srcs, out, res, up, name_filter, exclude, category, window, overwrite):
    """Turn SRCS (meshes, folders, .sh3f catalogs, voxel .npz) into one .npz of +Y-up grids.

    Train on it with fresh random views every step, rendered by the render workers:
    `iggan-assets train --data voxels:OUT.npz`. --filter, --exclude, --category and --slice apply to
    every SRC, so voxelise differently filtered sources apart and join the files in one more call:
    `iggan-assets voxelize mn.npz kenney.npz --out train.npz`. Grids in a voxel .npz are solid where
    non-zero; float grids (occupancy probabilities) where >= 0.5.
    """
    from iggan.data_sources import DataError, parse_slice
    from iggan.meshes import SourceError, list_objects
    from iggan.voxelize import save_voxels, voxelize_object

    try:  # before any file is read
        check_filters({"--filter": name_filter, "--exclude": exclude, "--category": category})
    except FilterError as exc:
        raise click.ClickException(str(exc)) from exc
    if out.suffix != ".npz":
        raise click.BadParameter("the output must end in .npz", param_hint="--out")
    if out.exists() and not overwrite:
        raise click.ClickException(f"{out} exists; pass --overwrite or choose another --out")
    try:
        check_can_write(out, overwrite=True)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc  # it says what to do
    grids, names, skipped = [], [], []
    try:
        span = parse_slice(window)
        for src in srcs:
            refs = list_objects(src, up=up, filter=name_filter, exclude=exclude, category=category)
            for ref in refs[span] if span is not None else refs:
                try:
                    grids.append(voxelize_object(ref, res))
                    names.append(ref.label)
                except SourceError as exc:
                    skipped.append(f"{ref.label} ({exc})")
    except (SourceError, DataError) as exc:
        raise click.ClickException(str(exc)) from exc
    for item in skipped[:10]:
        click.echo(f"warning: skipped {item}", err=True)
    if not grids:
        raise click.ClickException(f"no object could be voxelised ({len(skipped)} skipped); check SRCS and the filters")
    save_voxels(out, np.stack(grids), names)
    click.echo(f"wrote {len(grids)} grids at {res}^3 to {out} (mean occupancy {np.mean(grids):.4f}); "
               f"skipped {len(skipped)}")
