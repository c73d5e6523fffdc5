"""--data specs: image folders, photos:, images:, mesh: and voxels: (the on-the-fly "unlimited" set)."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from iggan.config import preset
from iggan.data_sources import DataError, check_spec, open_data_source, split_options
from iggan.mesh_source import MeshImages
from iggan.image_sources import TensorImages

KENNEY = Path("/work/shared/data/kenney-furniture")
needs_kenney = pytest.mark.skipif(not KENNEY.is_dir(), reason=f"{KENNEY} absent (shared data not mounted)")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def cfg():
    return preset("tiny")  # 32 px images


@pytest.fixture
def grids(tmp_path):
    g = np.zeros((5, 16, 16, 16), np.uint8)
    for i in range(5):
        g[i, 2:14, 2:14, 0:3 + 2 * i] = 1
    np.savez(tmp_path / "g.npz", voxels=g)
    return tmp_path / "g.npz"


def test_voxels_source_is_deterministic_and_varied(cfg, grids):
    source, report = open_data_source(f"voxels:{grids}", cfg)
    assert isinstance(source, MeshImages) and report.loaded == 5 and report.skipped == []
    a = source.sample(6, torch.Generator().manual_seed(3))
    b = source.sample(6, torch.Generator().manual_seed(3))
    assert a.shape == (6, 1, 32, 32) and a.dtype == torch.float32
    assert torch.equal(a, b)  # same generator state -> same images (bit-identical resume)
    c = source.sample(6, torch.Generator().manual_seed(4))
    assert not torch.equal(a, c)
    gen = torch.Generator().manual_seed(3)
    x, y = source.sample(4, gen), source.sample(4, gen)
    assert not torch.equal(x, y)  # fresh views every call
    assert 0 <= a.min() and a.max() <= 1 and a.amax(dim=(1, 2, 3)).min() > 0.2  # objects are visible
    source.close()


def test_voxels_source_hands_out_the_grids_it_would_render(cfg, grids):
    source, _ = open_data_source(f"voxels:{grids}", cfg)
    drawn, views = source.draw_grids(6, torch.Generator().manual_seed(3))
    assert drawn.shape == (6, 1, 16, 16, 16) and drawn.dtype == torch.float32
    # Rendered as the reference renderer (and so the render workers) draws grids: the images of sample().
    from iggan.render.voxel_mesh import surface_items

    items = surface_items(drawn[:, 0].numpy() > 0.5, views.azimuth.numpy(), views.elevation.numpy())
    rendered = torch.from_numpy(source.scene.render_batch(items))[:, None]
    expected = source.sample(6, torch.Generator().manual_seed(3))
    assert (rendered - expected).abs().mean() < 1e-3 and expected.amax(dim=(1, 2, 3)).min() > 0.2
    source.close()


def test_mesh_source_has_no_grids_to_hand_out(cfg, tmp_path):
    trimesh.creation.box((1.0, 0.5, 0.8)).export(tmp_path / "box.obj")
    source, _ = open_data_source(f"mesh:{tmp_path}", cfg)
    assert source.grids is None and source.draw_grids(2, torch.Generator()) is None


def test_voxels_slice_and_options(cfg, grids):
    source, report = open_data_source(f"voxels:{grids}?slice=1:3&up=y", cfg)
    assert report.loaded == 2 and [r.index for r in source.refs] == [1, 2] and source.refs[0].up == "y"
    with pytest.raises(DataError, match="unknown option"):
        open_data_source(f"voxels:{grids}?colour=red", cfg)
    with pytest.raises(DataError, match="START:STOP"):
        open_data_source(f"voxels:{grids}?slice=abc", cfg)
    with pytest.raises(DataError, match="no voxel grids"):
        open_data_source(f"voxels:{grids}?slice=7:9", cfg)
    assert split_options("/a/b.npz?filter=chair&up=z") == ("/a/b.npz", {"filter": "chair", "up": "z"})


@pytest.mark.parametrize("shape", [(2, 16, 16), (2, 16, 8, 4), (16, 16, 16, 16, 1)])
def test_voxels_that_are_not_cubic_grids_are_refused(cfg, tmp_path, shape):
    np.savez(tmp_path / "odd.npz", voxels=np.ones(shape, np.uint8))
    with pytest.raises(DataError, match=rf"'voxels' has shape {re.escape(str(shape))}; expected cubic grids"):
        open_data_source(f"voxels:{tmp_path / 'odd.npz'}", cfg)


def test_mesh_source_skips_broken_objects_and_strict_fails(cfg, tmp_path):
    d = tmp_path / "meshes"
    d.mkdir()
    trimesh.creation.box(extents=(1, 2, 1)).export(d / "box.obj")
    trimesh.creation.icosphere().export(d / "ball.glb")
    (d / "broken.stl").write_bytes(b"nonsense")
    source, report = open_data_source(f"mesh:{d}", cfg)
    assert report.loaded == 2 and report.skipped == [str(d / "broken.stl")]
    assert source.sample(3, torch.Generator().manual_seed(0)).shape == (3, 1, 32, 32)
    with pytest.raises(DataError, match="--strict: 1 unusable"):
        open_data_source(f"mesh:{d}", cfg, strict=True)
    only = tmp_path / "only_broken"
    only.mkdir()
    (only / "x.ply").write_bytes(b"junk")
    with pytest.raises(DataError, match="none of the 1 object"):
        open_data_source(f"mesh:{only}", cfg)
    with pytest.raises(DataError, match="does not exist"):
        open_data_source(f"mesh:{tmp_path / 'missing'}", cfg)
    with pytest.raises(DataError, match="no meshes"):
        open_data_source(f"mesh:{d}?filter=zzz", cfg)


def test_mesh_source_respects_the_view_config(cfg, tmp_path):
    """Views come from cfg.views: a thin vertical plate seen edge-on (az 90) vs face-on (az 0)."""
    d = tmp_path / "plate"
    d.mkdir()
    trimesh.creation.box(extents=(1, 1, 0.05)).export(d / "plate.stl")
    cfg.views.azimuth, cfg.views.elevation = (0.0, 0.0), (0.0, 0.0)
    face_on, _ = open_data_source(f"mesh:{d}", cfg)
    cfg.views.azimuth = (90.0, 90.0)
    edge_on, _ = open_data_source(f"mesh:{d}", cfg)
    g = torch.Generator().manual_seed(0)
    area_face = (face_on.sample(1, g) > 0.02).sum()
    area_edge = (edge_on.sample(1, g) > 0.02).sum()
    assert area_face > 5 * area_edge


def test_image_folder_specs(cfg, tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    arr = np.zeros((64, 64), np.uint8)
    arr[20:44, 28:36] = 180
    Image.fromarray(arr).save(d / "a.png")
    src, report = open_data_source(str(d), cfg)
    assert isinstance(src, TensorImages) and report.loaded == 1 and len(src) == 1
    prepared, _ = open_data_source(f"images:{d}", cfg)
    photos, _ = open_data_source(f"photos:{d}", cfg)
    # images: keeps the object's size (24 px of 64 -> 12 of 32); photos: rescales it to half the frame
    rows = lambda t: int((t.images[0, 0] > 0.05).any(dim=1).sum())  # noqa: E731
    assert abs(rows(prepared) - 12) <= 1 and abs(rows(photos) - 16) <= 1
    (d / "bad.png").write_bytes(b"")
    with pytest.raises(DataError, match="--strict"):
        open_data_source(str(d), cfg, strict=True)
    with pytest.raises(DataError, match="does not exist"):
        open_data_source(str(tmp_path / "nowhere"), cfg)
    with pytest.raises(DataError, match="bad.png is a file, not a folder"):  # one photo given for a folder
        open_data_source(str(d / "bad.png"), cfg)


@needs_kenney
def test_kenney_mesh_source_with_filter(cfg):
    source, report = open_data_source(f"mesh:{KENNEY}?filter=^chair", cfg)
    assert report.loaded == 6 and all(r.name.startswith("chair") for r in source.refs)
    imgs = source.sample(4, torch.Generator().manual_seed(1))
    assert imgs.shape == (4, 1, 32, 32) and (imgs.amax(dim=(1, 2, 3)) > 0.2).all()


def test_renders_from_render_dataset_match_the_training_size(cfg, tmp_path, grids):
    """A render-dataset folder opens as a plain --data folder, unchanged at the same size."""
    from click.testing import CliRunner

    from iggan.cli.main import main

    out = tmp_path / "rd"
    r = CliRunner().invoke(main, ["render-dataset", str(grids), "--out", str(out), "--size", "32", "--quiet"])
    assert r.exit_code == 0, r.output
    src, report = open_data_source(str(out), cfg)
    files = sorted(out.glob("*.png"))
    assert report.loaded == len(files) == 5 and report.ignored == []
    first = np.asarray(Image.open(files[0]), np.float32) / 255
    np.testing.assert_allclose(src.images[0, 0].numpy(), first, atol=1e-6)
    assert json.loads((out / "manifest.json").read_text())["images"] == 5


def test_query_options_keep_plus_and_decode_percent():
    """'+' in a regex stays '+' (parse_qs read it as a space); %XX escapes are decoded; the last value wins."""
    assert split_options("/k?filter=^chair.+&exclude=a%26b") == ("/k", {"filter": "^chair.+", "exclude": "a&b"})
    assert split_options("/k?up=y&up=z")[1] == {"up": "z"}
    assert split_options("/k") == ("/k", {})
    with pytest.raises(DataError, match="unknown option"):
        split_options("/k?filtr=x")


def test_mesh_filter_with_plus_matches(cfg, tmp_path):
    tmp_path = tmp_path / "src"
    tmp_path.mkdir()
    for name in ("chair", "chairWide", "table"):
        trimesh.creation.box().export(tmp_path / f"{name}.obj")
    source, report = open_data_source(f"mesh:{tmp_path}?filter=^chair.+", cfg)
    assert report.loaded == 1 and [r.name for r in source.refs] == ["chairWide"]


def test_bad_regex_in_data_options_is_named_before_reading(cfg, tmp_path):
    with pytest.raises(DataError, match=r"\?filter= '\(' is not a valid regular expression"):
        check_spec(f"mesh:{tmp_path / 'missing'}?filter=(")
    with pytest.raises(DataError, match=r"\?category= '\[' is not a valid"):
        open_data_source(f"mesh:{tmp_path}?category=[", cfg)
    assert check_spec("some/folder") == ("some/folder", {})


def test_damaged_files_in_a_mesh_or_voxels_folder_are_skipped(cfg, tmp_path):
    tmp_path = tmp_path / "src"
    tmp_path.mkdir()
    trimesh.creation.box().export(tmp_path / "good.obj")
    grids = np.zeros((1, 8, 8, 8), np.uint8)
    grids[0, 2:6, 2:6, 2:6] = 1
    np.savez(tmp_path / "good.npz", voxels=grids)
    (tmp_path / "bad.sh3f").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 truncated")
    source, report = open_data_source(f"mesh:{tmp_path}", cfg)
    assert report.loaded == 1 and [Path(s).name for s in report.skipped] == ["bad.sh3f"]
    source, report = open_data_source(f"voxels:{tmp_path}", cfg)
    assert report.loaded == 1 and [Path(s).name for s in report.skipped] == ["cut.npz"]
