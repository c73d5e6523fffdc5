"""The Blender extension: its torch-free generator and engine (plain pytest), the zip that
`iggan-assets blender build-extension` writes, and a real install / generate / export / uninstall
in PyPI bpy 5.0.1 (tests/clients/extension_check.py, marked `blender`)."""
from __future__ import annotations

import json
import os
import subprocess
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from iggan.blender_addon import engine
from iggan.blender_addon.numpy_generator import latents, load_generator
from iggan.blender_addon.safetensors_np import load_safetensors
from standing_shapes import lamp_post, slab

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "iggan" / "bundled"
CHECK = ROOT / "tests" / "clients" / "extension_check.py"


def _blender_python() -> str | None:
    for cand in (os.environ.get("IGGAN_BLENDER_PYTHON"), ROOT / ".venv-blender" / "bin" / "python"):
        if cand and Path(cand).exists():
            if subprocess.run([str(cand), "-c", "import bpy"], capture_output=True, timeout=120).returncode == 0:
                return str(cand)
    return None


def test_safetensors_reader_matches_the_library():
    from safetensors.numpy import load_file
    ours, ref = load_safetensors(BUNDLED / "chairs.safetensors"), load_file(str(BUNDLED / "chairs.safetensors"))
    assert ours.keys() == ref.keys()
    for k in ref:
        assert ours[k].dtype == ref[k].dtype and np.array_equal(ours[k], ref[k]), k


def test_numpy_generator_matches_torch():
    from iggan import sampling
    model = sampling.load_model("chairs")
    z = sampling.latents(3, 4, model.config.model.z_dim)
    assert np.array_equal(z, latents(3, 4, model.config.model.z_dim))
    ours = load_generator(BUNDLED / "chairs")(z)
    ref = sampling.sample_voxels(model, z)
    assert ours.shape == ref.shape == (4, 32, 32, 32)
    assert np.abs(ours - ref).max() < 1e-4
    # The same solid voxels, so the same meshes, except where a value lies within float rounding of
    # the threshold (float32 sums in another order): those may fall either side, and must be rare.
    differ = (ours > 0.5) != (ref > 0.5)
    assert np.all(np.abs(ref[differ] - 0.5) < 1e-4) and differ.sum() <= 2


def test_engine_takes_the_cards_tilt_and_flatness_checks_and_export_selected_skips_them(tmp_path):
    defaults = engine.model_defaults(engine.get_generator("chairs"))
    assert (defaults["max_tilt_deg"], defaults["min_height_ratio"], defaults["max_loose_share"]) == (10, 0.35, 0.05)
    assert (defaults["size_m"], defaults["size_by"]) == (0.86, "height")
    assert defaults["yaw_deg"] == 0 and engine.model_defaults(engine.get_generator("sofas"))["yaw_deg"] == -90
    settings = dict(max_tilt_deg=10.0, min_height_ratio=0.35, faces=2000)
    manifest = engine.export_glb([("post", lamp_post(32), {}), ("seat", slab(32), {})], tmp_path / "p.glb", settings)
    assert manifest["assets"][0]["rest_tilt_deg"] > 10 and manifest["assets"][1]["height_ratio"] < 0.35
    with pytest.raises(engine.ae.TooFlatError):
        engine.ae.grid_to_asset(slab(32), engine.export_settings(settings))


def test_export_errors_speak_of_the_file_dialog_not_the_clis_out(tmp_path):
    with pytest.raises(engine.ae.ExportError) as exc:
        engine.export_glb([("seat", slab(32), {})], tmp_path / "missing" / "p.glb", {})
    assert "choose another file name" in str(exc.value) and "--out" not in str(exc.value)


@pytest.mark.parametrize("mirror", [None, "x"])
def test_engine_makes_the_cli_assets(mirror):
    """engine.run (the add-on's worker) gives the assets and names `iggan-assets generate` gives."""
    from iggan import sampling
    from iggan.asset_export import ExportSettings, grid_to_asset
    settings = dict(threshold=0.5, faces=2000, size_m=0.9, mirror=mirror)
    got = []
    engine.run(engine.Request("generate", "chairs", 2, 0, settings), lambda k, p: got.append(p) if k == "asset" else None)
    assert [a.name for a in got] == ["chair_0_s0", "chair_1_s0"]
    grids = sampling.sample_voxels(sampling.load_model("chairs"), sampling.latents(0, 2, 200))
    for made, grid in zip(got, grids):
        ref = grid_to_asset(grid, ExportSettings(**settings))
        assert made.asset.report["triangles"] == ref.report["triangles"]
        assert np.allclose(made.asset.report["size_m"], ref.report["size_m"], atol=1e-5)
        assert np.allclose(engine.unpack_grid(engine.pack_grid(made.grid)), made.grid, atol=1 / 255)


def test_engine_distinct_keeps_every_pair_apart_and_says_when_it_cannot():
    """Request.distinct resamples look-alikes before meshing, as generate --distinct; the distance of
    every pair kept is then at least the one asked for (the set's clouds are the same draw each time)."""
    from iggan.asset_export.distinct import DistinctSet
    assert engine.distinct_options("chairs") == {"distinct": 0.0045, "retries": 20}  # the chairs card's
    gap, got = 0.0065, []  # above the bundled chairs' median nearest-other distance (0.0051): refusals
    out = engine.run(engine.Request("generate", "chairs", 4, 0, dict(faces=500), retries=20, distinct=gap),
                     lambda k, p: got.append(p) if k == "asset" else None)
    assert len(got) == 4 and any("too like" in f for f in out["failures"])
    check = DistinctSet(gap)
    for a in got:
        assert check.too_close(check.cloud(a.grid >= 0.5)) is None
        check.add(a.name, check.cloud(a.grid >= 0.5))
    with pytest.raises(engine.ae.ExportError, match="cannot make that many distinct shapes"):
        engine.run(engine.Request("generate", "chairs", 2, 0, dict(faces=500), retries=1, distinct=1.0),
                   lambda *_: None)
    with pytest.raises(engine.ae.ExportError, match="raise Spread"):  # variations this close cannot differ
        engine.run(engine.Request("variations", "chairs", 2, 0, dict(faces=500), spread=0.01, retries=2,
                                  distinct=0.0045), lambda *_: None)


def test_engine_cancel_and_bad_model():
    from iggan.blender_addon.numpy_generator import ModelError
    with pytest.raises(engine.JobCancelled):
        engine.run(engine.Request("generate", "chairs", 3, 0, {}), lambda *_: None, cancelled=lambda: True)
    with pytest.raises(ModelError, match="neither a bundled model"):
        engine.run(engine.Request("generate", "/nope/x.safetensors", 1, 0, {}), lambda *_: None)


@pytest.mark.parametrize("edit, said", [
    ({"voxel_res": 1024}, "voxel_res must be a power of two from 8 to 256, not 1024"),  # 4 GiB a grid
    ({"voxel_res": 1e400}, "is not an iggan-assets checkpoint"),  # JSON Infinity: OverflowError in int()
    ({"z_dim": 10**10}, "does not fit z_dim 10000000000"),  # latents of 40 GB each
])
def test_the_numpy_generator_refuses_a_card_that_claims_more_than_its_weights(tmp_path, edit, said):
    from iggan.blender_addon.numpy_generator import ModelError
    from iggan.sampling import save_random_model
    stem = save_random_model(tmp_path / "m")
    meta = json.loads(stem.with_suffix(".json").read_text())
    meta["config"]["model"].update(edit)
    stem.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=said):
        load_generator(stem)


@pytest.mark.parametrize("entry, said", [
    ({"dtype": "F32", "shape": [2], "data_offsets": [-8, 8]}, "runs past the end"),  # sliced from the end before
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}, "negative size"),  # reshape's 'whatever fits'
    ({"dtype": "F32", "shape": [2]}, "is damaged"),  # KeyError before
    (5, "is damaged"),  # TypeError before
])
def test_the_safetensors_reader_refuses_a_malformed_header_with_its_own_error(tmp_path, entry, said):
    import struct
    from iggan.blender_addon.safetensors_np import SafetensorsError
    header = json.dumps({"a": entry}).encode()
    (tmp_path / "x.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(16))
    with pytest.raises(SafetensorsError, match=said):
        load_safetensors(tmp_path / "x.safetensors")

def test_pictures_are_written_to_a_private_folder_not_a_fixed_name_in_the_shared_temp(tmp_path, monkeypatch):
    """Another user could make TEMP/iggan_images a symlink (or fill it with symlinks), and a reference
    image's pixels were then written through it, over any file the Blender user can write."""
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(engine, "_SCRATCH", [])
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "iggan_images").symlink_to(tmp_path / "elsewhere")
    folder = Path(engine.scratch_folder())
    assert folder.parent == tmp_path and not folder.is_symlink() and folder.name != "iggan_images"
    assert folder.stat().st_mode & 0o077 == 0 and engine.scratch_folder() == str(folder)

MATCHED_SHAPE = 40  # the pool shape (latent index of the match pool's seed) the reference image shows


def test_the_numpy_generator_refuses_a_resize_generator_by_name(tmp_path):
    from iggan.blender_addon.numpy_generator import ModelError
    from iggan.config import preset
    from iggan.models.generator import VoxelGenerator
    from iggan.sampling import save_generator
    cfg = preset("tiny")
    cfg.model.gen_upsample = "resize"
    save_generator(tmp_path / "g", VoxelGenerator(cfg.model), cfg, {"name": "g"})
    with pytest.raises(ModelError, match="gen_upsample 'resize' is not supported in Blender"):
        load_generator(tmp_path / "g")


def _pool_shape_photo(index: int, path: Path) -> Path:
    """A shaded render of pool shape `index` seen from azimuth 90, elevation 15 degrees (a grid view), on black."""
    import torch
    from iggan import sampling
    from iggan.cameras import Views
    from iggan.matching import POOL_SEED
    from iggan.render.voxel_faces import VoxelFaceRenderer
    model = sampling.load_model("chairs")
    z = latents(POOL_SEED, 1, model.config.model.z_dim, start=index)
    grid = torch.from_numpy((sampling.sample_voxels(model, z) >= 0.5).astype(np.float32))[:, None]
    views = Views(torch.tensor([np.pi / 2], dtype=torch.float32), torch.tensor([np.radians(15.0)], dtype=torch.float32))
    image = VoxelFaceRenderer(128, model.config.views)(grid, views)[0, 0].numpy()
    from PIL import Image
    Image.fromarray((image * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory):
    from iggan.cli.blender import BuildError, build_extension
    try:
        return build_extension(tmp_path_factory.mktemp("ext"), "linux-x64")
    except BuildError as exc:  # no network and an empty wheel cache
        pytest.skip(f"cannot build the extension here: {exc.message[:300]}")


def test_extension_zip_layout(extension_zip):
    with zipfile.ZipFile(extension_zip) as z:
        names = set(z.namelist())
        manifest = tomllib.loads(z.read("blender_manifest.toml").decode())
    assert manifest["id"] == "iggan_assets" and manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "4.2.0"
    assert isinstance(manifest["permissions"], dict) and "files" in manifest["permissions"]  # a table (5.0)
    assert manifest["platforms"] == ["linux-x64"]
    assert all(w[2:] in names for w in manifest["wheels"])  # every listed wheel is in the zip
    dists = {Path(w).name.split("-")[0].lower() for w in manifest["wheels"]}
    assert {"scipy", "scikit_image", "trimesh", "pygltflib", "fast_simplification", "pillow", "xatlas",
            "vhacdx", "pillow_heif", "dracopy"} <= dists
    assert "numpy" not in dists  # Blender ships numpy 1.26
    assert {"__init__.py", "engine.py", "numpy_generator.py", "outline_match.py", "photos.py", "asset_export/__init__.py",
            "asset_export/pipeline.py", "models/chairs.json", "models/chairs.safetensors"} <= names
    assert not any("__pycache__" in n or n.startswith("models/proxy") for n in names)
    # the panel lists what lies in models/: generators only, not evaluate's feature network
    assert {n for n in names if n.startswith("models/")} == {f"models/{m}.{s}" for m in ("chairs", "sofas")
                                                             for s in ("json", "safetensors")}


def test_an_unknown_model_is_refused_before_the_build(tmp_path):
    from click.testing import CliRunner
    from iggan.cli.main import main
    r = CliRunner().invoke(main, ["blender", "build-extension", "--out", str(tmp_path / "e"), "--offline",
                                  "--model", "tables"])
    assert r.exit_code == 2 and "unknown model 'tables': the bundled generators are chairs, sofas" in r.output
    assert not any((tmp_path / "e").glob("*.zip"))


def test_only_the_wheels_pip_resolves_are_bundled_not_whatever_lies_in_the_cache(extension_zip, tmp_path):
    """A cache that also holds a wheel no requirement needs (left by an older build, say): the build takes
    pip's resolution, offline, and leaves the stray wheel out."""
    import shutil
    from iggan.cli.blender import DEFAULT_CACHE, fetch_wheels
    cache = tmp_path / "cache"
    shutil.copytree(DEFAULT_CACHE / "linux-x64", cache)  # filled by the extension_zip build
    (cache / "strayextra-1.0-py3-none-any.whl").write_bytes(b"a wheel nothing requires")
    with zipfile.ZipFile(extension_zip) as z:
        bundled = {Path(w).name for w in tomllib.loads(z.read("blender_manifest.toml").decode())["wheels"]}
    wheels = fetch_wheels("linux-x64", cache, offline=True)
    assert {w.name for w in wheels} == bundled and not any(w.name.startswith("strayextra") for w in wheels)


@pytest.mark.blender
@pytest.mark.slow
def test_extension_installs_generates_exports_and_uninstalls(extension_zip, tmp_path):
    python = _blender_python()
    if python is None:
        pytest.skip("no Python with bpy: `bash scripts/setup.sh test` makes .venv-blender (PyPI bpy 5.0.1)")
    users = tmp_path / "blender_user"  # a temporary user folder: extensions install there, not in ~
    users.mkdir()
    out = tmp_path / "report.json"
    photo = _pool_shape_photo(MATCHED_SHAPE, tmp_path / "reference chair.png")
    import pillow_heif
    from PIL import Image
    heic = tmp_path / "reference chair.heic"  # the same picture as an iPhone stores photos, losslessly
    pillow_heif.from_pillow(Image.open(photo).convert("RGB")).save(heic, quality=-1)
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(users)}
    proc = subprocess.run([python, str(CHECK), str(extension_zip), str(out), str(photo), str(heic)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert out.is_file(), proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert "exception" not in r, r["exception"]
    assert r["install_result"] == ["FINISHED"] and r["enabled"]
    assert r["install_dir"].startswith(str(users))  # installed into the temporary user folder, not ~
    assert (r["panel"], r["panel_space"], r["panel_region"], r["panel_category"]) == (True, "VIEW_3D", "UI", "IG-GAN")
    assert {"generate", "variations", "match_image", "export_selected", "new_seed", "cancel"} <= set(r["operators"])

    # iggan.generate(count=3, seed=0): three meshes, materials, 0.86 m tall chairs, +Y up -> Blender +Z up
    assert r["generate_result"] == ["FINISHED"]
    meshes = r["meshes"]
    assert len(meshes) == 3 and r["collections"] == ["IG-GAN chairs s0"]
    assert [m["name"] for m in meshes] == ["chair_0_s0", "chair_1_s0", "chair_2_s0"]
    from iggan import sampling
    from iggan.asset_export import ExportSettings, grid_to_asset
    grids = sampling.sample_voxels(sampling.load_model("chairs"), sampling.latents(0, 3, 200))
    for m, grid in zip(meshes, grids):
        assert m["type"] == "MESH" and m["material"] and m["metallic"] == 0.0 and m["faces"] > 100
        ext = np.subtract(m["hi"], m["lo"])
        assert ext[2] == pytest.approx(0.86, abs=1e-4)  # the chairs card's size: a height
        assert m["lo"][2] == pytest.approx(0.0, abs=1e-5)  # pivot at the base: standing on z = 0
        # the exporter's +Y (up) extent is Blender's Z extent; its Z (depth) is Blender's Y
        # (with the card's base levelling: latent 2 of seed 0 stands on a drip that is trimmed)
        sx, sy, sz = grid_to_asset(grid, ExportSettings(size_m=0.86, size_by="height", level_base=0.1)).report["size_m"]
        assert ext == pytest.approx([sx, sz, sy], abs=1e-4)
        assert (m["lo"][0] + m["hi"][0]) / 2 == pytest.approx(m["location"][0], abs=1e-4)  # centred on its pivot
    xs = [(m["lo"][0], m["hi"][0]) for m in meshes]
    assert all(a[1] < b[0] for a, b in zip(xs, xs[1:]))  # side by side, not overlapping

    # the threaded path: objects built on the main thread only; Cancel stops it early
    assert r["threaded_state"] == "cancelled" and 2 <= r["threaded_made"] < 40
    assert r["built_on_main"] and not r["worker_alive"]
    assert (r["mirror_setting"], r["mirror_default"]) == ("x", None)
    assert (r["tilt_setting"], r["tilt_default"], r["flat_default"]) == (25.0, 10.0, 0.35)
    assert (r["level_off"], r["level_default"]) == (0.0, 0.1)
    assert r["distinct_off"] == {} and r["distinct_on"] == {"distinct": 0.0045, "retries": 20}
    assert r["distinct_result"] == ["FINISHED"] and r["distinct_made"] == 3
    assert r["hulls_result"] == ["FINISHED"] and 2 <= len(r["hulls"]) <= 6 and r["hulls_wire"]
    assert all(h.startswith(f"{r['hulls_parent'][0]}_hull") for h in r["hulls"]) and len(r["hulls_parent"]) == 1, \
        (r["hulls"], r["hulls_parent"])
    assert (r["uv_setting"], r["uv_default"], r["uv_layers_default"]) == (True, False, [0, 0, 0])
    assert r["uv_result"] == ["FINISHED"] and r["uv_layers"] == [1] and r["uv_loops"] == r["uv_loops_expected"] > 0
    assert 0.0 <= r["uv_range"][0] < r["uv_range"][1] <= 1.0
    assert r["ao_result"] == ["FINISHED"] and r["ao_setting"] == [True, True]  # AO lays its map over the UVs
    (ao,) = r["ao_maps"]
    assert ao["material"] == "chair_0_s4_surface" and ao["size"] == [256, 256] and ao["base_linked"]
    assert 0.0 <= ao["min"] < ao["max"] <= 1.0 and ao["uv_layers"] == 1
    # the Blender image sits on the surface as the GLB's map does; a missed v-flip would not
    assert r["ao_same_corners"] and r["ao_mismatch"] < 0.02 < r["ao_mismatch_if_unflipped"]
    assert r["ao_default_materials"] == ["IGGAN_chairs"]  # without AO every asset shares one material
    # Palette: red, blue, red; one material per colour; the export keeps them though the panel changed since
    assert r["palette_result"] == ["FINISHED"] and r["palette_export"] == ["FINISHED"]
    from iggan.asset_export.palettes import hex_to_linear
    red, blue = hex_to_linear("#ff0000"), hex_to_linear("#0000ff")
    np.testing.assert_allclose(r["palette_colours"], [red, blue, red], atol=1e-6)
    assert r["palette_recorded"] == r["palette_colours"]
    first_m, second_m, third_m = r["palette_materials"]
    assert first_m == third_m != second_m and first_m.endswith("_ff0000") and second_m.endswith("_0000ff")
    palette_glb = Path(r["palette_glb"])
    from iggan.asset_export.glb_file import read_glb
    doc, _ = read_glb(palette_glb.read_bytes(), "check its materials")
    by_node = {n["name"]: doc["materials"][doc["meshes"][n["mesh"]]["primitives"][0]["material"]]
               for n in doc["nodes"] if "mesh" in n}
    colours = [by_node[name]["pbrMetallicRoughness"]["baseColorFactor"] for name in r["palette_names"]]  # one LOD
    np.testing.assert_allclose(colours, [red, blue, red], atol=1e-6)
    recorded = json.loads(palette_glb.with_name(palette_glb.stem + ".manifest.json").read_text())["assets"]
    np.testing.assert_allclose([a["base_color"] for a in recorded], [red, blue, red], atol=1e-6)
    assert "'wood' is not a hex colour" in (r["palette_error"] or "")
    # Frame: metal legs in a second slot; Export Selected writes them as the GLB's second primitive, face for face
    assert r["frame_result"] == ["FINISHED"] and r["frame_export"] == ["FINISHED"]
    frame_glb = Path(r["frame_glb"])
    exported = json.loads(frame_glb.with_name(frame_glb.stem + ".manifest.json").read_text())["assets"]
    frame_doc, _ = read_glb(frame_glb.read_bytes(), "check its frame")
    meshes = {n["name"]: frame_doc["meshes"][n["mesh"]] for n in frame_doc["nodes"] if "mesh" in n}
    for slots, asset in zip(r["frame_slots"], exported):
        assert slots["names"][1] == "IGGAN_frame_metal" and slots["metallic"] == [0.0, 1.0]
        assert sum(slots["triangles"]) == asset["triangles"][0]
        assert slots["triangles"][1] / sum(slots["triangles"]) == pytest.approx(asset["frame_share"], abs=1e-3)
        prims = meshes[slots["name"]]["primitives"]
        body, frame = (frame_doc["materials"][p["material"]]["name"] for p in prims)
        assert body.startswith("iggan_surface_") and frame == "iggan_frame_metal"  # material_names: by their look
        assert frame_doc["accessors"][prims[1]["indices"]]["count"] // 3 == slots["triangles"][1]
        assert asset["frame_finish"] == "metal"  # as made, though the panel said Same by then
    # an asset made without a frame exports with one material although the panel says Wood by then
    assert r["frame_plain_export"] == ["FINISHED"]
    plain_doc, _ = read_glb(Path(r["frame_plain_glb"]).read_bytes(), "check it has no frame")
    assert all(len(m["primitives"]) == 1 for m in plain_doc["meshes"])
    assert all(not m["name"].startswith("iggan_frame") for m in plain_doc["materials"])
    # Export Selected of a chair, a sofa and the chair again: each with its own card, names unique, the .glb reported
    assert r["mixed_result"] == ["FINISHED"] and [m for _, m in r["mixed_made"]].count("sofas") == 1
    mixed_glb = Path(r["mixed_path"]).with_suffix(".glb")
    assert r["mixed_info"] == f"Exported 3 assets to {mixed_glb}" and not Path(r["mixed_path"]).exists()
    mixed = json.loads(mixed_glb.with_name(mixed_glb.stem + ".manifest.json").read_text())["assets"]
    names = [a["name"] for a in mixed]
    assert len(set(names)) == 3 and sum(n.endswith("_2") for n in names) == 1, names
    (sofa,) = [a for a in mixed if a["model"] == "sofas"]
    assert sofa["size_m"][1] == pytest.approx(0.84, abs=1e-3) and sofa["size_m"][0] > sofa["size_m"][2]  # faces +Z
    assert all(a["size_m"][1] == pytest.approx(0.86, abs=1e-3) for a in mixed if a["model"] == "chairs")
    # Seats: the chair's anchor is an empty where the exported node is, facing as the manifest says
    assert r["seats_result"] == ["FINISHED"] and r["seats_export"] == ["FINISHED"]
    seats_glb = Path(r["seats_glb"])
    (seated,) = json.loads(seats_glb.with_name(seats_glb.stem + ".manifest.json").read_text())["assets"]
    (seat,) = seated["seats"]
    name = f"{r['seats_asset']}_seat"
    assert list(r["seats_anchors"]) == [name] and r["seats_anchors"][name]["type"] == "EMPTY"
    x, y, z = seat["position_m"]
    fx, fy, fz = seat["facing"]
    np.testing.assert_allclose(r["seats_anchors"][name]["local"], [x, -z, y], atol=2e-4)  # Blender is Z-up
    np.testing.assert_allclose(r["seats_anchors"][name]["forward"], [fx, -fz, fy], atol=1e-6)
    seats_doc, _ = read_glb(seats_glb.read_bytes(), "check its seat")
    node = next(n for n in seats_doc["nodes"] if n["name"] == seated["name"] + "_seat")
    np.testing.assert_allclose(node["translation"], seat["position_m"], atol=2e-4)
    # Export Selected with Draco: the same assets, Draco-coded (the extension's bundled DracoPy wheel)
    assert r["draco_export"] == ["FINISHED"]
    draco_doc, _ = read_glb(Path(r["draco_glb"]).read_bytes(), "check its compression")
    assert draco_doc["extensionsRequired"] == ["KHR_draco_mesh_compression"]
    import trimesh
    plain, coded = (trimesh.load(p, force="scene") for p in (palette_glb, Path(r["draco_glb"])))
    assert sorted(coded.geometry) == sorted(plain.geometry)
    for name, mesh in plain.geometry.items():
        assert len(coded.geometry[name].faces) == len(mesh.faces)
        np.testing.assert_allclose(coded.geometry[name].bounds, mesh.bounds, atol=1e-3)
    assert Path(r["draco_glb"]).stat().st_size < 0.5 * palette_glb.stat().st_size
    # ... and its thumbnails, one transparent icon per asset, named in the manifest
    draco_manifest = json.loads(Path(r["draco_glb"]).with_name("report.draco.manifest.json").read_text())
    from PIL import Image
    icons = [Image.open(Path(r["draco_glb"]).parent / a["thumbnail"]) for a in draco_manifest["assets"]]
    assert len(icons) == 3 and all(i.mode == "RGBA" and i.size == (48, 48) for i in icons)
    # Export Selected with Colour variants: each asset carries the selection's colours, its own the default
    assert r["variants_export"] == ["FINISHED"]
    variants_doc, _ = read_glb(Path(r["variants_glb"]).read_bytes(), "check its variants")
    assert [v["name"] for v in variants_doc["extensions"]["KHR_materials_variants"]["variants"]] == ["#ff0000",
                                                                                                  "#0000ff"]
    for node in (n for n in variants_doc["nodes"] if "mesh" in n):
        (prim,) = variants_doc["meshes"][node["mesh"]]["primitives"]
        mapped = [variants_doc["materials"][m["material"]]["pbrMetallicRoughness"]["baseColorFactor"]
                  for m in prim["extensions"]["KHR_materials_variants"]["mappings"]]
        np.testing.assert_allclose(mapped, [red, blue], atol=1e-6)
    assert "select assets made in two or more colours" in (r["variants_one_colour"] or "")
    # errors reach the operator report and the panel
    assert "neither a bundled model" in (r["error_report"] or "") and "neither" in r["panel_error"]
    assert r["variations_result"] == ["FINISHED"] and r["variations"] == ["chair_var0_s0", "chair_var1_s0"]

    # Export Selected: a game-ready GLB through asset_export
    assert r["export_result"] == ["FINISHED"]
    import trimesh
    glb = Path(r["export_path"])
    scene = trimesh.load(glb, force="scene")
    assert len(scene.geometry) == 3 and all(g.is_watertight for g in scene.geometry.values())
    manifest = json.loads(glb.with_name(glb.stem + ".manifest.json").read_text())
    assert [a["name"] for a in manifest["assets"]] == ["chair_0_s0", "chair_1_s0", "chair_2_s0"]
    assert manifest["up"] == "+Y" and manifest["settings"]["size_m"] == pytest.approx(0.86)
    assert manifest["settings"]["size_by"] == "height"
    assert manifest["settings"]["max_tilt_deg"] is None  # the user chose these shapes: no tilt check
    assert all(a["rest_tilt_deg"] <= 10 for a in manifest["assets"])  # but Generate refused any that topple

    # Match Image on a selected reference image: the pool shape it shows, best first, then the next best
    assert r["match_result"] == ["FINISHED"], r.get("match_panel_error")
    first, second = r["matched"]
    assert (first["latent_index"], first["seed"]) == (MATCHED_SHAPE, 0x3A7C) and second["latent_index"] != MATCHED_SHAPE
    assert first["iou"] > 0.9 and first["iou"] >= second["iou"] and abs(first["azimuth"] - 90) < 16
    assert first["photo"].endswith("reference chair.png") and first["collection"] == "IG-GAN chairs match reference_chair"
    assert len(r["match_cache"]) == 1 and r["match_cache"][0].endswith(".npz")  # traced once, kept for next time
    assert "not found" in (r["match_error_report"] or "") and "not found" in r["match_panel_error"]
    assert r["match_error_collections_added"] == []  # a failed job leaves no empty collection behind
    assert r["two_result"] == ["FINISHED"] and r["two_matched"] == [[MATCHED_SHAPE, 2]]  # one shape for both pictures
    assert r["pasted_result"] == ["FINISHED"] and r["pasted_file"] == ""  # an image with no file on disk
    assert [i for i, _ in r["pasted_matched"]] == [MATCHED_SHAPE] and r["pasted_matched"][0][1] == first["iou"]
    assert r["heic_result"] == ["FINISHED"], r.get("heic_error")  # the extension's pillow-heif wheel reads it
    assert [i for i, _ in r["heic_matched"]] == [MATCHED_SHAPE] and r["heic_matched"][0][1] > 0.9
    # Paint: the match's material shows a colour map in the image's colours (a tinted grey render)
    assert r["paint_result"] == ["FINISHED"] and r["paint_maps"] == [[512, 512]] and r["paint_uv_layers"] == 1
    painted, photo = np.array(r["paint_median"]), np.array(r["paint_photo_median"])
    np.testing.assert_allclose(painted / painted[0], photo / photo[0], atol=0.05)  # its hue: orange, as tinted
    assert 0.5 * photo[0] < painted[0] <= photo[0] + 0.02  # as bright as its faces in the image, shadowed ones too

    # uninstall cleanly
    assert r["uninstall_result"] == ["FINISHED"] and not r["enabled_after"]
    assert not r["panel_after"] and not r["scene_settings_after"] and r["modules_after"] == []
    assert not r["install_dir_exists_after"] and not Path(r["install_dir"]).exists()


@pytest.fixture(scope="module")
def edges(extension_zip, tmp_path_factory):
    """What tests/clients/extension_edges.py saw in the installed extension (one bpy run for the tests below)."""
    python = _blender_python()
    if python is None:
        pytest.skip("no Python with bpy: `bash scripts/setup.sh test` makes .venv-blender (PyPI bpy 5.0.1)")
    folder = tmp_path_factory.mktemp("edges")
    (folder / "user").mkdir()
    out = folder / "report.json"
    proc = subprocess.run([python, str(ROOT / "tests" / "clients" / "extension_edges.py"), str(extension_zip),
                           str(out)], env={**os.environ, "BLENDER_USER_RESOURCES": str(folder / "user")},
                          capture_output=True, text=True, timeout=300)
    assert out.is_file(), proc.stderr[-3000:]
    r = json.loads(out.read_text())
    assert "exception" not in r, r["exception"]
    return r


@pytest.mark.blender
def test_a_failure_placing_an_asset_is_the_jobs_outcome(edges):
    """Placer.add raising on the 2nd asset of 2 (the worker then finishes) or of 3 (it then sees the cancel):
    the error is reported, not 'Generated 1 assets' or 'cancelled after 2 of 3'."""
    for key in ("place_fail_2", "place_fail_3"):
        result, state, error = edges[key]
        assert "placing failed" in result and state == "failed" and "placing failed" in error, (key, edges[key])


@pytest.mark.blender
def test_a_job_stopped_after_some_assets_finishes_so_undo_holds_them(edges):
    """Cancel after the first asset keeps it; the operator must say FINISHED (CANCELLED pushes no undo step, and
    Ctrl-Z would take the step before with it). A failure that made nothing stays CANCELLED and leaves nothing."""
    assert edges["cancel_result"] == ["FINISHED"] and edges["cancel_kept"] == 1
    assert "not_an_image.png" in edges["match_bad_image"]


@pytest.mark.blender
def test_each_batch_is_a_row_behind_the_earlier_ones(edges):
    """Generate seed 0, Generate seed 7, then Variations of the first chair: three rows along +Y, 0.25 m apart,
    on the floor; all three landed at the origin, inside one another."""
    (a0, a1), (b0, b1) = edges["rows"]
    c0, _ = edges["variations_row"]
    assert a0 == pytest.approx(-a1) and b0 == pytest.approx(a1 + 0.25, abs=1e-4)
    assert c0 == pytest.approx(b1 + 0.25, abs=1e-4)
    assert all(z == pytest.approx(0.0, abs=1e-5) for z in edges["rows_on_floor"])


@pytest.mark.blender
def test_the_panels_reports_count_in_english(edges):
    """'Generated 1 asset', 'Made 1 variation', '2 assets': not 'Generated 1 assets'."""
    assert edges["generate_info"][0].startswith("Generated 1 asset in ") and edges["generate_info"][1] == "2 assets"
    assert edges["variations_info"].startswith("Made 1 variation in ")


@pytest.mark.blender
def test_repeated_generates_share_a_material_until_it_is_edited(edges):
    """Two Generates and a Variations in one colour: one IGGAN_chairs, not .001, .002; once the user edits it, the
    next Generate gets its own. A Match Image that fails on a text file leaves no material (nor collection)."""
    assert edges["materials_two_runs"] == ["IGGAN_chairs"]
    assert edges["materials_after_edit"] == ["IGGAN_chairs", "IGGAN_chairs.001"]
    assert edges["match_bad_image_left"] == [True, True]
    assert edges["undo_added"]["materials"] == 0  # the undo check's Generate reused it too


@pytest.mark.blender
def test_export_selected_without_a_file_name_says_so(edges):
    """No file name: a Python traceback before; a folder: it wrote FOLDER.glb beside the folder."""
    for key in ("export_blank", "export_folder"):
        assert "Choose a file name for the GLB" in edges[key], edges[key]
    assert not edges["export_folder_wrote"]


@pytest.mark.blender
def test_file_paths_take_blend_relative_paths_and_the_model_list_keeps_its_strings(edges):
    """Checkpoint and Image are read with bpy.path.abspath, so '//' paths work: Blender 5.0 must be told, else it
    warns on each and its file browser stores absolute paths. The model list's strings stay alive between draws."""
    assert edges["relative_warnings"] == [] and edges["relative_flags"] == [True, True]
    assert edges["enum_same_strings"]


@pytest.mark.blender
def test_undo_after_generate_removes_just_what_it_added(edges):
    """Background mode pushes no undo step for an operator (bpy.ops.ed.undo's poll fails), so the client pushes
    one on each side of Generate as the UI does; one undo then takes its objects, meshes and collection."""
    assert edges["undo_added"]["objects"] == 2 and edges["undo_added"]["collections"] == 1
    assert all(edges["undo_same"].values()), edges["undo_same"]


@pytest.mark.blender
def test_disabling_mid_job_unregisters_its_timer(edges):
    """shutdown() asked bpy.app.timers about a fresh bound method, never the one registered, so the timer stayed."""
    assert edges["timer_registered"] and not edges["timer_after_disable"]


@pytest.mark.blender
def test_export_thumbnails_below_16_px_name_the_field(edges):
    """The dialog's Thumbnails (px) takes 1-15, which the exporter refused as 'invalid settings: thumbnail_size'."""
    assert "Thumbnails (px): 0 for none, or 16 to 2048" in edges["export_thumbnails_8"], edges["export_thumbnails_8"]
