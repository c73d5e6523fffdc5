"""Real objects as voxel grids in the generator's frame, so that a `voxels:` training source (fresh
views every step, rendered by the render workers) can hold meshes and catalogs as well as grids.

A mesh is normalised as for rendering (centred, longest side 1, +Y up: `meshes.load_object`), its
surface is sampled densely, every cell a sample falls in is set, and enclosed cavities are filled.
The grid fills the world cube [-0.5, 0.5]^3 as the reference renderer draws it, so a voxelised
object renders where and as large as its mesh does, in the generator's blocky style.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from .checkpoint import atomic_write_bytes
from .meshes import ObjectMesh, ObjectRef, SourceError, load_object, voxel_grid

SAMPLES_PER_CELL_FACE = 16  # surface samples per voxel-face area: no cell a surface crosses is missed


def voxelize_mesh(mesh: ObjectMesh, res: int) -> np.ndarray:
    """A normalised mesh -> (res, res, res) bool, indexed [x, y, z], +Y up, filling [-0.5, 0.5]^3."""
    tm = trimesh.Trimesh(np.asarray(mesh.positions, np.float64), np.asarray(mesh.triangles).reshape(-1, 3),
                         process=False)
    count = max(20_000, int(tm.area * res * res * SAMPLES_PER_CELL_FACE))
    points, _ = trimesh.sample.sample_surface(tm, count, seed=0)  # seeded: the same grid on every run
    points = np.concatenate([points, tm.vertices])  # corners of triangles smaller than a sample's spacing
    cells = np.clip(np.floor((points + 0.5) * res).astype(np.int64), 0, res - 1)
    grid = np.zeros((res, res, res), bool)
    grid[cells[:, 0], cells[:, 1], cells[:, 2]] = True
    return ndimage.binary_fill_holes(grid)


def voxelize_object(ref: ObjectRef, res: int) -> np.ndarray:
    """Any object (mesh, catalog entry or grid) -> (res, res, res) bool, +Y up. A grid must already be
    res^3 (resampling blocky grids would distort them). Raises SourceError when it cannot be used."""
    if ref.kind == "voxels":
        grid = voxel_grid(ref)
        if grid.shape != (res,) * 3:
            raise SourceError(f"{ref.label} is a {grid.shape[0]}^3 grid; pass --res {grid.shape[0]} or a mesh")
        return grid
    grid = voxelize_mesh(load_object(ref), res)
    if not grid.any():
        raise SourceError(f"{ref.label}: voxelised to an empty grid")
    return grid


def save_voxels(path: Path, grids: np.ndarray, names: list[str]) -> None:
    """Write an .npz (voxels (N, R, R, R) uint8, names, up='y') atomically (temporary file, then rename),
    so an existing file is never left half-written."""
    buf = io.BytesIO()
    np.savez_compressed(buf, voxels=grids.astype(np.uint8), names=np.array(names), up=np.array("y"))
    atomic_write_bytes(Path(path), buf.getvalue())
