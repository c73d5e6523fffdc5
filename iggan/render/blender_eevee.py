"""Blender EEVEE as an optional reference renderer: the same camera, two lights and grey material as
the Pyrender scene (scene.py), rendered by one persistent Blender process per renderer, so
Blender's start-up (~3 s) is paid once and every batch is one round trip.

Blender runs as a subprocess (blender_eevee_worker.py), so the training interpreter need not be
PyPI bpy's Python 3.11; iggan/blender_process.py says where it is looked for.

    r = BlenderRenderer(64, ViewConfig())
    images = r(voxels, views)          # (B, 1, 64, 64), like PyrenderRenderer
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from ..blender_process import BlenderUnavailable, script_command
from ..blender_process import find_blender as find_blender_for
from ..config import ViewConfig
from .scene import AMBIENT, BASE_COLOR, LIGHT_INTENSITY, LIGHT_OFFSETS
from .voxel_mesh import voxel_surface

WORKER = Path(__file__).with_name("blender_eevee_worker.py")
START_TIMEOUT_S = 120.0


def find_blender() -> list[str]:
    """The command prefix that runs a script inside Blender (iggan/blender_process.py)."""
    return find_blender_for("the EEVEE renderer", hint="Or use --renderer pyrender.")


class EeveeScene:
    """A persistent Blender process. `render_many([(positions, normals, triangles, az, el), ...])`
    -> list of (S, S) float32 images in [0, 1] (red channel over black, like ReferenceScene);
    `render(...)` is the one-image form, so it stands in for ReferenceScene."""

    def __init__(self, image_size: int, views: ViewConfig, samples: int = 1):
        self.image_size = image_size
        prefix = find_blender()
        cfg = {"image_size": image_size, "fov_deg": views.fov_deg, "distance": views.camera_distance,
               "light_intensity": LIGHT_INTENSITY, "ambient": AMBIENT, "base_color": list(BASE_COLOR),
               "light_offsets": [o.tolist() for o in LIGHT_OFFSETS], "samples": samples}
        self._dir = tempfile.TemporaryDirectory(prefix="iggan-eevee-")
        self._log = open(Path(self._dir.name) / "blender.log", "w+")
        args = script_command(prefix, WORKER, json.dumps(cfg))
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                      text=True, bufsize=1)
        self._lock = threading.Lock()
        self._count = 0
        reply = self._read(START_TIMEOUT_S)
        if "ready" not in reply:
            raise BlenderUnavailable(f"Blender did not start the EEVEE worker: {reply}. {self._tail()}")
        self.blender_version = reply["ready"]

    def _tail(self, n: int = 1500) -> str:
        self._log.flush()
        self._log.seek(0)
        return "Blender log tail:\n" + self._log.read()[-n:]

    def _read(self, timeout: float) -> dict:
        result: list = []
        reader = threading.Thread(target=lambda: result.append(self._proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result:
            self.close()
            raise RuntimeError(f"the Blender EEVEE worker did not answer within {timeout:.0f}s. {self._tail()}")
        if not result[0]:
            raise BlenderUnavailable(f"the Blender EEVEE worker exited (code {self._proc.poll()}). {self._tail()}")
        return json.loads(result[0])

    def render_many(self, items) -> list[np.ndarray]:
        from PIL import Image

        items = list(items)
        if not items:
            return []
        with self._lock:
            self._count += 1
            folder = Path(self._dir.name) / f"batch_{self._count}"
            folder.mkdir()
            arrays = {"azimuth": np.array([it[3] for it in items], np.float64),
                      "elevation": np.array([it[4] for it in items], np.float64)}
            for i, (pos, nrm, tri, _az, _el) in enumerate(items):
                arrays[f"positions_{i}"] = np.asarray(pos, np.float32)
                arrays[f"normals_{i}"] = np.zeros((0, 3), np.float32) if nrm is None else np.asarray(nrm, np.float32)
                arrays[f"triangles_{i}"] = np.asarray(tri, np.uint32)
            req = folder / "request.npz"
            np.savez(req, **arrays)
            try:
                self._proc.stdin.write(f"{req}\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise BlenderUnavailable(f"the Blender EEVEE worker has exited ({exc}). {self._tail()}") from exc
            reply = self._read(60.0 + 30.0 * len(items))
            if "error" in reply:
                raise RuntimeError(f"EEVEE render failed: {reply['error']}. {self._tail()}")
            images = []
            for i in range(len(items)):
                rgba = np.asarray(Image.open(folder / f"image_{i}.png").convert("RGBA"), np.float32) / 255.0
                images.append(rgba[..., 0] * rgba[..., 3])  # straight alpha over a black background
            shutil.rmtree(folder, ignore_errors=True)
            return images

    def render(self, positions, normals, triangles, azimuth: float, elevation: float) -> np.ndarray:
        return self.render_many([(positions, normals, triangles, azimuth, elevation)])[0]

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.flush()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                proc.kill()
                proc.wait()
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()
        if getattr(self, "_dir", None) is not None:
            self._dir.cleanup()
            self._dir = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class BlenderRenderer:
    """Renderer protocol over EEVEE (not differentiable). A batch is one round trip to Blender."""

    differentiable = False

    def __init__(self, image_size: int, views: ViewConfig, samples: int = 1):
        self.image_size = image_size
        self.view_config = views
        self.samples = samples
        self._scene: EeveeScene | None = None  # started lazily (or by .scene), once

    @property
    def scene(self) -> EeveeScene:
        if self._scene is None:
            self._scene = EeveeScene(self.image_size, self.view_config, self.samples)
        return self._scene

    def render_grids(self, grids, azimuth, elevation) -> np.ndarray:
        """Binary grids (B, X, Y, Z), views in radians (B,) -> (B, S, S) float32."""
        items = [(*voxel_surface(g), float(a), float(e)) for g, a, e in zip(grids, azimuth, elevation)]
        return np.stack(self.scene.render_many(items)) if items else np.zeros((0, self.image_size, self.image_size),
                                                                             np.float32)

    def render_grid(self, grid: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
        return self.render_grids([grid], [azimuth], [elevation])[0]

    def __call__(self, voxels, views):
        """voxels (B, 1, R, R, R) torch -> images (B, 1, S, S) on the voxels' device, no gradient."""
        import torch

        with torch.no_grad():
            grids = (voxels.detach()[:, 0] > 0.5).cpu().numpy()
            images = self.render_grids(grids, views.azimuth.cpu().numpy(), views.elevation.cpu().numpy())
        return torch.from_numpy(images)[:, None].to(voxels.device, voxels.dtype)

    def close(self) -> None:
        if self._scene is not None:
            self._scene.close()
            self._scene = None
