"""Real clients load the exported GLB: three.js GLTFLoader, Google <model-viewer> and Babylon.js in headless
Chromium (playwright-core, files served on 127.0.0.1), Blender's glTF importer (PyPI bpy), the
Godot 3 game engine's (Debian's godot3 under Xvfb) and the Open Asset Import Library's (assimp, the
importer of the O3DE engine and many tools; Debian's assimp-utils). Each checks names, sizes, +Y up
and the base-centre pivot as that client reports them."""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glb_checks
from benchmark_scripts import load_script
from iggan.asset_export import ExportSettings, export_grids
from iggan.asset_export.palettes import hex_to_linear

ROOT = glb_checks.ROOT
CLIENTS = ROOT / "tests" / "clients"
MODELNET = Path("/work/shared/data/modelnet10-chairs-32.npz")
SIZE = 0.9
VARIANTS = ["#5c4033", "#b98b5a", "#2c3e5c"]  # --palette '#5c4033 #b98b5a #2c3e5c' --variants: brown, tan, blue
VARIANT_PALETTE = tuple(hex_to_linear(c) for c in VARIANTS)


def _browser_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    for pkg in ("three", "@google/model-viewer", "playwright-core", "babylonjs", "babylonjs-loaders"):
        if not (ROOT / "node_modules" / pkg).is_dir():
            return f"npm package {pkg} is missing: run `npm install` (bash scripts/setup.sh test)"
    browser = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(browser).exists():
        return f"no Chromium at {browser}: `apt-get install chromium` (or set CHROMIUM)"
    return None


@pytest.fixture
def browser() -> None:
    """Skip, saying what to install, unless node, the npm clients and Chromium are here."""
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)


def _blender_python() -> str | None:
    """A Python that can import bpy: $IGGAN_BLENDER_PYTHON, .venv-blender (scripts/setup.sh test),
    or this interpreter."""
    for cand in (os.environ.get("IGGAN_BLENDER_PYTHON"), ROOT / ".venv-blender" / "bin" / "python", sys.executable):
        if cand and Path(cand).exists():
            ok = subprocess.run([str(cand), "-c", "import bpy"], capture_output=True, timeout=120).returncode == 0
            if ok:
                return str(cand)
    return None


def _shapes():
    if MODELNET.is_file():
        return np.load(MODELNET)["voxels"][:3], "z"
    g = np.zeros((3, 16, 16, 16), np.float32)
    g[:, 3:13, 1:4, 3:13] = 1  # seat slab low in y ...
    g[:, 3:6, 1:15, 3:13] = 1  # ... and a back rest
    g[1, 8:12, 4:10, 6:10] = 1
    return g, "y"


def _legged_chairs() -> np.ndarray:
    """(2, 24, 24, 24) chairs, +Y up: a seat on four 2 x 2 legs and a back; the second a little taller."""
    g = np.zeros((2, 24, 24, 24), np.float32)
    for i in range(2):
        g[i, 6:18, 8 + i:10 + i, 6:18] = 1
        g[i, 6:18, 10 + i:20 + i, 16:18] = 1
        for x in (6, 16):
            for z in (6, 16):
                g[i, x:x + 2, 0:8 + i, z:z + 2] = 1
    return g


def _frame_share(triangles: list[int], asset: dict) -> None:
    """A client's triangles per material (body, frame) of an asset match the manifest's count and frame share."""
    assert len(triangles) == 2 and sum(triangles) == asset["triangles"][0]
    assert triangles[1] / sum(triangles) == pytest.approx(asset["frame_share"], abs=1e-3)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Exported files plus the client pages, served from a temporary folder on 127.0.0.1."""
    root = tmp_path_factory.mktemp("site")
    grids, up = _shapes()
    names = [f"chair_{i}" for i in range(len(grids))]
    # set.glb with UV atlases and occlusion maps (--ao), one.glb without: the clients load both kinds
    manifest = export_grids(grids, root / "set.glb", ExportSettings(size_m=SIZE, lods=2, collision="godot", ao=True),
                            names=names, up=up)
    single = export_grids(grids[:1], root / "one.glb", ExportSettings(size_m=SIZE), names=["chair"], up=up)
    # parts.glb: each chair's collision as a convex decomposition (--collision-hulls 6)
    parts = export_grids(grids[:2], root / "parts.glb",
                         ExportSettings(size_m=SIZE, collision="godot", collision_hulls=6),
                         names=["chair_0", "chair_1"], up=up)
    # variants.glb: two chairs in a palette's first two colours, each carrying all three as material variants
    export_grids(grids[:2], root / "variants.glb", ExportSettings(size_m=SIZE, palette=VARIANT_PALETTE, variants=True),
                 names=["chair_0", "chair_1"], up=up)
    # frame.glb: two legged chairs whose legs carry a metal frame material (--frame metal)
    frame = export_grids(_legged_chairs(), root / "frame.glb", ExportSettings(size_m=SIZE, frame="metal"),
                         names=["chair_0", "chair_1"], up="y")
    # seats.glb: the legged chairs with a sitting place each (--seats), turned a quarter (--yaw 90) to face -X
    seats = export_grids(_legged_chairs(), root / "seats.glb", ExportSettings(size_m=SIZE, seats=True, yaw_deg=90),
                         names=["chair_0", "chair_1"], up="y")
    # painted.glb: match --texture's colour map (and --ao's occlusion map) on one chair
    painted = _painted(grids[0], up, root / "painted.glb")
    # set.gltf + set.bin: the same file as `--out set.gltf` writes it
    from iggan.asset_export.gltf_separate import write_gltf_files
    write_gltf_files([(root / "set.gltf", (root / "set.glb").read_bytes())], overwrite=False)
    # set.draco.glb: the same set with its meshes Draco-coded, as `--compress draco` writes it
    from iggan.asset_export.draco import compress_glb
    (root / "set.draco.glb").write_bytes(compress_glb((root / "set.glb").read_bytes()))
    (root / "one.draco.glb").write_bytes(compress_glb((root / "one.glb").read_bytes()))
    glb_checks.assert_valid([root / "set.glb", root / "one.glb", root / "parts.glb", root / "painted.glb",
                             root / "set.gltf", root / "set.draco.glb", root / "variants.glb", root / "frame.glb",
                             root / "seats.glb"])
    for page in ("three_check.html", "model_viewer_check.html", "babylon_check.html"):
        shutil.copy(CLIENTS / page, root / page)
    if (ROOT / "node_modules").is_dir():
        (root / "node_modules").symlink_to(ROOT / "node_modules")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"root": root, "url": f"http://127.0.0.1:{server.server_address[1]}", "manifest": manifest,
           "single": single, "parts": parts, "painted": painted, "frame": frame, "seats": seats}
    server.shutdown()
    server.server_close()


def _painted(grid, up: str, out: Path) -> dict:
    """A chair painted from a two-coloured 'photo' seen from azimuth 30, elevation 20 degrees, as
    `match --texture --ao` paints one; returns the manifest."""
    import math
    from iggan.asset_export import grid_to_asset, place_assets, plan_outputs, write_bundle
    from iggan.asset_export.photo_texture import PhotoView
    rgb = np.zeros((64, 64, 3), np.float32)
    rgb[:, :32], rgb[:, 32:] = (0.8, 0.3, 0.2), (0.2, 0.4, 0.8)
    view = PhotoView(rgb, np.pad(np.ones((48, 48), np.float32), 8), math.radians(30), math.radians(20),
                     2 * math.degrees(math.atan(1 / 3)), 3.0)
    settings = ExportSettings(size_m=SIZE, ao=True)
    asset = grid_to_asset(grid, settings, up=up, photos=[view])
    return write_bundle(place_assets(["chair"], [asset], [{}], "grid"), plan_outputs(out, False, False, 0), settings,
                        {}, overwrite=False, preview=0)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".glb": "model/gltf-binary",
                      ".gltf": "model/gltf+json",
                      ".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, *args):
        pass


def _browser(url: str, shot: Path | None = None) -> dict:
    args = ["node", str(CLIENTS / "browser_check.mjs"), url] + ([str(shot)] if shot else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "error" not in data["result"], data
    return data["result"]


def _assert_reads_the_set(res: dict, manifest: dict) -> None:
    """A browser client's report (three_check.html, babylon_check.html) of set.glb matches what was exported."""
    assets = manifest["assets"]
    assert res["roots"] == [a["name"] for a in assets]
    for a in assets:
        lod0 = res["meshes"][f"{a['name']}_LOD0"]
        assert lod0["parent"] == a["name"] and lod0["hasNormals"]
        assert lod0["metalness"] == 0 and lod0["triangles"] == a["triangles"][0]
        assert res["meshes"][f"{a['name']}_LOD1"]["triangles"] == a["triangles"][1]
        # --ao: the client reads the UV set and puts the occlusion map on the material
        assert lod0["hasUVs"] and lod0["aoMap"] == [256, 256]
        assert res["meshes"][f"{a['name']}_LOD1"]["aoMap"] == [128, 128]
        assert f"{a['name']}-convcolonly" in res["meshes"]
        assert res["meshes"][f"{a['name']}-convcolonly"]["aoMap"] is None
        assert lod0["map"] is None  # no colour map unless painted from a photo
        lo, hi = np.array(lod0["min"]), np.array(lod0["max"])
        t = np.array(a["translation_m"])
        assert lo[1] == pytest.approx(0, abs=1e-5)  # standing on the floor, +Y up
        assert (hi - lo).max() == pytest.approx(SIZE, abs=1e-4)
        np.testing.assert_allclose(((lo + hi) / 2 - t)[[0, 2]], 0, atol=1e-5)  # pivot at the base centre


@pytest.mark.clients
def test_threejs_gltfloader(site, browser):
    _assert_reads_the_set(_browser(f"{site['url']}/three_check.html?src=/set.glb"), site["manifest"])


@pytest.mark.clients
def test_threejs_loads_the_gltf_and_bin_pair_as_the_glb(site, browser):
    glb = _browser(f"{site['url']}/three_check.html?src=/set.glb")
    gltf = _browser(f"{site['url']}/three_check.html?src=/set.gltf")  # fetches set.bin beside it
    assert gltf["roots"] == glb["roots"] == [a["name"] for a in site["manifest"]["assets"]]
    assert gltf["meshes"] == glb["meshes"]


@pytest.mark.clients
@pytest.mark.parametrize("page", ["three_check.html", "babylon_check.html"])
def test_web_clients_read_the_frame_as_a_second_mesh_in_metal(site, browser, page):
    res = _browser(f"{site['url']}/{page}?src=/frame.glb")
    for a in site["frame"]["assets"]:
        # three.js and Babylon.js make a node named after the glTF node holding one mesh per primitive, in order
        parts = [m for m in res["meshes"].values() if m["parent"] == a["name"]]
        assert [m["material"] for m in parts] == ["iggan_surface_e7e7e7", "iggan_frame_metal"]
        assert [m["metalness"] for m in parts] == [0, 1]
        _frame_share([m["triangles"] for m in parts], a)


def _seat_places(manifest: dict) -> dict:
    """{anchor node name: (world position, forward)} from a manifest's seats, glTF axes."""
    out = {}
    for a in manifest["assets"]:
        assert len(a["seats"]) == 1  # one chair seats one
        seat = a["seats"][0]
        out[f"{a['name']}_seat"] = (np.add(a["translation_m"], seat["position_m"]), np.array(seat["facing"]))
    return out


@pytest.mark.clients
def test_threejs_reads_each_seat_anchor_where_and_facing_as_the_manifest_says(site, browser):
    anchors = _browser(f"{site['url']}/three_check.html?src=/seats.glb")["anchors"]
    places = _seat_places(site["seats"])
    assert sorted(anchors) == sorted(places)
    for name, (position, facing) in places.items():
        assert anchors[name]["parent"] == name[: -len("_seat")]
        np.testing.assert_allclose(anchors[name]["position"], position, atol=2e-4)  # the manifest's 0.1 mm
        np.testing.assert_allclose(anchors[name]["forward"], facing, atol=1e-6)
        np.testing.assert_allclose(facing, [-1, 0, 0])  # the chairs' -Z back-to-front, turned by --yaw 90


def _same_but_bounds(coded: dict, plain: dict, tolerance: float) -> None:
    """Two clients' reports of one set agree on everything, and on each mesh's bounds within `tolerance` (m)."""
    assert coded.keys() == plain.keys()
    for name, mesh in plain.items():
        if isinstance(mesh, dict) and "min" in mesh:
            for key in ("min", "max"):
                np.testing.assert_allclose(coded[name][key], mesh[key], atol=tolerance, err_msg=name)
            mesh = {k: v for k, v in mesh.items() if k not in ("min", "max")}
            assert {k: v for k, v in coded[name].items() if k not in ("min", "max")} == mesh, name
        else:
            assert coded[name] == mesh, name


DRACO_STEP = 2 * SIZE * 2.0 ** -14  # positions on a 14-bit grid over a mesh's largest extent (<= the layout's 2 m)


@pytest.mark.clients
def test_threejs_decodes_the_draco_set_as_the_plain_one(site, browser):
    plain = _browser(f"{site['url']}/three_check.html?src=/set.glb")
    coded = _browser(f"{site['url']}/three_check.html?src=/set.draco.glb")  # DRACOLoader, three's own decoder
    assert coded["roots"] == plain["roots"]
    _same_but_bounds(coded["meshes"], plain["meshes"], DRACO_STEP)  # triangles, UVs, AO maps and all


@pytest.mark.clients
def test_threejs_reads_a_photo_colour_map_as_srgb(site, browser):
    res = _browser(f"{site['url']}/three_check.html?src=/painted.glb")
    mesh = res["meshes"]["chair"]
    assert mesh["map"] == [512, 512] and mesh["mapSRGB"] is True  # glTF colour maps are sRGB
    assert mesh["aoMap"] == [256, 256] and mesh["hasUVs"]
    assert mesh["triangles"] == site["painted"]["assets"][0]["triangles"][0]


@pytest.mark.clients
def test_model_viewer(site, tmp_path, browser):
    shot = tmp_path / "model_viewer.png"
    res = _browser(f"{site['url']}/model_viewer_check.html?src=/one.glb", shot)
    size = np.array(site["single"]["assets"][0]["size_m"])
    np.testing.assert_allclose(res["dimensions"], size, atol=1e-4)
    np.testing.assert_allclose(res["center"], [0, size[1] / 2, 0], atol=1e-4)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    background = img[5, 5]
    drawn = np.abs(img - background).sum(axis=2) > 30
    assert 0.02 < drawn.mean() < 0.9, "model-viewer drew nothing (or only the model)"


@pytest.mark.clients
def test_model_viewer_draws_the_draco_file_as_the_plain_one(site, tmp_path, browser):
    drawn = []
    for name in ("one.glb", "one.draco.glb"):
        shot = tmp_path / f"{name}.png"
        res = _browser(f"{site['url']}/model_viewer_check.html?src=/{name}", shot)
        np.testing.assert_allclose(res["dimensions"], site["single"]["assets"][0]["size_m"], atol=DRACO_STEP)
        img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
        drawn.append(np.abs(img - img[5, 5]).sum(axis=2) > 30)
    plain, coded = drawn
    assert plain.mean() > 0.02 and (plain & coded).sum() / (plain | coded).sum() > 0.98  # the same picture


def _drawn_colour(shot: Path) -> np.ndarray:
    """Mean RGB of the pixels that differ from the background (the top-left corner)."""
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    drawn = np.abs(img - img[5, 5]).sum(axis=2) > 30
    assert drawn.mean() > 0.02, "nothing drawn"
    return img[drawn].mean(axis=0)


@pytest.mark.clients
def test_model_viewer_lists_the_variants_and_switches_to_one(site, tmp_path, browser):
    default = _browser(f"{site['url']}/model_viewer_check.html?src=/variants.glb", tmp_path / "default.png")
    assert default["variants"] == VARIANTS and default["variant"] is None
    blue = _browser(f"{site['url']}/model_viewer_check.html?src=/variants.glb&variant=%232c3e5c", tmp_path / "blue.png")
    assert blue["variant"] == "#2c3e5c"
    # brown and tan chairs turn blue: the drawn pixels' blue exceeds their red only after the switch
    (r0, _, b0), (r1, _, b1) = _drawn_colour(tmp_path / "default.png"), _drawn_colour(tmp_path / "blue.png")
    assert r0 > b0 and b1 - r1 > 15, ((r0, b0), (r1, b1))


@pytest.mark.clients
def test_babylon_loads_the_set(site, tmp_path, browser):
    shot = tmp_path / "babylon.png"
    # the scene is right-handed, so the bounds are the file's own; the AO map is Babylon's ambientTexture
    _assert_reads_the_set(_browser(f"{site['url']}/babylon_check.html?src=/set.glb", shot), site["manifest"])
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert 0.02 < (np.abs(img - img[5, 5]).sum(axis=2) > 30).mean() < 0.9, "Babylon drew nothing (or only the set)"


@pytest.mark.clients
def test_babylon_lists_the_variants_and_selects_one(site, browser):
    default = _browser(f"{site['url']}/babylon_check.html?src=/variants.glb")
    assert default["variants"] == VARIANTS
    for k, name in enumerate(("chair_0", "chair_1")):  # each chair in its dealt colour, then both blue
        np.testing.assert_allclose(default["meshes"][name]["albedo"], VARIANT_PALETTE[k][:3], atol=1e-5)
    blue = _browser(f"{site['url']}/babylon_check.html?src=/variants.glb&variant=%232c3e5c")
    for name in ("chair_0", "chair_1"):
        np.testing.assert_allclose(blue["meshes"][name]["albedo"], VARIANT_PALETTE[2][:3], atol=1e-5)


@pytest.mark.clients
def test_babylon_decodes_the_draco_set_as_three_does(site, browser):
    plain = _browser(f"{site['url']}/babylon_check.html?src=/set.glb")
    coded = _browser(f"{site['url']}/babylon_check.html?src=/set.draco.glb")  # Google's glTF Draco decoder
    assert coded["roots"] == plain["roots"]
    _same_but_bounds(coded["meshes"], plain["meshes"], DRACO_STEP)


@pytest.mark.clients
def test_babylon_reads_a_photo_colour_map_as_srgb(site, browser):
    mesh = _browser(f"{site['url']}/babylon_check.html?src=/painted.glb")["meshes"]["chair"]
    assert mesh["map"] == [512, 512] and mesh["mapSRGB"] is True
    assert mesh["aoMap"] == [256, 256] and mesh["triangles"] == site["painted"]["assets"][0]["triangles"][0]


def _blender_report(glb: Path) -> dict:
    """What Blender's glTF importer made of `glb` (tests/clients/blender_check.py); skips without bpy."""
    python = _blender_python()
    if python is None:
        pytest.skip("no Python with bpy: `bash scripts/setup.sh test` makes .venv-blender, or pip install "
                    "'iggan-assets[blender]' (bpy 5.0.1), or set IGGAN_BLENDER_PYTHON")
    out = subprocess.run([python, str(CLIENTS / "blender_check.py"), str(glb)], capture_output=True, text=True,
                         timeout=300)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BLENDER_JSON ")), None)
    assert line, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(line[len("BLENDER_JSON "):])


@pytest.mark.blender
def test_blender_import(site):
    objects = _blender_report(site["root"] / "set.glb")["objects"]
    for a in site["manifest"]["assets"]:
        name = a["name"]
        assert objects[name]["type"] == "EMPTY"
        lod0 = objects[f"{name}_LOD0"]
        assert lod0["parent"] == name and objects[f"{name}-convcolonly"]["parent"] == name
        assert lod0["triangles"] == a["triangles"][0] and lod0["metallic"] == 0
        assert lod0["uv_layers"] == 1 and objects[f"{name}-convcolonly"]["uv_layers"] == 0
        lo, hi = np.array(lod0["min"]), np.array(lod0["max"])
        # Blender is Z-up: glTF +Y (up) becomes +Z, glTF +Z becomes -Y
        assert lo[2] == pytest.approx(0, abs=1e-5)
        assert (hi - lo).max() == pytest.approx(SIZE, abs=1e-4)
        assert hi[2] - lo[2] == pytest.approx(a["size_m"][1], abs=1e-4)
        t = np.array(a["translation_m"])
        np.testing.assert_allclose((lo + hi)[:2] / 2, [t[0], -t[2]], atol=1e-5)


@pytest.mark.blender
def test_blender_imports_the_variants(site):
    report = _blender_report(site["root"] / "variants.glb")
    assert report["variants"] == VARIANTS
    for name in ("chair_0", "chair_1"):
        per_variant = report["objects"][name]["variant_materials"]
        assert sorted(per_variant) == ["0", "1", "2"] and len(set(per_variant.values())) == 3


@pytest.mark.blender
def test_blender_imports_the_frame_as_a_second_material_slot(site):
    objects = _blender_report(site["root"] / "frame.glb")["objects"]
    for a in site["frame"]["assets"]:
        slots = objects[a["name"]]["slots"]
        assert [s["material"] for s in slots] == ["iggan_surface_e7e7e7", "iggan_frame_metal"]
        assert [s["metallic"] for s in slots] == [0, 1]
        _frame_share([s["triangles"] for s in slots], a)


@pytest.mark.blender
def test_blender_imports_each_seat_anchor_as_an_empty_facing_forward(site):
    objects = _blender_report(site["root"] / "seats.glb")["objects"]
    for name, (position, facing) in _seat_places(site["seats"]).items():
        empty = objects[name]
        assert empty["type"] == "EMPTY" and empty["parent"] == name[: -len("_seat")]
        # Blender is Z-up: glTF (x, y, z) is Blender (x, -z, y)
        np.testing.assert_allclose(empty["location"], [position[0], -position[2], position[1]], atol=2e-4)
        np.testing.assert_allclose(empty["forward"], [facing[0], -facing[2], facing[1]], atol=1e-6)


@pytest.mark.blender
def test_blender_decodes_the_draco_set_as_the_plain_one(site):
    plain, coded = (_blender_report(site["root"] / name) for name in ("set.glb", "set.draco.glb"))
    assert coded["import"] == ["FINISHED"]
    _same_but_bounds(coded["objects"], plain["objects"], DRACO_STEP)


@pytest.mark.clients
def test_godot_import(site, tmp_path):
    godot = load_script("godot_project")
    reason = godot.missing()
    if reason:
        pytest.skip(reason)
    project = tmp_path / "godot"
    env = godot.make_project(project, [site["root"] / "set.glb", site["root"] / "parts.glb",
                                       site["root"] / "painted.glb", site["root"] / "frame.glb",
                                       site["root"] / "seats.glb"],
                             [CLIENTS / "godot_check.gd"])
    godot.import_assets(project, env)
    out = godot.run_script(project, env, "godot_check.gd")
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("GODOT_JSON ")), None)
    assert line, (project / "import.log").read_text()[-2000:] + out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads(line[len("GODOT_JSON "):])
    assert "error" not in result, result
    nodes = {n["path"]: n for n in result["files"]["set.glb"]}
    assets = site["manifest"]["assets"]
    assert [p for p in nodes if p.count("/") == 1] == [f"set/{a['name']}" for a in assets]
    for a in assets:
        name = a["name"]
        base = f"set/{name}"
        for k in (0, 1):
            lod = nodes[f"{base}/{name}_LOD{k}"]
            assert lod["type"] == "MeshInstance" and lod["triangles"] == a["triangles"][k]
            assert lod["has_normals"] and lod["has_uvs"] and lod["metallic"] == 0
            assert lod["ao"] and lod["ao_size"] == 256 >> k  # --ao: the occlusion map on the material
            assert lod["albedo_size"] == 0  # no colour map unless painted from a photo
        # -convcolonly: Godot makes a static body with a convex collision shape, and no mesh for it
        assert nodes[f"{base}/{name}"]["type"] == "StaticBody"
        hull = nodes[f"{base}/{name}/shape0"]
        assert hull["type"] == "CollisionShape" and hull["shape"] == "ConvexPolygonShape" and hull["points"] >= 4
        assert not any("convcolonly" in p for p in nodes)
        lo, hi = np.array(nodes[f"{base}/{name}_LOD0"]["min"]), np.array(nodes[f"{base}/{name}_LOD0"]["max"])
        assert lo[1] == pytest.approx(0, abs=1e-5)  # standing on the floor, +Y up as in glTF
        assert (hi - lo).max() == pytest.approx(SIZE, abs=1e-4)
        np.testing.assert_allclose(hi - lo, a["size_m"], atol=1e-4)
        np.testing.assert_allclose(((lo + hi) / 2 - np.array(a["translation_m"]))[[0, 2]], 0, atol=1e-5)
    # --collision-hulls: every part becomes a static body with its own convex shape
    parts = {n["path"]: n for n in result["files"]["parts.glb"]}
    for a in site["parts"]["assets"]:
        base = f"parts/{a['name']}"
        bodies = [f"{base}/{a['name']}_hull{k}" for k in range(a["collision_hulls"])]
        assert a["collision_hulls"] >= 2 and all(parts[b]["type"] == "StaticBody" for b in bodies)
        assert all(parts[f"{b}/shape0"]["shape"] == "ConvexPolygonShape" for b in bodies)
    # match --texture: Godot puts the colour map on the material's albedo, beside the occlusion map
    painted = {n["path"]: n for n in result["files"]["painted.glb"]}["painted/chair"]
    assert painted["albedo_size"] == 512 and painted["ao"] and painted["ao_size"] == 256
    assert painted["triangles"] == site["painted"]["assets"][0]["triangles"][0]
    # --frame: one mesh of two surfaces, the second metallic
    framed = {n["path"]: n for n in result["files"]["frame.glb"]}
    for a in site["frame"]["assets"]:
        surfaces = framed[f"frame/{a['name']}"]["surfaces"]
        assert [s["metallic"] for s in surfaces] == [0, 1]
        _frame_share([s["triangles"] for s in surfaces], a)
    # --seats: each anchor is a Spatial where the manifest says, its +Z the way the sitter faces
    seated = {n["path"]: n for n in result["files"]["seats.glb"]}
    for name, (position, facing) in _seat_places(site["seats"]).items():
        anchor = seated[f"seats/{name[: -len('_seat')]}/{name}"]
        assert anchor["type"] == "Spatial"
        np.testing.assert_allclose(anchor["origin"], position, atol=2e-4)
        np.testing.assert_allclose(anchor["forward"], facing, atol=1e-6)


def _numbers(element) -> np.ndarray:
    return np.array(element.text.split(), np.float64)


def test_assimp_import(site, tmp_path):
    """assimp reads set.glb (LODs, a Godot hull, occlusion maps) as the manifest describes it; its XML dump
    (`assimp dump`) shows the node tree, transforms, meshes, vertex data and materials as imported."""
    if shutil.which("assimp") is None:
        pytest.skip("needs assimp: apt-get install assimp-utils (scripts/setup.sh test)")
    dump = tmp_path / "set.assxml"
    done = subprocess.run(["assimp", "dump", str(site["root"] / "set.glb"), str(dump)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and dump.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    scene = ET.parse(dump).getroot().find("Scene")
    meshes, materials = scene.find("MeshList").findall("Mesh"), scene.find("MaterialList").findall("Material")
    asset_nodes = scene.find("Node").find("NodeList").findall("Node")
    assets = site["manifest"]["assets"]
    assert [n.get("name") for n in asset_nodes] == [a["name"] for a in assets]
    for node, a in zip(asset_nodes, assets):
        name = a["name"]
        matrix = _numbers(node.find("Matrix4")).reshape(4, 4)
        np.testing.assert_allclose(matrix[:3, :3], np.eye(3), atol=1e-6)  # placed by translation only
        np.testing.assert_allclose(matrix[:3, 3], a["translation_m"], atol=1e-5)
        children = {c.get("name"): c for c in node.find("NodeList").findall("Node")}
        assert set(children) == {f"{name}_LOD0", f"{name}_LOD1", f"{name}-convcolonly"}
        mesh_of = {k: meshes[int(c.find("MeshRefs").text)] for k, c in children.items()}
        for k in (0, 1):
            mesh = mesh_of[f"{name}_LOD{k}"]
            assert int(mesh.find("FaceList").get("num")) == a["triangles"][k]
            positions = _numbers(mesh.find("Positions")).reshape(-1, 3)
            normals = _numbers(mesh.find("Normals")).reshape(-1, 3)
            np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-4)
            assert mesh.find("TextureCoords") is not None  # the UV atlas that --ao implies
            if k == 0:
                lo, hi = positions.min(axis=0), positions.max(axis=0)
                assert lo[1] == pytest.approx(0, abs=1e-5)  # standing on the floor, +Y up as in glTF
                np.testing.assert_allclose(hi - lo, a["size_m"], atol=1e-4)
                np.testing.assert_allclose(((lo + hi) / 2)[[0, 2]], 0, atol=1e-5)  # pivot at the base centre
            material = {p.get("key"): p.text.strip()
                        for p in materials[int(mesh.get("material_index"))].find("MatPropertyList")}
            assert float(material["$mat.metallicFactor"]) == 0.0
            assert "$tex.file" in material  # the occlusion map (assimp files it as a lightmap)
        hull = mesh_of[f"{name}-convcolonly"]
        assert int(hull.find("FaceList").get("num")) == a["collision_triangles"]


def _assimp_meshes(glb: Path, dump: Path) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(triangles, min, max) of each mesh as `assimp dump` imports them, in the file's order."""
    done = subprocess.run(["assimp", "dump", str(glb), str(dump)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and dump.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    meshes = ET.parse(dump).getroot().find("Scene").find("MeshList").findall("Mesh")
    out = []
    for mesh in meshes:
        positions = _numbers(mesh.find("Positions")).reshape(-1, 3)
        out.append((int(mesh.find("FaceList").get("num")), positions.min(axis=0), positions.max(axis=0)))
    return out


def test_assimp_decodes_the_draco_set_as_the_plain_one(site, tmp_path):
    """Debian's assimp is built with Draco: the coded set gives the same meshes, triangles and bounds."""
    if shutil.which("assimp") is None:
        pytest.skip("needs assimp: apt-get install assimp-utils (scripts/setup.sh test)")
    plain = _assimp_meshes(site["root"] / "set.glb", tmp_path / "plain.assxml")
    coded = _assimp_meshes(site["root"] / "set.draco.glb", tmp_path / "coded.assxml")
    assert len(coded) == len(plain) == 9  # 3 chairs x (2 LODs + a hull)
    for (tris_c, lo_c, hi_c), (tris_p, lo_p, hi_p) in zip(coded, plain):
        assert tris_c == tris_p
        np.testing.assert_allclose(lo_c, lo_p, atol=DRACO_STEP)
        np.testing.assert_allclose(hi_c, hi_p, atol=DRACO_STEP)
