"""`iggan-assets match` through click's CliRunner, on the bundled chairs with a small pool."""
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import glb_checks
from iggan import sampling
from iggan.cameras import Views
from iggan.cli.main import main
from iggan.matching import POOL_SEED
from iggan.render.voxel_faces import VoxelFaceRenderer

FAST = ["--pool", "24", "--candidates", "2", "--steps", "0", "--retries", "1"]


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "match_cache"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A cut-out PNG of a bundled chair seen from azimuth 40, elevation 20 degrees: the matcher's first pool
    shape, so a right search finds it exactly."""
    model = sampling.load_model("chairs")
    grid = sampling.sample_voxels(model, sampling.latents(POOL_SEED, 1, model.config.model.z_dim))[0] >= 0.5
    views = Views(torch.tensor([np.radians(40.0)]), torch.tensor([np.radians(20.0)]))
    image = VoxelFaceRenderer(160, model.config.views)(torch.from_numpy(grid).float()[None, None], views)[0, 0].numpy()
    rgb = (np.stack([image * 0.8, image * 0.6, image * 0.4], -1) * 255).astype(np.uint8)  # tinted: not our grey
    path = tmp_path_factory.mktemp("photos") / "my chair.png"
    Image.fromarray(np.dstack([rgb, np.where(image > 0, 255, 0).astype(np.uint8)])).save(path)
    return path


def test_match_writes_a_game_ready_asset_per_photo_and_a_sheet(photo, tmp_path):
    out = tmp_path / "matched.glb"
    r = run("match", photo, photo, "--out", out, *FAST)
    assert r.exit_code == 0, r.output
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out, size_m=0.86)
    assert set(meshes) == {"chair_my_chair", "chair_my_chair_2"}  # one asset per photo, unique names
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["command"] == "match" and manifest["pool"] == 24
    a = manifest["assets"][0]
    assert a["photo"] == str(photo) and a["match_rank"] == 0
    assert a["silhouette_iou"] > 0.9
    assert abs((a["view_deg"][0] - 40 + 180) % 360 - 180) <= 16 and abs(a["view_deg"][1] - 20) <= 16
    sheet = Image.open(out.with_suffix(".match.png"))
    assert sheet.size[0] == 4 * 128 and sheet.size[1] >= 2 * 128  # photo + 3 views, a row per photo


def test_timings_list_the_search_and_the_sheet_and_total_the_whole_command(photo, tmp_path):
    r = run("match", photo, "--out", tmp_path / "t.glb", *FAST, "--no-preview", "--timings")
    assert r.exit_code == 0, r.output
    rows = dict(line.rsplit(None, 1) for line in r.stderr.splitlines()[-30:] if line[:1].isalpha()
                and line.split()[-1].replace(".", "").isdigit())
    assert {"photos", "load", "pool", "match", "sample", "write", "sheet", "total (wall)"} <= set(rows), rows
    stages = sum(float(v) for k, v in rows.items() if k != "total (wall)")
    assert stages <= float(rows["total (wall)"]) + 1e-3  # the total is the whole command, not the export's share


def test_match_refuses_bad_photos_and_writes_nothing(photo, tmp_path):
    out = tmp_path / "m.glb"
    broken = tmp_path / "broken.png"
    broken.write_bytes(photo.read_bytes()[:100])
    r = run("match", photo, broken, "--out", out, *FAST)
    assert r.exit_code != 0 and "broken.png: not a readable image" in r.output
    busy = tmp_path / "busy.png"  # no alpha and a border of many colours: no outline to find
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(busy)
    r = run("match", busy, "--out", out, *FAST)
    assert r.exit_code != 0 and "cannot find the object's outline" in r.output
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(clear)
    r = run("match", clear, "--out", out, *FAST)
    assert r.exit_code != 0 and "no object found" in r.output
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("match", empty, "--out", out, *FAST)
    assert r.exit_code != 0 and "holds no .png/.jpg/.jpeg/.webp/.avif/.heic/.heif image" in r.output
    assert not any(p.suffix in (".glb", ".json") or p.name.endswith(".match.png") for p in tmp_path.iterdir())


def test_match_keeps_existing_outputs_without_overwrite(photo, tmp_path):
    out = tmp_path / "m.glb"
    sheet = tmp_path / "m.match.png"
    sheet.write_bytes(b"mine")
    r = run("match", photo, "--out", out, *FAST)
    assert r.exit_code != 0 and "m.match.png" in r.output and "--overwrite" in r.output
    assert sheet.read_bytes() == b"mine" and not out.exists()
    r = run("match", photo, "--out", out, "--overwrite", *FAST)
    assert r.exit_code == 0, r.output
    assert sheet.read_bytes()[:4] == b"\x89PNG"


def test_one_object_fits_one_shape_to_several_photos(photo, tmp_path):
    """Two photos of the same chair from different sides: one asset, each photo's view found."""
    model = sampling.load_model("chairs")
    grid = sampling.sample_voxels(model, sampling.latents(POOL_SEED, 1, model.config.model.z_dim))[0] >= 0.5
    views = Views(torch.tensor([np.radians(130.0)]), torch.tensor([np.radians(30.0)]))
    image = VoxelFaceRenderer(160, model.config.views)(torch.from_numpy(grid).float()[None, None], views)[0, 0].numpy()
    side = tmp_path / "side.png"
    gray = (image * 255).astype(np.uint8)
    Image.fromarray(np.dstack([gray, gray, gray, np.where(image > 0, 255, 0).astype(np.uint8)])).save(side)
    out = tmp_path / "one.glb"
    r = run("match", photo, side, "--one-object", "--texture", "--out", out, *FAST)
    assert r.exit_code == 0, r.output
    assert set(glb_checks.assert_game_ready(out, size_m=0.86)) == {"chair_my_chair"}
    a = json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]
    assert a["photos"] == [str(photo), str(side)] and a["silhouette_iou"] > 0.9
    (az1, el1), (az2, el2) = a["views_deg"]
    assert abs((az1 - 40 + 180) % 360 - 180) <= 16 and abs((az2 - 130 + 180) % 360 - 180) <= 16
    assert abs(el1 - 20) <= 16 and abs(el2 - 30) <= 16
    assert Image.open(out.with_suffix(".match.png")).size[1] >= 2 * 128  # a row per photo
    # painted from both photos: the tinted one's orange where it faces the shape, the grey one's grey elsewhere
    import pygltflib
    gltf = pygltflib.GLTF2().load(str(out))
    pbr = gltf.materials[gltf.meshes[0].primitives[0].material].pbrMetallicRoughness
    texels = _texture_of(gltf, pbr.baseColorTexture.index).reshape(-1, 3).astype(float)
    tinted = (texels[:, 0] > texels[:, 2] + 30).mean()
    assert 0.1 < tinted < 0.9, tinted


def _texture_of(gltf, texture_index: int) -> np.ndarray:
    import io
    image = gltf.images[gltf.textures[texture_index].source]
    view = gltf.bufferViews[image.bufferView]
    data = gltf.binary_blob()[view.byteOffset:view.byteOffset + view.byteLength]
    return np.asarray(Image.open(io.BytesIO(data)))


def test_texture_paints_the_asset_with_the_photos_colours(photo, tmp_path):
    """The tinted photo's colours come back in the asset's colour map (same hue and brightness as the photo's
    object pixels), and a match without --texture has no colour map."""
    import pygltflib
    out = tmp_path / "painted.glb"
    r = run("match", photo, "--texture", "--out", out, *FAST)
    assert r.exit_code == 0, r.output
    assert set(glb_checks.assert_game_ready(out, size_m=0.86)) == {"chair_my_chair"}
    gltf = pygltflib.GLTF2().load(str(out))
    pbr = gltf.materials[gltf.meshes[0].primitives[0].material].pbrMetallicRoughness
    assert pbr.baseColorFactor == [1.0, 1.0, 1.0, 1.0] and pbr.baseColorTexture is not None
    colour_map = _texture_of(gltf, pbr.baseColorTexture.index)
    assert colour_map.shape == (512, 512, 3)
    pixels = np.asarray(Image.open(photo))
    seen = pixels[pixels[..., 3] > 0, :3].reshape(-1, 3) / 255.0
    painted = colour_map.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(np.median(painted, axis=0), np.median(seen, axis=0), atol=0.08)
    assert np.all(np.median(painted, axis=0) == np.sort(np.median(painted, axis=0))[::-1])  # r > g > b, as tinted
    assert json.loads(out.with_suffix(".manifest.json").read_text())["texture"] is True
    # the sheet ends with the painted asset from the matched view and the far side: the photo's tint, where the
    # plain sheet's views are grey
    sheet = np.asarray(Image.open(out.with_suffix(".match.png")).convert("RGB"), float) / 255.0
    assert sheet.shape[1] == 6 * 128
    for tile in (sheet[:128, 4 * 128:5 * 128], sheet[:128, 5 * 128:]):
        body = tile[tile.max(axis=2) - tile.min(axis=2) > 0.05]  # tinted pixels, not the backdrop or grey
        assert len(body) > 0.1 * 128 * 128
        assert np.all(np.median(body, axis=0) == np.sort(np.median(body, axis=0))[::-1])  # r > g > b
    plain = tmp_path / "plain.glb"
    assert run("match", photo, "--out", plain, *FAST).exit_code == 0
    assert Image.open(plain.with_suffix(".match.png")).size[0] == 4 * 128
    gltf = pygltflib.GLTF2().load(str(plain))
    assert all(m.pbrMetallicRoughness.baseColorTexture is None for m in gltf.materials)


def test_delight_needs_texture_and_is_recorded(photo, tmp_path):
    r = CliRunner().invoke(main, ["match", str(photo), "--delight", "--out", str(tmp_path / "d.glb"), *FAST])
    assert r.exit_code == 2 and "add --texture" in r.output and not (tmp_path / "d.glb").exists()
    r = run("match", photo, "--texture", "--delight", "--out", tmp_path / "d.glb", *FAST)
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "d.manifest.json").read_text())
    assert manifest["texture"] is True and manifest["delight"] is True


def test_texture_and_variants_are_refused_together(photo, tmp_path):
    r = CliRunner().invoke(main, ["match", str(photo), "--texture", "--palette", "furniture", "--variants", "--out",
                                  str(tmp_path / "v.glb"), *FAST])
    assert r.exit_code == 2 and "--texture paints each from its photo" in r.output and not (tmp_path / "v.glb").exists()


def test_match_from_python_takes_the_photos_as_a_list_and_returns_the_manifest(photo, tmp_path):
    from iggan import api

    manifest = api.match([photo], tmp_path / "mine.glb", pool=24, candidates=2, steps=0, retries=1)
    assert manifest["command"] == "match" and manifest["photos"] == [str(photo)]
    assert len(manifest["assets"]) == 1 and (tmp_path / "mine.match.png").is_file()


def test_a_painted_match_cannot_go_into_an_obj(photo, tmp_path):
    r = run("match", photo, "--texture", "--out", tmp_path / "m.obj", *FAST)
    assert r.exit_code == 2 and "--texture cannot go into it" in r.output
    assert list(tmp_path.iterdir()) == []
