"""Which shapes make a generator's 1-NNA? Renders the two tails of the nearest-neighbour structure.

For N generated and N real shapes (yaw-minimised Chamfer, as `evaluate`), prints how often each
set's nearest neighbour is at home, and saves one sheet of --k shapes per tail (two views each, a
quarter turn apart; 16 images per row):

- first the generated shapes farthest from every real one (what 1-NNA catches on the generated side);
- then the real shapes farthest from every generated one (modes G does not make).

    PYOPENGL_PLATFORM=osmesa python benchmarks/nn_gallery.py chairs --reference-slice 589:789 --n 200 \\
        --out /tmp/nn_gallery.png

Use training chairs (589:789) to look; the held-out slice is for reporting only.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from iggan.cameras import Views
from iggan.config import ViewConfig
from iggan.eval.models import load_grids, load_subject, parse_slice
from iggan.eval.shape_metrics import chamfer_matrix, point_clouds
from iggan.render.reference import PyrenderRenderer
from iggan.sheets import save_grid


def render_two_sides(grids: np.ndarray, size: int = 128) -> np.ndarray:
    """(N, R, R, R) bool -> (2N, S, S): each shape at azimuth 30 and 120 degrees, elevation 20."""
    renderer = PyrenderRenderer(size, ViewConfig())
    n = len(grids)
    az = torch.tensor([math.radians(30), math.radians(120)] * n)
    views = Views(az, torch.full((2 * n,), math.radians(20)))
    x = torch.from_numpy(np.repeat(grids, 2, axis=0)[:, None].astype(np.float32))
    return renderer(x, views)[:, 0].numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="589:789")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--k", type=int, default=8, help="shapes shown per tail")
    ap.add_argument("--points", type=int, default=512)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/tmp/nn_gallery.png")
    args = ap.parse_args()
    t0 = time.perf_counter()
    real = load_grids(args.reference, parse_slice(args.reference_slice))[: args.n]
    gen = load_subject(args.model).sample_grids(len(real), args.seed) > 0.5
    x, y = point_clouds(gen, args.points, args.seed), point_clouds(real, args.points, args.seed + 1)
    d_gr, d_gg, d_rr = chamfer_matrix(x, y), chamfer_matrix(x), chamfer_matrix(y)
    np.fill_diagonal(d_gg, np.inf)
    np.fill_diagonal(d_rr, np.inf)
    gen_home = d_gg.min(1) < d_gr.min(1)  # generated shape whose nearest neighbour is generated
    real_home = d_rr.min(1) < d_gr.min(0)
    n = len(real)
    print(f"{n} generated vs {n} real ({args.model} vs {args.reference}[{args.reference_slice}]), "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"1-NNA {(gen_home.sum() + real_home.sum()) / (2 * n):.3f}: nearest neighbour at home "
          f"{gen_home.mean():.2f} of generated, {real_home.mean():.2f} of real")
    print(f"median distance to the nearest real: generated {np.median(d_gr.min(1)):.5f}, "
          f"real {np.median(d_rr.min(1)):.5f}; to the nearest generated: generated {np.median(d_gg.min(1)):.5f}, "
          f"real {np.median(d_gr.min(0)):.5f}")
    far_gen = np.argsort(-d_gr.min(1))[: args.k]
    far_real = np.argsort(-d_gr.min(0))[: args.k]
    print("generated farthest from any real (index, distance):",
          [(int(i), round(float(d_gr[i].min()), 5)) for i in far_gen])
    print("real farthest from any generated (index, distance):",
          [(int(i), round(float(d_gr[:, i].min()), 5)) for i in far_real])
    images = render_two_sides(np.concatenate([gen[far_gen], real[far_real]]))
    save_grid(args.out, images, cols=16)
    print(f"sheet: {args.out} ({args.k} generated, then {args.k} real; two sides each)")


if __name__ == "__main__":
    main()
