"""A 'product photo' of a coloured mesh for the photo-texture pictures and benchmark: the mesh (its own
materials) rendered by Pyrender at SIZE px from a view, lit by a key and a fill light, as a cut-out PNG
with alpha. The mesh is centred and scaled into the model's unit cube, +Y up, as `render-dataset` does.

    PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/mesh_photo.py ../shared/data/kenney-furniture/chairCushion.glb \\
        --azimuth 35 --elevation 20 --out photo.png
"""
import argparse
import math

import numpy as np
import trimesh
from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mesh")
    ap.add_argument("--azimuth", type=float, default=35.0, help="degrees")
    ap.add_argument("--elevation", type=float, default=20.0, help="degrees")
    ap.add_argument("--yaw", type=float, default=0.0, help="turn the mesh about +Y first (degrees)")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    import pyrender

    from iggan.config import ViewConfig
    from iggan.render.posing import camera_pose

    scene = trimesh.load(args.mesh, force="scene")
    lo, hi = scene.bounds
    turn = trimesh.transformations.rotation_matrix(math.radians(args.yaw), [0, 1, 0])
    fit = trimesh.transformations.scale_and_translate(1.0 / float((hi - lo).max()), -(lo + hi) / 2 / float((hi - lo).max()))
    fit = turn @ fit
    render_scene = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[0.25, 0.25, 0.25])
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        render_scene.add(pyrender.Mesh.from_trimesh(scene.geometry[name], smooth=False), pose=fit @ transform)
    views = ViewConfig()
    az, el = math.radians(args.azimuth), math.radians(args.elevation)
    render_scene.add(pyrender.PerspectiveCamera(yfov=math.radians(views.fov_deg)),
                     pose=camera_pose(az, el, views.camera_distance))
    render_scene.add(pyrender.DirectionalLight(intensity=3.0), pose=camera_pose(az + 0.6, el + 0.5, 1.0))
    render_scene.add(pyrender.DirectionalLight(intensity=1.2), pose=camera_pose(az - 1.2, 0.2, 1.0))
    renderer = pyrender.OffscreenRenderer(args.size, args.size)
    colour, depth = renderer.render(render_scene)
    renderer.delete()
    alpha = np.where(depth > 0, 255, 0).astype(np.uint8)[..., None]  # the cut-out: where the mesh is
    Image.fromarray(np.concatenate([np.asarray(colour, np.uint8)[..., :3], alpha], -1)).save(args.out)


main()
