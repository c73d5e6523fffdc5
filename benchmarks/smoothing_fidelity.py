"""How close does the export's smoothed surface come to the real surface a voxel grid was made from?
Prints a table.

Each real mesh is voxelised as `voxelize` does (optionally turned first, so that its flat faces are
slanted against the grid and come out as staircases), meshed by the export's marching cubes, smoothed
by each variant, and compared with the mesh itself:
- normal error: the mean angle between the smoothed surface's normal and the nearest real face's,
  over points spread evenly on the smoothed surface (what shading shows), split by where the nearest
  real point lies: on a flat face (every real normal within FLAT_RADIUS voxels of it within FLAT_DEG
  degrees), where stair steps left by too little smoothing show as bands, or near an edge or a curve,
  where too much smoothing rounds corners off;
- export -> real and real -> export: mean distances in voxels (thin parts lost or swollen raise them).

Variants are `raw` (marching cubes only), `taubin:PASSES` (Taubin smoothing, the export's stage until session 41)
or `fair:PASSES` (constrained thin-plate fairing, asset_export/fairing.py, the export's `--smooth PASSES` since).

    python benchmarks/smoothing_fidelity.py --source /usr/share/sweethome3d/furniture \\
        --category 'living' --filter 'chair|sofa|couch|armchair|stool' --res 32 --rotate 0 \\
        --variants raw taubin:20 taubin:50 taubin:100 taubin:200
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import trimesh
import trimesh.smoothing
from scipy.spatial import cKDTree

from iggan.asset_export.clean import clean_grid
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.fairing import fair_surface
from iggan.asset_export.surface import keep_mesh_bodies, surface_mesh
from iggan.meshes import ObjectMesh, SourceError, list_objects, load_object
from iggan.voxelize import voxelize_mesh

SURFACE_SAMPLES = 5000  # points on the smoothed surface per object and variant
REAL_SAMPLES = 300_000  # points that stand for the real surface (nearest-face look-ups)
FLAT_RADIUS = 1.5  # voxels: a real point is on a flat face when its surroundings this far are flat
FLAT_DEG = 10.0
FLAT_SAMPLES = 30_000  # real points for the flatness test (a sparser cloud is enough, and quicker)


def turned(obj: ObjectMesh, yaw_deg: float, tilt_deg: float) -> ObjectMesh:
    """The object turned by yaw about +Y, then tilted about +X, and fitted to [-0.5, 0.5]^3 again."""
    a, b = np.radians(yaw_deg), np.radians(tilt_deg)
    yaw = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    p = obj.positions.astype(np.float64) @ (tilt @ yaw).T
    lo, hi = p.min(0), p.max(0)
    p = (p - (lo + hi) / 2) / (hi - lo).max()
    return ObjectMesh(p.astype(np.float32), obj.normals, obj.triangles, obj.colors)


def real_surface(obj: ObjectMesh) -> trimesh.Trimesh:
    """The object's own triangles (load_object adds every triangle twice, once per winding)."""
    n = len(obj.positions) // 2
    return trimesh.Trimesh(obj.positions[:n].astype(np.float64), np.arange(n).reshape(-1, 3), process=False)


def taubin(mesh: MeshData, passes: int) -> MeshData:
    """Taubin smoothing (lambda 0.5, mu -0.53), the export's smooth stage until session 41."""
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    trimesh.smoothing.filter_taubin(tm, lamb=0.5, nu=0.53, iterations=passes)
    return MeshData(tm.vertices.astype(np.float32), mesh.faces)


def smoothed(mesh: MeshData, variant: str, shape) -> MeshData:
    """Apply a variant ('raw', 'taubin:PASSES' or 'fair:PASSES', or several joined by '+', applied in turn) to a
    marching-cubes mesh of a grid of `shape`."""
    if variant == "raw":
        return mesh
    if "+" in variant:
        for part in variant.split("+"):
            mesh = smoothed(mesh, part, shape)
        return mesh
    kind, _, passes = variant.partition(":")
    if kind not in ("taubin", "fair") or not passes.isdigit():
        raise ValueError(f"unknown variant {variant!r}; use raw, taubin:PASSES or fair:PASSES")
    return taubin(mesh, int(passes)) if kind == "taubin" else fair_surface(mesh, shape, int(passes))


class RealSurface:
    """The real mesh as dense samples: nearest-point look-ups and the flat-face test."""

    def __init__(self, real: trimesh.Trimesh, res: int):
        self.mesh, self.res = real, res
        self.points, faces = trimesh.sample.sample_surface(real, REAL_SAMPLES, seed=0)
        self.normals = real.face_normals[faces]
        self.tree = cKDTree(self.points)
        step = max(1, REAL_SAMPLES // FLAT_SAMPLES)
        self.sparse_normals, self.sparse_tree = self.normals[::step], cKDTree(self.points[::step])

    def flat(self, indices: np.ndarray) -> np.ndarray:
        """(N,) real point indices -> (N,) bool, the point lies on a flat face (module docstring)."""
        balls = self.sparse_tree.query_ball_point(self.points[indices], FLAT_RADIUS / self.res)
        cos_min = np.cos(np.radians(FLAT_DEG))
        return np.array([np.abs(self.sparse_normals[b] @ self.normals[i]).min(initial=1.0) >= cos_min
                         for i, b in zip(indices, balls)], bool)


def fidelity(mesh: MeshData, real: RealSurface) -> tuple[float, float, float, float, float]:
    """(normal error in degrees on flat faces, near edges and overall; export -> real and real -> export
    mean distances in voxels)."""
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    points, faces = trimesh.sample.sample_surface(tm, SURFACE_SAMPLES, seed=0)
    dist, nearest = real.tree.query(points)
    cos = np.abs(np.einsum("ij,ij->i", tm.face_normals[faces], real.normals[nearest]))
    angle = np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))
    flat = real.flat(nearest)
    back, _ = cKDTree(trimesh.sample.sample_surface(tm, REAL_SAMPLES // 2, seed=1)[0]).query(
        real.points[:: REAL_SAMPLES // SURFACE_SAMPLES])
    return (float(angle[flat].mean()) if flat.any() else float("nan"),
            float(angle[~flat].mean()) if (~flat).any() else float("nan"),
            float(angle.mean()), float(dist.mean() * real.res), float(back.mean() * real.res))


def measure(objects: list, variants: list[str], res: int, yaw: float, tilt: float) -> dict[str, np.ndarray]:
    """{variant: (objects, 3) fidelity rows}; objects that fail to load or voxelise are skipped."""
    rows: dict[str, list] = {v: [] for v in variants}
    for ref in objects:
        try:
            obj = load_object(ref)
        except SourceError as err:
            print(f"skipped {ref.label}: {err}")
            continue
        if yaw or tilt:
            obj = turned(obj, yaw, tilt)
        real = RealSurface(real_surface(obj), res)
        solid = clean_grid(voxelize_mesh(obj, res).astype(np.float32), 0.5, 1.0, True, 1, 1.0)
        base = keep_mesh_bodies(surface_mesh(solid), 1.0)
        for v in variants:
            rows[v].append(fidelity(smoothed(base, v, solid.shape), real))
    return {v: np.array(r) for v, r in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default="../shared/data/kenney-furniture", help="meshes, a folder or a .sh3f")
    ap.add_argument("--filter", help="regex on the object's name")
    ap.add_argument("--category", help="regex on the Sweet Home 3D category")
    ap.add_argument("--limit", type=int, default=0, help="the first N objects only (0 = all)")
    ap.add_argument("--res", type=int, default=32)
    ap.add_argument("--rotate", type=float, nargs=2, default=(0.0, 0.0), metavar=("YAW", "TILT"),
                    help="turn each object first (degrees), so flat faces are slanted against the grid")
    ap.add_argument("--variants", nargs="+", default=["raw", "taubin:20", "fair:50", "fair:100", "fair:200"])
    args = ap.parse_args()
    objects = list_objects(args.source, filter=args.filter, category=args.category)
    objects = objects[: args.limit] if args.limit else objects
    if not objects:
        raise SystemExit(f"no objects in {args.source} match; check --filter / --category")
    t0 = time.perf_counter()
    rows = measure(objects, args.variants, args.res, *args.rotate)
    n = len(next(iter(rows.values())))
    print(f"\n{n} objects from {args.source} at {args.res}^3, turned {args.rotate[0]:g} / {args.rotate[1]:g} deg, "
          f"{time.perf_counter() - t0:.0f} s")
    print("| smoothing | normal error, flat faces (deg) | near edges | all | export -> real (voxels) | "
          "real -> export (voxels) |")
    print("|---|---:|---:|---:|---:|---:|")
    for v, r in rows.items():
        m = np.nanmean(r, axis=0)
        print(f"| {v} | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {m[3]:.3f} | {m[4]:.3f} |")


if __name__ == "__main__":
    main()
