"""Has a run's discriminator memorised its training images? Prints a table.

A render-dataset folder holds a few fixed views per object (chairs: 4). If D learns those images
rather than what chairs look like, it scores a *new* view of the *same* training chair far lower
than the stored view, and G is pushed towards the stored images, not towards chairs. For each
checkpoint, D's mean logit on:

- the stored training images of objects A:B of the folder's voxel manifest,
- the same objects re-rendered at the same views (a check that rendering matches: same logit),
- the same objects at new random views,
- held-out objects (never trained on) at new random views,
- G's samples (EMA weights, binarised at 0.5) at new random views.

    python benchmarks/disc_memorization.py runs/chairs128/checkpoints/ckpt_00037158 --data .data/chairs128/modelnet
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from iggan import checkpoint as ckpt
from iggan.cameras import Views, sample_views
from iggan.eval.models import load_grids, load_subject
from iggan.models.discriminator import Discriminator
from iggan.render.gl import ensure_headless_gl
from iggan.render.reference import PyrenderRenderer


def stored_views(folder: Path, objects: range) -> tuple[list[Path], Views]:
    """The first stored image of each object in a render-dataset manifest, and its view."""
    manifest = json.loads((folder / "manifest.json").read_text())
    files, az, el = [], [], []
    for i in objects:
        image = manifest["objects"][i]["images"][0]
        files.append(folder / image["file"])
        az.append(image["azimuth_deg"])
        el.append(image["elevation_deg"])
    return files, Views(torch.deg2rad(torch.tensor(az)), torch.deg2rad(torch.tensor(el)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+", help="training checkpoints (they must hold D)")
    ap.add_argument("--data", default=".data/chairs128/modelnet", help="render-dataset folder of the voxel chairs")
    ap.add_argument("--voxels", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--train-objects", default="700:764", help="objects A:B of the folder (trained on)")
    ap.add_argument("--heldout-objects", default="789:853", help="grids A:B of --voxels never trained on")
    args = ap.parse_args()
    ensure_headless_gl()
    a, b = map(int, args.train_objects.split(":"))
    c, d = map(int, args.heldout_objects.split(":"))
    n = b - a
    files, views = stored_views(Path(args.data), range(a, b))
    stored = torch.stack([torch.from_numpy(np.asarray(Image.open(f).convert("L"), np.float32) / 255) for f in files])
    stored = stored[:, None]  # (n, 1, S, S)
    train_grids = torch.from_numpy(load_grids(args.voxels, slice(a, b), "z").astype(np.float32))[:, None]
    heldout_grids = torch.from_numpy(load_grids(args.voxels, slice(c, d), "z").astype(np.float32))[:, None]
    new_views = sample_views(n, load_subject(args.checkpoints[0]).config.views, torch.Generator().manual_seed(5))

    cols = ["stored training images", "same objects, same views (re-rendered)", "same objects, new views",
            "held-out objects, new views", "G samples, new views"]
    print(f"{n} objects per column; D's mean logit (higher = 'real')")
    print("| checkpoint | " + " | ".join(cols) + " | memorisation gap (1st - 3rd) |\n|---|" + "---:|" * (len(cols) + 1))
    for path in args.checkpoints:
        tensors, meta = ckpt.load_pair(path)
        cfg = ckpt.config_from_meta(meta, path)
        disc = Discriminator(cfg.model).eval()
        ckpt.load_module("discriminator", disc, tensors, path)
        reference = PyrenderRenderer(cfg.model.image_size, cfg.views)
        generated = torch.from_numpy(load_subject(path).sample_grids(n, seed=0))[:, None]
        with torch.no_grad():
            sets = [stored, reference(train_grids, views), reference(train_grids, new_views),
                    reference(heldout_grids, new_views), reference((generated >= 0.5).float(), new_views)]
            if sets[0].shape[-1] != cfg.model.image_size:
                raise SystemExit(f"{args.data} holds {sets[0].shape[-1]} px images; {path} trains at "
                                 f"{cfg.model.image_size} px: pass the matching --data")
            logits = [disc(x).mean().item() for x in sets]
        print(f"| {path} | " + " | ".join(f"{v:.2f}" for v in logits) + f" | {logits[0] - logits[2]:.2f} |")


if __name__ == "__main__":
    main()
