"""The README's picture of `match --texture`: per asset of a painted GLB, its photo, then the asset drawn by
Pyrender (the GLB's own colour maps, a key and a fill light) from the view the match found and from two
other sides.

    .venv/bin/iggan-assets match a.png b.png --texture --out painted.glb
    PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/texture_sheet.py painted.glb docs/images/match_texture.png
"""
import argparse
import json
import math
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image, ImageDraw

CELL = 256
TURNS_DEG = (0, 120, 240)


def draw(mesh_scene: trimesh.Scene, azimuth: float, elevation: float) -> Image.Image:
    import pyrender

    from iggan.config import ViewConfig
    from iggan.render.posing import camera_pose

    lo, hi = mesh_scene.bounds
    scale = 1.0 / float((hi - lo).max())
    fit = trimesh.transformations.scale_and_translate(scale, -(lo + hi) / 2 * scale)
    world = pyrender.Scene(bg_color=[0.93, 0.93, 0.93, 1.0], ambient_light=[0.35, 0.35, 0.35])
    for node in mesh_scene.graph.nodes_geometry:
        transform, name = mesh_scene.graph[node]
        world.add(pyrender.Mesh.from_trimesh(mesh_scene.geometry[name]), pose=fit @ transform)
    views = ViewConfig()
    world.add(pyrender.PerspectiveCamera(yfov=math.radians(views.fov_deg)), pose=camera_pose(azimuth, elevation, views.camera_distance))
    world.add(pyrender.DirectionalLight(intensity=2.5), pose=camera_pose(azimuth + 0.6, elevation + 0.5, 1.0))
    world.add(pyrender.DirectionalLight(intensity=1.0), pose=camera_pose(azimuth - 1.2, 0.2, 1.0))
    renderer = pyrender.OffscreenRenderer(CELL, CELL)
    try:
        colour, _ = renderer.render(world)
    finally:
        renderer.delete()
    return Image.fromarray(np.asarray(colour, np.uint8)[..., :3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("glb")
    ap.add_argument("out")
    args = ap.parse_args()
    glb = Path(args.glb)
    manifest = json.loads(glb.with_suffix(".manifest.json").read_text())
    scene = trimesh.load(str(glb), force="scene")
    rows = []
    for asset in manifest["assets"]:
        name = asset["name"]
        nodes = [n for n in scene.graph.nodes_geometry if n in (name, f"{name}_LOD0")]
        one = trimesh.Scene()
        for node in nodes:
            transform, geometry = scene.graph[node]
            one.add_geometry(scene.geometry[geometry], transform=np.eye(4))
        photo = Image.open(glb.parent / asset["photo"] if not Path(asset["photo"]).is_absolute() else asset["photo"])
        backdrop = Image.new("RGBA", photo.size, (237, 237, 237, 255))
        backdrop.alpha_composite(photo.convert("RGBA"))
        cells = [backdrop.convert("RGB").resize((CELL, CELL), Image.LANCZOS)]
        az, el = (math.radians(v) for v in asset["view_deg"])
        cells += [draw(one, az + math.radians(turn), el) for turn in TURNS_DEG]
        rows.append(cells)
    sheet = Image.new("RGB", (CELL * 4, CELL * len(rows) + 24), (255, 255, 255))
    label = ImageDraw.Draw(sheet)
    for c, text in enumerate(("photo", "painted match, photo's view", "+120 degrees", "+240 degrees")):
        label.text((c * CELL + 8, 6), text, fill=(60, 60, 60))
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            sheet.paste(cell, (c * CELL, 24 + r * CELL))
    sheet.save(args.out, optimize=True)


main()
