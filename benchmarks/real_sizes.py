"""How big should a generated chair or sofa be, in metres? Prints a table.

Training normalises every object to the same largest extent, so a generator's shapes carry their
proportions but not their size; the export gives it back (`--size`, `--size-by`). This compares, for
real furniture with real dimensions (the Sweet Home 3D catalogs give width, height and depth in cm) and
for a model's exported samples sized each way, the 5th / 50th / 95th percentiles of the height and of the
largest extent. The measure whose real spread is smallest is the one to fix; the other then follows
the shape's own proportions and should spread as the real one does. A last column checks what a game
character needs, the seat's height: the top of the fullest voxel layer (the seat, for chairs; for sofas
often a wide base instead), on 32^3 grids (real meshes voxelised as `voxelize` does), in metres.

    python benchmarks/real_sizes.py --catalogs /usr/share/sweethome3d/furniture --models chairs sofas --n 200
"""
from __future__ import annotations

import argparse
import re
import time

import numpy as np

from iggan.eval.shape_metrics import export_reports
from iggan.meshes import list_objects, load_object
from iggan.sampling import load_model, latents, sample_voxels
from iggan.voxelize import voxelize_mesh

# Sweet Home 3D names for each bundled model's class; NOT_SEATS drops look-alikes (a chair table, a
# highchair, an ottoman) from both
CLASS_NAMES = {"chairs": r"\bchair\b|armchair", "sofas": r"sofa|couch"}
NOT_SEATS = r"ottoman|bench|table|stool|highchair|high chair|baby"


def real_objects(catalogs: str, model: str) -> list:
    """The catalog objects (with real dimensions) named like the model's class."""
    return [r for r in list_objects(catalogs) if r.dims and re.search(CLASS_NAMES[model], r.name, re.I)
            and not re.search(NOT_SEATS, r.name, re.I)]


def real_dimensions(objects: list) -> np.ndarray:
    """(N, 3) width, height, depth in metres of catalog objects (real_objects)."""
    return np.array([r.dims for r in objects], np.float64).reshape(-1, 3) / 100.0


def fullest_layer_top(solid: np.ndarray) -> float:
    """(R, R, R) bool, +Y up -> the top of the layer with the most solid voxels, as a share of the height."""
    rows = solid.sum(axis=(0, 2))
    filled = np.flatnonzero(rows)
    return float((np.argmax(rows) + 1 - filled[0]) / (filled[-1] + 1 - filled[0]))


def proportions(model: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(M, 3) x, y (height), z extents of the model's first n samples as exported at their largest extent
    1 with the base levelled as its card says (`generate`'s pipeline), and (M,) their fullest layers' tops
    as a share of the height. Dropped, as `generate` resamples them: grids with no mesh, and shapes that
    fail the card's tilt or flatness checks (a slab sized to a chair's height would be metres across)."""
    loaded = load_model(model)
    card = loaded.card.get("export", {})
    max_tilt, min_ratio = card.get("max_tilt_deg", 180.0), card.get("min_height_ratio", 0.0)
    grids = sample_voxels(loaded, latents(seed, n, loaded.config.model.z_dim))
    reports = export_reports(grids, card.get("level_base", 0.0))
    kept = [k for k, r in enumerate(reports)
            if r and r["rest_tilt_deg"] <= max_tilt and r["height_ratio"] >= min_ratio]
    extents = np.array([reports[k]["size_m"] for k in kept], np.float64).reshape(-1, 3)
    return extents, np.array([fullest_layer_top(grids[k] >= card.get("threshold", 0.5)) for k in kept])


def sized(extents: np.ndarray, size_m: float, size_by: str) -> np.ndarray:
    """(M, 3) unit-largest extents -> (M, 2) height and largest extent in metres when sized as --size says."""
    measure = extents.max(axis=1) if size_by == "largest" else extents[:, 1]
    scaled = extents * (size_m / measure)[:, None]
    return np.stack([scaled[:, 1], scaled.max(axis=1)], axis=1)


def spread(values: np.ndarray) -> str:
    return " / ".join(f"{v:.2f}" for v in np.percentile(values, [5, 50, 95]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalogs", default="/usr/share/sweethome3d/furniture", help="Sweet Home 3D .sh3f files")
    ap.add_argument("--models", nargs="+", default=["chairs", "sofas"], choices=list(CLASS_NAMES))
    ap.add_argument("--n", type=int, default=200, help="samples per model")
    ap.add_argument("--largest", type=float, nargs="+", default=[0.9, 2.0],
                    help="per model, the fixed largest extent to compare (the cards' values before session 31)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    print("| set | n | height (m), 5 / 50 / 95% | largest extent (m), 5 / 50 / 95% | "
          "height spread (std / mean) | largest-extent spread | fullest layer's top (m), 5 / 50 / 95% |")
    print("|---|---:|---|---|---:|---:|---|")
    for model, largest in zip(args.models, args.largest):
        objects = real_objects(args.catalogs, model)
        real = real_dimensions(objects)
        real_hl = np.stack([real[:, 1], real.max(axis=1)], axis=1)
        real_seat = np.array([fullest_layer_top(voxelize_mesh(load_object(r), 32)) for r in objects])
        extents, seat = proportions(model, args.n)
        rows = [(f"real {model} (Sweet Home 3D)", real_hl, real_seat),
                (f"{model}, largest extent {largest:g} m", sized(extents, largest, "largest"), seat),
                (f"{model}, height {np.median(real[:, 1]):.2f} m (the real median)",
                 sized(extents, float(np.median(real[:, 1])), "height"), seat)]
        for name, hl, seat_share in rows:
            cv = hl.std(axis=0) / hl.mean(axis=0)
            print(f"| {name} | {len(hl)} | {spread(hl[:, 0])} | {spread(hl[:, 1])} | {cv[0]:.2f} | {cv[1]:.2f} | "
                  f"{spread(seat_share * hl[:, 0])} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
