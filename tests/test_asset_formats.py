"""Exporting straight to USDZ or FBX (iggan/asset_formats.py, `--format` / --out's suffix): the file holds the
same assets the GLB would, the manifest names it, no temporary file is left, a failed conversion keeps an
existing file and writes no manifest, and a missing converter or a suffix that disagrees with --format is
refused before any sampling."""
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from iggan import asset_formats
from iggan.blender_process import BlenderUnavailable, find_blender
from iggan.cli.main import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def grids_npz(tmp_path: Path) -> Path:
    """Two 16^3 chair-like grids (seat and back, the second with an armrest), y up."""
    g = np.zeros((2, 16, 16, 16), np.float32)
    g[:, 3:13, 1:4, 3:13] = 1
    g[:, 3:6, 1:15, 3:13] = 1
    g[1, 8:12, 4:10, 6:10] = 1
    path = tmp_path / "grids.npz"
    np.savez(path, voxels=g)
    return path


def hidden_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*"))


def test_the_format_comes_from_the_flag_else_the_suffix():
    assert asset_formats.format_for(Path("a.usdz"), split=False, given=None) == "usdz"
    assert asset_formats.format_for(Path("a.FBX"), split=False, given=None) == "fbx"
    assert asset_formats.format_for(Path("a.glb"), split=False, given="glb") == "glb"
    assert asset_formats.format_for(Path("folder"), split=True, given=None) == "glb"
    assert asset_formats.format_for(Path("folder"), split=True, given="usdz") == "usdz"
    with pytest.raises(asset_formats.FormatError, match="name it a.usdz"):
        asset_formats.format_for(Path("a.glb"), split=False, given="usdz")
    with pytest.raises(asset_formats.FormatError, match=r"\.glb .*\.usdz, \.fbx or \.obj, got a.stl"):
        asset_formats.format_for(Path("a.stl"), split=False, given=None)


def test_export_to_usdz_writes_the_assets_and_a_manifest_naming_the_file(tmp_path):
    pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
    from pxr import Usd, UsdGeom

    out = tmp_path / "set.usdz"
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--lods", "2", "--out", out)
    assert r.exit_code == 0, r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert [a["file"] for a in manifest["assets"]] == ["set.usdz", "set.usdz"]
    assert out.with_suffix(".preview.png").is_file()
    stage = Usd.Stage.Open(str(out))
    root = stage.GetDefaultPrim()
    assert sorted(c.GetName() for c in root.GetChildren() if c.IsA(UsdGeom.Xform)) == ["chair_0", "chair_1"]
    for asset in manifest["assets"]:  # LOD0 as the GLB would hold it
        mesh = UsdGeom.Mesh(root.GetChild(asset["name"]).GetChild(asset["name"]))
        assert len(mesh.GetFaceVertexCountsAttr().Get()) == asset["triangles"][0]
        assert root.GetChild(asset["name"]).GetVariantSets().GetVariantSet("LOD").GetVariantNames() == ["LOD0", "LOD1"]
    assert hidden_files(tmp_path) == []  # the temporary GLB and USDZ are gone


def test_split_with_format_usdz_writes_one_usdz_per_asset(tmp_path):
    pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
    out = tmp_path / "set"
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--split", "--format", "usdz", "--out", out)
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [a["file"] for a in manifest["assets"]] == ["chair_0.usdz", "chair_1.usdz"]
    assert sorted(p.name for p in out.iterdir()) == ["chair_0.usdz", "chair_1.usdz", "manifest.json", "preview.png"]
    assert hidden_files(tmp_path) == []


def test_a_usdz_beside_a_glb_set_says_they_share_the_manifest_and_how_to_have_both(tmp_path):
    pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
    grids = grids_npz(tmp_path)
    assert run("export", grids, "--out", tmp_path / "set.glb").exit_code == 0
    manifest = (tmp_path / "set.manifest.json").read_bytes()
    r = run("export", grids, "--out", tmp_path / "set.usdz")
    assert r.exit_code != 0
    assert "set.manifest.json belongs to set.glb" in r.output
    assert "iggan-assets usdz set.glb" in r.output
    assert (tmp_path / "set.manifest.json").read_bytes() == manifest and not (tmp_path / "set.usdz").exists()


def _glb_chunks(data: bytes) -> tuple[dict, bytes]:
    import struct
    json_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + json_len])
    bin_at = 20 + json_len
    bin_len = struct.unpack_from("<I", data, bin_at)[0]
    return doc, data[bin_at + 8: bin_at + 8 + bin_len]


def test_gltf_is_the_glb_as_json_a_bin_and_png_files_beside_it(tmp_path):
    import trimesh
    grids = grids_npz(tmp_path)
    (tmp_path / "glb").mkdir()
    assert run("export", grids, "--ao", "--lods", "2", "--out", tmp_path / "glb" / "a.glb").exit_code == 0
    r = run("export", grids, "--ao", "--lods", "2", "--out", tmp_path / "a.gltf")
    assert r.exit_code == 0, r.output
    glb_doc, glb_bin = _glb_chunks((tmp_path / "glb" / "a.glb").read_bytes())
    doc = json.loads((tmp_path / "a.gltf").read_text())
    assert doc["buffers"] == [{"byteLength": (tmp_path / "a.bin").stat().st_size, "uri": "a.bin"}]
    # each AO map is the PNG the GLB embeds, as a file the .gltf names relative to itself
    assert len(doc["images"]) == len(glb_doc["images"]) == 4  # 2 chairs x 2 LODs
    for image, embedded in zip(doc["images"], glb_doc["images"]):
        assert image == {"name": embedded["name"], "uri": f"a_textures/{embedded['name']}.png"}
        view = glb_doc["bufferViews"][embedded["bufferView"]]
        png = glb_bin[view.get("byteOffset", 0): view.get("byteOffset", 0) + view["byteLength"]]
        assert (tmp_path / image["uri"]).read_bytes() == png and png[:8] == b"\x89PNG\r\n\x1a\n"
    # everything else in the JSON is the GLB's, but for the views' places in the smaller .bin
    for key in set(glb_doc) - {"buffers", "bufferViews", "images", "accessors"}:
        assert doc[key] == glb_doc[key], key
    assert len(doc["bufferViews"]) == len(glb_doc["bufferViews"]) - 4
    drop = lambda acc: {k: v for k, v in acc.items() if k != "bufferView"}  # noqa: E731
    assert [drop(a) for a in doc["accessors"]] == [drop(a) for a in glb_doc["accessors"]]
    manifest = json.loads((tmp_path / "a.manifest.json").read_text())
    assert {a["file"] for a in manifest["assets"]} == {"a.gltf"}
    glb, gltf = trimesh.load(tmp_path / "glb" / "a.glb"), trimesh.load(tmp_path / "a.gltf")
    assert sorted(glb.geometry) == sorted(gltf.geometry)
    for name, mesh in glb.geometry.items():
        assert np.array_equal(mesh.faces, gltf.geometry[name].faces)
        assert np.allclose(mesh.vertices, gltf.geometry[name].vertices)
        assert np.array_equal(mesh.visual.uv, gltf.geometry[name].visual.uv)


def test_gltf_pair_passes_the_khronos_validator(tmp_path):
    from glb_checks import assert_valid
    out = tmp_path / "set" / "my chairs é.gltf"
    out.parent.mkdir()
    assert run("export", grids_npz(tmp_path), "--ao", "--out", out).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["buffers"][0]["uri"] == "my_chairs__.bin"  # nothing a URI must escape
    assert doc["images"][0]["uri"] == "my_chairs___textures/grids_0_occlusion.png"
    assert (out.parent / "my_chairs__.bin").is_file()
    assert_valid([out])  # reads the .bin and PNGs from beside it; a missing one would be an error
    import trimesh
    assert len(trimesh.load(out).geometry) == 2  # trimesh, which does not unescape a uri, finds it too


def test_gltf_refuses_to_replace_a_bin_and_splits_into_pairs(tmp_path):
    grids = grids_npz(tmp_path)
    (tmp_path / "c.bin").write_bytes(b"someone else's buffer")
    r = run("export", grids, "--out", tmp_path / "c.gltf")
    assert r.exit_code != 0 and "c.bin exists; pass --overwrite" in r.output
    assert (tmp_path / "c.bin").read_bytes() == b"someone else's buffer" and not (tmp_path / "c.gltf").exists()
    (tmp_path / "my_set.bin").write_bytes(b"another buffer")  # the .bin that "my set.gltf" would write
    r = run("export", grids, "--out", tmp_path / "my set.gltf")
    assert r.exit_code != 0 and "Invalid value for --out: " in r.output  # refused while planning, before any mesh
    assert "my_set.bin exists; pass --overwrite" in r.output
    assert not (tmp_path / "my set.gltf").exists() and not (tmp_path / "my set.manifest.json").exists()
    r = run("export", grids, "--name", "chair", "--split", "--format", "gltf", "--out", tmp_path / "parts")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == [
        "chair_0.bin", "chair_0.gltf", "chair_1.bin", "chair_1.gltf", "manifest.json", "preview.png"]
    assert json.loads((tmp_path / "parts" / "chair_1.gltf").read_text())["buffers"][0]["uri"] == "chair_1.bin"
    assert hidden_files(tmp_path) == []
    # an image of an earlier export in the textures folder is not replaced without --overwrite
    (tmp_path / "t_textures").mkdir()
    (tmp_path / "t_textures" / "chair_1_occlusion.png").write_bytes(b"someone's painting")
    r = run("export", grids, "--name", "chair", "--ao", "--out", tmp_path / "t.gltf")
    assert r.exit_code != 0 and "chair_1_occlusion.png exists; pass --overwrite" in r.output
    assert (tmp_path / "t_textures" / "chair_1_occlusion.png").read_bytes() == b"someone's painting"
    assert not (tmp_path / "t.gltf").exists() and not (tmp_path / "t.bin").exists()
    assert not (tmp_path / "t_textures" / "chair_0_occlusion.png").exists()  # nothing written before the check
    r = run("export", grids, "--name", "chair", "--ao", "--out", tmp_path / "t.gltf", "--overwrite")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "t_textures").iterdir()) == ["chair_0_occlusion.png",
                                                                           "chair_1_occlusion.png"]
    assert hidden_files(tmp_path) == []


def test_replacing_a_gltf_removes_only_the_images_its_old_version_named(tmp_path):
    grids = grids_npz(tmp_path)
    out, folder = tmp_path / "t.gltf", tmp_path / "t_textures"
    assert run("export", grids, "--name", "chair", "--ao", "--lods", "2", "--out", out).exit_code == 0
    assert len(list(folder.iterdir())) == 4  # 2 chairs x 2 LODs
    (folder / "my_notes.txt").write_text("a file the export did not write")
    # one LOD now: the LOD1 maps the old .gltf named go, the user's file stays
    assert run("export", grids, "--name", "chair", "--ao", "--out", out, "--overwrite").exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["chair_0_occlusion.png", "chair_1_occlusion.png",
                                                        "my_notes.txt"]
    from glb_checks import assert_valid
    assert_valid([out])
    # no maps at all: every image goes, and the folder stays only because of the user's file
    assert run("export", grids, "--name", "chair", "--out", out, "--overwrite").exit_code == 0
    assert [p.name for p in folder.iterdir()] == ["my_notes.txt"]
    (folder / "my_notes.txt").unlink()
    assert run("export", grids, "--name", "chair", "--ao", "--out", out, "--overwrite").exit_code == 0
    assert run("export", grids, "--name", "chair", "--out", out, "--overwrite").exit_code == 0
    assert not folder.exists()  # emptied by the export, so removed
    assert "images" not in json.loads(out.read_text()) and hidden_files(tmp_path) == []


@pytest.mark.parametrize("fmt", ["glb", "gltf", "obj"])
def test_replacing_a_split_set_with_fewer_assets_leaves_only_the_new_set(tmp_path, fmt):
    """--split --overwrite with fewer assets: the old set's other files (and a .gltf's .bin and maps, an .obj's
    .mtl) go, so an engine importing the folder finds only what the manifest lists; a user's file stays. In its
    own file each asset sits at the origin, and the manifest's translation says so."""
    grids, out = grids_npz(tmp_path), tmp_path / "set"
    maps = ["--ao"] if fmt == "gltf" else []
    r = run("export", grids, "--name", "chair", "--split", "--format", fmt, *maps, "--out", out)
    assert r.exit_code == 0, r.output
    (out / "notes.txt").write_text("mine")
    r = run("export", grids, "--name", "chair", "--select", "1", "--split", "--format", fmt, *maps, "--out", out,
            "--overwrite")
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [a["name"] for a in manifest["assets"]] == ["chair_1"]
    assert manifest["assets"][0]["translation_m"] == [0.0, 0.0, 0.0]
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert not [name for name in left if "chair_0" in name], left
    assert f"chair_1.{fmt}" in left and "notes.txt" in left
    if fmt == "gltf":
        assert "chair_1.bin" in left and "chair_1_textures/chair_1_occlusion.png" in left
        assert not (out / "chair_0_textures").exists()
    assert hidden_files(tmp_path) == []


def test_images_named_by_ignores_what_is_not_its_own(tmp_path):
    from iggan.asset_export.gltf_separate import images_named_by
    gltf = tmp_path / "a.gltf"
    assert images_named_by(gltf) == []  # no file
    gltf.write_text("{not json")
    assert images_named_by(gltf) == []
    (tmp_path / "elsewhere").mkdir()
    gltf.write_text(json.dumps({"images": [{"uri": "a_textures/x%20y.png"}, {"uri": "elsewhere/z.png"},
                                           {"uri": "a_textures/../a.bin"}, {"uri": "data:image/png;base64,AAAA"},
                                           {"bufferView": 0}]}))
    assert images_named_by(gltf) == [tmp_path / "a_textures" / "x y.png"]


def test_split_glb_refuses_bytes_that_are_not_a_glb():
    from iggan.asset_export.errors import ExportError
    from iggan.asset_export.gltf_separate import split_glb
    with pytest.raises(ExportError, match="not a binary glTF 2"):
        split_glb(b"PK\x03\x04 a zip file, not a GLB", Path("x.gltf"))


def test_a_failed_conversion_keeps_the_old_file_and_writes_no_manifest(tmp_path, monkeypatch):
    pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
    from iggan import usdz

    out = tmp_path / "set.usdz"
    out.write_bytes(b"an earlier export")

    def fail(pairs):
        assert all(glb.is_file() and glb.name.startswith(".") for glb, _ in pairs)  # the GLB was there to convert
        raise usdz.UsdzError("disk full")

    monkeypatch.setattr(usdz, "convert_to_usdz", fail)
    r = run("export", grids_npz(tmp_path), "--out", out, "--overwrite")
    assert r.exit_code == 1 and "disk full" in r.output and "Traceback" not in r.output
    assert out.read_bytes() == b"an earlier export"
    assert not out.with_suffix(".manifest.json").exists()
    assert hidden_files(tmp_path) == []


def test_a_missing_converter_or_a_mismatched_suffix_is_refused_before_any_work(tmp_path, monkeypatch):
    from iggan import usdz

    def no_usd():
        raise usdz.UsdzError("USD export needs Pixar's USD library: `.venv/bin/pip install usd-core`")

    monkeypatch.setattr(usdz, "require_usd", no_usd)
    r = run("generate", "--out", tmp_path / "x.usdz")
    assert r.exit_code == 2 and "pip install usd-core" in r.output and "generating" not in r.output
    r = run("generate", "--out", tmp_path / "x.glb", "--format", "fbx")
    assert r.exit_code == 2 and "name it x.fbx" in r.output
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", "/nonexistent/python")
    r = run("generate", "--out", tmp_path / "x.fbx")
    assert r.exit_code == 2 and "setup.sh blender" in r.output and "generating" not in r.output
    r = run("generate", "--out", tmp_path / "x.stl")
    assert r.exit_code == 2 and ".fbx or .obj, got x.stl" in r.output
    r = run("generate", "--ao", "--out", tmp_path / "x.fbx")  # the map was baked, then dropped by the FBX exporter
    assert r.exit_code == 2 and "no slot for the --ao occlusion map" in r.output and "generating" not in r.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.blender
def test_export_to_fbx_writes_an_fbx_blender_reads_back(tmp_path):
    try:
        find_blender("the FBX test")
    except BlenderUnavailable as exc:
        pytest.skip(f"no Blender: {exc}"[:300])
    out = tmp_path / "set.fbx"
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--out", out)
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:18] == b"Kaydara FBX Binary"
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert [a["file"] for a in manifest["assets"]] == ["set.fbx", "set.fbx"]
    assert hidden_files(tmp_path) == []
