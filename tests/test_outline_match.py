"""The Blender extension's torch-free outline matching (blender_addon/outline_match.py): the same
silhouettes and framing as `iggan-assets match`, the search finds the shape a photo shows, the pool
cache, and the engine's 'match' request with its bad inputs."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from iggan import sampling
from iggan.blender_addon import engine
from iggan.blender_addon import outline_match as om
from iggan.blender_addon.numpy_generator import latents
from iggan.cameras import Views
from iggan.matching import framed, search_views
from iggan.render.voxel_faces import VoxelFaceRenderer


@pytest.fixture(scope="module")
def chairs():
    return sampling.load_model("chairs")


@pytest.fixture
def small_pool(monkeypatch):
    monkeypatch.setattr(om, "POOL", 24)  # the engine's pool: 24 shapes keep the tests quick
    monkeypatch.setattr(om.OutlinePool, "_last", None)  # and made by the test itself


def _photo_of(model, z, azimuth, elevation, path=None, size=128):
    """A 'photo' of G(z) from a view: the faces renderer's shading on black (a plain background)."""
    grid = (sampling.sample_voxels(model, z[None])[0] >= 0.5).astype(np.float32)
    views = Views(torch.tensor([azimuth], dtype=torch.float32), torch.tensor([elevation], dtype=torch.float32))
    image = VoxelFaceRenderer(size, model.config.views)(torch.from_numpy(grid)[None, None], views)[0, 0].numpy()
    img = Image.fromarray((image * 255).astype(np.uint8))
    if path is not None:
        img.save(path)
    return img


def test_silhouettes_and_framing_equal_the_cli_matchers(chairs):
    grids = sampling.sample_voxels(chairs, sampling.latents(7, 3, chairs.config.model.z_dim)) >= 0.5
    az, el = om.search_views()
    views = search_views()
    assert np.allclose(az, views.azimuth.numpy()) and np.allclose(el, views.elevation.numpy())
    ours = om.silhouettes(om.ray_voxel_matrix(az, el, 32, 32), grids, 32)  # (3, 96, 32, 32)
    renderer = VoxelFaceRenderer(32, chairs.config.views)  # the exact ray caster: silhouette = where it draws
    traced = renderer.segments(views, 32, "cpu", torch.float32)
    ref = renderer.composite(torch.from_numpy(grids).float()[:, None], traced, every_view=True).numpy() > 0
    assert ours.any() and np.array_equal(ours, ref)
    flat = ours.reshape(-1, 32, 32).astype(np.float32)
    for size in (32, 64):
        assert np.abs(om.framed(flat, size) - framed(torch.from_numpy(flat), size).numpy()).max() < 1e-4
    assert (om.CAMERA_DISTANCE, om.FOV_DEG) == (chairs.config.views.camera_distance, chairs.config.views.fov_deg)
    from iggan import matching, photos
    assert (om.POOL_SEED, om.SEARCH_SIZE, om.SEARCH_YAWS, om.SEARCH_ELEVATIONS_DEG, om.FILL) == (
        matching.POOL_SEED, matching.SEARCH_SIZE, matching.SEARCH_YAWS, matching.SEARCH_ELEVATIONS_DEG, photos.FILL)


def test_match_finds_the_pool_shape_a_photo_shows_and_its_view(chairs, tmp_path):
    gen = engine.get_generator("chairs")
    pool = om.OutlinePool(gen, size=24, cache_dir=tmp_path)
    az, el = om.search_views()
    # two grid views, and one between them (the fit is then only as near as the nearest half step)
    cases = [(5, float(az[30]), float(el[30]), 0.9), (17, float(az[77]), float(el[77]), 0.9), (11, 0.65, 0.38, 0.75)]
    for k, a, e, least in cases:
        mask = om.photo_mask(_photo_of(chairs, pool.z[k], a, e, tmp_path / f"p{k}.png"))
        best = pool.match(mask, keep=2)
        assert best[0].index == k and best[0].iou > least and best[0].iou >= best[1].iou
        turn = (best[0].azimuth - a + math.pi) % (2 * math.pi) - math.pi
        assert abs(turn) < math.radians(16) and abs(best[0].elevation - e) < math.radians(16)


def test_the_pool_is_traced_with_the_models_own_camera(tmp_path):
    """A checkpoint trained with another camera (config.views) is traced with that camera, under its own key."""
    import dataclasses
    gen = engine.get_generator("chairs")
    assert gen.views["camera_distance"] == om.CAMERA_DISTANCE  # read from the bundled model's config
    far = dataclasses.replace(gen, views={**gen.views, "camera_distance": 4.5, "fov_deg": 28.0})
    pool = om.OutlinePool(far, size=4, cache_dir=tmp_path)
    az, el = om.search_views()
    grids = far(pool.z) >= 0.5
    expected = om.silhouettes(om.ray_voxel_matrix(az, el, 32, 32, fov_deg=28.0, distance=4.5), grids, 32)
    assert np.array_equal(pool.framed, om.framed(expected.reshape(-1, 32, 32), 32).astype(np.float16).reshape(
        pool.framed.shape))
    assert not np.array_equal(pool.framed, om.OutlinePool(gen, size=4, cache_dir=tmp_path).framed)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_the_pool_cache_gives_the_same_pool_and_survives_a_broken_entry(tmp_path):
    gen = engine.get_generator("chairs")
    first = om.OutlinePool(gen, size=8, cache_dir=tmp_path).framed
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    assert np.array_equal(om.OutlinePool(gen, size=8, cache_dir=tmp_path).framed, first)  # from the cache
    files[0].write_bytes(files[0].read_bytes()[:50])  # truncated: recomputed, not an error
    assert np.array_equal(om.OutlinePool(gen, size=8, cache_dir=tmp_path).framed, first)
    om.OutlinePool(gen, threshold=0.6, size=8, cache_dir=tmp_path)  # another threshold: another entry
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert not list(tmp_path.glob(".outline_*"))  # no temporary file left behind


def test_engine_match_brings_the_best_fits_as_pool_latents(chairs, small_pool, tmp_path):
    gen = engine.get_generator("chairs")
    z = latents(om.POOL_SEED, 24, gen.z_dim)
    photo = tmp_path / "my chair.png"
    _photo_of(chairs, z[9], 1.2, 0.25, photo)
    got, progress = [], []
    settings = {**engine.model_defaults(gen), "max_tilt_deg": None}
    settings = {k: v for k, v in settings.items() if k in ("threshold", "size_m", "size_by", "max_tilt_deg")}
    out = engine.run(engine.Request("match", "chairs", 2, 0, settings, image=str(photo), cache_dir=str(tmp_path)),
                     lambda kind, p: (got if kind == "asset" else progress).append(p))
    assert out["made"] == 2 and len(got) == 2
    assert [a.name for a in got] == ["chair_match_my_chair", "chair_match_my_chair_m1"]
    first = got[0].extras
    assert first["latent_index"] == 9 and first["seed"] == om.POOL_SEED and first["match_rank"] == 0
    assert first["match_iou"] > 0.85 and first["match_iou"] >= got[1].extras["match_iou"]
    assert first["photo"] == str(photo) and abs((first["view_azimuth_deg"] - math.degrees(1.2) + 180) % 360 - 180) < 16
    assert np.array_equal(got[0].grid, gen(latents(om.POOL_SEED, 1, gen.z_dim, start=9))[0])  # Variations' latent
    assert got[1].extras["latent_index"] != 9
    assert any("outlines" in str(p[2]) for p in progress) and len(list(tmp_path.glob("*.npz"))) == 1
    pool = om.OutlinePool._last  # the next photo reuses the pool, framed once
    engine.run(engine.Request("match", "chairs", 1, 0, settings, image=str(photo), cache_dir=str(tmp_path)),
               lambda *_: None)
    assert om.OutlinePool._last is pool and len(pool.z) == 24


def test_engine_paints_a_match_and_export_selected_paints_it_again(chairs, small_pool, tmp_path):
    """Paint: the match carries a colour map in the image's hue; Export Selected paints it again from the
    image, and exports it unpainted with a note once the image is gone."""
    import json

    import pygltflib
    gen = engine.get_generator("chairs")
    photo = tmp_path / "orange chair.png"
    grey = np.asarray(_photo_of(chairs, latents(om.POOL_SEED, 24, gen.z_dim)[9], 1.2, 0.25), np.float32) / 255
    Image.fromarray((np.stack([grey, grey * 0.6, grey * 0.3], -1) * 255).astype(np.uint8)).save(photo)
    settings = {"threshold": 0.5, "size_m": 0.86, "size_by": "height", "max_tilt_deg": None}
    got = []
    engine.run(engine.Request("match", "chairs", 1, 0, settings, image=str(photo), cache_dir=str(tmp_path),
                              texture=True), lambda kind, p: got.append(p) if kind == "asset" else None)
    engine.run(engine.Request("match", "chairs", 1, 0, settings, image=str(photo), cache_dir=str(tmp_path),
                              texture=True, delight=True), lambda kind, p: got.append(p) if kind == "asset" else None)
    made, delit = got
    assert json.loads(delit.extras["paint"])["delight"] is True and json.loads(made.extras["paint"])["delight"] is False
    assert not np.array_equal(delit.asset.colour[0], made.asset.colour[0])  # the shading of the faces divided out
    assert made.asset.colour is not None and made.asset.colour[0].shape == (512, 512, 3)
    median = np.median(made.asset.colour[0].reshape(-1, 3), axis=0) / 255
    np.testing.assert_allclose(median / median[0], [1, 0.6, 0.3], atol=0.05)  # the image's orange
    assert json.loads(made.extras["paint"])["photos"] == [str(photo)] and made.extras["photo"] == str(photo)

    def exported(name):
        manifest = engine.export_glb([(made.name, made.grid, made.extras)], tmp_path / f"{name}.glb", settings)
        gltf = pygltflib.GLTF2().load(str(tmp_path / f"{name}.glb"))
        return manifest, gltf.materials[gltf.meshes[0].primitives[0].material].pbrMetallicRoughness

    manifest, pbr = exported("again")
    assert pbr.baseColorTexture is not None and manifest["assets"][0]["notes"] == []
    photo.unlink()
    manifest, pbr = exported("unpainted")
    assert pbr.baseColorTexture is None and any("is gone" in n for n in manifest["assets"][0]["notes"])
    assert json.loads((tmp_path / "unpainted.manifest.json").read_text())["assets"][0]["notes"] == manifest["assets"][0]["notes"]


def test_engine_fits_one_shape_to_several_images_of_one_object(chairs, small_pool, tmp_path):
    """Two pictures of pool shape 9 from sides 100 degrees apart: one shape, each picture's view found, and
    painted from both (`match --one-object --texture`)."""
    import json
    gen = engine.get_generator("chairs")
    z = latents(om.POOL_SEED, 24, gen.z_dim)[9]
    front, side = tmp_path / "front.png", tmp_path / "side.png"
    _photo_of(chairs, z, 0.4, 0.3, front)
    _photo_of(chairs, z, 0.4 + math.radians(100), 0.3, side)
    settings = {"threshold": 0.5, "size_m": 0.86, "size_by": "height", "max_tilt_deg": None}
    got = []
    engine.run(engine.Request("match", "chairs", 1, 0, settings, image=[str(front), str(side)],
                              cache_dir=str(tmp_path), texture=True),
               lambda kind, p: got.append(p) if kind == "asset" else None)
    assert len(got) == 1 and got[0].name == "chair_match_front" and got[0].extras["latent_index"] == 9
    assert got[0].extras["photo_count"] == 2 and got[0].extras["match_iou"] > 0.85
    paint = json.loads(got[0].extras["paint"])
    assert paint["photos"] == [str(front), str(side)]
    for (az, el), truth in zip(paint["views_rad"], (0.4, 0.4 + math.radians(100))):
        assert abs((math.degrees(az - truth) + 180) % 360 - 180) < 16 and abs(math.degrees(el - 0.3)) < 16
    assert got[0].asset.colour is not None


def test_engine_match_bad_images_say_what_to_do_and_make_nothing(small_pool, tmp_path):
    blank = tmp_path / "blank.png"
    Image.fromarray(np.zeros((64, 64, 4), np.uint8)).save(blank)  # fully transparent
    busy = tmp_path / "busy.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8)).save(busy)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    cases = [(None, "no image chosen"), (tmp_path / "missing.png", "not found"), (broken, "cannot read image"),
             (blank, "no object found"), (busy, "cannot find the object's outline")]
    for image, message in cases:
        got = []
        with pytest.raises(om.MatchError, match=message):
            engine.run(engine.Request("match", "chairs", 1, 0, {}, image=image and str(image), cache_dir=str(tmp_path)),
                       lambda kind, p: got.append(kind))
        assert "asset" not in got
    assert not list(tmp_path.glob("*.npz"))  # a bad image fails before the model's outlines are traced


def test_a_decompression_bomb_is_a_match_error_not_a_bug(tmp_path):
    """A PNG whose header claims 100000 x 100000 px: Pillow refuses it before decoding, with an error the
    extension's job reported as a bug (it is no OSError)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(bytes(100))) + chunk(b"IEND", b""))
    (tmp_path / "bomb.png").write_bytes(png)
    with pytest.raises(om.MatchError, match="too large to read safely"):
        om.photo_mask(tmp_path / "bomb.png")
