"""`iggan-assets pretrain-renderer`: the proxy neural renderer pretrained on random shapes (or given grids), so a
user's own training starts from it."""
from __future__ import annotations

from pathlib import Path

import click

from iggan.config import PRESETS, preset

from .devices import resolve_device
from .output_folder import make_output_folder
from .training_run import IMAGE_SIZES, reference_renderer


@click.command("pretrain-renderer")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--preset", "preset_name", type=click.Choice(PRESETS), default="fast", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--shapes", type=click.Choice(["cubes", "tables", "both"]), default="both", show_default=True)
@click.option("--shapes-from", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pretrain on these in-domain voxel grids (.npz, key 'voxels') instead of random shapes.")
@click.option("--shapes-slice", default=None, help="START:STOP of the --shapes-from grids (e.g. 0:789).")
@click.option("--shapes-up", type=click.Choice(["z", "y"]), default="z", show_default=True,
              help="Up axis of the --shapes-from grids (ModelNet: z).")
@click.option("--shapes-from-generator", default=None, metavar="MODEL",
              help="Pretrain on a generator's own samples (bundled name, run folder or checkpoint; binarised "
              "at 0.5), e.g. a new proxy for a trained G: no real 3D data involved.")
@click.option("--generator-samples", type=click.IntRange(min=1), default=1024, show_default=True,
              help="How many samples of --shapes-from-generator to draw.")
@click.option("--render-workers", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--image-size", type=click.Choice(IMAGE_SIZES), default=None,
              help="Image size in pixels (default: the preset's); pass the same to `train`.")
@click.option("--proxy-channels", type=click.IntRange(min=1), default=None,
              help="Width of the proxy renderer (default: the preset's; fast: 32). `train --proxy` builds the "
              "run's proxy to match.")
@click.option("--overwrite", is_flag=True, help="Replace a proxy renderer already in --out.")
@click.option("--device", default="auto", show_default=True)
def pretrain_renderer(out, preset_name, steps, shapes, shapes_from, shapes_slice, shapes_up, shapes_from_generator,
                      generator_samples, render_workers, image_size, proxy_channels, overwrite, device):
    """Pretrain the proxy neural renderer on random cubes and table-like boxes."""
    from .progress import progress_bar

    from iggan.pretrain import PROXY_NAME, pretrain_proxy

    device = resolve_device(device)  # before any work: a missing GPU is a usage error
    existing = [p for p in (out / f"{PROXY_NAME}.json", out / f"{PROXY_NAME}.safetensors") if p.exists()]
    if existing and not overwrite:
        raise click.ClickException(f"{out} already holds a proxy renderer ({existing[0]}); pass --overwrite or "
                                   "choose another --out")
    cfg = preset(preset_name)
    cfg.train.render_workers = render_workers
    if image_size is not None:
        cfg.model.image_size = int(image_size)
    if proxy_channels is not None:
        cfg.model.proxy_channels = proxy_channels
    kinds = ("cubes", "tables") if shapes == "both" else (shapes,)

    def on_step(step, loss):
        bar.update(1)
        bar.set_postfix(l2=f"{loss:.4f}")

    if shapes_from is not None and shapes_from_generator is not None:
        raise click.ClickException("pass either --shapes-from or --shapes-from-generator, not both")
    grids = None
    if shapes_from is not None or shapes_from_generator is not None:
        import torch

        from iggan.eval.models import EvalError, load_grids, load_subject, parse_slice

        try:
            if shapes_from is not None:
                found = load_grids(shapes_from, parse_slice(shapes_slice), shapes_up, label="--shapes-from")
            else:
                subject = load_subject(shapes_from_generator)
                found = subject.sample_grids(generator_samples, seed=cfg.train.seed) >= 0.5
        except EvalError as exc:
            raise click.ClickException(str(exc)) from exc
        grids = torch.from_numpy(found).float()[:, None]  # (N, 1, R, R, R)
    make_output_folder(out)
    bar = progress_bar(total=steps, unit="step")
    reference = reference_renderer("pyrender", cfg, device)
    try:
        label = "in-domain grids" if shapes_from_generator is None else \
            f"{generator_samples} samples of generator {shapes_from_generator}"
        stem = pretrain_proxy(cfg, reference, out, steps, kinds, device, on_step, grids, label)
    finally:
        bar.close()
        if hasattr(reference, "close"):
            reference.close()
    click.echo(f"proxy renderer written to {stem}.safetensors (+ .json)")
