"""Lighting variants of the reference scene, for probes of what a single image can show.

The reference lights (two white directional lights 45 deg below the camera, 45 deg left and right)
shade the two side-face families of a voxel grid alike whenever the camera looks along a diagonal,
and parallel faces at different depths alike always (no shadows), so a 2D judge sees a silhouette
and little more. The variants ask whether richer single images would expose G's 3D gap:

- `reference`: as trained (gray; the red channel);
- `rgb`: the two reference lights red and green, plus a blue one 45 deg above the camera; each
  channel is lit by one light, so every face orientation has its own colour and nothing clips;
- `shadows`: the reference lights casting directional shadow maps (gray).

    python benchmarks/lighting.py --cube               # the face colours of a cube along a diagonal
    python benchmarks/lighting.py --out SHEET.png      # real and generated chairs under each lighting
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from PIL import Image

from iggan.cameras import sample_views
from iggan.config import ViewConfig
from iggan.eval.models import load_grids, load_subject
from iggan.render.gl import import_pyrender
from iggan.render.reference import PyrenderRenderer
from iggan.render.scene import LIGHT_INTENSITY, ReferenceScene, _light_offset
from iggan.render.voxel_mesh import surface_items

LIGHTINGS = ("reference", "rgb", "shadows")


def apply_lighting(scene: ReferenceScene, lighting: str) -> None:
    """Change a fresh ReferenceScene's lights in place to `lighting` (one of LIGHTINGS)."""
    if lighting not in LIGHTINGS:
        raise ValueError(f"lighting must be one of {LIGHTINGS}, got {lighting!r}")
    pyrender = import_pyrender()
    if lighting == "rgb":
        for node, color in zip(scene.light_nodes, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))):
            node.light.color = np.array(color)
        top = pyrender.DirectionalLight(color=np.array([0.0, 0.0, 1.0]), intensity=LIGHT_INTENSITY)
        scene.light_nodes.append(scene.scene.add(top, pose=np.eye(4)))
        scene.light_offsets.append(_light_offset(0.0, -45.0))  # above the camera, shining down
    elif lighting == "shadows":
        scene.atlas.extra_flags = pyrender.RenderFlags.SHADOWS_DIRECTIONAL


def render_lit(grids: np.ndarray, lighting: str, azimuth: np.ndarray, elevation: np.ndarray,
               image_size: int, views: ViewConfig) -> np.ndarray:
    """Binary grids (n, R, R, R), +Y up, at views (n,) in radians -> (n, S, S, 3) in [0, 1] under `lighting`."""
    renderer = PyrenderRenderer(image_size, views)
    apply_lighting(renderer.scene, lighting)
    try:
        return renderer.scene.render_batch(surface_items(grids, azimuth, elevation), rgb=True)
    finally:
        renderer.scene.close()


def face_colours(image: np.ndarray) -> list[np.ndarray]:
    """(S, S, 3) image -> colours (0-255) covering at least 2% of the lit pixels, those within 6 levels of a
    commoner one merged (Pyrender's specular term shifts a face by a level or two): one per face family seen."""
    lit = image[image.max(-1) > 0.02]
    colours, counts = np.unique(np.round(lit * 255).astype(int), axis=0, return_counts=True)
    kept: list[np.ndarray] = []
    for k in np.argsort(-counts):
        if counts[k] > 0.02 * len(lit) and all(np.abs(colours[k] - c).max() > 6 for c in kept):
            kept.append(colours[k])
    return kept


def cube_table(azimuth_deg: float = 45.0, elevations_deg: tuple[float, ...] = (0.0, 30.0)) -> None:
    """Print the face colours of a 16-voxel cube (in a 32^3 grid) seen along a diagonal, per lighting."""
    cube = np.zeros((1, 32, 32, 32), bool)
    cube[0, 8:24, 8:24, 8:24] = True
    print(f"| lighting | elevation | face colours at azimuth {azimuth_deg:g} deg (RGB, 0-1) |\n|---|---:|---|")
    for lighting in LIGHTINGS:
        for elevation in elevations_deg:
            image = render_lit(cube, lighting, np.radians([azimuth_deg]), np.radians([elevation]), 128, ViewConfig())[0]
            shown = ", ".join("(" + " ".join(f"{v / 255:.2f}" for v in c) + ")" for c in face_colours(image))
            print(f"| {lighting} | {elevation:g} | {shown} |")


def sheet(model: str, real_path: str, out: str, n: int = 8, image_size: int = 128) -> None:
    """Save a PNG: per lighting, a row of real chairs and a row of G's samples (binarised at 0.5), the
    same random views in every row, so the variants can be compared by eye."""
    subject = load_subject(model)
    real = load_grids(real_path, slice(0, 789), "z")  # the training chairs, not the held-out ones
    real = real[np.random.default_rng(1).choice(len(real), n)]
    fake = subject.sample_grids(n, 5) > 0.5
    views = sample_views(n, subject.config.views, torch.Generator().manual_seed(3))
    az, el = views.azimuth.numpy(), views.elevation.numpy()
    rows = [np.concatenate(list(render_lit(grids, lighting, az, el, image_size, subject.config.views)), axis=1)
            for lighting in LIGHTINGS for grids in (real, fake)]
    Image.fromarray((np.concatenate(rows) * 255).round().astype(np.uint8)).save(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--real", default="../shared/data/modelnet10-chairs-32.npz",
                    help="ModelNet grids, +Z up (chairs 0:789 are drawn)")
    ap.add_argument("--out", help="write the sheet of real and generated chairs to this PNG")
    ap.add_argument("--cube", action="store_true", help="print the face colours of a cube along a diagonal")
    a = ap.parse_args()
    if not (a.out or a.cube):
        ap.error("pass --cube, --out PNG, or both")
    if a.cube:
        cube_table()
    if a.out:
        sheet(a.model, a.real, a.out)
