"""The reference scene: a perspective camera looking at the origin and two directional lights
45 deg below the camera and 45 deg to its left and right (the paper's set-up).

One `ReferenceScene` per process: the GL context, camera and lights are built once and only the
object mesh and the camera pose change per render. Both training (binarised voxels) and dataset
rendering (real meshes) draw through it, so data and samples are lit identically. A batch is drawn
into the tiles of one framebuffer and read back once (tiles.py).
"""
from __future__ import annotations

import math

import numpy as np

from .posing import camera_pose
from ..config import ViewConfig
from .gl import FIX, import_pyrender
from .tiles import TileAtlas

LIGHT_INTENSITY = 3.0
AMBIENT = 0.08  # a little ambient so faces turned from both lights are dark grey, not black
BASE_COLOR = (0.8, 0.8, 0.8, 1.0)
ATLAS_PIXELS = 1024  # largest side of the tile atlas (16 tiles of 128^2 wide enough for 4 x 4)
MAX_TILES = 16


def _light_offset(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Rotation (4x4) of a light relative to the camera: yaw about camera Y, then pitch down."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    cy, sy, cp, sp = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])  # positive pitch tilts the light's -Z up,
    out = np.eye(4)  # i.e. the light sits below the camera and shines upward at the object
    out[:3, :3] = ry @ rx
    return out


LIGHT_OFFSETS = (_light_offset(-45.0, 45.0), _light_offset(45.0, 45.0))


def _stable_program_cache(pyrender):
    """pyrender keys its shader-program cache on OpenGL.contextdata.getContext(), which under
    PyOpenGL 3.1.10 with EGL/OSMesa differs on every call: each render compiled its shaders anew
    (most of a render's time, and ~3 MB of leaked driver memory per render, measured). A scene here
    owns one context per process, so key the cache on shaders and defines only."""
    base = pyrender.shader_program.ShaderProgramCache

    class StableProgramCache(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._stable = {}

        def get_program(self, vertex_shader, fragment_shader, geometry_shader=None, defines=None):
            key = (vertex_shader, fragment_shader, geometry_shader, tuple(sorted((defines or {}).items())))
            if key not in self._stable:
                self._stable[key] = super().get_program(vertex_shader, fragment_shader, geometry_shader, defines)
            return self._stable[key]

    return StableProgramCache


class ReferenceScene:
    """Persistent Pyrender scene.

    `render(positions, normals, triangles, az, el)` -> (S, S) float32 in [0, 1];
    `render_batch(items)` does many with one readback per `max_tiles` images.
    """

    def __init__(self, image_size: int, views: ViewConfig, max_tiles: int = MAX_TILES):
        pyrender = import_pyrender()
        self._pyrender = pyrender
        self.image_size = image_size
        self.distance = views.camera_distance
        self.scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0), ambient_light=(AMBIENT,) * 3)
        camera = pyrender.PerspectiveCamera(yfov=math.radians(views.fov_deg), aspectRatio=1.0, znear=0.1, zfar=20.0)
        self.camera_node = self.scene.add(camera, pose=np.eye(4))
        self.light_nodes = [
            self.scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=LIGHT_INTENSITY), pose=np.eye(4))
            for _ in LIGHT_OFFSETS
        ]
        self.light_offsets = list(LIGHT_OFFSETS)  # camera-relative pose of each light node
        self.material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=BASE_COLOR, metallicFactor=0.0, roughnessFactor=1.0
        )
        self.mesh_node = None
        cols = max(1, min(4, max_tiles, ATLAS_PIXELS // image_size))
        rows = max(1, min(math.ceil(max_tiles / cols), ATLAS_PIXELS // image_size))
        try:
            self.renderer = pyrender.OffscreenRenderer(cols * image_size, rows * image_size)
        except Exception as exc:
            raise RuntimeError(f"Could not create an offscreen GL context ({exc}). {FIX}") from exc
        inner = self.renderer._renderer
        inner._program_cache = _stable_program_cache(pyrender)(shader_dir=inner._program_cache.shader_dir)
        self.atlas = TileAtlas(self.renderer, image_size, cols, rows)

    def set_view(self, azimuth: float, elevation: float) -> None:
        pose = camera_pose(azimuth, elevation, self.distance)
        self.scene.set_pose(self.camera_node, pose)
        for node, offset in zip(self.light_nodes, self.light_offsets):
            self.scene.set_pose(node, pose @ offset)

    def set_mesh(self, positions: np.ndarray, normals: np.ndarray | None, triangles: np.ndarray,
                 colors: np.ndarray | None = None) -> None:
        """Replace the object. positions (V, 3), normals (V, 3) or None (computed flat), triangles (F, 3),
        colors (V, 3) in [0, 1] or None (vertex colours multiply the base colour)."""
        if self.mesh_node is not None:
            self.scene.remove_node(self.mesh_node)
            self.mesh_node = None
        if len(triangles) == 0:
            return
        if colors is not None:
            colors = np.concatenate([colors, np.ones((len(colors), 1), np.float32)], axis=1)
        prim = self._pyrender.Primitive(
            positions=positions, normals=normals, indices=triangles, color_0=colors, material=self.material, mode=4
        )
        self.mesh_node = self.scene.add(self._pyrender.Mesh([prim]))

    def render_batch(self, items, rgb: bool = False) -> np.ndarray:
        """items: iterable of (positions, normals, triangles, azimuth, elevation[, colors]); consumed
        lazily, so a generator's next mesh is built while the GPU draws the last one.
        Returns (n, S, S) float32 in [0, 1] (the red channel), or (n, S, S, 3) with rgb=True."""
        channels = 3 if rgb else 1
        chunks, count = [], 0
        with self.atlas.frame():
            for item in items:
                positions, normals, triangles, azimuth, elevation, *colors = item
                self.set_mesh(positions, normals, triangles, colors[0] if colors else None)
                self.set_view(azimuth, elevation)
                self.atlas.draw(self.scene, count)
                count += 1
                if count == self.atlas.capacity:
                    chunks.append(self.atlas.read(count, channels))
                    count = 0
            if count:
                chunks.append(self.atlas.read(count, channels))
        s = self.image_size
        if not chunks:
            return np.zeros((0, s, s, 3) if rgb else (0, s, s), np.float32)
        images = np.concatenate(chunks).astype(np.float32) / 255.0
        return images if rgb else images[..., 0]

    def render(self, positions, normals, triangles, azimuth: float, elevation: float) -> np.ndarray:
        return self.render_batch([(positions, normals, triangles, azimuth, elevation)])[0]

    def close(self) -> None:
        self.renderer.delete()
