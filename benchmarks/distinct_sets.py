"""How alike the assets of one `generate` run are, from its manifest: each asset's grid is sampled
again from its seed and latent index, and each gets its distance to the nearest other asset of the
set (yaw-minimised Chamfer of unit-box surface clouds, as `evaluate` and `generate --distinct`).

    .venv/bin/iggan-assets generate --model sofas --n 30 --out /tmp/a.glb [--distinct --retries 20]
    .venv/bin/python benchmarks/distinct_sets.py /tmp/a.manifest.json [...] [--reference .data/sofas_train32.npz:y]

--reference adds a row for real shapes (the first N of the file, N = the largest set), so a set's
spread can be read against the data's own.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from iggan.eval.models import load_grids
from iggan.eval.shape_metrics import chamfer_matrix, point_clouds
from iggan.sampling import latents, load_model, sample_voxels


def manifest_grids(manifest: dict, threshold: float) -> np.ndarray:
    """The (N, R, R, R) bool grids of a generate manifest's assets, sampled again from their latents."""
    model = load_model(manifest["model_source"])
    z = np.stack([latents(a["seed"], a["latent_index"] + 1, model.config.model.z_dim)[a["latent_index"]]
                  for a in manifest["assets"]])
    return sample_voxels(model, z) >= threshold


def spread_row(label: str, grids: np.ndarray, gap: float | None) -> dict:
    """Nearest-other distances of a set -> its median, 10th percentile and minimum, and the share of
    assets closer than `gap` (a card's distinct distance) to another."""
    d = chamfer_matrix(point_clouds(grids, 512, 0), None, 12)
    np.fill_diagonal(d, np.inf)
    nn = d.min(1)
    return {"set": label, "n": len(grids), "median": float(np.median(nn)), "p10": float(np.quantile(nn, 0.1)),
            "min": float(nn.min()), "under_gap": float((nn < gap).mean()) if gap else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifests", nargs="+", type=Path)
    ap.add_argument("--reference", metavar="NPZ:UP", help="real grids and their up axis (y or z)")
    ap.add_argument("--gap", type=float, help="count assets nearer than this to another (default: the "
                    "distance the first --distinct manifest used)")
    args = ap.parse_args()
    rows, sizes = [], []
    manifests = [json.loads(path.read_text()) for path in args.manifests]
    gap = args.gap or next((m["distinct_distance"] for m in manifests if "distinct_distance" in m), None)
    for path, m in zip(args.manifests, manifests):
        t0 = time.perf_counter()
        grids = manifest_grids(m, m["settings"]["threshold"])
        sizes.append(len(grids))
        label = f"{path.name} ({'--distinct ' + str(m['distinct_distance']) if 'distinct_distance' in m else 'plain'})"
        rows.append({**spread_row(label, grids, gap), "seconds": time.perf_counter() - t0})
    if args.reference:
        npz, _, up = args.reference.partition(":")
        real = load_grids(npz, slice(0, max(sizes)), up or "z")
        rows.append({**spread_row(f"real: {npz}", real, gap), "seconds": float("nan")})
    print(f"| set | n | nearest-other median | 10th pct | min | share under {gap} | seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['set']} | {r['n']} | {r['median']:.5f} | {r['p10']:.5f} | {r['min']:.5f} | {r['under_gap']:.2f} "
              f"| {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
