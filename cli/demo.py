"""`iggan-assets demo`: a self-contained CPU demo on rendered random tables."""
from __future__ import annotations

from pathlib import Path

import click

from iggan.config import preset

from .output_folder import make_output_folder
from .training_run import run_training


@click.command()
@click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--steps", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--images", type=click.IntRange(min=8), default=256, show_default=True)
def demo(out, steps, images):
    """A self-contained CPU demo: render random tables, then train the `tiny` preset on the renders."""
    import numpy as np
    import torch

    from iggan.cameras import sample_views
    from iggan.render.reference import PyrenderRenderer
    from iggan.sheets import save_grid
    from iggan.shapes import random_shapes

    cfg = preset("tiny")
    cfg.train.steps = steps
    make_output_folder(out)
    data = out / "data"
    if not any(data.glob("*.png")):
        from PIL import Image

        data.mkdir(parents=True, exist_ok=True)
        gen = torch.Generator().manual_seed(1)
        grids = random_shapes(images, cfg.model.voxel_res, gen, ("tables",))
        renders = PyrenderRenderer(cfg.model.image_size, cfg.views)(grids, sample_views(images, cfg.views, gen))
        for i, img in enumerate(renders[:, 0].numpy()):
            Image.fromarray((img * 255).astype(np.uint8)).save(data / f"table_{i:04d}.png")
        save_grid(out / "data_sheet.png", renders[:32, 0].numpy(), cols=8)
        click.echo(f"demo: rendered {images} training images of random tables into {data}", err=True)
    run_dir = out / "run"
    started = (run_dir / "checkpoints").is_dir() or (run_dir / "config.json").is_file()  # an earlier demo's run
    # images: the renders are in training form; read as photos, masking erased their one-pixel legs
    run_training(cfg, f"images:{data}", run_dir, "pyrender", "cpu", None, resume=started)
    sheets = sorted((run_dir / "samples").glob("*.png"))
    click.echo(f"demo done: training images {out / 'data_sheet.png'}, samples {sheets[-1] if sheets else '-'}")
