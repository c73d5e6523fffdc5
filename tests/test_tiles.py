"""Several samples per GL frame (iggan/render/tiles.py) give the images of one render per frame."""
import numpy as np
import pytest
import trimesh

from iggan.config import ViewConfig
from iggan.render.naive import render_fresh_scene
from iggan.render.scene import ReferenceScene
from iggan.render.voxel_mesh import surface_items, voxel_surface


def _grids(n=11, res=12):
    rng = np.random.default_rng(3)
    grids = rng.random((n, res, res, res)) > 0.7
    grids[0] = False  # an empty grid draws nothing and must stay black
    grids[1, 2:9, 2:5, 2:9] = True  # a slab
    return grids


def _plain_render(grid, az, el, size, cfg):
    """Pyrender's own render(): a new scene, one image per frame, colour and depth read back."""
    pos, _, tris = voxel_surface(grid)
    mesh = trimesh.Trimesh(pos, tris, process=False) if len(tris) else trimesh.Trimesh()
    if len(tris) == 0:
        return np.zeros((size, size), np.float32)
    return render_fresh_scene(mesh, az, el, size, cfg)


@pytest.mark.parametrize("max_tiles", [1, 4, 16])
def test_tiled_batch_equals_one_render_per_frame(max_tiles):
    """Same grids, thresholds and views; 11 images over atlases of 1, 4 and 16 tiles (so the last
    readback is partial). Tolerance: every pixel within 1/255 (the same draw calls, shifted)."""
    cfg, size = ViewConfig(), 32
    grids = _grids()
    az, el = np.linspace(0, 6, len(grids)), np.linspace(-0.4, 0.9, len(grids))
    scene = ReferenceScene(size, cfg, max_tiles=max_tiles)
    try:
        batch = scene.render_batch(surface_items(grids, az, el))
    finally:
        scene.close()
    assert batch.shape == (len(grids), size, size) and batch.dtype == np.float32
    assert batch[0].max() == 0  # empty grid
    for i, grid in enumerate(grids):
        plain = _plain_render(grid, az[i], el[i], size, cfg)
        assert np.abs(batch[i] - plain).max() <= 1 / 255 + 1e-6, f"image {i}"
    assert (batch[1:] > 0).mean() > 0.1  # the comparison is between real images, not black ones
    # each tile is its own image, not a neighbour's: views differ, so images do
    assert not np.array_equal(batch[2], batch[3])


def test_rgb_batch_keeps_vertex_colours_and_matches_gray():
    cfg, size = ViewConfig(), 24
    pos, nrm, tris = voxel_surface(_grids()[1])
    red = np.tile(np.array([[1.0, 0.0, 0.0]], np.float32), (len(pos), 1))
    scene = ReferenceScene(size, cfg, max_tiles=4)
    try:
        gray = scene.render_batch([(pos, nrm, tris, 0.5, 0.3)])
        rgb = scene.render_batch([(pos, nrm, tris, 0.5, 0.3, red)], rgb=True)
    finally:
        scene.close()
    assert rgb.shape == (1, size, size, 3)
    np.testing.assert_allclose(rgb[0, ..., 0], gray[0], atol=1 / 255 + 1e-6)  # red channel: same shading
    assert rgb[0, ..., 1].max() == 0 and rgb[0, ..., 0].max() > 0.3


def test_empty_batch_is_an_empty_array():
    scene = ReferenceScene(16, ViewConfig(), max_tiles=4)
    try:
        assert scene.render_batch([]).shape == (0, 16, 16)
    finally:
        scene.close()
