"""GLB -> USDZ (iggan/usdz.py, `iggan-assets usdz`): the package passes USD's own validators and Apple's
ARKit conventions, holds the GLB's geometry, UVs, occlusion map, LODs (as a variant set) and collision
hulls (as unrendered physics colliders) as the manifest describes, and (marked `blender`) Blender's USD
importer reads it standing 0.86 m tall. Bad input is refused before anything is written, and a failed
conversion keeps an existing USDZ."""
import json
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from iggan import usdz
from iggan.blender_process import BlenderUnavailable, find_blender, script_command
from iggan.cli.main import main

pxr = pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
from pxr import Usd, UsdGeom, UsdPhysics, UsdShade, UsdValidation  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "tests" / "clients" / "blender_import_check.py"
# Apple's ARKit rules for USDZ (the checks of the former usdchecker --arkit)
ARKIT_PRIM_TYPES = {"", "Scope", "Xform", "Camera", "Shader", "Material", "Mesh", "Sphere", "Cube", "Cylinder",
                    "Cone", "Capsule", "GeomSubset", "Points", "SkelRoot", "Skeleton", "SkelAnimation", "BlendShape"}
ARKIT_SHADERS = {"UsdPreviewSurface", "UsdUVTexture", "UsdPrimvarReader_float2", "UsdTransform2d"}


@pytest.fixture(scope="module")
def glb(tmp_path_factory):
    """Two bundled chairs with 2 LODs, Unreal hulls and baked AO: (path, manifest)."""
    out = tmp_path_factory.mktemp("glb") / "set.glb"
    result = CliRunner().invoke(main, ["generate", "--n", "2", "--lods", "2", "--collision", "unreal", "--ao",
                                       "--no-preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads(out.with_suffix(".manifest.json").read_text())


@pytest.fixture(scope="module")
def converted(glb, tmp_path_factory):
    """The GLB converted by the CLI: (usdz path, manifest, CLI output)."""
    path, manifest = glb
    out = tmp_path_factory.mktemp("usdz")
    result = CliRunner().invoke(main, ["usdz", str(path), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    return out / "set.usdz", manifest, result.output


def _gltf_uv(path: Path, mesh_name: str) -> np.ndarray:
    """TEXCOORD_0 of a GLB mesh as the file stores it (origin top-left), read without trimesh."""
    import pygltflib
    gltf = pygltflib.GLTF2().load(str(path))
    mesh = next(m for m in gltf.meshes if m.name == mesh_name)
    accessor = gltf.accessors[mesh.primitives[0].attributes.TEXCOORD_0]
    view = gltf.bufferViews[accessor.bufferView]
    start = view.byteOffset + (accessor.byteOffset or 0)
    return np.frombuffer(gltf.binary_blob()[start:start + 8 * accessor.count], np.float32).reshape(-1, 2)


def test_the_package_passes_usds_validators_and_arkits_rules(converted):
    path, manifest, output = converted
    lod0 = sum(a["triangles"][0] for a in manifest["assets"])
    assert f"set.usdz (2 assets, {lod0} triangles at LOD0, 2 collision hulls)" in output
    stage = Usd.Stage.Open(str(path))
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [f"{e.GetName()}: {e.GetMessage()}" for e in errors] == []
    assert UsdGeom.GetStageUpAxis(stage) == "Y" and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/set"
    prims = list(stage.Traverse())
    assert {p.GetTypeName() for p in prims} <= ARKIT_PRIM_TYPES
    shaders = {UsdShade.Shader(p).GetIdAttr().Get() for p in prims if p.GetTypeName() == "Shader"}
    assert shaders <= ARKIT_SHADERS and "UsdPreviewSurface" in shaders
    with zipfile.ZipFile(path) as package:  # USDZ: stored (no compression), root layer first, 64-byte aligned
        infos = package.infolist()
        assert infos[0].filename == "set.usdc" and all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        assert {Path(i.filename).suffix for i in infos} == {".usdc", ".png"}
        raw = path.read_bytes()
        for info in infos:
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename


def test_each_asset_is_the_glbs_with_lods_as_variants_and_hulls_as_colliders(glb, converted):
    import trimesh
    glb_path, _ = glb
    path, manifest, _ = converted
    scene = trimesh.load(str(glb_path), force="scene", process=False)
    stage = Usd.Stage.Open(str(path))
    assets = [p for p in stage.GetDefaultPrim().GetChildren() if p.GetName() != "Looks"]
    assert [p.GetName() for p in assets] == [a["name"] for a in manifest["assets"]]
    bboxes = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_])  # what is drawn
    for prim, a in zip(assets, manifest["assets"]):
        name = a["name"]
        assert prim.GetCustomDataByKey("iggan") == {"model": a["model"], "seed": a["seed"],
                                                   "latent_index": a["latent_index"]}
        np.testing.assert_allclose(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(0).ExtractTranslation(),
                                   a["translation_m"], atol=1e-6)
        variants = prim.GetVariantSets().GetVariantSet("LOD")
        assert variants.GetVariantNames() == ["LOD0", "LOD1"] and variants.GetVariantSelection() == "LOD0"
        mesh = UsdGeom.Mesh(stage.GetPrimAtPath(prim.GetPath().AppendChild(name)))
        for level in (0, 1):
            variants.SetVariantSelection(f"LOD{level}")
            source = scene.geometry[f"{name}_LOD{level}"]
            np.testing.assert_array_equal(np.array(mesh.GetPointsAttr().Get()), source.vertices.astype(np.float32))
            np.testing.assert_array_equal(np.array(mesh.GetFaceVertexIndicesAttr().Get()), source.faces.ravel())
            assert len(mesh.GetFaceVertexCountsAttr().Get()) == a["triangles"][level]
            assert mesh.GetSubdivisionSchemeAttr().Get() == "none"  # drawn as triangles, not a subdivision cage
            normals = np.array(mesh.GetNormalsAttr().Get())
            np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1, atol=1e-5)
            st = np.array(UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st").Get())
            uv = _gltf_uv(glb_path, f"{name}_LOD{level}")  # glTF's v runs down, USD's up
            np.testing.assert_allclose(st, np.c_[uv[:, 0], 1 - uv[:, 1]], atol=1e-6)
        variants.SetVariantSelection("LOD0")
        box = bboxes.ComputeWorldBound(prim).ComputeAlignedRange()
        np.testing.assert_allclose(np.array(box.GetMax()) - box.GetMin(), a["size_m"], atol=1e-4)  # the hull is not drawn
        assert box.GetMin()[1] == pytest.approx(0, abs=1e-5)  # standing on the floor, +Y up
        hull = stage.GetPrimAtPath(prim.GetPath().AppendChild(f"UCX_{name}_LOD0_00"))
        assert UsdGeom.Imageable(hull).GetPurposeAttr().Get() == "guide"
        assert hull.HasAPI(UsdPhysics.CollisionAPI)
        assert UsdPhysics.MeshCollisionAPI(hull).GetApproximationAttr().Get() == "convexHull"
        assert len(UsdGeom.Mesh(hull).GetFaceVertexCountsAttr().Get()) == a["collision_triangles"]


def test_the_occlusion_map_is_packaged_and_wired_to_the_surface(glb, converted):
    import trimesh
    glb_path, _ = glb
    path, manifest, _ = converted
    scene = trimesh.load(str(glb_path), force="scene", process=False)
    stage = Usd.Stage.Open(str(path))
    name = manifest["assets"][0]["name"]
    mesh = stage.GetPrimAtPath(f"/set/{name}/{name}")
    material = UsdShade.MaterialBindingAPI(mesh).ComputeBoundMaterial()[0]
    surface = material.ComputeSurfaceSource()[0]
    base = np.array(scene.geometry[f"{name}_LOD0"].visual.material.baseColorFactor[:3]) / 255
    np.testing.assert_allclose(surface.GetInput("diffuseColor").Get(), base, atol=1e-6)
    texture = surface.GetInput("occlusion").GetConnectedSources()[0][0].source
    assert UsdShade.Shader(texture).GetIdAttr().Get() == "UsdUVTexture"
    file = UsdShade.Shader(texture).GetInput("file").Get()
    assert file.resolvedPath.endswith(f"[{file.path}]")  # found inside the package
    with zipfile.ZipFile(path) as package:
        from PIL import Image
        import io
        packed = np.asarray(Image.open(io.BytesIO(package.read(file.path))))
    source = np.asarray(scene.geometry[f"{name}_LOD0"].visual.material.occlusionTexture)
    np.testing.assert_array_equal(packed, source)


def test_materials_keep_the_glbs_names(glb, converted):
    """An artist looks for `chair_0_s0_LOD1_surface_e7e7e7` in the USD stage as in the GLB, not for `Material_3`."""
    import pygltflib
    glb_path, _ = glb
    path, manifest, _ = converted
    stage = Usd.Stage.Open(str(path))
    looks = {p.GetName() for p in stage.Traverse() if p.GetTypeName() == "Material"}
    assert looks == {m.name for m in pygltflib.GLTF2().load(str(glb_path)).materials if m.name != "collision_hull"}
    name = manifest["assets"][0]["name"]
    stage.GetPrimAtPath(f"/set/{name}").GetVariantSets().GetVariantSet("LOD").SetVariantSelection("LOD1")
    bound = UsdShade.MaterialBindingAPI(stage.GetPrimAtPath(f"/set/{name}/{name}")).ComputeBoundMaterial()[0]
    assert bound.GetPrim().GetName() == f"{name}_LOD1_surface_e7e7e7"  # material_names: by its look


def test_bad_input_is_refused_before_anything_is_written(glb, tmp_path):
    path, _ = glb
    cut = tmp_path / "cut.glb"
    cut.write_bytes(path.read_bytes()[:1000])
    result = CliRunner().invoke(main, ["usdz", str(cut)])
    assert result.exit_code == 1 and "truncated" in result.output and not (tmp_path / "cut.usdz").exists()
    result = CliRunner().invoke(main, ["usdz", str(path), "--out-dir", "/proc/usdz"])
    assert result.exit_code == 1 and "choose another --out-dir" in result.output
    (tmp_path / "set.usdz").write_text("an earlier export")
    result = CliRunner().invoke(main, ["usdz", str(path), "--out-dir", str(tmp_path)])
    assert result.exit_code == 1 and "--overwrite" in result.output
    assert (tmp_path / "set.usdz").read_text() == "an earlier export"
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["usdz", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "holds no .glb" in result.output


def test_a_failed_conversion_keeps_the_existing_usdz_and_leaves_no_temporary_file(glb, tmp_path):
    """A GLB whose header is whole but whose content is not glTF passes the header check; the reader then
    refuses it, the error says what to do, the other file is still converted and the old USDZ stays."""
    path, _ = glb
    body = b"x" * 200
    (tmp_path / "broken.glb").write_bytes(b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body)
    shutil.copy(path, tmp_path / "good.glb")
    for name in ("broken", "good"):
        (tmp_path / f"{name}.usdz").write_text("an earlier export")
    result = CliRunner().invoke(main, ["usdz", str(tmp_path), "--overwrite"])
    assert result.exit_code == 1 and "broken.glb" in result.output and "make it again" in result.output
    assert (tmp_path / "broken.usdz").read_text() == "an earlier export"
    assert zipfile.is_zipfile(tmp_path / "good.usdz")  # the good one was written
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_glb_whose_mesh_data_cannot_be_read_says_why(glb, tmp_path):
    """trimesh's reader fails on buffer views out of reach with a bare AssertionError: the message still says
    what went wrong, not an empty '()'."""
    import glb_checks
    path, _ = glb
    broken = tmp_path / "broken.glb"
    broken.write_bytes(glb_checks.with_views_past_the_buffer(path.read_bytes()))
    result = CliRunner().invoke(main, ["usdz", str(broken)])
    assert result.exit_code == 1 and "its data does not match what its JSON describes" in result.output
    assert "()" not in result.output and not (tmp_path / "broken.usdz").exists()


def test_a_glb_without_meshes_is_refused(tmp_path):
    import pygltflib
    empty = tmp_path / "empty.glb"
    gltf = pygltflib.GLTF2(scene=0, scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(name="nothing")])
    gltf.save_binary(str(empty))
    with pytest.raises(usdz.UsdzError, match="holds no meshes"):
        usdz.convert_to_usdz([(empty, tmp_path / "empty.usdz")])
    assert not (tmp_path / "empty.usdz").exists()


def test_without_usd_the_error_says_how_to_get_it(glb, tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pxr(name, *args, **kwargs):
        if name == "pxr" or name.startswith("pxr."):
            raise ImportError("No module named 'pxr'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pxr)
    result = CliRunner().invoke(main, ["usdz", str(glb[0]), "--out-dir", str(tmp_path)])
    assert result.exit_code == 1 and "pip install usd-core" in result.output
    assert list(tmp_path.iterdir()) == []


def _blender_or_skip() -> list[str]:
    try:
        return find_blender("the USDZ tests")
    except BlenderUnavailable as exc:
        pytest.skip(f"no Blender: {exc}"[:300])


@pytest.mark.blender
def test_blender_imports_the_usdz_standing_with_one_lod_and_no_hull(converted, tmp_path):
    path, manifest, _ = converted
    report = tmp_path / "report.json"
    done = subprocess.run(script_command(_blender_or_skip(), CHECK, str(path), str(report)), capture_output=True,
                          text=True, timeout=300)
    assert report.is_file(), done.stderr[-2000:]
    objects = json.loads(report.read_text())
    meshes = {name: o for name, o in objects.items() if o["type"] == "MESH"}
    assert sorted(meshes) == sorted(a["name"] for a in manifest["assets"])  # LOD0 only; hulls are guides
    for a in manifest["assets"]:
        mesh = meshes[a["name"]]
        assert mesh["triangles"] == a["triangles"][0] and mesh["uv_layers"] == 1 and mesh["materials"]
        lo, hi = np.array(mesh["lo"]), np.array(mesh["hi"])
        assert lo[2] == pytest.approx(0, abs=1e-5) and hi[2] == pytest.approx(0.86, abs=1e-4)  # Blender's +Z up
        np.testing.assert_allclose((hi - lo)[[0, 2, 1]], a["size_m"], atol=1e-4)
        np.testing.assert_allclose((lo + hi)[0] / 2, a["translation_m"][0], atol=1e-5)


@pytest.fixture(scope="module")
def painted_glb(tmp_path_factory):
    """A box painted from a two-coloured 'photo' (match --texture's colour map), as a GLB: (path, map)."""
    import math
    from iggan.asset_export import ExportSettings, grid_to_asset, place_assets, plan_outputs, write_bundle
    from iggan.asset_export.photo_texture import PhotoView
    grid = np.zeros((16,) * 3, np.float32)
    grid[4:12, 0:12, 4:12] = 1
    rgb = np.zeros((64, 64, 3), np.float32)
    rgb[:, :32], rgb[:, 32:] = (0.9, 0.2, 0.1), (0.1, 0.3, 0.9)
    mask = np.pad(np.ones((48, 48), np.float32), 8)
    view = PhotoView(rgb, mask, 0.5, 0.3, 2 * math.degrees(math.atan(1 / 3)), 3.0)
    settings = ExportSettings()
    asset = grid_to_asset(grid, settings, photos=[view])
    out = tmp_path_factory.mktemp("painted") / "painted.glb"
    write_bundle(place_assets(["box"], [asset], [{}], "grid"), plan_outputs(out, False, False, 0), settings, {},
                 overwrite=False, preview=0)
    return out, asset.colour[0]


def test_a_colour_map_becomes_the_surfaces_diffuse_texture(painted_glb, tmp_path):
    path, colour_map = painted_glb
    assert CliRunner().invoke(main, ["usdz", str(path), "--out-dir", str(tmp_path)]).exit_code == 0
    stage = Usd.Stage.Open(str(tmp_path / "painted.usdz"))
    errors = UsdValidation.ValidationContext(UsdValidation.ValidationRegistry().GetOrLoadAllValidators()).Validate(stage)
    assert [e.GetMessage() for e in errors] == []
    material = UsdShade.MaterialBindingAPI(stage.GetPrimAtPath("/painted/box/box")).ComputeBoundMaterial()[0]
    surface = material.ComputeSurfaceSource()[0]
    texture = UsdShade.Shader(surface.GetInput("diffuseColor").GetConnectedSources()[0][0].source)
    assert texture.GetIdAttr().Get() == "UsdUVTexture" and texture.GetInput("sourceColorSpace").Get() == "sRGB"
    np.testing.assert_allclose(texture.GetInput("scale").Get(), [1, 1, 1, 1])  # the map is the colour
    import io
    from PIL import Image
    with zipfile.ZipFile(tmp_path / "painted.usdz") as package:
        packed = np.asarray(Image.open(io.BytesIO(package.read(texture.GetInput("file").Get().path))))
    np.testing.assert_array_equal(packed, colour_map)


def test_a_gltf_set_converts_as_its_glb_does_and_needs_its_bin_and_images(glb, converted, tmp_path):
    from iggan.asset_export.gltf_separate import write_gltf_files
    glb_path, _ = glb
    from_glb, _, _ = converted
    gltf = tmp_path / "set.gltf"
    write_gltf_files([(gltf, glb_path.read_bytes())], overwrite=False)  # as `--out set.gltf` writes it
    result = CliRunner().invoke(main, ["usdz", str(gltf)])
    assert result.exit_code == 0, result.output
    a, b = Usd.Stage.Open(str(from_glb)), Usd.Stage.Open(str(tmp_path / "set.usdz"))
    meshes = lambda stage: {str(p.GetPath()): (np.array(UsdGeom.Mesh(p).GetPointsAttr().Get()),  # noqa: E731
                                               np.array(UsdGeom.Mesh(p).GetFaceVertexIndicesAttr().Get()))
                            for p in stage.Traverse() if p.IsA(UsdGeom.Mesh)}
    ma, mb = meshes(a), meshes(b)
    assert sorted(ma) == sorted(mb) and len(ma) >= 4  # LOD0s and hulls of 2 chairs, in the same order
    for path in ma:
        np.testing.assert_array_equal(ma[path][0], mb[path][0])
        np.testing.assert_array_equal(ma[path][1], mb[path][1])
    import zipfile
    pngs = lambda path: {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()  # noqa: E731
                         if n.endswith(".png")}
    assert pngs(tmp_path / "set.usdz") == pngs(from_glb) and len(pngs(from_glb)) == 4  # the AO maps, from the PNGs
    image = sorted((tmp_path / "set_textures").iterdir())[0]
    image.unlink()
    result = CliRunner().invoke(main, ["usdz", str(gltf), "--overwrite"])
    assert result.exit_code == 1 and f"needs set_textures/{image.name} beside it" in result.output
    (tmp_path / "set.bin").unlink()
    result = CliRunner().invoke(main, ["usdz", str(gltf), "--overwrite"])
    assert result.exit_code == 1 and "needs set.bin beside it" in result.output


def test_a_frame_becomes_a_geomsubset_bound_to_its_own_metallic_material(tmp_path):
    from standing_shapes import table
    np.savez(tmp_path / "tables.npz", voxels=table()[None])
    out = tmp_path / "t.usdz"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "tables.npz"), "--name", "table", "--frame", "metal",
                                       "--lods", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    asset = json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]
    stage = Usd.Stage.Open(str(out))
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    assert [f"{e.GetName()}: {e.GetMessage()}" for e in UsdValidation.ValidationContext(validators).Validate(stage)] == []
    assert {p.GetTypeName() for p in stage.Traverse()} <= ARKIT_PRIM_TYPES
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/t/table_0/table_0"))
    for level in (0, 1):  # each LOD variant's mesh: body and frame subsets, the frame's material metallic
        stage.GetPrimAtPath("/t/table_0").GetVariantSets().GetVariantSet("LOD").SetVariantSelection(f"LOD{level}")
        subsets = UsdShade.MaterialBindingAPI(mesh.GetPrim()).GetMaterialBindSubsets()
        faces = [len(s.GetIndicesAttr().Get()) for s in subsets]
        assert len(faces) == 2 and sum(faces) == asset["triangles"][level] == len(mesh.GetFaceVertexCountsAttr().Get())
        metallic = []
        for s in subsets:
            material = UsdShade.MaterialBindingAPI(s.GetPrim()).ComputeBoundMaterial()[0]
            shader = material.ComputeSurfaceSource()[0]
            metallic.append(shader.GetInput("metallic").Get())
        assert metallic == [0.0, 1.0]
        if level == 0:
            assert faces[1] / sum(faces) == pytest.approx(asset["frame_share"], abs=1e-3)


def test_a_map_the_body_and_frame_share_is_packed_once(tmp_path):
    """--frame --ao: the body's and the frame's materials read one occlusion map in the GLB; the package held a
    copy for each material."""
    from standing_shapes import table
    np.savez(tmp_path / "tables.npz", voxels=table()[None])
    out = tmp_path / "t.usdz"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "tables.npz"), "--name", "table", "--frame", "metal",
                                       "--ao", "--out", str(out)])
    assert result.exit_code == 0, result.output
    stage = Usd.Stage.Open(str(out))
    files = {UsdShade.Shader(p).GetInput("file").Get().path for p in stage.Traverse()
             if p.GetName() == "OcclusionTexture"}
    looks = [p for p in stage.Traverse() if p.GetTypeName() == "Material"]
    with zipfile.ZipFile(out) as package:
        packed = [i.filename for i in package.infolist() if i.filename.endswith(".png")]
    assert len(looks) == 2 and len(files) == 1 and packed == sorted(files)


def _seated_usdz(tmp_path) -> tuple[Path, dict]:
    """A test chair exported with --seats --yaw 90 to .usdz; (path, its manifest entry)."""
    from test_parts import chair
    np.savez(tmp_path / "chairs.npz", voxels=chair()[None].astype(np.float32))
    out = tmp_path / "c.usdz"
    result = CliRunner().invoke(main, ["export", str(tmp_path / "chairs.npz"), "--name", "chair", "--seats", "--yaw",
                                       "90", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]


def test_seat_anchors_become_xforms_facing_forward(tmp_path):
    out, asset = _seated_usdz(tmp_path)
    (seat,) = asset["seats"]
    stage = Usd.Stage.Open(str(out))
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    assert [f"{e.GetName()}: {e.GetMessage()}" for e in UsdValidation.ValidationContext(validators).Validate(stage)] == []
    assert {p.GetTypeName() for p in stage.Traverse()} <= ARKIT_PRIM_TYPES
    prim = stage.GetPrimAtPath("/c/chair_0/chair_0_seat")
    assert prim.GetTypeName() == "Xform"
    world = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default()))  # row vectors
    np.testing.assert_allclose(world[3, :3], np.add(asset["translation_m"], seat["position_m"]), atol=2e-4)
    np.testing.assert_allclose(np.array([0, 0, 1, 0]) @ world, [*seat["facing"], 0], atol=1e-6)
    assert seat["facing"] == [-1.0, 0.0, 0.0]


@pytest.mark.blender
def test_blender_reads_the_usdz_seat_anchor_as_an_empty_facing_forward(tmp_path):
    out, asset = _seated_usdz(tmp_path)
    (seat,) = asset["seats"]
    report = tmp_path / "report.json"
    done = subprocess.run(script_command(_blender_or_skip(), CHECK, str(out), str(report)), capture_output=True,
                          text=True, timeout=300)
    assert report.is_file(), done.stderr[-2000:]
    empty = json.loads(report.read_text())["chair_0_seat"]
    x, y, z = seat["position_m"]
    fx, fy, fz = seat["facing"]
    assert empty["type"] == "EMPTY"
    np.testing.assert_allclose(empty["origin"], [x, -z, y], atol=2e-4)  # Blender is Z-up
    np.testing.assert_allclose(empty["forward"], [fx, -fz, fy], atol=1e-6)
