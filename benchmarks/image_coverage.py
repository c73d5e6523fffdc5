"""Does G cover the real training images as well as other real shapes do? What `train --coverage-weight`
(iggan/coverage.py, IMLE) could pull on.

Renders `--images` real training grids from random training views (128 px, the twin of the reference
renderer), then, for each image, finds the nearest render (mean squared pixel difference at 32 px) among
`--pool` shapes, each seen from the coverage search's grid of views. Three pools:
- the same real shapes that made the images: what the view grid alone costs;
- as many other real training shapes: what a perfect generator would give;
- the model's samples (binarised at 0.5).
If the model's figure is no worse than the other real shapes', single images show no coverage gap.

    python benchmarks/image_coverage.py chairs .data/chairs_train32.npz [--grid 12 3 --grid 24 6]
"""
from __future__ import annotations

import argparse

import torch

from iggan.cameras import sample_views
from iggan.coverage import CoverageSearch
from iggan.data_sources import open_data_source
from iggan.render.voxel_faces import VoxelFaceRenderer
from iggan.sampling import latents, load_model


def nearest_means(model: str, data: str, images: int, pool: int, grids: list[tuple[int, int]],
                  seed: int = 0) -> list[dict[str, float]]:
    """Per view grid (azimuths, elevations): the mean nearest-render distance of the real images to each pool."""
    loaded = load_model(model)
    cfg = loaded.config
    source, _ = open_data_source(f"voxels:{data}", cfg)
    real_grids = source.grids[:, None].float()
    if len(real_grids) < images + pool:
        raise SystemExit(f"{data} holds {len(real_grids)} grids; --images + --pool need {images + pool}")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(real_grids), generator=g)
    shown, others = real_grids[order[:images]], real_grids[order[images:images + pool]]
    real = VoxelFaceRenderer(128, cfg.views)(shown, sample_views(images, cfg.views, g))
    with torch.no_grad():
        samples = (loaded.generator(torch.from_numpy(latents(seed + 1, pool, cfg.model.z_dim))) > 0.5).float()
    rows = []
    for azimuths, elevations in grids:
        search = CoverageSearch(cfg.views, azimuths, elevations)
        rows.append({"grid": f"{azimuths} x {elevations}",
                     "same real shapes": search.nearest(shown, real)[2].mean().item(),
                     "other real shapes": search.nearest(others, real)[2].mean().item(),
                     loaded.name: search.nearest(samples, real)[2].mean().item()})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="bundled name, run folder or checkpoint")
    ap.add_argument("data", help="real training grids (.npz 'voxels', as `train --data voxels:`)")
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--pool", type=int, default=64)
    ap.add_argument("--grid", type=int, nargs=2, action="append", metavar=("AZIMUTHS", "ELEVATIONS"),
                    help="view grid of the search (repeatable; default: train's, 12 x 3)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = nearest_means(args.model, args.data, args.images, args.pool, [tuple(x) for x in args.grid or [(12, 3)]],
                         args.seed)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(v if isinstance(v, str) else f"{v:.4f}" for v in r.values()) + " |")


if __name__ == "__main__":
    main()
