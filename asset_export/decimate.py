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
# A LOD may lose at most this share of any bounding-box extent of the mesh it simplifies: a small
# budget can collapse a chair's legs, and that LOD would float above the floor at a distance.
MAX_EXTENT_LOSS = 0.1


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


def extent_loss(lod: MeshData, reference: MeshData) -> float:
    """The largest share of a bounding-box extent of `reference` that `lod` leaves uncovered: its box's
    shortfall at either end, per axis, over that axis's extent (0 when the boxes agree)."""
    lo, hi = reference.bounds()
    llo, lhi = lod.bounds()
    extent = np.maximum(hi - lo, 1e-9)
    return float(np.max((np.maximum(llo - lo, 0.0) + np.maximum(hi - lhi, 0.0)) / extent))


def apart_bodies(mesh: MeshData) -> int:
    """Number of bodies that share no vertex position: make_edge_manifold gives a squashed part's corners
    their own vertices at the same place, so positions are welded first, and parts that touch at a corner
    count as one (they look joined)."""
    _, welded = np.unique(mesh.vertices, axis=0, return_inverse=True)
    return body_labels(welded.reshape(-1)[mesh.faces], len(mesh.vertices))[0]


def scaled_budgets(budgets: list[int], lod0_faces: int) -> list[int]:
    """The LOD budgets once LOD0 has `lod0_faces` triangles: LOD k at most budgets[k], and at most LOD0's
    triangles times budgets[k] / budgets[0], so each LOD halves the one before (`--lods`) even when LOD0 came out
    under its budget. Without this a mesh under `--faces` (`--faces 50000` on a 32^3 grid's 5,000 triangles) was
    repeated unchanged in every LOD, and a 4,000-triangle LOD0 got a 2,500-triangle LOD1."""
    return budgets[:1] + [min(b, max(12, round(lod0_faces * b / budgets[0]))) for b in budgets[1:]]


def lod_chain(mesh: MeshData, budgets: list[int],
              coarser: Callable[[int], MeshData] | None = None) -> tuple[list[MeshData], list[str]]:
    """LOD0..LODk for decreasing budgets (scaled to LOD0's triangles: scaled_budgets), each decimated from the
    previous one (faster than from the full mesh, and keeps the LODs nested in shape). Returns (lods, notes).

    A later LOD fails when it loses more than MAX_EXTENT_LOSS of LOD0's box (a tiny budget collapses the
    legs, and the LOD would hang in the air) or has a part apart from the rest where LOD0 has none (a
    squashed leg unpicked by make_edge_manifold, which would float at a distance). Then it is decimated
    from LOD0 itself (other collapses, which often keep the part), and then, as when decimation cannot
    stay watertight (shapes full of thin parts: noise, early training), from `coarser(factor)`, the
    surface of the grid pooled factor x coarser (2, then 4), which has fewer, larger features. If all
    fail, LOD0 raises ExportError and a later LOD repeats the previous one, with a note. LOD0's own
    extent loss or part apart is only noted, since the export is placed and sized by it (at 150
    triangles neither the coarser grids nor fewer triangles kept such parts joined; BENCHMARKS.md
    session 54).
    """

    out: list[MeshData] = []
    notes: list[str] = []
    for k in range(len(budgets)):
        budget = (scaled_budgets(budgets, out[0].n_faces) if out else budgets)[k]
        reference = out[0] if out else mesh
        attempts = [("", lambda: out[-1] if out else mesh)]  # (what the note says, source)
        if len(out) > 1:
            attempts.append(("from LOD0", lambda: out[0]))
        if coarser is not None:
            attempts += [(f"from a {f}x coarser grid", lambda f=f: coarser(f)) for f in (2, 4)]
        error, lost, split = None, 0.0, False
        for how, source in attempts:
            try:
                lod = decimate(source(), budget)
            except ExportError as exc:
                error = exc
                continue
            loss = extent_loss(lod, reference)
            apart = apart_bodies(lod) > apart_bodies(reference)
            if k > 0 and loss > MAX_EXTENT_LOSS:
                lost = max(lost, loss)
                continue
            if k > 0 and apart:
                split = True
                continue
            if how:
                notes.append(f"LOD{k} meshed {how} to stay whole and watertight at {budget} triangles")
            if k == 0 and loss > MAX_EXTENT_LOSS:  # only noted: the export is placed and sized by LOD0
                notes.append(f"at {budget} triangles LOD0 lost {loss:.0%} of the shape's extent (thin parts "
                             "collapsed); raise --faces to keep them")
            if k == 0 and apart:
                notes.append(f"at {budget} triangles a thin part of LOD0 came apart from the rest; raise --faces "
                             "to keep it joined")
            out.append(lod)
            break
        else:
            if k == 0:
                raise error
            out.append(out[-1])
            why = ["a thin part came apart from the rest"] if split else []
            why += [f"it lost up to {lost:.0%} of LOD0's extent (thin parts collapsed)"] if lost else []
            notes.append(f"LOD{k} repeats LOD{k - 1}: at {budget} triangles "
                         + (" or ".join(why) if why else "decimation broke the mesh"))
    return out, notes
