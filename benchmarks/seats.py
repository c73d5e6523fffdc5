"""Where `--seats` puts the sitting places, on generated and on real furniture.

For each bundled model, `iggan-assets generate --seats` (the model card's size, checks and turn) makes N assets; the
table reads their manifest. For real furniture the same detector runs on real voxel grids exported the same way:
ModelNet10's held-back chairs (789-888, 32^3, 0.86 m tall) and Kenney's seats (voxelised at 32^3, 0.86 m tall for
chairs and 0.84 m for sofas, as the cards size them). Real ModelNet chairs all face one way in their files, so the
share that the detector turns the same way is a check of the detector itself.

Printed per set: shapes, those with a seat, places per shape, the seat height (median, 10th-90th percentile), and
the share facing the set's most common way (and which way that is: +Z is glTF's forward).

    .venv/bin/python benchmarks/seats.py [--n 200] [--sheet docs/images/seats.png]
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset  # noqa: E402

MODELNET = ROOT.parent / "shared" / "data" / "modelnet10-chairs-32.npz"
KENNEY = ROOT.parent / "shared" / "data" / "kenney-furniture"
KENNEY_SEATS = {"chairs": re.compile(r"^(chair|stool)", re.I), "sofas": re.compile(r"^loungeSofa|^loungeDesignSofa", re.I)}


def summary(seats_per_shape: list[list[dict]]) -> dict:
    """Per-shape lists of manifest seat entries -> the table's figures."""
    with_seat = [s for s in seats_per_shape if s]
    heights = [p["position_m"][1] for s in with_seat for p in s]
    facings = collections.Counter(str(s[0]["facing"]) for s in with_seat)
    way, count = facings.most_common(1)[0] if facings else ("-", 0)
    places = collections.Counter(len(s) for s in with_seat)
    return {"shapes": len(seats_per_shape), "with_seat": len(with_seat),
            "places": ", ".join(f"{k}: {places[k]}" for k in sorted(places)),
            "height": (np.median(heights), *np.percentile(heights, [10, 90])) if heights else (np.nan,) * 3,
            "same_way": count / max(1, len(with_seat)), "way": way}


def generated(model: str, n: int, work: Path) -> tuple[list[list[dict]], Path]:
    from iggan import api
    out = work / f"{model}.glb"
    manifest = api.generate(str(out), model=model, n=n, seats=True, no_preview=True)
    return [a["seats"] for a in manifest["assets"]], out


def real(grids: np.ndarray, up: str, size_m: float) -> list[list[dict]]:
    settings = ExportSettings(seats=True, size_m=size_m, size_by="height")
    out = []
    for g in grids:
        try:
            out.append(grid_to_asset(g, settings, up=up).report["seats"])
        except ExportError:
            continue
    return out


def kenney_grids(pattern) -> np.ndarray:
    import trimesh

    from iggan.meshes import normalise_mesh
    from iggan.voxelize import voxelize_mesh
    grids = []
    for path in sorted(KENNEY.glob("*.glb")):
        if pattern.search(path.stem):
            mesh = trimesh.load(str(path), force="scene", process=False).to_geometry()
            grids.append(voxelize_mesh(normalise_mesh(mesh.vertices, mesh.faces, None, "y", str(path)), 32))
    return np.stack(grids).astype(np.float32) if grids else np.zeros((0, 32, 32, 32), np.float32)


def sheet(glb: Path, names: list[str], out: Path, size: int = 240, columns: int = 6) -> None:
    """Each named asset as read back from the GLB, with a red cone at every `<name>_seat*` node pointing along the
    node's +Z."""
    import trimesh
    from PIL import Image

    from iggan.asset_export.mesh import MeshData
    from iggan.asset_export.preview import render_mesh
    scene = trimesh.load(str(glb), force="scene")
    tiles = []
    for name in names:
        root, _ = scene.graph.get(name)
        parts, marks = [], []
        for node in scene.graph.nodes_geometry:
            matrix, geometry = scene.graph.get(node)
            if node == name or node.startswith(name + "_"):
                parts.append(scene.geometry[geometry].copy().apply_transform(matrix))
        for node in scene.graph.nodes:
            if re.fullmatch(re.escape(name) + r"_seat\d*", str(node)):
                matrix, _ = scene.graph.get(node)
                cone = trimesh.creation.cone(0.05, 0.18, sections=16)
                cone.apply_transform(matrix)  # the cone points along the node's +Z
                marks.append(cone)
        body = trimesh.util.concatenate(parts)
        both = trimesh.util.concatenate([body, *marks]) if marks else body
        is_mark = np.r_[np.zeros(len(body.faces), bool), np.ones(len(both.faces) - len(body.faces), bool)]
        mesh = MeshData(both.vertices.astype(np.float32), both.faces.astype(np.uint32))
        tiles.append(render_mesh(mesh, size, 35, 30, frame=is_mark, frame_tint=(0.85, 0.05, 0.05)))
    rows = (len(tiles) + columns - 1) // columns
    picture = Image.new("RGB", (size * columns, size * rows), "white")
    for k, tile in enumerate(tiles):
        picture.paste(tile, ((k % columns) * size, (k // columns) * size))
    picture.save(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--sheet", type=Path, help="also draw 6 chairs and 6 sofas with their anchors, read from the GLBs")
    args = p.parse_args(argv)
    rows, glbs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("chairs", "sofas"):
            rows[f"bundled {model}, seed 0"], glbs[model] = generated(model, args.n, Path(tmp))
        if MODELNET.is_file():
            rows["real ModelNet chairs 789-888"] = real(np.load(MODELNET)["voxels"][789:889], "z", 0.86)
        if KENNEY.is_dir():
            rows["real Kenney chairs and stools"] = real(kenney_grids(KENNEY_SEATS["chairs"]), "y", 0.86)
            rows["real Kenney sofas"] = real(kenney_grids(KENNEY_SEATS["sofas"]), "y", 0.84)
        print("| set | shapes | with a seat | places a shape (shapes) | seat height, median (10th-90th) | "
              "facing the most common way | that way |")
        print("|---|---:|---:|---|---:|---:|---|")
        for name, seats in rows.items():
            s = summary(seats)
            h = s["height"]
            print(f"| {name} | {s['shapes']} | {s['with_seat']} | {s['places']} | {h[0]:.3f} m ({h[1]:.3f}-{h[2]:.3f}) "
                  f"| {s['same_way']:.2f} | {s['way']} |")
        if args.sheet:
            from PIL import Image
            parts = []
            for model in ("chairs", "sofas"):
                names = [a["name"] for a in json.loads(glbs[model].with_suffix(".manifest.json").read_text())["assets"]]
                part = Path(tmp) / f"{model}.png"
                sheet(glbs[model], names[:6], part)
                parts.append(Image.open(part))
            picture = Image.new("RGB", (parts[0].width, sum(x.height for x in parts)), "white")
            for k, part in enumerate(parts):
                picture.paste(part, (0, sum(x.height for x in parts[:k])))
            picture.save(args.sheet)
            print(f"\nwrote {args.sheet}")


if __name__ == "__main__":
    main()
