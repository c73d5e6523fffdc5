"""The frame (thin parts) of a shape, and `--frame`: a second material on the legs, rails and bases of the export."""
import json

import numpy as np
import pygltflib
import pytest
from click.testing import CliRunner

import glb_checks
from iggan.asset_export import ExportSettings, export_grids, grid_to_asset
from iggan.asset_export.draco import compress_glb
from iggan.asset_export.palettes import FRAME_FINISHES, frame_finish, hex_to_linear
from iggan.asset_export.parts import frame_voxels, run_lengths
from iggan.cli.main import main


def chair(res: int = 32) -> np.ndarray:
    """(res^3) bool, +Y up: a 12 x 2 x 12 seat at height 10 on four 2 x 2 legs, a 12 x 12 x 2 back, and a 1 x 1 x 4
    spike (a narrow corner) standing on the back."""
    g = np.zeros((res, res, res), bool)
    g[8:20, 10:12, 8:20] = True  # seat
    g[8:20, 12:24, 18:20] = True  # back
    for x in (8, 18):
        for z in (8, 18):
            g[x:x + 2, 0:10, z:z + 2] = True  # legs
    g[8, 24:28, 18] = True  # spike on the back's corner
    return g


def sofa(res: int = 32) -> np.ndarray:
    """A 20 x 8 x 10 block on four 2 x 1 x 2 feet (4 voxels each)."""
    g = np.zeros((res, res, res), bool)
    g[4:24, 1:9, 8:18] = True
    for x in (4, 22):
        for z in (8, 16):
            g[x:x + 2, 0, z:z + 2] = True
    return g


def test_run_lengths_count_the_solid_run_through_each_voxel():
    g = np.zeros((6, 1, 1), bool)
    g[0:2, 0, 0] = g[3:6, 0, 0] = True
    np.testing.assert_array_equal(run_lengths(g, 0)[:, 0, 0], [2, 2, 0, 3, 3, 3])
    np.testing.assert_array_equal(run_lengths(g, 1)[:, 0, 0], [1, 1, 0, 1, 1, 1])


def test_legs_are_frame_and_seat_back_and_a_narrow_corner_are_body():
    g = chair()
    frame = frame_voxels(g)
    assert not (frame & ~g).any()
    legs = np.zeros_like(g)
    for x in (8, 18):
        for z in (8, 18):
            legs[x:x + 2, 0:9, z:z + 2] = True  # all but the top layer, which the seat's majority may claim
    assert frame[legs].all()
    assert not frame[8:20, 10:12, 10:18].any() and not frame[10:18, 12:24, 18:20].any()  # seat and back
    assert not frame[8, 24:28, 18].any()  # a frame part off the floor joins the body


def test_a_sofas_small_feet_are_frame_and_its_body_is_not():
    g = sofa()
    frame = frame_voxels(g)
    assert frame[:, 0].sum() == g[:, 0].sum() == 16
    assert not frame[:, 1:].any()


def test_a_shape_with_no_thin_parts_has_no_frame():
    g = np.zeros((16, 16, 16), bool)
    g[3:13, 0:10, 3:13] = True
    assert not frame_voxels(g).any()
    assert not frame_voxels(np.zeros((8, 8, 8), bool)).any()


def test_frame_faces_follow_the_legs_on_every_lod():
    asset = grid_to_asset(chair().astype(np.float32), ExportSettings(frame="wood", lods=2, faces=2000))
    assert asset.frame is not None and len(asset.frame) == 2
    for lod, on_frame in zip(asset.lods, asset.frame):
        assert on_frame.shape == (lod.n_faces,) and 0 < on_frame.mean() < 0.6
        centres = lod.vertices[lod.faces].mean(axis=1)
        height = centres[:, 1] / centres[:, 1].max()
        assert on_frame[height < 0.25].mean() > 0.9  # the lower legs
        assert on_frame[height > 0.5].mean() < 0.1  # the back
    assert asset.report["frame_share"] == round(float(asset.frame[0].mean()), 3)
    assert grid_to_asset(chair().astype(np.float32)).frame is None  # off by default


def test_finishes_and_hex_colours_and_a_clear_refusal():
    assert frame_finish("metal", 0.8)[2] == 1.0 and frame_finish("Wood", 0.8) == (
        hex_to_linear(FRAME_FINISHES["wood"][0]), 0.6, 0.0)
    assert frame_finish("#3b2a1e", 0.7) == (hex_to_linear("#3b2a1e"), 0.7, 0.0)
    with pytest.raises(ValueError, match="wood, oak"):
        ExportSettings(frame="plaid")


def test_the_glb_draws_the_frame_as_a_second_primitive_in_its_own_material(tmp_path):
    grids = np.stack([chair(), sofa()]).astype(np.float32)
    out = tmp_path / "set.glb"
    manifest = export_grids(grids, out, ExportSettings(frame="metal", palette=((0.5, 0.1, 0.1, 1), (0.1, 0.1, 0.5, 1)),
                                                       variants=True), names=["chair", "sofa"])
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out)  # watertight once the primitives' shared border is joined
    gltf = pygltflib.GLTF2().load(str(out))
    for name, entry in zip(["chair", "sofa"], manifest["assets"]):
        m = meshes[name]
        body, frame = m["materials"]
        assert frame.name == "iggan_frame_metal" and frame.pbrMetallicRoughness.metallicFactor == 1.0
        assert frame.pbrMetallicRoughness.roughnessFactor == FRAME_FINISHES["metal"][1]
        assert body.pbrMetallicRoughness.metallicFactor == 0.0
        assert sum(m["primitive_faces"]) == entry["triangles"][0]
        assert m["primitive_faces"][1] / entry["triangles"][0] == pytest.approx(entry["frame_share"], abs=1e-3)
        prims = gltf.meshes[gltf.nodes[[n.name for n in gltf.nodes].index(name)].mesh].primitives
        assert "KHR_materials_variants" in (prims[0].extensions or {})  # the variants recolour the body ...
        assert not prims[1].extensions  # ... and leave the frame as it is
    assert manifest["settings"]["frame"] == "metal"
    # Draco codes each primitive apart; the coded file keeps both
    coded = tmp_path / "coded.glb"
    coded.write_bytes(compress_glb(out.read_bytes()))
    doc = pygltflib.GLTF2().load(str(coded))
    assert all(len(m.primitives) == 2 for m in doc.meshes)


def test_with_ao_each_lod_has_a_frame_material_over_its_occlusion_map(tmp_path):
    out = tmp_path / "ao.glb"
    export_grids(chair()[None].astype(np.float32), out, ExportSettings(frame="wood", lods=2, ao=True, ao_size=64),
                 names=["c"], preview=False)
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out)
    for lod in ("c_LOD0", "c_LOD1"):
        body, frame = meshes[lod]["materials"]
        assert frame.name == f"{lod}_frame_wood" and body.name == f"{lod}_surface_e7e7e7"
        assert frame.occlusionTexture.index == body.occlusionTexture.index


def test_cli_frame_writes_the_manifest_and_refuses_a_bad_finish_or_a_photo_texture(tmp_path):
    grids = tmp_path / "g.npz"
    np.savez(grids, voxels=chair()[None].astype(np.float32))
    out = tmp_path / "c.glb"
    r = CliRunner().invoke(main, ["export", str(grids), "--out", str(out), "--frame", "oak", "--thumbnails", "32"])
    assert r.exit_code == 0, r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["settings"]["frame"] == "oak" and 0 < manifest["assets"][0]["frame_share"] < 0.6
    r = CliRunner().invoke(main, ["export", str(grids), "--out", str(tmp_path / "x.glb"), "--frame", "plaid"])
    assert r.exit_code != 0 and "not a frame finish" in r.output, r.output
    assert not (tmp_path / "x.glb").exists()
    # a photo's colour map paints every part: match refuses --frame with --texture before any work
    from iggan.asset_formats import FormatError, check_format_contents
    with pytest.raises(FormatError, match="drop one of them"):
        check_format_contents("glb", {"frame": "wood", "texture": True})


def test_the_preview_draws_the_frame_in_its_colour():
    from iggan.asset_export.preview import render_mesh
    asset = grid_to_asset(chair().astype(np.float32), ExportSettings(frame="#ff0000"))
    red = np.asarray(render_mesh(asset.lods[0], 96, frame=asset.frame[0], frame_tint=(1.0, 0.0, 0.0)), np.int32)
    grey = np.asarray(render_mesh(asset.lods[0], 96), np.int32)
    reddish = (red[..., 0] - red[..., 2] > 40).mean()
    assert reddish > 0.02 and (grey[..., 0] - grey[..., 2] > 40).mean() == 0


def test_several_finishes_are_dealt_in_order_one_material_each(tmp_path):
    out = tmp_path / "dealt.glb"
    manifest = export_grids(np.stack([chair()] * 3).astype(np.float32), out, ExportSettings(frame="wood, metal"),
                            names=["a", "b", "c"], preview=False)
    assert [a["frame_finish"] for a in manifest["assets"]] == ["wood", "metal", "wood"]
    meshes = glb_checks.read_meshes(out)
    frames = [meshes[name]["materials"][1] for name in "abc"]
    assert [m.name for m in frames] == ["iggan_frame_wood", "iggan_frame_metal", "iggan_frame_wood"]
    assert [m.pbrMetallicRoughness.metallicFactor for m in frames] == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="'plaid' is not a frame finish"):
        ExportSettings(frame="wood plaid")


def test_an_office_chairs_column_and_star_base_are_frame_through_their_hub():
    from standing_shapes import swivel_chair
    g = swivel_chair(gap_occupancy=1.0) >= 0.5
    g[12:20, 0:2, 12:20] = True  # a hub of 128 voxels where the bars cross: too big to be a mere joint
    frame = frame_voxels(g)
    base_and_column = g.copy()
    base_and_column[:, 14:, :] = False  # the seat starts at height 14
    assert frame[base_and_column].mean() > 0.95
    assert not frame[:, 15:, :].any()  # seat (but its underside's contact row) and back


def test_none_among_the_finishes_leaves_that_asset_one_material(tmp_path):
    out = tmp_path / "mixed.glb"
    manifest = export_grids(np.stack([chair()] * 2).astype(np.float32), out, ExportSettings(frame="none metal"),
                            names=["a", "b"], preview=False)
    meshes = glb_checks.read_meshes(out)
    assert len(meshes["a"]["materials"]) == 1 and "frame_finish" not in manifest["assets"][0]
    assert [m.name for m in meshes["b"]["materials"]] == ["iggan_surface_e7e7e7", "iggan_frame_metal"]
    assert manifest["assets"][1]["frame_finish"] == "metal"


def test_frame_none_alone_is_no_frame_at_all():
    asset = grid_to_asset(chair().astype(np.float32), ExportSettings(frame="none"))
    assert asset.frame is None and "frame_share" not in asset.report
