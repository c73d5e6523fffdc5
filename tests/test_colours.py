"""--color and --palette (cli/colours.py, ExportSettings.palette): colours dealt to the assets in order, one
material per colour, recorded in the manifest and shown in the preview sheet."""
import json

import click
import numpy as np
import pygltflib
import pytest
from click.testing import CliRunner
from PIL import Image

import glb_checks
from iggan.asset_export import ExportSettings, export_grids, grid_to_asset
from iggan.asset_export.preview import render_mesh
from iggan.asset_export.palettes import PALETTES, hex_to_linear
from iggan.cli.colours import parse_palette
from iggan.cli.main import main

RED, BLUE = (0.8, 0.05, 0.05, 1.0), (0.05, 0.1, 0.8, 1.0)


def grids(n=3):
    g = np.zeros((n, 16, 16, 16), np.float32)
    g[:, 3:13, 1:4, 3:13] = 1
    g[:, 3:6, 1:15, 3:13] = 1
    for i in range(n):
        g[i, 8:12, 4:4 + i + 1, 6:10] = 1
    return g


def materials_by_node(path) -> dict[str, tuple]:
    """node name -> the baseColorFactor of its mesh's material (LOD nodes included)."""
    gltf = pygltflib.GLTF2().load(str(path))
    out = {}
    for node in gltf.nodes:
        if node.mesh is not None:
            material = gltf.materials[gltf.meshes[node.mesh].primitives[0].material]
            out[node.name] = tuple(material.pbrMetallicRoughness.baseColorFactor)
    return out


def test_hex_colours_and_named_palettes_parse_to_linear_rgba():
    assert hex_to_linear("#ffffff") == (1.0, 1.0, 1.0, 1.0) and hex_to_linear("808080ff")[3] == 1.0
    assert hex_to_linear("#808080")[0] == pytest.approx(0.2158605, abs=1e-6)  # sRGB 128 -> linear
    assert hex_to_linear("0.5,0.5,0.5") is None
    assert len(parse_palette(None, None, "furniture")) == len(PALETTES["furniture"]) == 10
    assert parse_palette(None, None, "#ff0000, #0000ff;#00ff00") == (hex_to_linear("#ff0000"), hex_to_linear("#0000ff"),
                                                                    hex_to_linear("#00ff00"))
    with pytest.raises(click.BadParameter, match="'#12' is not a hex colour"):
        parse_palette(None, None, "#ff0000 #12")
    with pytest.raises(ValueError, match="palette must be"):
        ExportSettings(palette=((1.2, 0.0, 0.0),))


def test_colours_are_dealt_in_order_one_material_each_and_recorded(tmp_path):
    settings = ExportSettings(palette=(RED, BLUE))
    manifest = export_grids(grids(3), tmp_path / "set.glb", settings, names=["a", "b", "c"], preview=False)
    glb_checks.assert_valid([tmp_path / "set.glb"])
    assert materials_by_node(tmp_path / "set.glb") == {"a": RED, "b": BLUE, "c": RED}
    assert len(pygltflib.GLTF2().load(str(tmp_path / "set.glb")).materials) == 2  # shared by colour
    assert [a["base_color"] for a in manifest["assets"]] == [list(RED), list(BLUE), list(RED)]
    # one file per asset: each keeps the colour of its place in the set; with maps, every LOD's material too
    export_grids(grids(3), tmp_path / "parts", ExportSettings(palette=(RED, BLUE), ao=True, lods=2),
                 names=["a", "b", "c"], split=True, preview=False)
    assert materials_by_node(tmp_path / "parts" / "b.glb") == {"b_LOD0": BLUE, "b_LOD1": BLUE}
    assert materials_by_node(tmp_path / "parts" / "c.glb") == {"c_LOD0": RED, "c_LOD1": RED}


def test_one_color_is_recorded_and_shown_too(tmp_path):
    manifest = export_grids(grids(2), tmp_path / "red.glb", ExportSettings(base_color=RED), names=["a", "b"])
    assert [a["base_color"] for a in manifest["assets"]] == [list(RED), list(RED)]
    assert materials_by_node(tmp_path / "red.glb") == {"a": RED, "b": RED}
    sheet = np.asarray(Image.open(tmp_path / "red.preview.png").convert("RGB"), np.float64)
    drawn = np.abs(sheet - sheet[2, 2]).sum(axis=2) > 60
    r, g, b = np.median(sheet[drawn], axis=0)
    assert r > 2 * b  # the sheet shows the chairs red
    plain = export_grids(grids(1), tmp_path / "grey.glb", ExportSettings(), names=["a"], preview=False)
    assert "base_color" not in plain["assets"][0]  # the default grey: nothing to record per asset


def test_the_preview_shows_each_assets_colour():
    mesh = grid_to_asset(grids(1)[0]).lods[0]
    grey, red = (np.asarray(render_mesh(mesh, size=64, tint=t), np.float64) for t in (None, RED))
    drawn = np.abs(grey - grey[0, 0]).sum(axis=2) > 10
    r, g, b = np.median(red[drawn], axis=0)
    assert r > 3 * b and r > 3 * g  # the chair is red where it was grey (edges blend with the backdrop)
    r, g, b = np.median(grey[drawn], axis=0)
    assert abs(r - b) < 20


def test_cli_palette_and_its_refusals(tmp_path):
    npz = tmp_path / "g.npz"
    np.savez(npz, voxels=grids(3))
    r = CliRunner().invoke(main, ["export", str(npz), "--palette", "#ff0000 #0000ff", "--out", str(tmp_path / "p.glb")])
    assert r.exit_code == 0, r.output
    colours = [a["base_color"] for a in json.loads((tmp_path / "p.manifest.json").read_text())["assets"]]
    assert colours == [list(hex_to_linear("#ff0000")), list(hex_to_linear("#0000ff")), list(hex_to_linear("#ff0000"))]
    r = CliRunner().invoke(main, ["export", str(npz), "--palette", "furniture", "--color", "#ffffff",
                                  "--out", str(tmp_path / "q.glb")])
    assert r.exit_code == 2 and "--palette deals a colour to each asset; drop --color" in r.output
    r = CliRunner().invoke(main, ["export", str(npz), "--palette", "plaid", "--out", str(tmp_path / "q.glb")])
    assert r.exit_code == 2 and "'plaid' is not a hex colour" in r.output and "furniture" in r.output
    assert not (tmp_path / "q.glb").exists()
