"""GLB -> FBX (iggan/fbx.py, `iggan-assets blender fbx`): inputs are checked before Blender starts, a
failed conversion leaves an existing FBX as it was, and (marked `blender`) the FBX that Blender writes
reads back, in Blender's FBX importer and in assimp, with the GLB's node names, triangle counts, sizes,
+Y up and base-centre pivots."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from iggan import fbx
from iggan.asset_export import ExportSettings, export_grids
from iggan.blender_process import BlenderUnavailable, find_blender
from iggan.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "tests" / "clients" / "blender_import_check.py"
NODE_TREE = ROOT / "tests" / "clients" / "fbx_node_tree.py"
SIZE = 0.86


def _grids() -> np.ndarray:
    g = np.zeros((2, 16, 16, 16), np.float32)
    g[:, 3:13, 1:4, 3:13] = 1  # a seat slab low in y ...
    g[:, 3:6, 1:15, 3:13] = 1  # ... and a back rest
    g[1, 8:12, 4:10, 6:10] = 1
    return g


@pytest.fixture(scope="module")
def glb(tmp_path_factory):
    """Two assets with 2 LODs, an Unreal hull and UVs: (path, manifest)."""
    path = tmp_path_factory.mktemp("glb") / "set.glb"
    manifest = export_grids(_grids(), path, ExportSettings(size_m=SIZE, size_by="height", lods=2, collision="unreal",
                                                           uv=True), names=["chair_0", "chair_1"], up="y")
    return path, manifest


def test_truncated_or_foreign_files_are_refused_before_blender(glb, tmp_path):
    path, _ = glb
    cut = tmp_path / "cut.glb"
    cut.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(fbx.FbxError, match="truncated"):
        fbx.check_glb(cut)
    text = tmp_path / "notes.glb"
    text.write_text("not a model")
    with pytest.raises(fbx.FbxError, match="not a GLB"):
        fbx.check_glb(text)
    fbx.check_glb(path)  # the real one passes


def test_plan_finds_glbs_in_folders_and_refuses_clashes(glb, tmp_path):
    path, _ = glb
    (tmp_path / "split").mkdir()
    for name in ("b", "a"):
        shutil.copy(path, tmp_path / "split" / f"{name}.glb")
    pairs = fbx.plan_fbx([tmp_path / "split"], None, overwrite=False)
    assert [(g.name, f.name) for g, f in pairs] == [("a.glb", "a.fbx"), ("b.glb", "b.fbx")]
    assert all(f.parent == tmp_path / "split" for _, f in pairs)
    out = tmp_path / "out"
    out.mkdir()
    assert fbx.plan_fbx([path], out, False) == [(path, out / "set.fbx")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(fbx.FbxError, match="holds no .glb"):
        fbx.plan_fbx([tmp_path / "empty"], None, False)
    with pytest.raises(fbx.FbxError, match="does not exist"):
        fbx.plan_fbx([tmp_path / "missing.glb"], None, False)
    shutil.copy(path, out / "a.glb")
    with pytest.raises(fbx.FbxError, match="would both become"):
        fbx.plan_fbx([tmp_path / "split" / "a.glb", out / "a.glb"], out, True)
    (out / "set.fbx").write_text("an earlier export")
    with pytest.raises(fbx.FbxError, match="--overwrite"):
        fbx.plan_fbx([path], out, False)
    assert fbx.plan_fbx([path], out, True) == [(path, out / "set.fbx")]


FAKE_BLENDER = '''
import json, sys
jobs = json.loads(sys.argv[1])
(glb0, tmp0), (glb1, tmp1) = jobs
open(tmp0, "w").write("half an FBX")  # Blender died half-way through the first file
print("IGGAN_FBX " + json.dumps({"glb": glb0, "error": "Blender ran out of memory"}))
open(tmp1, "w").write("a whole FBX")
print("IGGAN_FBX " + json.dumps({"glb": glb1, "fbx": tmp1, "objects": {"chair_0_LOD0": 12}}))
'''


def test_a_failed_conversion_keeps_the_existing_fbx_and_leaves_no_temporary_file(glb, tmp_path, monkeypatch):
    path, _ = glb
    for name in ("first", "second"):
        shutil.copy(path, tmp_path / f"{name}.glb")
        (tmp_path / f"{name}.fbx").write_text("an earlier export")
    worker = tmp_path / "fake_blender.py"
    worker.write_text(FAKE_BLENDER)
    monkeypatch.setattr(fbx, "WORKER", worker)
    monkeypatch.setattr(fbx, "find_blender", lambda *a, **k: [sys.executable])
    pairs = fbx.plan_fbx([tmp_path / "first.glb", tmp_path / "second.glb"], None, overwrite=True)
    with pytest.raises(fbx.FbxError, match="first.glb: Blender ran out of memory"):
        fbx.convert_to_fbx(pairs)
    assert (tmp_path / "first.fbx").read_text() == "an earlier export"  # untouched
    assert (tmp_path / "second.fbx").read_text() == "a whole FBX"  # the one that worked is written
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_without_blender_the_error_says_how_to_get_it(glb, tmp_path, monkeypatch):
    path, _ = glb
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", "/nonexistent/python")
    with pytest.raises(fbx.FbxError, match="setup.sh blender"):
        fbx.convert_to_fbx([(path, tmp_path / "set.fbx")])
    assert not (tmp_path / "set.fbx").exists()


def test_cli_reports_bad_input_clearly(glb, tmp_path):
    path, _ = glb
    cut = tmp_path / "cut.glb"
    cut.write_bytes(path.read_bytes()[:500])
    result = CliRunner().invoke(main, ["blender", "fbx", str(cut)])
    assert result.exit_code == 1 and "truncated" in result.output and not (tmp_path / "cut.fbx").exists()
    result = CliRunner().invoke(main, ["blender", "fbx", str(path), "--out-dir", "/proc/fbx"])
    assert result.exit_code == 1 and "choose another --out-dir" in result.output


def _blender_or_skip() -> list[str]:
    try:
        return find_blender("the FBX tests")
    except BlenderUnavailable as exc:
        pytest.skip(f"no Blender: {exc}"[:300])


@pytest.fixture(scope="module")
def converted(glb, tmp_path_factory):
    """The GLB converted by the CLI: (fbx path, manifest)."""
    _blender_or_skip()
    path, manifest = glb
    out = tmp_path_factory.mktemp("fbx")
    result = CliRunner().invoke(main, ["blender", "fbx", str(path), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert "set.fbx (6 meshes" in result.output and "2 LOD groups" in result.output
    return out / "set.fbx", manifest


def _client_report(client: Path, path: Path, tmp_path: Path) -> dict:
    """Run a Blender client script (CHECK, NODE_TREE) on `path` and read the JSON it writes."""
    report = tmp_path / f"{client.stem}.json"
    done = subprocess.run(fbx.script_command(_blender_or_skip(), client, str(path), str(report)),
                          capture_output=True, text=True, timeout=300)
    assert report.is_file(), done.stderr[-2000:]
    return json.loads(report.read_text())


@pytest.mark.blender
def test_blender_reads_the_fbx_as_the_manifest_describes(converted, tmp_path):
    path, manifest = converted
    objects = _client_report(CHECK, path, tmp_path)
    for a in manifest["assets"]:
        name = a["name"]
        assert objects[name]["type"] == "EMPTY" and objects[name]["parent"] is None
        # Blender's importer turns the file's +Y up into its own +Z up: x stays, glTF z is Blender -y
        np.testing.assert_allclose(objects[name]["origin"], [a["translation_m"][0], 0, 0], atol=1e-5)
        for k in (0, 1):
            lod = objects[f"{name}_LOD{k}"]
            assert lod["parent"] == name and lod["triangles"] == a["triangles"][k] and lod["uv_layers"] == 1
        lod0 = objects[f"{name}_LOD0"]
        lo, hi = np.array(lod0["lo"]), np.array(lod0["hi"])
        assert lo[2] == pytest.approx(0, abs=1e-5) and hi[2] == pytest.approx(SIZE, abs=1e-4)  # standing, 0.86 m tall
        np.testing.assert_allclose((hi - lo)[[0, 2, 1]], a["size_m"], atol=1e-4)
        np.testing.assert_allclose((lo + hi)[0] / 2, a["translation_m"][0], atol=1e-5)  # pivot at the base centre
        hull = objects[f"UCX_{name}_LOD0_00"]  # beside the asset's LOD group, where the asset stands
        assert hull["parent"] is None and hull["triangles"] == a["collision_triangles"]
        np.testing.assert_allclose(hull["origin"], objects[name]["origin"], atol=1e-6)
        hull_lo, hull_hi = np.array(hull["lo"]), np.array(hull["hi"])
        assert np.all(hull_lo <= lo + 1e-2) and np.all(hull_hi >= hi - 1e-2)  # still around its chair
    assert len(objects) == 4 * len(manifest["assets"])  # nothing else: one empty, two LODs, a hull each


@pytest.mark.blender
def test_each_asset_with_lods_is_an_fbx_lod_group_of_its_levels_in_order(converted, tmp_path):
    """The node types as the FBX SDK (Unreal's and Unity's importers) reads them, from the file itself: each
    asset is a LodGroup whose children are exactly its LODs, LOD0 first (a group's child order is its levels'),
    and its hull is outside the group (every child of a group is a level), named for LOD0 as Unreal pairs it."""
    path, manifest = converted
    tree = _client_report(NODE_TREE, path, tmp_path)
    for a in manifest["assets"]:
        name = a["name"]
        assert tree[name] == {"type": "LodGroup", "parent": None, "children": [f"{name}_LOD0", f"{name}_LOD1"]}
        assert tree[f"{name}_LOD0"]["type"] == "Mesh"
        assert tree[f"UCX_{name}_LOD0_00"] == {"type": "Mesh", "parent": None, "children": []}
    assert sum(node["type"] == "LodGroup" for node in tree.values()) == len(manifest["assets"])


@pytest.mark.blender
def test_an_asset_without_lods_stays_a_plain_node(tmp_path):
    """One LOD is no group: the FBX keeps the GLB's tree, the hull inside its asset."""
    _blender_or_skip()
    path = tmp_path / "one.glb"
    export_grids(_grids()[:1], path, ExportSettings(size_m=SIZE, size_by="height", collision="unreal"),
                 names=["chair_0"], up="y")
    result = CliRunner().invoke(main, ["blender", "fbx", str(path)])
    assert result.exit_code == 0, result.output
    assert "LOD group" not in result.output
    tree = _client_report(NODE_TREE, tmp_path / "one.fbx", tmp_path)
    assert "LodGroup" not in {node["type"] for node in tree.values()}
    hulls = [n for n in tree if n.startswith("UCX_")]
    assert len(hulls) == 1 and tree[hulls[0]]["parent"] is not None


@pytest.mark.blender
def test_assimp_reads_the_fbx_with_y_up_and_plain_translations(converted, tmp_path):
    """assimp (Unity's and Unreal's FBX readers are not available here) sees the same node tree with
    identity rotations: the axis change is baked into the meshes, so engines import them unrotated."""
    if shutil.which("assimp") is None:
        pytest.skip("needs assimp: apt-get install assimp-utils (scripts/setup.sh test)")
    import xml.etree.ElementTree as ET
    path, manifest = converted
    dump = tmp_path / "set.assxml"
    done = subprocess.run(["assimp", "dump", str(path), str(dump)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and dump.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    scene = ET.parse(dump).getroot().find("Scene")
    meshes = scene.find("MeshList").findall("Mesh")
    nodes = {n.get("name"): n for n in scene.find("Node").find("NodeList").findall("Node")}
    names = [a["name"] for a in manifest["assets"]]
    assert set(nodes) == set(names) | {f"UCX_{n}_LOD0_00" for n in names}  # the hulls beside the LOD groups
    for a in manifest["assets"]:
        node = nodes[a["name"]]
        matrix = np.array(node.find("Matrix4").text.split(), float).reshape(4, 4)
        np.testing.assert_allclose(matrix[:3, :3], np.eye(3), atol=1e-6)
        np.testing.assert_allclose(matrix[:3, 3], a["translation_m"], atol=1e-5)
        children = {c.get("name"): c for c in node.find("NodeList").findall("Node")}
        assert set(children) == {f"{a['name']}_LOD0", f"{a['name']}_LOD1"}
        hull = np.array(nodes[f"UCX_{a['name']}_LOD0_00"].find("Matrix4").text.split(), float).reshape(4, 4)
        np.testing.assert_allclose(hull, matrix, atol=1e-6)  # placed as its asset is
        for child in children.values():
            matrix = np.array(child.find("Matrix4").text.split(), float).reshape(4, 4)
            np.testing.assert_allclose(matrix, np.eye(4), atol=1e-6)
        lod0 = meshes[int(children[f"{a['name']}_LOD0"].find("MeshRefs").text)]
        assert int(lod0.find("FaceList").get("num")) == a["triangles"][0]
        positions = np.array(lod0.find("Positions").text.split(), float).reshape(-1, 3)
        lo, hi = positions.min(axis=0), positions.max(axis=0)
        assert lo[1] == pytest.approx(0, abs=1e-5) and hi[1] == pytest.approx(SIZE, abs=1e-4)  # +Y up, metres
        np.testing.assert_allclose(hi - lo, a["size_m"], atol=1e-4)
        np.testing.assert_allclose(((lo + hi) / 2)[[0, 2]], 0, atol=1e-5)


@pytest.mark.blender
def test_blender_refusing_a_broken_glb_is_a_clear_error_and_keeps_the_old_fbx(tmp_path):
    """A GLB whose header is whole but whose content is not glTF passes the header check; Blender's
    importer then refuses it, and the error says so."""
    _blender_or_skip()
    import struct
    body = b"x" * 200
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body)
    (tmp_path / "broken.fbx").write_text("an earlier export")
    result = CliRunner().invoke(main, ["blender", "fbx", str(broken), "--overwrite"])
    assert result.exit_code == 1 and "Bad GLB" in result.output and "make it again" in result.output
    assert (tmp_path / "broken.fbx").read_text() == "an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.fbx", "broken.glb"]  # no temporary file left


@pytest.mark.blender
def test_a_glb_whose_mesh_data_cannot_be_decoded_writes_no_empty_fbx(tmp_path):
    """Draco buffers out of reach: Blender's importer makes the objects with no triangles. That FBX would be
    empty, so the conversion is refused and no file is written."""
    _blender_or_skip()
    import glb_checks
    export_grids(_grids(), tmp_path / "d.glb", ExportSettings(compress="draco"), preview=0)
    broken = tmp_path / "broken.glb"
    broken.write_bytes(glb_checks.with_views_past_the_buffer((tmp_path / "d.glb").read_bytes()))
    result = CliRunner().invoke(main, ["blender", "fbx", str(broken)])
    assert result.exit_code == 1 and "Blender read no triangles from it" in result.output, result.output
    assert not (tmp_path / "broken.fbx").exists()


@pytest.mark.blender
def test_embedded_textures_are_filed_under_the_fbxs_own_name(tmp_path):
    """Blender names the textures it embeds after the .fbx it writes; written under a temporary name, the
    FBX filed them as '.one.<pid>.tmp.fbm/Image_0', without a suffix, which an engine extracting them would
    copy as such."""
    _blender_or_skip()
    import trimesh
    from PIL import Image
    box = trimesh.creation.box()
    uv = np.random.default_rng(0).random((len(box.vertices), 2))
    colour = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.new("RGB", (8, 8), (200, 40, 40)),
                                                 baseColorFactor=[255, 255, 255, 255], metallicFactor=0.0)
    box.visual = trimesh.visual.TextureVisuals(uv=uv, material=colour)  # a colour map, as match --texture's
    box.export(tmp_path / "one.glb")
    result = CliRunner().invoke(main, ["blender", "fbx", str(tmp_path / "one.glb")])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "one.fbx").read_bytes()
    # filed under the FBX's name, with the image's suffix (a glTF's packed image has no file name of its own)
    assert b"one.fbm/Image_0.png" in data and b".tmp.fbm" not in data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.fbx", "one.glb"]  # the hidden folder is gone


@pytest.mark.blender
def test_a_split_folder_converts_file_by_file_in_one_blender(glb, tmp_path):
    _blender_or_skip()
    path, manifest = glb
    for name in ("chair_a", "chair_b"):
        shutil.copy(path, tmp_path / f"{name}.glb")
    result = CliRunner().invoke(main, ["blender", "fbx", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    triangles = sum(sum(a["triangles"]) + a["collision_triangles"] for a in manifest["assets"])
    assert lines == [f"{tmp_path / n}.fbx (6 meshes, {triangles} triangles, 2 LOD groups)"
                     for n in ("chair_a", "chair_b")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chair_a.fbx", "chair_a.glb", "chair_b.fbx", "chair_b.glb"]


@pytest.mark.blender
def test_a_frame_reaches_the_fbx_as_a_second_metallic_material(tmp_path):
    from standing_shapes import table
    prefix = _blender_or_skip()
    np.savez(tmp_path / "tables.npz", voxels=table()[None])
    out = tmp_path / "t.fbx"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "tables.npz"), "--name", "table", "--frame", "metal",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    asset = json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]
    report = tmp_path / "report.json"
    done = subprocess.run(fbx.script_command(prefix, CHECK, str(out), str(report)), capture_output=True, text=True,
                          timeout=300)
    assert report.is_file(), done.stderr[-2000:]
    mesh = json.loads(report.read_text())["table_0"]
    assert mesh["materials"] == ["iggan_surface_e7e7e7", "iggan_frame_metal"] and mesh["metallic"] == [0.0, 1.0]
    assert sum(mesh["material_triangles"]) == asset["triangles"][0]
    assert mesh["material_triangles"][1] / asset["triangles"][0] == pytest.approx(asset["frame_share"], abs=1e-3)


@pytest.mark.blender
def test_seat_anchors_reach_the_fbx_as_empties_facing_forward(tmp_path):
    from test_parts import chair
    prefix = _blender_or_skip()
    np.savez(tmp_path / "chairs.npz", voxels=chair()[None].astype(np.float32))
    out = tmp_path / "c.fbx"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "chairs.npz"), "--name", "chair", "--seats", "--yaw",
                                       "90", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (seat,) = json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]["seats"]
    report = tmp_path / "report.json"
    done = subprocess.run(fbx.script_command(prefix, CHECK, str(out), str(report)), capture_output=True, text=True,
                          timeout=300)
    assert report.is_file(), done.stderr[-2000:]
    empty = json.loads(report.read_text())["chair_0_seat"]
    x, y, z = seat["position_m"]
    assert empty["type"] == "EMPTY" and empty["parent"] == "chair_0"
    np.testing.assert_allclose(empty["origin"], [x, -z, y], atol=2e-4)  # Blender is Z-up
    fx, fy, fz = seat["facing"]
    np.testing.assert_allclose(empty["forward"], [fx, -fz, fy], atol=1e-6)
    assert seat["facing"] == [-1.0, 0.0, 0.0]
