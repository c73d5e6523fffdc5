"""benchmarks/photo_texture.py's glossy studio photo: a rendered highlight that `--delight` then flags."""
import math

import numpy as np
import trimesh

from benchmark_scripts import load_benchmark
from iggan.config import ViewConfig
from iggan.render.gl import import_pyrender


def _red_ball() -> trimesh.Scene:
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.45)
    ball.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        baseColorFactor=[200, 40, 30, 255], metallicFactor=0.0, roughnessFactor=1.0))
    return trimesh.Scene(ball)


def test_a_glossy_studio_photo_shows_a_highlight_that_delight_flags():
    import_pyrender()  # a headless GL platform first
    bench = load_benchmark("photo_texture")
    rgb, mask = bench.studio_photo(_red_ball(), math.radians(30), math.radians(20), ViewConfig(), glossy=True)
    pale = mask & (rgb[..., 1] > 0.5) & (rgb[..., 2] > 0.5)  # a red ball is pale only where it mirrors the light
    assert 20 < pale.sum() < 0.2 * mask.sum()
    from iggan.asset_export.photo_texture import delight
    ys, xs = np.nonzero(mask)
    # the ball's normal at each pixel, from its outline (orthographic enough at this distance for a test)
    cy, cx, r = ys.mean(), xs.mean(), math.sqrt(mask.sum() / math.pi)
    nx, ny = (xs - cx) / r, -(ys - cy) / r
    normals = np.c_[nx, ny, np.sqrt(np.clip(1 - nx ** 2 - ny ** 2, 0, 1))]
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    _, fitted = delight(rgb[mask], normals, np.ones(len(normals), bool))
    flagged = ~fitted
    assert flagged[pale[mask]].mean() > 0.8  # the highlight is left out of the paint ...
    assert flagged[~pale[mask]].mean() < 0.1  # ... and the rest of the ball kept
