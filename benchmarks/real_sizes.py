"""How big should a generated chair or sofa be, in metres? Prints a table.

Training normalises every object to the same largest extent, so a generator's shapes carry their
proportions but not their size; the export gives it back (`--size`, `--size-by`). This compares, for
real furniture with real dimensions (the Sweet Home 3D catalogs give width, height and depth in cm) and
for a model's exported samples sized each way, the 5th / 50th / 95th percentiles of the height and of the
largest extent. The measure whose real spread is smallest is the one to fix; the other then follows
the shape's own proportions and should spread as the real one does.

    python benchmarks/real_sizes.py --catalogs /usr/share/sweethome3d/furniture --models chairs sofas --n 200
"""
from __future__ import annotations

import argparse
import re
import time

import numpy as np

from iggan.eval.shape_metrics import export_reports
from iggan.meshes import list_objects
from iggan.sampling import load_model, latents, sample_voxels

# Sweet Home 3D names for each bundled model's class; NOT_SEATS drops look-alikes (a chair table, a
# highchair, an ottoman) from both
CLASS_NAMES = {"chairs": r"\bchair\b|armchair", "sofas": r"sofa|couch"}
NOT_SEATS = r"ottoman|bench|table|stool|highchair|high chair|baby"


def real_dimensions(catalogs: str, model: str) -> np.ndarray:
    """(N, 3) width, height, depth in metres of the catalog objects named like the model's class."""
    refs = list_objects(catalogs)
    dims = [r.dims for r in refs if r.dims and re.search(CLASS_NAMES[model], r.name, re.I)
            and not re.search(NOT_SEATS, r.name, re.I)]
    return np.array(dims, np.float64).reshape(-1, 3) / 100.0


def proportions(model: str, n: int, seed: int = 0) -> np.ndarray:
    """(M, 3) x, y (height), z extents of the model's first n samples as exported at their largest extent
    1 with the base levelled as its card says (`generate`'s pipeline). Dropped, as `generate` resamples
    them: grids with no mesh, and shapes that fail the card's tilt or flatness checks (a slab sized to a
    chair's height would be metres across)."""
    loaded = load_model(model)
    card = loaded.card.get("export", {})
    max_tilt, min_ratio = card.get("max_tilt_deg", 180.0), card.get("min_height_ratio", 0.0)
    grids = sample_voxels(loaded, latents(seed, n, loaded.config.model.z_dim))
    reports = export_reports(grids, card.get("level_base", 0.0))
    return np.array([r["size_m"] for r in reports
                     if r and r["rest_tilt_deg"] <= max_tilt and r["height_ratio"] >= min_ratio], np.float64)


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
          "height spread (std / mean) | largest-extent spread |")
    print("|---|---:|---|---|---:|---:|")
    for model, largest in zip(args.models, args.largest):
        real = real_dimensions(args.catalogs, model)
        real_hl = np.stack([real[:, 1], real.max(axis=1)], axis=1)
        extents = proportions(model, args.n)
        rows = [(f"real {model} (Sweet Home 3D)", real_hl),
                (f"{model}, largest extent {largest:g} m", sized(extents, largest, "largest")),
                (f"{model}, height {np.median(real[:, 1]):.2f} m (the real median)",
                 sized(extents, float(np.median(real[:, 1])), "height"))]
        for name, hl in rows:
            cv = hl.std(axis=0) / hl.mean(axis=0)
            print(f"| {name} | {len(hl)} | {spread(hl[:, 0])} | {spread(hl[:, 1])} | {cv[0]:.2f} | {cv[1]:.2f} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
