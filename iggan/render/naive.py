"""The straightforward reference path, kept to check and measure the fast one against.

Per sample: build a mesh with trimesh (one box per occupied voxel, or marching cubes), make a new
Pyrender scene with the same camera and lights, render. Correct, and slow.
"""
from __future__ import annotations

import numpy as np

from .posing import camera_pose
from ..config import ViewConfig
from .gl import import_pyrender
from .scene import AMBIENT, BASE_COLOR, LIGHT_INTENSITY, LIGHT_OFFSETS


def boxes_mesh(grid: np.ndarray):
    """A trimesh of one unit box per occupied voxel, scaled into [-0.5, 0.5]^3."""
    import trimesh

    grid = np.asarray(grid, bool)
    vg = trimesh.voxel.VoxelGrid(trimesh.voxel.encoding.DenseEncoding(grid))
    mesh = vg.as_boxes()
    mesh.apply_scale(1.0 / np.array(grid.shape, dtype=float))
    mesh.apply_translation(-0.5 + 0.5 / np.array(grid.shape, dtype=float))
    return mesh


def marching_cubes_mesh(grid: np.ndarray):
    """A smooth trimesh by marching cubes (what the paper's description suggests), [-0.5, 0.5]^3."""
    import trimesh
    from skimage.measure import marching_cubes

    padded = np.pad(np.asarray(grid, np.float32), 1)
    verts, faces, _, _ = marching_cubes(padded, 0.5)
    verts = (verts - 1 + 0.5) / np.array(grid.shape) - 0.5
    return trimesh.Trimesh(verts, faces[:, ::-1])


def render_fresh_scene(mesh, azimuth: float, elevation: float, image_size: int, views: ViewConfig,
                       renderer=None) -> np.ndarray:
    """Render `mesh` in a newly built scene (flat shading) -> (S, S) float32 in [0, 1]."""
    pyrender = import_pyrender()
    scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0), ambient_light=(AMBIENT,) * 3)
    pose = camera_pose(azimuth, elevation, views.camera_distance)
    scene.add(pyrender.PerspectiveCamera(yfov=np.radians(views.fov_deg), aspectRatio=1.0, znear=0.1, zfar=20.0),
              pose=pose)
    for offset in LIGHT_OFFSETS:
        scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=LIGHT_INTENSITY), pose=pose @ offset)
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=BASE_COLOR, metallicFactor=0.0, roughnessFactor=1.0)
    scene.add(pyrender.Mesh.from_trimesh(mesh, material=material, smooth=False))
    own = renderer is None
    renderer = renderer or pyrender.OffscreenRenderer(image_size, image_size)
    try:
        color, _ = renderer.render(scene)
    finally:
        if own:
            renderer.delete()
    return color[..., 0].astype(np.float32) / 255.0
