"""How often a bundled model's samples are in pieces, and what joining one-voxel gaps does. Prints a table.

For N samples of each model (seed 0, latents 0..N-1, threshold 0.5): the share of samples whose parts cut off
from the main body (18-connected, as the exporter labels them) hold at least 2 / 5 / 10 / 20% of the solid
voxels, on the raw threshold and after asset_export.clean.bridge_bodies; how many samples the bridging
changes; and its cost per grid. The export keeps the main body only, so a sample in pieces loses those parts
(an office chair's base), and `generate` resamples one still above the card's export.max_loose_share.

    .venv/bin/python benchmarks/loose_parts.py [--n 1000] [--models chairs sofas] [--sheet PNG]

--sheet draws the first 6 chairs the joining changes, as the export keeps them without it and with it
(voxels, two sides each).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

SHARES = (0.02, 0.05, 0.1, 0.2)


def loose_share(solid: np.ndarray) -> float:
    """Share of the solid voxels outside the largest body."""
    from iggan.asset_export.clean import keep_bodies

    return 1.0 - keep_bodies(solid).sum() / max(int(solid.sum()), 1)


def measure(name: str, n: int, threshold: float = 0.5) -> dict:
    from iggan import sampling
    from iggan.asset_export.clean import bridge_bodies

    model = sampling.load_model(name)
    z = sampling.latents(0, n, model.config.model.z_dim)
    raw, joined, changed, seconds = [], [], 0, 0.0
    for start in range(0, n, 100):
        for occupancy in sampling.sample_voxels(model, z[start:start + 100]):
            solid = occupancy >= threshold
            t0 = time.perf_counter()
            bridged = bridge_bodies(solid, occupancy, threshold)
            seconds += time.perf_counter() - t0
            raw.append(loose_share(solid))
            joined.append(loose_share(bridged))
            changed += int(bridged.sum() != solid.sum())
    return {"raw": np.array(raw), "joined": np.array(joined), "changed": changed, "ms": 1000 * seconds / n}


def sheet(path: str, n: int = 6, threshold: float = 0.5) -> None:
    """The first n chairs (seed 0) that joining changes: main body as kept before | after, two sides each."""
    import math

    import torch
    from PIL import Image

    from iggan import sampling
    from iggan.asset_export.clean import bridge_bodies, keep_bodies
    from iggan.asset_export.preview import contact_sheet
    from iggan.cameras import Views
    from iggan.render.voxel_faces import VoxelFaceRenderer

    model = sampling.load_model("chairs")
    renderer = VoxelFaceRenderer(128, model.config.views)
    views = Views(torch.tensor([math.radians(35.0), math.radians(215.0)]), torch.tensor([math.radians(20.0)] * 2))
    rows, labels, start = [], [], 0
    while len(rows) < n:
        z = sampling.latents(0, start + 100, model.config.model.z_dim)[start:]
        for k, occupancy in enumerate(sampling.sample_voxels(model, z)):
            solid = occupancy >= threshold
            bridged = bridge_bodies(solid, occupancy, threshold)
            if bridged.sum() == solid.sum() or len(rows) == n:
                continue
            tiles = []
            for grid in (keep_bodies(solid), keep_bodies(bridged)):
                vox = torch.from_numpy(grid.astype(np.float32))[None, None].expand(2, -1, -1, -1, -1)
                tiles += [(image * 255).astype(np.uint8) for image in renderer(vox, views)[:, 0].clamp(0, 1).numpy()]
            rows.append(Image.fromarray(np.concatenate(tiles, 1)).convert("RGB"))
            labels.append(f"latent {start + k}: kept before (left) | with the gap joined (right), "
                          f"loose {loose_share(solid):.0%} -> {loose_share(bridged):.0%}")
        start += 100
    contact_sheet(rows, labels, columns=2).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--models", nargs="+", default=["chairs", "sofas"])
    ap.add_argument("--sheet", default=None, help="write the before/after picture here")
    args = ap.parse_args()
    if args.sheet:
        sheet(args.sheet)
    print("| model | loose share >= | raw samples | after joining one-voxel gaps |")
    print("|---|---:|---:|---:|")
    notes = []
    for name in args.models:
        m = measure(name, args.n)
        for share in SHARES:
            print(f"| {name} | {share:.0%} | {(m['raw'] >= share).mean():.1%} | {(m['joined'] >= share).mean():.1%} |")
        notes.append(f"{name}: joining changed {m['changed']} of {args.n} samples, {m['ms']:.2f} ms a grid")
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
