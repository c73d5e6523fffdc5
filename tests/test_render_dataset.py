"""render-dataset: plans are deterministic, renders match the reference scene, CLI end to end."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from PIL import Image

from iggan.cli.main import main
from iggan.config import ViewConfig
from iggan.meshes import ObjectRef, list_objects, load_object
from iggan.render.reference import PyrenderRenderer
from iggan.render_dataset import RenderOptions, is_render_folder, plan_dataset, render_view

DATA = Path("/work/shared/data")
KENNEY = DATA / "kenney-furniture"
MODELNET = DATA / "modelnet10-chairs-32.npz"
needs_kenney = pytest.mark.skipif(not KENNEY.is_dir(), reason=f"{KENNEY} absent (shared data not mounted)")
needs_modelnet = pytest.mark.skipif(not MODELNET.is_file(), reason=f"{MODELNET} absent (shared data not mounted)")


def refs(n):
    return [ObjectRef("mesh", f"/x/{i}.obj", f"o{i}") for i in range(n)]


def test_plan_is_deterministic_and_in_range():
    opts = RenderOptions(views=3, azimuth=(-60, 60), elevation=(15, 60), seed=7)
    a, b = plan_dataset(refs(5), opts), plan_dataset(refs(5), opts)
    assert [j.views for j in a] == [j.views for j in b]
    views = np.array([v for j in a for v in j.views])
    assert views.shape == (15, 2)
    assert views[:, 0].min() >= -60 and views[:, 0].max() <= 60
    assert views[:, 1].min() >= 15 and views[:, 1].max() <= 60
    c = plan_dataset(refs(5), RenderOptions(views=3, seed=8))
    assert [j.views for j in a] != [j.views for j in c]


def test_plan_protocols_and_limit():
    p500 = plan_dataset(refs(800), RenderOptions(protocol="500", views=4))
    assert len(p500) == 500 and all(len(j.views) == 1 for j in p500)
    assert len({j.ref.name for j in p500}) == 500
    small = plan_dataset(refs(30), RenderOptions(protocol="500"))
    assert sum(len(j.views) for j in small) == 500 and {len(j.views) for j in small} <= {16, 17}
    full = plan_dataset(refs(30), RenderOptions(protocol="full", min_images=100))
    assert len(full) == 30 and all(len(j.views) == 4 for j in full)  # ceil(100 / 30)
    big = plan_dataset(refs(300), RenderOptions(protocol="full", min_images=100, views=1))
    assert all(len(j.views) == 1 for j in big)  # large class: each object once
    limited = plan_dataset(refs(50), RenderOptions(limit=10, seed=3))
    assert len(limited) == 10 and [j.number for j in limited] == list(range(10))
    assert limited[0].ref.name != "o0" or limited[-1].ref.name != "o9"  # drawn, not the first ten
    with pytest.raises(ValueError, match="no objects"):
        plan_dataset([], RenderOptions())


def test_voxel_render_matches_the_training_renderer():
    """A voxel grid rendered by render-dataset is pixel-identical to the trainer's reference render."""
    grid = np.zeros((16, 16, 16), bool)
    grid[4:12, 0:10, 5:11] = True
    grid[4:6, 10:16, 5:11] = True
    from iggan.meshes import voxel_object

    obj = voxel_object(grid, up="y")
    ref = PyrenderRenderer(32, ViewConfig())
    expected = ref.render_grid(grid, math.radians(30), math.radians(20))
    got = render_view(ref.scene, obj, 30.0, 20.0)
    np.testing.assert_array_equal(got, expected)


def _cube_scene():
    ref = PyrenderRenderer(32, ViewConfig())
    cube = trimesh.creation.box(extents=(1, 1, 1))
    from iggan.meshes import normalise_mesh

    return ref.scene, normalise_mesh(cube.vertices, cube.faces, None, "y")


def test_mesh_render_is_centred_and_lit_from_below():
    scene, obj = _cube_scene()
    img = render_view(scene, obj, 45.0, 30.0)  # looking down at a cube: top face + two sides visible
    assert img.shape == (32, 32) and img.dtype == np.float32
    ys, xs = np.nonzero(img > 0.02)
    assert abs((xs.min() + xs.max()) / 2 - 15.5) <= 1.5 and abs((ys.min() + ys.max()) / 2 - 15.5) <= 1.5
    width = xs.max() - xs.min() + 1
    assert 14 <= width <= 26  # the unit cube spans about half of the [-1, 1] frame
    # the two lights sit 45 deg below the camera: the top face (upper image rows) is darker than the sides
    top = img[ys.min() + 1: ys.min() + 4, 14:18].mean()
    sides = img[ys.max() - 4: ys.max() - 1, 10:22].mean()
    assert sides > top + 0.1


def test_rgb_render_uses_colours_under_the_same_lights():
    scene, obj = _cube_scene()
    gray = render_view(scene, obj, 45.0, 30.0)
    obj.colors = np.tile(np.array([[1.0, 0.0, 0.0]], np.float32), (len(obj.positions), 1))
    rgb = render_view(scene, obj, 45.0, 30.0, rgb=True)
    assert rgb.shape == (32, 32, 3)
    assert rgb[..., 0].max() > 0.3 and rgb[..., 1].max() < 0.05 and rgb[..., 2].max() < 0.05
    np.testing.assert_array_equal(rgb[..., 0] > 0.02, gray > 0.02)  # same silhouette
    # the gray image is the render of a white object: red channel equals it (white * red = red)
    assert np.abs(rgb[..., 0] - gray).max() <= 2 / 255


def _run(args):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result


def test_cli_render_dataset_voxels(tmp_path):
    grids = np.zeros((6, 16, 16, 16), np.uint8)
    for i in range(6):
        grids[i, 4:12, 4:12, 0:8 + i] = 1
    np.savez(tmp_path / "grids.npz", voxels=grids)
    out = tmp_path / "out"
    args = ["render-dataset", str(tmp_path / "grids.npz"), "--out", str(out), "--views", "2", "--size", "32",
            "--slice", "1:5", "--seed", "3", "--quiet", "--sheet", str(tmp_path / "sheet.png")]
    r = _run(args)
    assert r.exit_code == 0, r.output
    assert "wrote 8 images of 4 objects" in r.output and "images/s" in r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["images"] == 8
    assert [o["object"] for o in manifest["objects"]] == [f"grids.npz[{i}]" for i in range(1, 5)]
    files = sorted(p.name for p in out.glob("*.png"))
    assert files == sorted(img["file"] for o in manifest["objects"] for img in o["images"])
    img = Image.open(out / files[0])
    assert img.mode == "L" and img.size == (32, 32)
    assert (tmp_path / "sheet.png").is_file() and is_render_folder(out)
    # an existing dataset is not overwritten silently
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0 and "--overwrite" in r.output
    first = {f: (out / f).read_bytes() for f in files}
    r = _run(args + ["--overwrite"])
    assert r.exit_code == 0
    assert {f: (out / f).read_bytes() for f in files} == first  # deterministic given --seed


def test_cli_workers_give_identical_images(tmp_path):
    for i in range(3):
        trimesh.creation.box(extents=(1, 1 + i, 2)).export(tmp_path / f"b{i}.stl")
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        r = _run(["render-dataset", str(tmp_path), "--out", str(out), "--views", "2", "--size", "32",
                  "--workers", str(workers), "--quiet", "--lvp"])
        assert r.exit_code == 0, r.output
        outs.append({p.name: p.read_bytes() for p in out.glob("*.png")})
        m = json.loads((out / "manifest.json").read_text())
        az = [img["azimuth_deg"] for o in m["objects"] for img in o["images"]]
        assert all(-60 <= a <= 60 for a in az)
    assert len(outs[0]) == 6 and outs[0] == outs[1]


def test_cli_skips_broken_objects_and_errors_cleanly(tmp_path):
    trimesh.creation.box().export(tmp_path / "good.obj")
    (tmp_path / "bad.glb").write_bytes(b"garbage")
    r = _run(["render-dataset", str(tmp_path), "--out", str(tmp_path / "o"), "--size", "16", "--quiet"])
    assert r.exit_code == 0 and "skipped" in r.output and "bad.glb" in r.output
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["images"] == 1 and m["skipped"][0]["object"].endswith("bad.glb")
    r = CliRunner().invoke(main, ["render-dataset", str(tmp_path), "--out", str(tmp_path / "p"), "--filter", "zzz"])
    assert r.exit_code != 0 and "no objects" in r.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.stl").write_bytes(b"nonsense")
    r = CliRunner().invoke(main, ["render-dataset", str(only_bad), "--out", str(tmp_path / "q"), "--quiet"])
    assert r.exit_code != 0 and "no object could be rendered" in r.output
    r = CliRunner().invoke(main, ["render-dataset", str(tmp_path), "--out", str(tmp_path / "r"),
                                  "--elevation", "60", "10"])
    assert r.exit_code != 0 and "MIN MAX" in r.output


@needs_kenney
def test_cli_kenney_rgb(tmp_path):
    out = tmp_path / "k"
    r = _run(["render-dataset", str(KENNEY), "--out", str(out), "--filter", "^chair$", "--color", "rgb",
              "--size", "32", "--quiet"])
    assert r.exit_code == 0, r.output
    (png,) = out.glob("*.png")
    arr = np.asarray(Image.open(png))
    assert arr.shape == (32, 32, 3) and arr.max() > 50


@needs_modelnet
def test_modelnet_renders_upright():
    """Converted Z-up -> Y-up, a chair seen from the front-ish is taller than it is wide on screen."""
    ref = list_objects(MODELNET)[0]
    scene = PyrenderRenderer(32, ViewConfig()).scene
    img = render_view(scene, load_object(ref), 30.0, 10.0)
    ys, xs = np.nonzero(img > 0.02)
    assert np.ptp(ys) > np.ptp(xs) * 0.9
