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


# ------------------------------------------------------------------ replacing and refusing (nothing is lost)

def _grids(tmp_path, n=2):
    g = np.zeros((n, 8, 8, 8), np.uint8)
    for i in range(n):
        g[i, 2:6, 2:6, 0:3 + i] = 1
    np.savez(tmp_path / "g.npz", voxels=g)
    return tmp_path / "g.npz"


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _bad_mesh(tmp_path):
    (tmp_path / "corrupt.stl").write_bytes(b"solid nonsense")
    return tmp_path / "corrupt.stl"


def test_failed_overwrite_keeps_the_old_dataset_whole(tmp_path):
    out = tmp_path / "out"
    assert _run(["render-dataset", str(_grids(tmp_path)), "--out", str(out), "--size", "16", "--quiet"]).exit_code == 0
    before = _snapshot(out)
    r = CliRunner().invoke(main, ["render-dataset", str(_bad_mesh(tmp_path)), "--out", str(out), "--overwrite",
                                  "--quiet"])
    assert r.exit_code != 0 and "no object could be rendered" in r.output and "unchanged" in r.output
    assert _snapshot(out) == before  # images and manifest as they were, no staging folder left


def test_interrupted_overwrite_keeps_the_old_dataset_and_leaves_nothing(tmp_path, monkeypatch):
    import iggan.render_dataset as rd

    out = tmp_path / "out"
    src = _grids(tmp_path, 3)
    assert _run(["render-dataset", str(src), "--out", str(out), "--size", "16", "--quiet", "--slice", "0:1"]).exit_code == 0
    before = _snapshot(out)
    real, calls = rd._render_job, []

    def interrupted(job):  # Ctrl-C while the second object renders
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(rd, "_render_job", interrupted)
    r = CliRunner().invoke(main, ["render-dataset", str(src), "--out", str(out), "--views", "2", "--size", "16",
                                  "--overwrite", "--quiet"])
    assert r.exit_code != 0 and len(calls) == 2
    assert _snapshot(out) == before  # the new images went nowhere but the (removed) staging folder


def test_overwrite_removes_what_a_killed_run_left(tmp_path):
    """A staging folder (SIGKILL: no clean-up ran) and an older version's temporary image are removed by the
    next run, and image folders never read a hidden folder's images meanwhile; a user's other file stays."""
    from iggan.config import preset
    from iggan.data_sources import open_data_source

    out = tmp_path / "out"
    src = _grids(tmp_path)
    assert _run(["render-dataset", str(src), "--out", str(out), "--size", "16", "--quiet"]).exit_code == 0
    (out / ".render-dataset-staging").mkdir()
    Image.new("L", (16, 16), 200).save(out / ".render-dataset-staging" / "00007_x_00.png")
    (out / ".00005_chair_00.png.tmp.png").write_bytes(b"half an image")
    (out / "notes.txt").write_text("mine")
    _, report = open_data_source(str(out), preset("tiny"))
    assert report.loaded == 2
    r = _run(["render-dataset", str(src), "--out", str(out), "--size", "16", "--quiet", "--slice", "0:1",
              "--overwrite"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["00000_g-0_00.png", "manifest.json", "notes.txt"]


def test_a_users_file_with_a_name_it_would_write_is_refused_without_overwrite(tmp_path):
    out = tmp_path / "clash"
    out.mkdir()
    (out / "00000_g-0_00.png").write_text("USER DATA")
    args = ["render-dataset", str(_grids(tmp_path)), "--out", str(out), "--size", "16", "--quiet"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0 and "00000_g-0_00.png would be replaced; pass --overwrite" in r.output
    assert sorted(p.name for p in out.iterdir()) == ["00000_g-0_00.png"]
    assert (out / "00000_g-0_00.png").read_text() == "USER DATA"
    assert _run(args + ["--overwrite"]).exit_code == 0
    assert Image.open(out / "00000_g-0_00.png").size == (16, 16)


def test_sheet_is_checked_before_rendering(tmp_path):
    src = str(_grids(tmp_path))
    sheet = tmp_path / "sheet.png"
    sheet.write_text("MINE")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir.png").mkdir()
    cases = [(sheet, "exists; pass --overwrite"), (tmp_path / "adir.png", "is a directory"),
             (tmp_path / "afile" / "x.png", "is a file, not a folder"), (tmp_path / "s.jpg", "not a .png name")]
    for i, (path, message) in enumerate(cases):
        out = tmp_path / f"o{i}"
        r = CliRunner().invoke(main, ["render-dataset", src, "--out", str(out), "--size", "16", "--quiet",
                                      "--sheet", str(path)])
        assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output
        assert not out.exists()  # refused before rendering; the folder it made is gone
    assert sheet.read_text() == "MINE"
    r = _run(["render-dataset", src, "--out", str(tmp_path / "o"), "--size", "16", "--quiet", "--sheet", str(sheet),
              "--overwrite"])
    assert r.exit_code == 0 and Image.open(sheet).format == "PNG"


@pytest.mark.parametrize("option", ["--filter", "--exclude", "--category"])
def test_invalid_regex_is_named_before_any_folder_is_made(tmp_path, option):
    out = tmp_path / "rx"
    r = CliRunner().invoke(main, ["render-dataset", str(_grids(tmp_path)), "--out", str(out), option, "("])
    assert r.exit_code != 0 and f"Error: {option} '(' is not a valid regular expression" in r.output
    assert "Traceback" not in r.output and not out.exists()


def test_failed_run_leaves_no_manifest_and_no_folder(tmp_path):
    bad = str(_bad_mesh(tmp_path))
    out = tmp_path / "f1"
    r = CliRunner().invoke(main, ["render-dataset", bad, "--out", str(out), "--quiet"])
    assert r.exit_code != 0 and not out.exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    r = CliRunner().invoke(main, ["render-dataset", bad, "--out", str(mine), "--quiet"])
    assert r.exit_code != 0 and mine.is_dir() and list(mine.iterdir()) == []  # the user's folder stays, empty
    r = _run(["render-dataset", str(_grids(tmp_path)), "--out", str(mine), "--size", "16", "--quiet"])
    assert r.exit_code == 0, r.output  # not blocked by a 0-image manifest


def test_damaged_catalog_in_a_folder_is_skipped_and_named(tmp_path):
    src = tmp_path / "mixed"
    src.mkdir()
    trimesh.creation.box().export(src / "good.obj")
    (src / "bad.sh3f").write_bytes(b"PK\x03\x04 cut short")
    r = _run(["render-dataset", str(src), "--out", str(tmp_path / "m"), "--size", "16", "--quiet"])
    assert r.exit_code == 0 and "skipped" in r.output and "bad.sh3f" in r.output
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["images"] == 1


def test_two_threads_rendering_in_process_each_get_their_own_images(tmp_path):
    """Regression: both threads set the module's one scene (_SCENE), so one rendered through the other's, or
    failed deep in pyrender ('Node must already be in scene')."""
    import threading

    from iggan import api

    src, results = _grids(tmp_path, n=4), {}

    def render(size):
        try:
            api.run("render-dataset", src, out=tmp_path / f"s{size}", views=3, size=size, quiet=True, min_images=1)
            results[size] = {Image.open(p).size for p in (tmp_path / f"s{size}").glob("*.png")}
        except Exception as exc:  # noqa: BLE001 (reported by the assert)
            results[size] = exc

    threads = [threading.Thread(target=render, args=(size,)) for size in (32, 48)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results == {32: {(32, 32)}, 48: {(48, 48)}}
