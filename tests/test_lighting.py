"""benchmarks/lighting.py: the probe's lighting variants of the reference scene."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmark_scripts import load_benchmark
from iggan.config import preset
from iggan.render.reference import PyrenderRenderer

lighting = load_benchmark("lighting")


def _render(name: str, grids: np.ndarray, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(n, 64, 64, 3) renders of `grids`, all from one view, under lighting `name`."""
    n = len(grids)
    az, el = np.full(n, np.radians(azimuth_deg)), np.full(n, np.radians(elevation_deg))
    return lighting.render_lit(grids, name, az, el, 64, preset("tiny").views)


def test_rgb_lighting_gives_the_two_diagonal_side_faces_different_colours():
    cube = np.zeros((1, 16, 16, 16), bool)
    cube[0, 4:12, 4:12, 4:12] = True
    # Looking along a diagonal, the reference lights shade both side faces alike: two colours
    # (sides and top) where three faces show; the rgb variant tells all three apart.
    assert len(lighting.face_colours(_render("reference", cube, 45.0, 30.0)[0])) == 2
    assert len(lighting.face_colours(_render("rgb", cube, 45.0, 30.0)[0])) == 3


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
        lighting.apply_lighting(renderer.scene, "neon")


def test_sheet_has_a_real_and_a_generated_row_per_lighting(tmp_path):
    grids = np.zeros((3, 32, 32, 32), bool)
    grids[:, 8:24, 4:20, 8:24] = True  # ModelNet order: +Z up
    np.savez(tmp_path / "real.npz", voxels=grids)
    out = tmp_path / "sheet.png"
    lighting.sheet("chairs", str(tmp_path / "real.npz"), str(out), n=2, image_size=32)
    image = np.asarray(Image.open(out))
    assert image.shape == (6 * 32, 2 * 32, 3)
    assert image[:32].max() > 0 and image[32:64].max() > 0  # both rows drew something
