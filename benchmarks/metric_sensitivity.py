"""How far do small, known changes move real chairs in MMD/COV/1-NNA? Calibrates the shape gap.

Takes 100 real training chairs (ModelNet 0:100), changes them in controlled ways and scores each
variant against other training chairs (689:789), like `evaluate` (yaw-minimised Chamfer), mean of
2 seeds. Two questions:

1. Thickness: generated chairs have ~1.27 solid voxels per surface voxel, real ones ~1.05. Does
   one voxel of extra thickness (or surface noise) explain a 1-NNA of ~0.75?
2. Training mix: 14% of the chairs' training renders are Kenney / Sweet Home 3D meshes, not
   ModelNet. Does mixing such chairs (voxelised at 32^3) into a real set cost 1-NNA against ModelNet?
3. (--morphology) Which kind of change reproduces the bundled chairs' gap (1-NNA ~0.65 with their own
   samples each other's nearest neighbours)? Closing (gaps between parts filled, parts merged and
   thickened), smoothing, opening (parts one voxel thin removed) and their combination.

    python benchmarks/metric_sensitivity.py                 # ~8 min on the 2-core dev box
    python benchmarks/metric_sensitivity.py --morphology    # the rows of question 3 only, ~7 min
"""
from __future__ import annotations

import time
import sys
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from iggan.eval.models import load_grids, parse_slice  # noqa: E402
from iggan.eval.shape_metrics import shape_metrics, surface_mask, thickness, thin_share  # noqa: E402
from iggan.meshes import list_objects, load_object  # noqa: E402

MODELNET = "../shared/data/modelnet10-chairs-32.npz"
KENNEY = "../shared/data/kenney-furniture"
SWEETHOME = "/usr/share/sweethome3d/furniture"  # apt-get install sweethome3d-furniture
R = 32


def thicken(g: np.ndarray, axis: int) -> np.ndarray:
    """Grow by one voxel towards +axis."""
    return g | np.roll(g, 1, axis=axis)


def surface_noise(g: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Remove a fraction p of surface voxels and add a fraction p of the voxels just outside."""
    removed = surface_mask(g) & (rng.random(g.shape) < p)
    added = ndimage.binary_dilation(g) & ~g & (rng.random(g.shape) < p)
    return (g & ~removed) | added


def voxelise(ref) -> np.ndarray:
    """A mesh chair as a filled (R, R, R) grid in the renderer's frame (+Y up), longest side R voxels."""
    m = load_object(ref)
    grid = trimesh.Trimesh(m.positions, m.triangles.reshape(-1, 3)).voxelized(pitch=1.0 / (R - 0.5)).fill().matrix
    out = np.zeros((R, R, R), bool)
    size = [min(R, d) for d in grid.shape]
    o = [(R - d) // 2 for d in size]
    out[o[0]:o[0] + size[0], o[1]:o[1] + size[1], o[2]:o[2] + size[2]] = grid[:size[0], :size[1], :size[2]]
    return out


def mesh_chairs() -> np.ndarray:
    """The Kenney and Sweet Home 3D chairs of the training set (same filters as .data/chairs64)."""
    refs = list_objects(KENNEY, filter="chair", exclude="stool")
    if Path(SWEETHOME).exists():
        refs += list_objects(SWEETHOME, filter="chair|class seat",
                             exclude="wheel|high chair|deck|beach|sitting|ottoman")
    return np.stack([voxelise(r) for r in refs])


def row(name: str, grids: np.ndarray, ref: np.ndarray) -> None:
    ms = [shape_metrics(grids, ref, seed=s) for s in range(2)]
    mean = {k: np.mean([m[k] for m in ms]) for k in ("mmd_cd", "cov_cd", "1nna_cd", "nn_home_generated")}
    thin = np.median([thin_share(g) for g in grids])
    bodies = np.mean([ndimage.label(g)[1] for g in grids])
    print(f"| {name} | {thickness(grids):.2f} | {thin:.2f} | {bodies:.2f} | {mean['mmd_cd']:.5f} | "
          f"{mean['cov_cd']:.2f} | {mean['1nna_cd']:.3f} | {mean['nn_home_generated']:.2f} |", flush=True)


def each(grids: np.ndarray, change) -> np.ndarray:
    """change() applied to every grid, padded so that nothing is cut at the border: (N, R, R, R) -> same."""
    return np.stack([change(np.pad(g, 3))[3:-3, 3:-3, 3:-3] for g in grids])


def morphology_rows(real: np.ndarray, ref: np.ndarray) -> None:
    six = ndimage.generate_binary_structure(3, 1)
    row("closed (6-connected)", each(real, lambda g: ndimage.binary_closing(g, six)), ref)
    row("closed twice", each(real, lambda g: ndimage.binary_closing(g, six, iterations=2)), ref)
    row("smoothed (Gaussian sigma 0.7, > 0.3)", each(real, lambda g: ndimage.gaussian_filter(g * 1.0, 0.7) > 0.3), ref)
    row("smoothed (Gaussian sigma 1, > 0.25)", each(real, lambda g: ndimage.gaussian_filter(g * 1.0, 1.0) > 0.25), ref)
    row("opened (parts one voxel thin removed)", each(real, lambda g: ndimage.binary_opening(g, six)), ref)
    row("closed, then opened", each(real, lambda g: ndimage.binary_opening(ndimage.binary_closing(g, six), six)), ref)


def main() -> None:
    t0 = time.perf_counter()
    ref = load_grids(MODELNET, parse_slice("689:789"), "z")
    real = load_grids(MODELNET, parse_slice("0:100"), "z")
    rng = np.random.default_rng(0)
    print("| 100 shapes vs ModelNet chairs 689:789 | thickness | thin share | bodies | MMD-CD | COV-CD | 1-NNA-CD | "
          "NN home |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    row("real chairs 0:100 as they are", real, ref)
    if "--morphology" in sys.argv[1:]:
        morphology_rows(real, ref)
        print(f"\n({time.perf_counter() - t0:.0f} s)")
        return
    row("thickened 1 voxel everywhere (6-connected dilation)", np.stack([ndimage.binary_dilation(g) for g in real]), ref)
    row("thickened 1 voxel along x", np.stack([thicken(g, 0) for g in real]), ref)
    row("thickened 1 voxel upwards", np.stack([thicken(g, 1) for g in real]), ref)
    row("surface noise 10%", np.stack([surface_noise(g, 0.10, rng) for g in real]), ref)
    row("surface noise 25%", np.stack([surface_noise(g, 0.25, rng) for g in real]), ref)
    meshes = mesh_chairs()
    print(f"\n{len(meshes)} Kenney / Sweet Home 3D chairs voxelised at {R}^3, thickness {thickness(meshes):.2f}\n")
    for k in (14, 30):
        mix = np.concatenate([real[:100 - k], meshes[rng.choice(len(meshes), k, replace=False)]])
        row(f"{100 - k} ModelNet + {k} mesh chairs", mix, ref)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
