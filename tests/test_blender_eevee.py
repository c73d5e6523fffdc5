"""EEVEE as the reference renderer: it must draw what Pyrender draws (same camera, lights, material).

Silhouette: IoU >= 0.98 per image. Both rasterise the same voxel faces through the same
perspective camera at pixel centres without anti-aliasing, so they agree exactly when the camera
matches (measured: IoU 1.000 on chairs, a sphere and a box); 0.98 leaves room for a few edge
pixels where the two rasterisers' tie rules differ, yet a 1-degree camera or FOV error already
costs several percent at 64 px. Shading: on pixels both cover, mean |difference| < 0.05 and
correlation > 0.95 (measured 0.009-0.025 and 0.999): the two differ only in the sRGB curve
(Pyrender: gamma 2.2) and the specular model at roughness 1."""
from __future__ import annotations


import numpy as np
import pytest
import torch

from iggan.config import ViewConfig
from iggan.render.blender_eevee import BlenderRenderer, BlenderUnavailable, find_blender

SIZE = 64


@pytest.fixture(scope="module")
def eevee():
    try:
        find_blender()
    except BlenderUnavailable as exc:
        pytest.skip(f"no Blender: {exc}"[:300])
    r = BlenderRenderer(SIZE, ViewConfig())
    yield r
    r.close()


def _grids():
    from iggan.blender_addon.numpy_generator import latents, load_generator
    from iggan.sampling import BUNDLED_DIR
    chairs = load_generator(BUNDLED_DIR / "chairs")(latents(0, 2, 200)) > 0.5
    x = (np.indices((32, 32, 32)) + 0.5) / 32 - 0.5
    sphere = (x**2).sum(0) < 0.35**2
    box = (np.abs(x) < np.array([0.3, 0.2, 0.25])[:, None, None, None]).all(0)
    return [*chairs, sphere, box]


@pytest.mark.blender
def test_eevee_agrees_with_pyrender(eevee):
    from iggan.render.reference import PyrenderRenderer
    grids = _grids()
    az, el = np.radians([30, 200, 45, 60]), np.radians([20, -10, 30, 25])
    ref = np.stack([PyrenderRenderer(SIZE, ViewConfig()).render_grid(g, a, e) for g, a, e in zip(grids, az, el)])
    got = eevee.render_grids(grids, az, el)
    assert got.shape == ref.shape == (4, SIZE, SIZE) and got.dtype == np.float32
    for i, (a, b) in enumerate(zip(ref, got)):
        ma, mb = a > 0.02, b > 0.02
        iou = (ma & mb).sum() / (ma | mb).sum()
        both = ma & mb
        assert ma.sum() > 100, "empty reference image"
        assert iou >= 0.98, f"grid {i}: silhouette IoU {iou:.3f}"
        assert np.abs(a - b)[both].mean() < 0.05, f"grid {i}: shading differs"
        assert np.corrcoef(a[both], b[both])[0, 1] > 0.95, f"grid {i}: shading pattern differs"
        assert b[~mb].max() <= 0.02  # black background


@pytest.mark.blender
def test_renderer_protocol_batch(eevee):
    from iggan.cameras import Views
    vox = torch.zeros(2, 1, 16, 16, 16)
    vox[0, 0, 4:12, 2:10, 4:12] = 1.0
    views = Views(torch.tensor([0.3, 1.0]), torch.tensor([0.4, 0.2]))
    out = eevee(vox, views)
    assert out.shape == (2, 1, SIZE, SIZE) and not eevee.differentiable
    assert out[0].max() > 0.3 and out[1].max() == 0  # an empty grid renders black


def test_missing_blender_says_what_to_do(monkeypatch):
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", "/nonexistent/python")
    with pytest.raises(BlenderUnavailable, match="setup.sh blender"):
        find_blender()


def test_train_cli_fails_clearly_without_blender(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from iggan.cli.main import main
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", "/nonexistent/python")
    (tmp_path / "imgs").mkdir()
    from PIL import Image
    for i in range(4):
        img = np.zeros((32, 32), np.uint8)
        img[8:24, 6 + i:20 + i] = 200  # an object on black
        Image.fromarray(img).save(tmp_path / "imgs" / f"{i}.png")
    r = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "imgs"), "--out", str(tmp_path / "run"),
                                  "--preset", "tiny", "--steps", "1", "--renderer", "blender"])
    assert r.exit_code != 0 and "IGGAN_BLENDER_PYTHON" in r.output and "--renderer pyrender" in r.output


@pytest.mark.blender
def test_render_dataset_with_eevee_matches_pyrender(eevee, tmp_path):
    import json

    import trimesh
    from click.testing import CliRunner
    from PIL import Image

    from iggan.cli.main import main
    trimesh.creation.box(extents=(1.0, 0.6, 0.8)).export(tmp_path / "box.obj")
    outs = {}
    for name in ("pyrender", "blender"):
        r = CliRunner().invoke(main, ["render-dataset", str(tmp_path / "box.obj"), "--out", str(tmp_path / name),
                                      "--views", "2", "--size", "48", "--renderer", name, "--quiet"])
        assert r.exit_code == 0, r.output
        m = json.loads((tmp_path / name / "manifest.json").read_text())
        files = [img["file"] for img in m["objects"][0]["images"]]
        outs[name] = [np.asarray(Image.open(tmp_path / name / f), np.float32) / 255 for f in files]
    for a, b in zip(outs["pyrender"], outs["blender"]):
        ma, mb = a > 0.02, b > 0.02
        assert (ma & mb).sum() / (ma | mb).sum() >= 0.98
        assert np.abs(a - b)[ma & mb].mean() < 0.05
    r = CliRunner().invoke(main, ["render-dataset", str(tmp_path / "box.obj"), "--out", str(tmp_path / "x"),
                                  "--renderer", "blender", "--color", "rgb"])
    assert r.exit_code != 0 and "--renderer pyrender" in r.output
