"""Lighting variants of the reference scene, for probes of what a single image can show.

The reference lights (two white directional lights 45 deg below the camera, 45 deg left and right)
shade the two side-face families of a voxel grid alike whenever the camera looks along a diagonal,
and parallel faces at different depths alike always (no shadows), so a 2D judge sees a silhouette
and little more. The variants ask whether richer single images would expose G's 3D gap:

- `reference`: as trained (gray; the red channel);
- `rgb`: the two reference lights red and green, plus a blue one 45 deg above the camera; each
  channel is lit by one light, so every face orientation has its own colour and nothing clips;
- `shadows`: the reference lights casting directional shadow maps (gray).
"""
from __future__ import annotations

import numpy as np

from iggan.render.gl import import_pyrender
from iggan.render.scene import LIGHT_INTENSITY, ReferenceScene, _light_offset

LIGHTINGS = ("reference", "rgb", "shadows")


def channels(lighting: str) -> int:
    """Image channels a variant renders: 3 for rgb, else 1."""
    return 3 if lighting == "rgb" else 1


def apply_lighting(scene: ReferenceScene, lighting: str) -> None:
    """Change a fresh ReferenceScene's lights in place to `lighting` (one of LIGHTINGS)."""
    if lighting not in LIGHTINGS:
        raise ValueError(f"lighting must be one of {LIGHTINGS}, got {lighting!r}")
    if lighting == "rgb":
        pyrender = import_pyrender()
        for node, color in zip(scene.light_nodes, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))):
            node.light.color = np.array(color)
        top = pyrender.DirectionalLight(color=np.array([0.0, 0.0, 1.0]), intensity=LIGHT_INTENSITY)
        scene.light_nodes.append(scene.scene.add(top, pose=np.eye(4)))
        scene.light_offsets.append(_light_offset(0.0, -45.0))  # above the camera, shining down
    elif lighting == "shadows":
        from pyrender.constants import RenderFlags  # noqa: PLC0415 (after the GL platform is chosen)

        scene.atlas.extra_flags = RenderFlags.SHADOWS_DIRECTIONAL


def sheet(model: str, real_path: str, out: str, n: int = 8, image_size: int = 128) -> None:
    """Save a PNG: per lighting, a row of real chairs and a row of G's samples (binarised at 0.5), the
    same random views in every row, so the variants can be compared by eye."""
    import torch  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    from iggan.cameras import sample_views  # noqa: PLC0415
    from iggan.eval.models import load_grids, load_subject  # noqa: PLC0415
    from iggan.render.reference import PyrenderRenderer  # noqa: PLC0415
    from iggan.render.voxel_mesh import surface_items  # noqa: PLC0415

    subject = load_subject(model)
    real = load_grids(real_path, slice(0, 789), "z")  # the training chairs, not the held-out ones
    real = real[np.random.default_rng(1).choice(len(real), n)]
    fake = subject.sample_grids(n, 5) > 0.5
    views = sample_views(n, subject.config.views, torch.Generator().manual_seed(3))
    rows = []
    for lighting in LIGHTINGS:
        renderer = PyrenderRenderer(image_size, subject.config.views)
        apply_lighting(renderer.scene, lighting)
        for grids in (real, fake):
            images = renderer.scene.render_batch(
                surface_items(grids, views.azimuth.numpy(), views.elevation.numpy()), rgb=True)
            rows.append(np.concatenate(list(images), axis=1))
        renderer.scene.close()
    Image.fromarray((np.concatenate(rows) * 255).round().astype(np.uint8)).save(out)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Sheet of real chairs and G's samples under each lighting variant.")
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--real", default="../shared/data/modelnet10-chairs-32.npz", help="ModelNet grids, +Z up (chairs 0:789 are drawn)")
    ap.add_argument("--out", required=True, help="PNG to write")
    a = ap.parse_args()
    sheet(a.model, a.real, a.out)
