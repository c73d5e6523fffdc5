"""How clean `--frame`'s border is: faces labelled by the voxel nearest their centre (session 42) against the mesh
cut along the smooth border (asset_export/frame_border.py, session 43), on the same samples and the same LOD0.

Per sample and method: the border's length in metres (the mesh edges between a frame and a body face; a staircase
is longer than a level line around the same leg), and the flecks: pieces of frame or body, connected through shared
edges, smaller than 1% of that material's area (a frame spot on a back, a body spot on a leg).
Printed as medians over the samples, with the share of samples over their triangle budget (which must be 0) and
the seconds of the parts stage per sample.

    .venv/bin/python benchmarks/frame_border.py [--model chairs] [--n 100] [--sheet docs/images/frame_border.png --pick 2,8,10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iggan.asset_export import pipeline  # noqa: E402
from iggan.asset_export.check import triangle_areas  # noqa: E402
from iggan.asset_export.errors import ExportError  # noqa: E402
from iggan.asset_export.mesh import MeshData  # noqa: E402
from iggan.asset_export.parts import frame_voxels, nearest_labels  # noqa: E402
from iggan.asset_export.settings import ExportSettings  # noqa: E402
from iggan.asset_export.surface import voxel_index_coords  # noqa: E402

FLECK_SHARE = 0.01  # a piece of one material smaller than this share of that material's area is a fleck


def nearest_voxel_faces(lods, budgets, solid):
    """Session 42's labelling, a drop-in for pipeline.frame_lods: each face takes the label of the solid voxel
    nearest its centre; the mesh is not cut."""
    labels = nearest_labels(solid, frame_voxels(solid))
    masks = []
    for m in lods:
        cells = np.rint(voxel_index_coords(m.vertices[m.faces].mean(axis=1), solid.shape)).astype(np.int64)
        cells = np.clip(cells, 0, np.array(solid.shape) - 1)
        masks.append(labels[cells[:, 0], cells[:, 1], cells[:, 2]])
    return lods, masks


def _edges(faces: np.ndarray, n_vertices: int):
    """(E, 2) undirected edges with the two faces on each: (E,) first face, (E,) second face (a closed mesh)."""
    f = faces.astype(np.int64)
    pairs = np.stack([f, np.roll(f, -1, axis=1)], axis=2).reshape(-1, 2)
    keys = pairs.min(axis=1) * n_vertices + pairs.max(axis=1)
    order = np.argsort(keys, kind="stable")
    face_of = np.repeat(np.arange(len(f)), 3)[order]
    return pairs[order][0::2], face_of[0::2], face_of[1::2]


def border_stats(mesh: MeshData, on_frame: np.ndarray) -> dict:
    """(F,) bool frame faces of a closed mesh -> {"border_m": the border's length, "flecks": how many pieces of
    either material (edge-connected) are under FLECK_SHARE of that material's area}."""
    edges, a, b = _edges(mesh.faces, len(mesh.vertices))
    border = on_frame[a] != on_frame[b]
    length = float(np.linalg.norm(mesh.vertices[edges[border, 0]] - mesh.vertices[edges[border, 1]], axis=1).sum())
    areas = triangle_areas(mesh.vertices, mesh.faces)
    flecks = 0
    for side in (True, False):
        same = ~border & (on_frame[a] == side)
        n = len(on_frame)
        graph = coo_matrix((np.ones(int(same.sum())), (a[same], b[same])), shape=(n, n))
        _, piece = connected_components(graph, directed=False)
        mine = on_frame == side
        if not mine.any():
            continue
        piece_area = np.bincount(piece[mine], weights=areas[mine])
        piece_area = piece_area[piece_area > 0]
        flecks += int((piece_area < FLECK_SHARE * areas[mine].sum()).sum())
    return {"border_m": length, "flecks": flecks}


def export_both(grid: np.ndarray, settings: ExportSettings):
    """(cut asset, nearest-voxel asset, seconds of each parts stage) for one grid."""
    timings_new, timings_old = {}, {}
    new = pipeline.grid_to_asset(grid, settings, timings=timings_new)
    cut = pipeline.frame_lods
    pipeline.frame_lods = nearest_voxel_faces
    try:
        old = pipeline.grid_to_asset(grid, settings, timings=timings_old)
    finally:
        pipeline.frame_lods = cut
    return new, old, timings_new["parts"], timings_old["parts"]


def sheet(grids, settings: ExportSettings, out: Path, size: int = 280) -> None:
    """Front and back close-ups of each grid, labelled by the nearest voxel (left) and cut (right)."""
    from PIL import Image, ImageDraw

    from iggan.asset_export.preview import render_mesh
    wood, body = (0.2, 0.09, 0.04), (0.6, 0.45, 0.3)
    rows = []
    for g in grids:
        new, old, _, _ = export_both(g, settings)
        rows.append([render_mesh(a.lods[0], size, az, el, frame=a.frame[0], frame_tint=wood, tint=body)
                     for a in (old, new) for az, el in ((35, 10), (215, -10))])
    gap, top = 20, 28
    picture = Image.new("RGB", (size * 4 + gap, size * len(rows) + top), "white")
    draw = ImageDraw.Draw(picture)
    draw.text((8, 8), "faces labelled by their nearest voxel (session 42)", fill="black")
    draw.text((2 * size + gap + 8, 8), "mesh cut along the smooth border (frame_border.py)", fill="black")
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            picture.paste(image, (c * size + (gap if c >= 2 else 0), top + r * size))
    picture.save(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="chairs")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--faces", type=int, default=5000)
    p.add_argument("--sheet", type=Path, help="also write the before/after close-ups of --pick to this PNG")
    p.add_argument("--pick", default="2,8,10", help="latents of --seed for --sheet")
    args = p.parse_args(argv)
    from iggan.sampling import latents, load_model, sample_voxels
    model = load_model(args.model)
    settings = ExportSettings(frame="wood", faces=args.faces, max_tilt_deg=None, min_height_ratio=None,
                              max_loose_share=None)
    grids = sample_voxels(model, latents(args.seed, args.n, model.generator.z_dim))
    rows = {"nearest voxel (session 42)": [], "cut along the border": []}
    t0 = time.perf_counter()
    for g in grids:
        try:
            new, old, t_new, t_old = export_both(g, settings)
        except ExportError:
            continue
        for name, asset, t in (("nearest voxel (session 42)", old, t_old), ("cut along the border", new, t_new)):
            if not asset.frame[0].any():
                continue
            s = border_stats(asset.lods[0], asset.frame[0])
            rows[name].append((s["border_m"], s["flecks"], asset.lods[0].n_faces > args.faces, t,
                               float(asset.frame[0].mean())))
    print(f"{args.model}, {len(grids)} samples of seed {args.seed}, --faces {args.faces} "
          f"({time.perf_counter() - t0:.0f} s)\n")
    print("| labelling | samples with a frame | border length, median (m) | flecks per sample: median / mean | "
          "samples with none | over budget | frame share, median | parts stage, median (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        a = np.array(r, np.float64)
        print(f"| {name} | {len(a)} | {np.median(a[:, 0]):.3f} | {np.median(a[:, 1]):.0f} / {a[:, 1].mean():.2f} | "
              f"{(a[:, 1] == 0).mean():.2f} | {a[:, 2].mean():.2f} | {np.median(a[:, 4]):.3f} | "
              f"{1000 * np.median(a[:, 3]):.1f} |")
    if args.sheet:
        pick = [int(x) for x in args.pick.split(",")]
        sheet(sample_voxels(model, latents(args.seed, max(pick) + 1, model.generator.z_dim)[pick]), settings,
              args.sheet)
        print(f"\nwrote {args.sheet}")


if __name__ == "__main__":
    main()
