"""3D metrics on sets of voxel shapes: surface point clouds, Chamfer distance minimised over yaw,
and MMD, COV and 1-NNA (Achlioptas et al. 2018; Yang et al. 2019, PointFlow).

A generator trained on unposed images has an arbitrary canonical yaw, so every Chamfer distance
is the minimum over rotations of the second shape about +Y. The search is coarse-to-fine: all
`yaw_angles` rotations are tried on `coarse_points` points per shape, then the full clouds are
compared at the best angle only (several times cheaper than the full search, same result on
rotated copies; see tests). 512 points per shape by default: on the 2-core dev box the three
100x100 matrices of 1-NNA then take about a minute (the reference set's own matrix is cached).

Conventions: grids are (R, R, R) indexed [x, y, z], +Y up, filling [-0.5, 0.5]^3. The point draw and
the one-to-many distance live torch-free in asset_export/shape_distance.py (used by generate --distinct
and the Blender extension); this module computes whole matrices of the same distance with torch.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from iggan.asset_export.shape_distance import surface_mask, surface_points  # noqa: F401  (re-exported)
from iggan.asset_export.shape_distance import yaw_rotations as _yaw_rotations_np


def point_clouds(grids: np.ndarray, n: int = 1024, seed: int = 0, normalise: bool = True) -> np.ndarray:
    """(N, R, R, R) grids -> (N, n, 3) clouds (shape i drawn with seed (seed, i))."""
    return np.stack([surface_points(g, n, seed * 100003 + i, normalise) for i, g in enumerate(grids)]) \
        if len(grids) else np.zeros((0, n, 3), np.float32)


def yaw_rotations(k: int) -> torch.Tensor:
    """(k, 3, 3) rotations about +Y by 2 pi j / k (the export's, as a tensor)."""
    return torch.from_numpy(_yaw_rotations_np(k))


def chamfer(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Batched Chamfer distance with squared Euclidean terms.

    a (B, n, 3), b (B, m, 3) -> (B,): mean_i min_j |a_i - b_j|^2 + mean_j min_i |a_i - b_j|^2.
    """
    d = torch.cdist(a, b).pow(2)  # (B, n, m)
    return d.min(2).values.mean(1) + d.min(1).values.mean(1)


def chamfer_yaw(a: torch.Tensor, b: torch.Tensor, yaw_angles: int = 12) -> torch.Tensor:
    """min over k yaw rotations R of chamfer(a, b R^T). a (B, n, 3), b (B, m, 3) -> (B,)."""
    rots = yaw_rotations(yaw_angles).to(a.device, a.dtype)
    bb = torch.einsum("bmj,kij->bkmi", b, rots)  # (B, K, m, 3)
    aa = a[:, None].expand(-1, yaw_angles, -1, -1)
    return chamfer(aa.reshape(-1, *a.shape[1:]), bb.reshape(-1, *b.shape[1:])).view(len(a), yaw_angles).min(1).values


def _chamfer_fast(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """chamfer() through one batched matmul (faster for small clouds, less exact: for the coarse search)."""
    d = torch.baddbmm((a * a).sum(-1)[:, :, None] + (b * b).sum(-1)[:, None, :], a, b.transpose(1, 2), alpha=-2)
    return d.min(2).values.clamp_min(0).mean(1) + d.min(1).values.clamp_min(0).mean(1)


def chamfer_matrix(x: np.ndarray, y: np.ndarray | None = None, yaw_angles: int = 12, coarse_points: int = 128,
                   block: int = 64, device: str = "cpu") -> np.ndarray:
    """Pairwise yaw-minimised Chamfer distances: x (N, n, 3), y (M, m, 3) -> (N, M) float64.
    y=None: the symmetric (N, N) matrix of x with itself (half the pairs computed, zero diagonal).

    Coarse-to-fine: the best of `yaw_angles` rotations is chosen on the first `coarse_points`
    points of each cloud (clouds are random draws, so a prefix is a random subset), then the
    full clouds are compared at that angle. Cost on a 2-core CPU: about 5 ms per pair at 512
    points, 15 ms at 1024.
    """
    symmetric = y is None
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    yt = xt if symmetric else torch.as_tensor(np.asarray(y), dtype=torch.float32, device=device)
    n_x, n_y = len(xt), len(yt)
    rots = yaw_rotations(yaw_angles).to(device)
    out = torch.zeros(n_x, n_y, dtype=torch.float64)
    if symmetric:
        ii, jj = torch.triu_indices(n_x, n_x, offset=1)
    else:
        ii, jj = torch.meshgrid(torch.arange(n_x), torch.arange(n_y), indexing="ij")
        ii, jj = ii.reshape(-1), jj.reshape(-1)
    c = coarse_points
    for s in range(0, len(ii), block):
        i, j = ii[s:s + block], jj[s:s + block]
        a, b = xt[i], yt[j]
        if yaw_angles > 1:
            bc = torch.einsum("bmj,kij->bkmi", b[:, :c], rots)  # (B, K, c, 3)
            ac = a[:, None, :c].expand(-1, yaw_angles, -1, -1)
            coarse = _chamfer_fast(ac.reshape(-1, ac.shape[2], 3), bc.reshape(-1, bc.shape[2], 3))
            best = rots[coarse.view(len(i), yaw_angles).argmin(1)]  # (B, 3, 3)
            b = torch.einsum("bmj,bij->bmi", b, best)
        out[i, j] = chamfer(a, b).double().cpu()
    if symmetric:
        out = out + out.T
    return out.numpy()


def mmd_cov(d_gen_ref: np.ndarray) -> tuple[float, float]:
    """From distances (n_gen, n_ref): MMD = mean over reference shapes of the distance to the
    nearest generated shape (fidelity, lower is better); COV = fraction of reference shapes that
    are the nearest reference of at least one generated shape (diversity, higher is better)."""
    d = np.asarray(d_gen_ref)
    mmd = float(d.min(0).mean())
    cov = float(len(np.unique(d.argmin(1))) / d.shape[1])
    return mmd, cov


def _nn_at_home(d_gg: np.ndarray, d_rr: np.ndarray, d_gr: np.ndarray) -> np.ndarray:
    """(G + R,) bool: whether each shape's nearest other shape (leave-one-out) is from its own set;
    generated shapes first."""
    d_gg, d_rr, d_gr = (np.asarray(m, np.float64).copy() for m in (d_gg, d_rr, d_gr))
    np.fill_diagonal(d_gg, np.inf)
    np.fill_diagonal(d_rr, np.inf)
    top = np.concatenate([d_gg, d_gr], 1)  # generated rows: neighbours among generated + reference
    bottom = np.concatenate([d_gr.T, d_rr], 1)
    full = np.concatenate([top, bottom], 0)
    labels = np.r_[np.zeros(len(d_gg)), np.ones(len(d_rr))]
    return labels[full.argmin(1)] == labels


def one_nna(d_gg: np.ndarray, d_rr: np.ndarray, d_gr: np.ndarray) -> float:
    """1-nearest-neighbour accuracy of telling generated from reference shapes (leave-one-out).

    d_gg (G, G), d_rr (R, R), d_gr (G, R). 0.5 = indistinguishable (ideal), 1.0 = disjoint sets.
    """
    return float(_nn_at_home(d_gg, d_rr, d_gr).mean())


def nn_home_rates(d_gg: np.ndarray, d_rr: np.ndarray, d_gr: np.ndarray) -> tuple[float, float]:
    """1-NNA split by side: the share of generated and of reference shapes whose nearest neighbour is in
    their own set. High on the generated side: the generated shapes resemble each other more than any
    reference (a shared style); high on the reference side: reference kinds the generator does not make."""
    home = _nn_at_home(d_gg, d_rr, d_gr)
    return float(home[:len(d_gg)].mean()), float(home[len(d_gg):].mean())


def copy_rates(d_gr: np.ndarray, d_rr: np.ndarray) -> tuple[float, float]:
    """How closely generated shapes hug the reference shapes, from distances d_gr (N, M) and the
    references' own d_rr (M, M, diagonal ignored) -> (near_ratio, copies):
    near_ratio: median distance from a generated shape to its nearest reference over the median distance
    from a reference to its nearest other one (about 1 for a fresh set like the references);
    copies: share of generated shapes nearer to a reference than the closest two references are to each
    other. Against the training shapes, a low ratio and many copies mean the generator reproduces them
    (1-NNA then falls below 0.5, which reads as better than real)."""
    rr = np.array(d_rr, dtype=np.float64)
    np.fill_diagonal(rr, np.inf)
    gap = rr.min(1)
    nearest = np.asarray(d_gr).min(1)
    return float(np.median(nearest) / np.median(gap)), float((nearest < gap.min()).mean())


def thickness(grids: np.ndarray) -> float:
    """Median over binary grids (N, R, R, R) of solid voxels per surface voxel: 1.0 when every part is one
    voxel thin (real 32^3 ModelNet chairs: 1.05). Thickness hardly shows in renders, so an image-trained
    generator can differ here while its renders match (BENCHMARKS.md, session 17)."""
    ratios = [g.sum() / max(1, surface_mask(g).sum()) for g in (np.asarray(x) > 0.5 for x in grids)]
    return float(np.median(ratios)) if ratios else float("nan")


_FACE_NEIGHBOURS = ndimage.generate_binary_structure(3, 1).astype(np.int8)
_FACE_NEIGHBOURS[1, 1, 1] = 0


def spur_mask(solid: np.ndarray) -> np.ndarray:
    """(R, R, R) bool -> (R, R, R) bool: solid voxels with at most one solid face-neighbour (the tips of
    strands and drips, and lone specks)."""
    return solid & (ndimage.convolve(solid.astype(np.int8), _FACE_NEIGHBOURS, mode="constant") <= 1)


def spur_share(grids: np.ndarray) -> float:
    """Mean over binary grids (N, R, R, R) of the share of surface voxels in spur_mask: dangling strands,
    drips and lone specks, which real furniture grids almost never have. Parts a voxel thin count only
    at their tips. Per surface voxel, so filling a shape's inside (which no render shows) leaves it
    unchanged."""
    shares = [spur_mask(g).sum() / max(int(surface_mask(g).sum()), 1) for g in (np.asarray(x) > 0.5 for x in grids)]
    return float(np.mean(shares)) if shares else float("nan")


def loose_share(grids: np.ndarray) -> float:
    """Mean over binary grids (N, R, R, R) of the share of surface voxels off the largest body: the
    floating specks and detached parts that `generate` drops (asset_export.clean.keep_bodies, so "one
    body" follows the export's rule). 0 for one-piece shapes; per surface voxel like spur_share."""
    from iggan.asset_export.clean import keep_bodies  # the export's own rule; imported only when used
    shares = []
    for g in (np.asarray(x) > 0.5 for x in grids):
        surface = surface_mask(g)
        shares.append(float((surface & ~keep_bodies(g)).sum() / max(int(surface.sum()), 1)))
    return float(np.mean(shares)) if shares else float("nan")


def export_reports(grids: np.ndarray, level_base: float = 0.0) -> list[dict | None]:
    """(N, R, R, R) occupancy, +Y up -> each shape's export report (the whole `generate` pipeline at
    its defaults, no checks, the base levelled by up to `level_base` of the shape's extent as the
    bundled cards do, 0 = as sampled): the manifest's rest_tilt_deg, height_ratio, ...; None for a grid
    that gives no mesh."""
    from iggan.asset_export import ExportError, ExportSettings, grid_to_asset  # imported only when used
    out = []
    for g in grids:
        try:
            out.append(grid_to_asset(np.asarray(g, np.float32), ExportSettings(level_base=level_base)).report)
        except ExportError:
            out.append(None)
    return out


def rest_tilts(grids: np.ndarray, level_base: float = 0.0) -> np.ndarray:
    """(N, R, R, R) occupancy, +Y up -> (N,) degrees each shape topples when exported (export_reports)
    and stood on a floor (asset_export.stability.rest_tilt, the manifest's rest_tilt_deg); NaN for a
    grid that gives no mesh."""
    return np.array([r["rest_tilt_deg"] if r else float("nan") for r in export_reports(grids, level_base)],
                    np.float64)


_REFERENCE_TOPPLE: dict[str, float] = {}


def reference_topple_share(grids: np.ndarray) -> float:
    """topple_share of a reference set, worked out once per process: every draw of `evaluate
    --shape-repeats` scores against the same references (about 3 s per 100 shapes otherwise)."""
    import hashlib
    grids = np.ascontiguousarray(grids)
    key = hashlib.sha256(grids.tobytes() + str(grids.shape).encode()).hexdigest()
    if key not in _REFERENCE_TOPPLE:
        _REFERENCE_TOPPLE[key] = topple_share(grids)
    return _REFERENCE_TOPPLE[key]


def topple_share(grids: np.ndarray, max_tilt_deg: float = 10.0) -> float:
    """Share of the grids that give a mesh whose rest tilt exceeds max_tilt_deg: shapes that fall over
    rather than rock (the bundled cards' check; 0.4% of real ModelNet chairs). NaN when none meshes."""
    tilts = rest_tilts(grids)
    tilts = tilts[np.isfinite(tilts)]
    return float((tilts > max_tilt_deg).mean()) if len(tilts) else float("nan")


def thin_share(grid: np.ndarray) -> float:
    """Share of a binary grid's (R, R, R) voxels that a 6-connected opening removes: parts one voxel thin,
    and the edges and corners of thicker parts (real ModelNet chairs: median 0.7-0.76). 0 for an empty grid."""
    g = np.asarray(grid) > 0.5
    opened = ndimage.binary_opening(np.pad(g, 2), ndimage.generate_binary_structure(3, 1))[2:-2, 2:-2, 2:-2]
    return float((g & ~opened).sum() / max(int(g.sum()), 1))


def coverage_ratios(real: np.ndarray, objects: np.ndarray, generated: np.ndarray, points: int = 512) -> np.ndarray:
    """How well G covers each of real[objects]: yaw-minimised Chamfer to the nearest generated shape over
    that to the nearest other real one (> 1: G has nothing as close as the real set has). Grids (N, R, R, R)
    +Y up; objects (K,) indices into real -> (K,). The object itself and exact duplicates of it (ModelNet
    repeats some chairs) are not its neighbours."""
    clouds_real = point_clouds(real, points, 1)
    to_gen = chamfer_matrix(clouds_real[objects], point_clouds(generated, points, 0)).min(1)
    to_real = chamfer_matrix(clouds_real[objects], clouds_real)
    flat = real.reshape(len(real), -1)
    for row, i in enumerate(objects):
        to_real[row, (flat == flat[i]).all(1)] = np.inf
    return to_gen / to_real.min(1)


def _cached(compute, clouds: np.ndarray, yaw_angles: int) -> np.ndarray:
    """The reference set's own distance matrix is the same for every model evaluated against it:
    keep it in the cache folder, keyed by the clouds' bytes ($IGGAN_CACHE_DIR or ~/.cache/iggan-assets)."""
    import hashlib
    import os
    from pathlib import Path

    key = hashlib.sha256(np.ascontiguousarray(clouds).tobytes() + f"{yaw_angles}/v1".encode()).hexdigest()[:32]
    root = Path(os.environ.get("IGGAN_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                / "iggan-assets")
    path = root / "eval" / f"chamfer_{key}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    d = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npy")
        np.save(tmp, d)
        os.replace(tmp, path)
    except OSError:  # a read-only cache only costs time
        pass
    return d


def shape_metrics(gen_grids: np.ndarray, ref_grids: np.ndarray, points: int = 512, yaw_angles: int = 12,
                  seed: int = 0, device: str = "cpu") -> dict:
    """MMD-CD, COV-CD and 1-NNA-CD of generated vs reference grids ((N, R, R, R), any R each), with
    1-NNA's two sides (nn_home_rates), how closely the generated shapes hug the references (copy_rates)
    and both sets' thickness, spur, loose and topple shares as diagnostics."""
    x = point_clouds(gen_grids, points, seed)
    y = point_clouds(ref_grids, points, seed + 1)
    d_gr = chamfer_matrix(x, y, yaw_angles, device=device)
    d_gg = chamfer_matrix(x, None, yaw_angles, device=device)
    d_rr = _cached(lambda: chamfer_matrix(y, None, yaw_angles, device=device), y, yaw_angles)
    mmd, cov = mmd_cov(d_gr)
    empty = int(sum(not (np.asarray(g) > 0.5).any() for g in gen_grids))
    home_gen, home_ref = nn_home_rates(d_gg, d_rr, d_gr)
    near_ratio, copies = copy_rates(d_gr, d_rr)
    return {"mmd_cd": mmd, "cov_cd": cov, "1nna_cd": one_nna(d_gg, d_rr, d_gr),
            "nn_home_generated": home_gen, "nn_home_reference": home_ref,
            "near_ratio": near_ratio, "copies_generated": copies,
            "thickness_generated": thickness(gen_grids), "thickness_reference": thickness(ref_grids),
            "spur_generated": spur_share(gen_grids), "spur_reference": spur_share(ref_grids),
            "loose_generated": loose_share(gen_grids), "loose_reference": loose_share(ref_grids),
            "topple_generated": topple_share(gen_grids), "topple_reference": reference_topple_share(ref_grids),
            "n_generated": len(x), "n_reference": len(y), "empty_generated": empty, "points": points,
            "yaw_angles": yaw_angles}
