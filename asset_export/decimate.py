"""Stage 4: decimation to a triangle budget, and the LOD chain."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .check import body_labels, body_volumes, edge_check, remove_degenerate
from .errors import ExportError
from .mesh import MeshData
from .repair import make_edge_manifold

# Quadric decimation (fast-simplification's `agg`): higher is faster and coarser. If a result
# cannot be repaired into a closed mesh we retry more carefully before giving up.
AGGRESSIVENESS = (7.0, 4.0, 2.0)


def _drop_slivers(mesh: MeshData) -> MeshData:
    """Drop bodies of (near) zero volume that squashed parts can leave behind."""
    n, labels = body_labels(mesh.faces, len(mesh.vertices))
    if n <= 1:
        return mesh
    vol = body_volumes(mesh)
    keep = vol > 1e-6 * vol.max()
    if keep.all():
        return mesh
    return remove_degenerate(MeshData(mesh.vertices, mesh.faces[keep[labels]]))


def _valid(candidate: MeshData) -> bool:
    if candidate.n_faces < 4:
        return False
    closed, consistent = edge_check(candidate.faces, len(candidate.vertices))
    return closed and consistent and bool(np.all(body_volumes(candidate) > 0))


def decimate(mesh: MeshData, target_faces: int) -> MeshData:
    """Mesh with at most target_faces triangles, still closed, consistently and outward wound.
    A mesh already within budget is returned unchanged.

    Quadric decimation can squash a thin part flat; make_edge_manifold splits the resulting
    four-triangle edges, so such a part may then touch the rest at an edge or vertex instead of
    sharing it (a low LOD can count more topological bodies than LOD0). Raises ExportError if no
    attempt gives a valid mesh.
    """
    if mesh.n_faces <= target_faces:
        return mesh
    import fast_simplification  # here, not at the top: training imports the package without it
    for agg in AGGRESSIVENESS:
        v, f = fast_simplification.simplify(mesh.vertices.astype(np.float64), mesh.faces.astype(np.int32),
                                            target_count=int(target_faces), agg=agg)
        candidate = remove_degenerate(MeshData(v.astype(np.float32), f.astype(np.uint32)))
        candidate = _drop_slivers(make_edge_manifold(candidate))
        if _valid(candidate) and candidate.n_faces <= target_faces:
            return candidate
    raise ExportError(f"decimation to {target_faces} triangles could not keep the mesh watertight; "
                      "raise --faces")


def lod_chain(mesh: MeshData, budgets: list[int],
              coarser: Callable[[int], MeshData] | None = None) -> tuple[list[MeshData], list[str]]:
    """LOD0..LODk for decreasing budgets, each decimated from the previous one (faster than from
    the full mesh, and keeps the LODs nested in shape). Returns (lods, notes).

    Shapes full of thin parts (noise, early training) can defeat decimation. Then the LOD is
    decimated from `coarser(factor)`, the surface of the grid pooled factor x coarser (2, then 4),
    which has fewer, larger features. If that fails too, LOD0 raises ExportError and a later
    LOD repeats the previous one, with a note.
    """
    out: list[MeshData] = []
    notes: list[str] = []
    for k, budget in enumerate(budgets):
        try:
            out.append(decimate(out[-1] if out else mesh, budget))
            continue
        except ExportError as exc:
            error = exc
        for factor in (2, 4) if coarser is not None else ():
            try:
                out.append(decimate(coarser(factor), budget))
                notes.append(f"LOD{k} meshed from a {factor}x coarser grid to stay watertight at {budget} triangles")
                break
            except ExportError as exc:
                error = exc
        else:
            if k == 0:
                raise error
            out.append(out[-1])
            notes.append(f"LOD{k} repeats LOD{k - 1}: decimating to {budget} triangles broke the mesh")
    return out, notes
