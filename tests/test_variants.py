"""`--palette ... --variants`: every asset carries the palette's colours as glTF material variants
(KHR_materials_variants, asset_export/gltf.py), its dealt colour the default."""
import numpy as np
import pytest
from click.testing import CliRunner

from iggan.asset_export import ExportSettings, export_grids
from iggan.asset_export.glb_file import read_glb
from iggan.asset_export.gltf import variant_name
from iggan.asset_export.palettes import palette_colours
from iggan.cli.export_grids import export

PALETTE = palette_colours("#5c4033 #b98b5a #2c3e5c")
NAMES = ["#5c4033", "#b98b5a", "#2c3e5c"]


def _grids(n=2):
    g = np.zeros((n, 16, 16, 16), np.float32)
    g[:, 4:12, 0:6, 4:12] = 1  # a seat block ...
    g[:, 4:12, 6:14, 4:6] = 1  # ... with a back
    return g


def _doc(path):
    return read_glb(path.read_bytes(), "read it")[0]


def _primitives(doc, node_name):
    node = next(n for n in doc["nodes"] if n["name"] == node_name)
    return doc["meshes"][node["mesh"]]["primitives"]


def test_variant_names_are_the_srgb_hex_people_pick():
    assert [variant_name(c) for c in PALETTE] == NAMES


def test_every_lod_maps_each_variant_to_a_material_of_its_colour_and_the_dealt_colour_stays_the_default(tmp_path):
    out = tmp_path / "v.glb"
    manifest = export_grids(_grids(), out, ExportSettings(palette=PALETTE, variants=True, lods=2, collision="godot"),
                            names=["a", "b"], preview=0)
    assert manifest["material_variants"] == NAMES and manifest["settings"]["variants"] is True
    doc = _doc(out)
    assert doc["extensionsUsed"] == ["KHR_materials_variants"]
    assert [v["name"] for v in doc["extensions"]["KHR_materials_variants"]["variants"]] == NAMES
    for asset, dealt in (("a", 0), ("b", 1)):
        for lod in ("LOD0", "LOD1"):
            (prim,) = _primitives(doc, f"{asset}_{lod}")
            mappings = prim["extensions"]["KHR_materials_variants"]["mappings"]
            assert [m["variants"] for m in mappings] == [[0], [1], [2]]
            for k, m in enumerate(mappings):
                colour = doc["materials"][m["material"]]["pbrMetallicRoughness"]["baseColorFactor"]
                np.testing.assert_allclose(colour, PALETTE[k], atol=1e-6)
            assert prim["material"] == mappings[dealt]["material"]  # the default is the dealt colour's material
    (hull,) = _primitives(doc, "a-convcolonly")
    assert "extensions" not in hull  # a collision hull is never drawn in a colour


def test_with_occlusion_maps_each_variant_material_keeps_the_lods_map(tmp_path):
    out = tmp_path / "ao.glb"
    export_grids(_grids(1), out, ExportSettings(palette=PALETTE, variants=True, ao=True), names=["a"], preview=0)
    doc = _doc(out)
    (prim,) = _primitives(doc, "a")
    indices = [m["material"] for m in prim["extensions"]["KHR_materials_variants"]["mappings"]]
    assert indices[0] == prim["material"] and len(set(indices)) == len(doc["materials"]) == 3  # the dealt one: itself
    mats = [doc["materials"][i] for i in indices]
    assert {m["occlusionTexture"]["index"] for m in mats} == {mats[0]["occlusionTexture"]["index"]}
    assert [m["name"] for m in mats] == ["a_surface_5c4033", "a_surface_b98b5a", "a_surface_2c3e5c"]  # each by its look


def test_without_variants_the_file_has_no_extension(tmp_path):
    out = tmp_path / "plain.glb"
    manifest = export_grids(_grids(1), out, ExportSettings(palette=PALETTE), names=["a"], preview=0)
    doc = _doc(out)
    assert manifest["material_variants"] is None
    assert "extensionsUsed" not in doc and "extensions" not in _primitives(doc, "a")[0]


@pytest.mark.parametrize("palette", [None, PALETTE[:1], (PALETTE[0], PALETTE[0])])
def test_variants_need_a_palette_of_two_colours_or_more(palette):
    with pytest.raises(ValueError, match="give a palette of two or more colours"):
        ExportSettings(palette=palette, variants=True)


def test_the_cli_refuses_variants_without_a_palette_or_for_a_format_that_cannot_hold_them(tmp_path):
    grids = tmp_path / "g.npz"
    np.savez(grids, voxels=_grids(1))
    r = CliRunner().invoke(export, [str(grids), "--variants", "--out", str(tmp_path / "a.glb")])
    assert r.exit_code == 2 and "give a palette of two or more colours" in r.output
    r = CliRunner().invoke(export, [str(grids), "--palette", "furniture", "--variants", "--out",
                                    str(tmp_path / "a.usdz")])
    assert r.exit_code == 2 and "--variants writes glTF material variants" in r.output and "write a .glb" in r.output
    assert not list(tmp_path.glob("a.*"))
    r = CliRunner().invoke(export, [str(grids), "--palette", "furniture", "--variants", "--out",
                                    str(tmp_path / "a.glb"), "--no-preview"])
    assert r.exit_code == 0, r.output
    assert len(_doc(tmp_path / "a.glb")["extensions"]["KHR_materials_variants"]["variants"]) == 10
