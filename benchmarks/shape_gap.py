"""Where does a generator's 1-NNA gap to real chairs come from? Prints two tables.

1. Sampling-side variants, each scored like `evaluate` (MMD/COV/1-NNA, yaw-minimised Chamfer) against
   a reference slice, mean (and std of 1-NNA) over --draws independent sets: the 0.5 threshold used
   everywhere, other thresholds, keeping only the largest body (as the exporter does), truncated latents,
   rejecting samples that fall apart, thinning thick parts (peeling), and the exporter's `--mirror x`.
   If none of them closes the gap, it is in the model.
2. Diagnostics of generated vs real shapes: how often each set's nearest neighbour is in its own set,
   median nearest-neighbour distances, thickness (solid voxels per surface voxel), left-right symmetry
   and the yaw that best aligns generated to real shapes (a frame offset would bias the metric).

    python benchmarks/shape_gap.py --model chairs --reference-slice 689:789 --draws 3

Use a slice of training chairs (689:789) to choose anything; report on the held-out 789:889 only.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy import ndimage

from iggan.asset_export.clean import SOLID_CONNECTIVITY, keep_bodies
from iggan.asset_export.symmetry import best_mirror_plane, mirror_occupancy, mirrored
from iggan.eval.models import load_grids, load_subject, parse_slice
from iggan.eval.shape_metrics import (_chamfer_fast, chamfer_matrix, point_clouds, shape_metrics,
                                      surface_mask, thickness, yaw_rotations)
from iggan.sampling import latents


def occupancy(subject, n: int, seed: int, psi: float = 1.0) -> np.ndarray:
    """(n, R, R, R) occupancies from latents scaled by psi (1.0 = the usual samples)."""
    z = torch.from_numpy(latents(seed, n, subject.config.model.z_dim)) * psi
    with torch.no_grad():
        return np.concatenate([subject.module(z[i:i + 16])[:, 0].numpy() for i in range(0, n, 16)])


def largest_body_fraction(solid: np.ndarray) -> float:
    labels, n = ndimage.label(solid, structure=SOLID_CONNECTIVITY)
    if n == 0:
        return 0.0
    sizes = np.bincount(labels.ravel())[1:]
    return float(sizes.max() / sizes.sum())


def peel(solid: np.ndarray) -> np.ndarray:
    """(R, R, R) bool -> (R, R, R) bool with one layer taken off parts at least 3 voxels thick: the surface
    voxels 6-adjacent to an interior voxel go, so a 3-thick plate becomes 1 thick and 2-thick ones stay."""
    interior = solid & ~surface_mask(solid)
    return solid & ~(ndimage.binary_dilation(interior) & ~interior)


def mirror_iou(solid: np.ndarray) -> float:
    """IoU of a bool (R, R, R) +Y-up grid with its reflection about its best x (left-right) plane; 1 = symmetric."""
    found = best_mirror_plane(solid.astype(np.float32), 0)
    if found is None:
        return float("nan")
    m = mirrored(solid, 0, found[0])
    return float((solid & m).sum() / (solid | m).sum())


def variants(subject, n: int, seed: int) -> dict[str, np.ndarray]:
    """name -> (n, R, R, R) bool grids, all from the same latents where the variant allows."""
    occ = occupancy(subject, 4 * n, seed)
    base = occ[:n] > 0.5
    whole = np.array([largest_body_fraction(g) for g in occ > 0.5])
    return {
        "threshold 0.5 (as shipped)": base,
        "threshold 0.3": occ[:n] > 0.3,
        "threshold 0.7": occ[:n] > 0.7,
        "largest body only": np.stack([keep_bodies(g) if g.any() else g for g in base]),
        "latents x 0.8": occupancy(subject, n, seed, 0.8) > 0.5,
        "latents x 0.6": occupancy(subject, n, seed, 0.6) > 0.5,
        "reject if largest body < 97%": (occ > 0.5)[np.nonzero(whole >= 0.97)[0][:n]],
        "peeled (parts >= 3 voxels thick lose a layer)": np.stack([peel(g) for g in base]),
        "`--mirror x` (the exporter's symmetry)": np.stack([mirror_occupancy(o, "x") for o in occ[:n]]) >= 0.5,
    }


def best_yaw_histogram(a: np.ndarray, b: np.ndarray, k: int = 72, points: int = 128) -> list[tuple[int, int]]:
    """The 4 most frequent best-aligning yaws (degrees, count) over all pairs of clouds a x b."""
    rots = yaw_rotations(k)
    at, bt = torch.tensor(a[:, :points]), torch.tensor(b[:, :points])
    bb = torch.einsum("bmj,kij->bkmi", bt, rots).reshape(-1, points, 3)
    best = []
    for i in range(len(at)):
        d = _chamfer_fast(at[i:i + 1].expand(len(bb), -1, -1), bb).view(len(bt), k)
        best.append(d.argmin(1))
    counts = np.bincount(torch.cat(best).numpy(), minlength=k)
    return [(int(j * 360 / k), int(counts[j])) for j in np.argsort(-counts)[:4]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--reference", default="../shared/data/modelnet10-chairs-32.npz")
    ap.add_argument("--reference-slice", default="689:789")
    ap.add_argument("--draws", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    subject = load_subject(args.model)
    ref = load_grids(args.reference, parse_slice(args.reference_slice), "z")
    n = len(ref)
    print(f"model {args.model} vs {n} reference shapes {args.reference}[{args.reference_slice}], "
          f"mean over {args.draws} draw(s) of {n} shapes\n")
    rows: dict[str, list[dict]] = {}
    t0 = time.perf_counter()
    for draw in range(args.draws):
        for name, grids in variants(subject, n, draw).items():
            rows.setdefault(name, []).append(shape_metrics(grids, ref, seed=draw))
    print("| variant | MMD-CD | COV-CD | 1-NNA-CD |\n|---|---:|---:|---:|")
    for name, ms in rows.items():
        mean = {k: np.mean([m[k] for m in ms]) for k in ("mmd_cd", "cov_cd", "1nna_cd")}
        spread = np.std([m["1nna_cd"] for m in ms])
        print(f"| {name} | {mean['mmd_cd']:.5f} | {mean['cov_cd']:.3f} | {mean['1nna_cd']:.3f} +- {spread:.3f} |")
    print(f"\n({time.perf_counter() - t0:.0f} s)\n")

    gen = occupancy(subject, n, 0) > 0.5
    x, y = point_clouds(gen, 512, 0), point_clouds(ref, 512, 1)
    d_gg, d_rr, d_gr = chamfer_matrix(x), chamfer_matrix(y), chamfer_matrix(x, y)
    np.fill_diagonal(d_gg, np.inf)
    np.fill_diagonal(d_rr, np.inf)
    print("| diagnostic | generated | real |\n|---|---:|---:|")
    print(f"| nearest neighbour in its own set | {(d_gg.min(1) < d_gr.min(1)).mean():.2f} | "
          f"{(d_rr.min(1) < d_gr.min(0)).mean():.2f} |")
    print(f"| median NN distance within own set | {np.median(d_gg.min(1)):.5f} | {np.median(d_rr.min(1)):.5f} |")
    print(f"| median NN distance to the other set | {np.median(d_gr.min(1)):.5f} | {np.median(d_gr.min(0)):.5f} |")
    print(f"| solid voxels per surface voxel (median) | {thickness(gen):.2f} | {thickness(ref):.2f} |")
    print(f"| IoU with its left-right mirror image (median) | {np.median([mirror_iou(g) for g in gen]):.3f} | "
          f"{np.median([mirror_iou(g) for g in ref]):.3f} |")
    print(f"| largest body's share of the voxels (median) | "
          f"{np.median([largest_body_fraction(g) for g in gen]):.3f} | "
          f"{np.median([largest_body_fraction(g) for g in ref]):.3f} |")
    print(f"\nbest yaw aligning generated to real shapes (degrees, pairs): {best_yaw_histogram(x, y)}")
    print(f"best yaw aligning real to real shapes (degrees, pairs):      {best_yaw_histogram(y[:50], y[50:])}")


if __name__ == "__main__":
    main()
