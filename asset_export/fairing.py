"""Stage 3: constrained thin-plate fairing, which takes the stair steps off slanted faces of a voxel surface.

Marching cubes on a binary grid puts every vertex halfway along a grid edge from a solid voxel's centre to
an empty one's, so a slanted flat face comes out as a staircase. Taubin smoothing keeps low frequencies by
design, and the one-voxel steps of a gently slanted chair back repeat every 5-10 voxels, low enough to pass:
they stayed as bands. Here a thin-plate (bi-Laplacian) flow, which leaves a plane or a cylinder as it is and
flattens what bends back and forth, runs for `--smooth` passes while each vertex is held to a box around where
marching cubes put it: at most REACH of a voxel along its edge, so a one-voxel bar or gap keeps at least
1 - 2 * REACH of its width, and half a voxel across it. The lowest plane stays where it is, so a shape stands
as its voxels do. In the spirit of Gibson's constrained surface nets (1998), on the marching-cubes mesh the
rest of the export already uses. Measured against real surfaces in benchmarks/smoothing_fidelity.py.
"""
from __future__ import annotations

import numpy as np
import trimesh
import trimesh.smoothing

from .mesh import MeshData
from .surface import voxel_index_coords

REACH = 0.25  # voxels a vertex may move along its grid edge (towards the solid or the empty voxel)
ACROSS = 0.5  # voxels a vertex may move across its edge: to the next edge, never beyond
STEP = 0.2  # explicit step of the bi-Laplacian flow; stable below 0.5 for uniform weights


def edge_boxes(vertices: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) marching-cubes vertices of a grid of `shape` (grid-cube coordinates, as surface_mesh makes them)
    -> (low, high), each (V, 3): the box each vertex may move in, as offsets in the same coordinates."""
    index = voxel_index_coords(vertices, shape)
    off_integer = np.abs(index - np.round(index))
    along = np.argmax(off_integer, axis=1)  # the axis of the edge each vertex lies on (its half-integer axis)
    voxel = 1.0 / float(max(shape))
    low = np.full(index.shape, -ACROSS * voxel)
    low[np.arange(len(index)), along] = -REACH * voxel
    return low, -low


def fair_surface(mesh: MeshData, shape, iterations: int, up_axis: int | None = 1) -> MeshData:
    """Run `iterations` steps of the constrained bi-Laplacian flow on a marching-cubes surface of a grid of
    `shape`. Topology is unchanged, so a watertight input stays watertight; 0 iterations returns it as is.
    up_axis: the vertices of the surface's lowest plane along it keep their height (they may still slide
    along the floor), so the feet of a shape stay flat on the floor, level with each other, and the shape
    stands as its voxels do; None for no floor."""
    if iterations <= 0:
        return mesh
    start = mesh.vertices.astype(np.float64)
    low, high = edge_boxes(start, shape)
    if up_axis is not None:
        on_floor = start[:, up_axis] <= start[:, up_axis].min() + 1e-6
        low[on_floor, up_axis] = high[on_floor, up_axis] = 0.0
    low, high = start + low, start + high
    laplacian = trimesh.smoothing.laplacian_calculation(
        trimesh.Trimesh(start, mesh.faces, process=False), equal_weight=True)  # (V, V) neighbour means
    p = start.copy()
    for _ in range(iterations):
        umbrella = p - laplacian.dot(p)
        p = np.clip(p - STEP * (umbrella - laplacian.dot(umbrella)), low, high)
    return MeshData(p.astype(np.float32), mesh.faces)
