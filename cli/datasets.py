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

from .output_folder import make_output_folder


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
@click.option("--overwrite", is_flag=True, help="Replace a dataset already in --out.")
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

    from iggan.data_sources import DataError, parse_slice
    from iggan.meshes import SourceError, list_objects
    from iggan.render_dataset import MANIFEST, RenderOptions, plan_dataset, render_dataset as render

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
    manifest = out / MANIFEST
    if manifest.exists() and not overwrite:
        raise click.ClickException(f"{out} already holds a dataset ({manifest}); pass --overwrite or choose "
                                   "another --out")
    make_output_folder(out)
    try:
        refs = list_objects(src, up=up, filter=name_filter, exclude=exclude, category=category)
        span = parse_slice(window)
        if span is not None:
            refs = refs[span]
        opts = RenderOptions(size=size, views=views, azimuth=tuple(azimuth), elevation=tuple(elevation),
                             color=color, seed=seed, limit=limit, protocol=protocol, min_images=min_images,
                             workers=workers, renderer=renderer)
        jobs = plan_dataset(refs, opts)
    except (SourceError, DataError) as exc:
        raise click.ClickException(str(exc)) from exc
    if manifest.exists():
        _remove_old(out)
    total = sum(len(j.views) for j in jobs)
    click.echo(f"render-dataset: {len(jobs)} object(s), {total} image(s) at {size}px, {workers} worker(s)", err=True)
    bar = progress_bar(total=len(jobs), unit="obj", disable=quiet)

    def progress(done, n, name):
        bar.update(1)
        bar.set_postfix_str(name[:30])

    try:
        summary = render(jobs, out, opts, str(src), progress)
    finally:
        bar.close()
    for item in summary.skipped[:10]:
        click.echo(f"warning: skipped {item['object']}: {item['error']}", err=True)
    if len(summary.skipped) > 10:
        click.echo(f"warning: ... and {len(summary.skipped) - 10} more skipped (see {manifest})", err=True)
    if summary.images == 0:
        raise click.ClickException(f"no object could be rendered ({len(summary.skipped)} skipped); see the warnings")
    if sheet:
        _contact_sheet(out, sheet)
    click.echo(f"wrote {summary.images} images of {summary.objects} objects to {out} in {summary.seconds:.1f}s "
               f"({summary.images_per_second:.1f} images/s); skipped {len(summary.skipped)}")


def _remove_old(out: Path) -> None:
    """Delete the images a previous render-dataset run listed, so no stale file survives."""
    try:
        old = json.loads((out / "manifest.json").read_text())
        for obj in old.get("objects", []):
            for img in obj.get("images", []):
                (out / Path(img["file"]).name).unlink(missing_ok=True)
    except (OSError, ValueError, KeyError, TypeError):
        pass


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
    `iggan-assets voxelize mn.npz kenney.npz --out train.npz`.
    """
    from iggan.data_sources import DataError, parse_slice
    from iggan.meshes import SourceError, list_objects
    from iggan.voxelize import save_voxels, voxelize_object

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
