"""benchmarks/lighting.py: the probe's lighting variants of the reference scene."""
from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark_scripts import load_benchmark
from iggan.config import preset
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_mesh import surface_items


def _cube(res: int) -> np.ndarray:
    g = np.zeros((1, res, res, res), bool)
    g[0, res // 4:3 * res // 4, res // 4:3 * res // 4, res // 4:3 * res // 4] = True
    return g


def _render(lighting: str, grids: np.ndarray, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(n, S, S, 3) renders of `grids` at one view under `lighting`."""
    cfg = preset("tiny")
    renderer = PyrenderRenderer(64, cfg.views)
    load_benchmark("lighting").apply_lighting(renderer.scene, lighting)
    n = len(grids)
    az, el = np.full(n, math.radians(azimuth_deg)), np.full(n, math.radians(elevation_deg))
    images = renderer.scene.render_batch(surface_items(grids, az, el), rgb=True)
    renderer.scene.close()
    return images


def _face_colours(image: np.ndarray) -> list[np.ndarray]:
    """Colours (0-255) covering at least 2% of the lit pixels, those within 6 levels of a commoner one
    merged (Pyrender's specular term shifts a face by a level or two): one per visible face family."""
    lit = image[image.max(-1) > 0.02]
    colours, counts = np.unique(np.round(lit * 255).astype(int), axis=0, return_counts=True)
    kept: list[np.ndarray] = []
    for k in np.argsort(-counts):
        if counts[k] > 0.02 * len(lit) and all(np.abs(colours[k] - c).max() > 6 for c in kept):
            kept.append(colours[k])
    return kept


def test_rgb_lighting_gives_the_two_diagonal_side_faces_different_colours():
    cube = _cube(16)
    # Looking along a diagonal, the reference lights shade both side faces alike: two colours
    # (sides and top) where three faces show; the rgb variant tells all three apart.
    assert len(_face_colours(_render("reference", cube, 45.0, 30.0)[0])) == 2
    assert len(_face_colours(_render("rgb", cube, 45.0, 30.0)[0])) == 3


def test_shadows_darken_a_plate_under_another():
    res = 16
    plates = np.zeros((1, res, res, res), bool)
    plates[0, 2:14, 10, 2:14] = True  # a seat
    plates[0, 4:12, 6, 4:12] = True  # a smaller plate below it, lit from below in the reference scene
    plain, shaded = _render("reference", plates, 30.0, -20.0)[0], _render("shadows", plates, 30.0, -20.0)[0]
    assert not np.allclose(plain, shaded, atol=0.02)


def test_unknown_lighting_is_refused():
    renderer = PyrenderRenderer(32, preset("tiny").views)
    with pytest.raises(ValueError, match="lighting must be one of"):
        load_benchmark("lighting").apply_lighting(renderer.scene, "neon")


def test_sheet_has_a_real_and_a_generated_row_per_lighting(tmp_path):
    from PIL import Image

    grids = np.zeros((3, 32, 32, 32), bool)
    grids[:, 8:24, 4:20, 8:24] = True  # ModelNet order: +Z up
    np.savez(tmp_path / "real.npz", voxels=grids)
    out = tmp_path / "sheet.png"
    load_benchmark("lighting").sheet("chairs", str(tmp_path / "real.npz"), str(out), n=2, image_size=32)
    image = np.asarray(Image.open(out))
    assert image.shape == (6 * 32, 2 * 32, 3)
    assert image[:32].max() > 0 and image[32:64].max() > 0  # both rows drew something
