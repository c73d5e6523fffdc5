"""Shared fixtures: a tiny image folder rendered by the reference renderer itself."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from iggan.cameras import sample_views
from iggan.config import preset
from iggan.render.reference import PyrenderRenderer
from iggan.render_dataset import MANIFEST, MANIFEST_FORMAT
from iggan.shapes import random_shapes


@pytest.fixture(scope="session")
def tiny_image_dir(tmp_path_factory):
    """24 reference renders of random tables at the tiny preset's size (32 px)."""
    cfg = preset("tiny")
    folder = tmp_path_factory.mktemp("tables")
    gen = torch.Generator().manual_seed(7)
    grids = random_shapes(24, cfg.model.voxel_res, gen, ("tables",))
    images = PyrenderRenderer(cfg.model.image_size, cfg.views)(grids, sample_views(24, cfg.views, gen))
    for i, img in enumerate(images[:, 0].numpy()):
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"t{i:03d}.png")
    # Marked as render-dataset's output, so `--data FOLDER` reads the renders as they are: read as photos, the
    # mask's speckle filter erased the tables' one-pixel legs (the demo's defect, session 45).
    (folder / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT, "images": len(images)}))
    return folder
