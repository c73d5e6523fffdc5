"""Stage 3: Taubin smoothing, which removes the marching-cubes stair steps without shrinking."""
from __future__ import annotations

import numpy as np
import trimesh
import trimesh.smoothing

from .mesh import MeshData


def taubin_smooth(mesh: MeshData, iterations: int = 10, lamb: float = 0.5, nu: float = 0.53) -> MeshData:
    """Alternate a shrinking (lamb) and an inflating (-nu) Laplacian step, `iterations` times.

    Plain Laplacian smoothing shrinks thin parts (chair legs) a little with every pass; Taubin's
    second, slightly larger negative step cancels that, so volume is kept. Topology is unchanged,
    so a watertight input stays watertight.
    """
    if iterations <= 0:
        return mesh
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    trimesh.smoothing.filter_taubin(tm, lamb=lamb, nu=nu, iterations=iterations)
    return MeshData(np.asarray(tm.vertices, np.float32), mesh.faces)
