"""The whole voxel -> game-ready mesh pipeline for one grid, stage by stage."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .check import remove_degenerate, require_valid
from .clean import clean_grid, exposed_faces, pool_grid
from .collision import convex_parts
from .decimate import lod_chain, scaled_budgets
from .fairing import fair_surface
from .frame_border import frame_lods
from .level import ROCKING_DEG, bottom_trims
from .mesh import MeshData
from .occlusion import bake_occlusion
from .photo_texture import bake_photo_textures, texture_sizes
from .orient import apply_transform, floored, grid_to_y_up, place_transform, turn_about_y, turn_mesh, vertex_normals
from .proportions import height_ratio, require_height_ratio
from .seats import SeatPlace, seat_places
from .settings import ExportSettings
from .stability import require_standing, rest_tilt
from .surface import grid_cube_coords, keep_mesh_bodies, surface_mesh, voxel_index_coords
from .symmetry import mirror_occupancy
from .uv import atlas_resolutions, unwrap

# a solid with more exposed voxel faces than this many times the budget is meshed coarser
MAX_FACES_PER_BUDGET = 12  # real 64^3 chairs peak near 26k exposed faces (5.2x a 5000 budget)
# ... the budget counted as at least this: a small budget (a mobile LOD0 of 200 triangles) is reached by
# decimation, not by meshing a 32^3 chair on 16^3 voxels, which broke its legs off and toppled it
NOISE_GUARD_MIN_BUDGET = 5000

STAGES = ("clean", "surface", "smooth", "stand", "level", "decimate", "parts", "place", "seats", "normals", "check",
          "uv", "ao", "texture", "turn", "collision")


@dataclass
class Asset:
    """One exported shape, in metres, +Y up, pivot at the base centre.

    lods: LOD0 first, each with unit normals; collision: convex hulls (one, or a decomposition) or None;
    report: checks and sizes for the manifest (triangles per LOD, bbox, watertight, ...);
    occlusion: with the ao stage, one (S, S) uint8 occlusion map per LOD over its UVs, else None;
    colour: with photos (match --texture), one (S, S, 3) uint8 sRGB colour map per LOD over its UVs, else None;
    solid: (X, Y, Z) bool, +Y up, the voxels LOD0 was meshed from (cleaned, parts joined, base levelled), for
    scoring what the export ships (`evaluate --as-exported`);
    frame: with settings.frame, one (F,) bool per LOD: which of its faces are on the frame (parts.py and
    frame_border.py), else None;
    seats: with settings.seats, the sitting places on its seat (seats.py; [] when it has no seat), else None.
    """

    lods: list[MeshData]
    collision: list[MeshData] | None = None
    report: dict = field(default_factory=dict)
    occlusion: list[np.ndarray] | None = None
    colour: list[np.ndarray] | None = None
    solid: np.ndarray | None = None
    frame: list[np.ndarray] | None = None
    seats: list[SeatPlace] | None = None


@contextmanager
def _timed(timings: dict | None, stage: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t0


def _smoothed_surface(solid: np.ndarray, keep_bodies: float, iterations: int) -> MeshData:
    """The surface and smooth stages on one boolean grid (for the level trials and coarser LODs)."""
    return remove_degenerate(fair_surface(keep_mesh_bodies(surface_mesh(solid), keep_bodies), solid.shape, iterations))


def grid_to_asset(occupancy: np.ndarray, settings: ExportSettings | None = None, up: str = "y",
                  timings: dict | None = None, photos: list | None = None) -> Asset:
    """(X, Y, Z) occupancy in [0, 1] -> Asset, or ExportError (EmptyGridError, FullGridError)
    saying why no valid mesh could be made. `timings`, if given, accumulates seconds per stage.
    photos: photo_texture.PhotoView list of a match (the occupancy is the matched shape, up "y"): each
    LOD gets a UV atlas and a colour map painted from them."""
    s = settings or ExportSettings()
    notes: list[str] = []
    with _timed(timings, "clean"):
        grid = grid_to_y_up(np.asarray(occupancy), up)
        if s.mirror:
            grid = mirror_occupancy(grid, s.mirror, s.threshold)
        solid = clean_grid(grid, s.threshold, s.keep_bodies, s.fill_cavities, s.min_voxels, s.max_fill,
                           s.max_loose_share)
        # Noise (an untrained or collapsing generator) makes millions of triangles that no budget
        # can keep; mesh such a grid on coarser voxels, so cost stays bounded, or refuse it as empty.
        while exposed_faces(solid) > MAX_FACES_PER_BUDGET * max(s.faces, NOISE_GUARD_MIN_BUDGET) \
                and min(grid.shape) >= 8:
            grid = pool_grid(grid, 2)
            notes.append(f"too complex for {s.faces} triangles: meshed on a grid pooled to {grid.shape[0]}^3")
            solid = clean_grid(grid, s.threshold, s.keep_bodies, s.fill_cavities, s.min_voxels, s.max_fill,
                               s.max_loose_share)

    with _timed(timings, "surface"):
        mesh = keep_mesh_bodies(surface_mesh(solid), s.keep_bodies)
    with _timed(timings, "smooth"):
        mesh = remove_degenerate(fair_surface(mesh, solid.shape, s.smooth_iterations))
    with _timed(timings, "stand"):
        # on the smoothed mesh, before decimation, so a shape that falls over costs no more work
        tilt = rest_tilt(mesh)
    trimmed = 0
    if s.level_base > 0 and tilt > ROCKING_DEG:
        with _timed(timings, "level"):
            for k, levelled in bottom_trims(solid, s.level_base):
                flat = _smoothed_surface(levelled, s.keep_bodies, s.smooth_iterations)
                flat_tilt = rest_tilt(flat)
                if flat_tilt <= ROCKING_DEG:  # the fewest layers after which it stands
                    solid, mesh, tilt, trimmed = levelled, flat, flat_tilt, k
                    grid = np.array(grid, copy=True)  # the coarser LODs are meshed from `grid`: trim it alike
                    grid[:, : int(np.flatnonzero(solid.any(axis=(0, 2)))[0]), :] = 0
                    notes.append(f"base levelled: {k} bottom voxel layer(s) trimmed so it stands flat")
                    break
    if s.max_tilt_deg is not None:
        require_standing(tilt, s.max_tilt_deg)
    ratio = height_ratio(mesh)
    if s.min_height_ratio is not None:
        require_height_ratio(ratio, s.min_height_ratio)

    def coarser(factor: int) -> MeshData:
        # the same stages on a pooled grid; the pooled grid still fills the same cube
        pooled = clean_grid(pool_grid(grid, factor), s.threshold, s.keep_bodies, s.fill_cavities, 1, 1.0)
        return _smoothed_surface(pooled, s.keep_bodies, max(1, s.smooth_iterations // factor))

    with _timed(timings, "decimate"):
        lods, lod_notes = lod_chain(mesh, s.lod_budgets(), coarser)
        notes += lod_notes
    frame = None
    if s.has_frame_material() and not photos:  # a photo's colour map already paints every part
        with _timed(timings, "parts"):  # before the checks, which then see the triangles the border adds
            lods, frame = frame_lods(lods, scaled_budgets(s.lod_budgets(), lods[0].n_faces), solid)
    with _timed(timings, "place"):
        # one transform for all LODs, taken from LOD0 so its pivot and size are exact
        scale, offset = place_transform(lods[0].vertices, s.size_m, s.size_by)
        lods = [apply_transform(m, scale, offset) for m in lods]
        # decimation moves a lower LOD's feet by millimetres: each LOD stands on the floor too
        lods = lods[:1] + [floored(m) for m in lods[1:]]
    seats = None
    if s.seats:
        with _timed(timings, "seats"):
            seats = seat_places(solid, lambda idx: grid_cube_coords(idx, solid.shape) * scale + offset)
    with _timed(timings, "normals"):
        lods = [vertex_normals(m) for m in lods]
    with _timed(timings, "check"):
        reports = [require_valid(m, f"LOD{k}") for k, m in enumerate(lods)]
    if s.uv or photos:
        with _timed(timings, "uv"):  # after the checks: its seams split vertices the checks would count
            maps = ([s.ao_sizes()] if s.ao else []) + ([texture_sizes(len(lods))] if photos else [])
            lods = [unwrap(m, size) for m, size in zip(lods, atlas_resolutions(len(lods), *maps))]
    def to_voxels(p):  # metres -> surface_mesh's grid-cube coordinates -> voxel indices
        return voxel_index_coords((p - offset) / scale, solid.shape)

    occlusion = None
    if s.ao:
        with _timed(timings, "ao"):
            occlusion = [bake_occlusion(m, solid, to_voxels, size) for m, size in zip(lods, s.ao_sizes())]
    colour = None
    if photos:
        with _timed(timings, "texture"):
            matched = grid_to_y_up(np.asarray(occupancy), up) >= s.threshold  # the outline that was fitted
            colour = bake_photo_textures(lods, solid, lambda p: (p - offset) / scale, photos, matched)
    if s.yaw_deg % 360:
        with _timed(timings, "turn"):  # last, so every stage before it works in the voxels' own frame
            lods = [turn_mesh(m, s.yaw_deg) for m in lods]
            solid = turn_about_y(solid, s.yaw_deg)
            seats = None if seats is None else [p.turned(s.yaw_deg) for p in seats]
    hulls = None
    if s.collision:
        with _timed(timings, "collision"):
            hulls = convex_parts(lods[0], s.collision_hulls, s.collision_max_vertices)
            for k, hull in enumerate(hulls):
                require_valid(hull, f"collision hull {k}")
    lo, hi = lods[0].bounds()
    report = {
        "triangles": [r["triangles"] for r in reports],
        "watertight": all(r["watertight"] for r in reports),
        "bodies": reports[0]["bodies"],
        "solid_voxels": int(solid.sum()),
        "grid_shape": list(solid.shape),
        "bbox_m": {"min": [round(float(x), 5) for x in lo], "max": [round(float(x), 5) for x in hi]},
        "size_m": [round(float(x), 5) for x in hi - lo],
        "collision_triangles": sum(h.n_faces for h in hulls) if hulls is not None else None,
        "collision_hulls": len(hulls) if hulls is not None else None,
        "rest_tilt_deg": round(tilt, 2),
        "height_ratio": round(ratio, 3),
        "base_trimmed_layers": trimmed,
        **({"frame_share": round(float(frame[0].mean()), 3)} if frame is not None else {}),
        **({"seats": [p.to_dict() for p in seats]} if seats is not None else {}),
        "notes": notes,
    }
    return Asset(lods, hulls, report, occlusion, colour, solid, frame, seats)
