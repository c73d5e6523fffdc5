"""asset_export/thumbnails.py: per-asset icons (--thumbnails) beside the asset file(s)."""
import json

import numpy as np
import pytest
from PIL import Image

from iggan.asset_export import ExportSettings
from iggan.asset_export.palettes import hex_to_linear
from iggan.asset_export.preview import BACKGROUND, render_mesh
from iggan.asset_export.surface import surface_mesh
from test_asset_formats import grids_npz, run  # two chair-like grids; the CLI


def test_a_transparent_render_is_the_opaque_one_where_the_mesh_covers_it():
    cube = np.zeros((8, 8, 8), bool)
    cube[2:6, 2:6, 2:6] = True
    mesh = surface_mesh(cube)
    opaque = np.asarray(render_mesh(mesh, 64, supersample=1)).astype(int)
    icon = np.asarray(render_mesh(mesh, 64, supersample=1, transparent=True)).astype(int)
    assert icon.shape == (64, 64, 4) and opaque.shape == (64, 64, 3)
    alpha = icon[..., 3]
    assert set(np.unique(alpha)) == {0, 255} and alpha[0, 0] == 0 and alpha[32, 32] == 255
    inside = alpha == 255
    assert 0.1 < inside.mean() < 0.9
    np.testing.assert_array_equal(icon[inside][:, :3], opaque[inside])  # the same picture where it is opaque
    np.testing.assert_array_equal(opaque[~inside], np.broadcast_to(BACKGROUND, opaque[~inside].shape))
    # supersampled, the edges are soft and keep the mesh's colour: no light background bleeds into them
    soft = np.asarray(render_mesh(mesh, 64, transparent=True)).astype(int)
    edge = (soft[..., 3] > 0) & (soft[..., 3] < 255)
    assert edge.sum() > 20 and soft[edge][:, :3].mean() < soft[soft[..., 3] == 255][:, :3].mean() + 10


def test_thumbnails_one_transparent_png_per_asset_named_in_the_manifest(tmp_path):
    out = tmp_path / "set.glb"
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--out", out, "--thumbnails", "96",
            "--palette", "#ff0000 #0000ff")
    assert r.exit_code == 0, r.output
    assert f"thumbnails: {tmp_path / 'set_thumbnails'}/ (2 PNG, 96 px)" in r.output
    manifest = json.loads((tmp_path / "set.manifest.json").read_text())
    assert [a["thumbnail"] for a in manifest["assets"]] == ["set_thumbnails/chair_0.png", "set_thumbnails/chair_1.png"]
    assert manifest["settings"]["thumbnail_size"] == 96
    for asset, hue in zip(manifest["assets"], (0, 2)):  # red, then blue, as the palette dealt them
        icon = Image.open(tmp_path / asset["thumbnail"])
        assert icon.mode == "RGBA" and icon.size == (96, 96)
        rgba = np.asarray(icon).astype(int)
        assert rgba[0, 0, 3] == 0  # transparent where there is no chair
        drawn = rgba[rgba[..., 3] == 255][:, :3]
        assert len(drawn) > 500 and drawn.mean(axis=0).argmax() == hue  # tinted with the asset's colour
        assert asset["base_color"] == list(hex_to_linear(["#ff0000", "#0000ff"][hue // 2]))


def test_thumbnails_of_a_split_set_and_none_replaced_without_overwrite(tmp_path):
    parts = tmp_path / "parts"
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--split", "--out", parts, "--thumbnails", "64")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (parts / "thumbnails").iterdir()) == ["chair_0.png", "chair_1.png"]
    assert json.loads((parts / "manifest.json").read_text())["assets"][0]["thumbnail"] == "thumbnails/chair_0.png"
    # an icon someone drew stays, and nothing else is written, unless --overwrite
    out = tmp_path / "set.glb"
    (tmp_path / "set_thumbnails").mkdir()
    (tmp_path / "set_thumbnails" / "chair_1.png").write_bytes(b"someone's icon")
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--out", out, "--thumbnails", "64")
    assert r.exit_code != 0 and "chair_1.png exists; pass --overwrite" in r.output
    assert (tmp_path / "set_thumbnails" / "chair_1.png").read_bytes() == b"someone's icon"
    assert not out.exists() and not (tmp_path / "set_thumbnails" / "chair_0.png").exists()
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--out", out, "--thumbnails", "64", "--overwrite")
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "set_thumbnails" / "chair_1.png").size == (64, 64)
    # a file where the folder would go is named
    (tmp_path / "b_thumbnails").write_text("not a folder")
    r = run("export", grids_npz(tmp_path), "--name", "chair", "--out", tmp_path / "b.glb", "--thumbnails", "64")
    assert r.exit_code != 0 and "b_thumbnails exists and is not a folder" in r.output
    assert not (tmp_path / "b.glb").exists()


def test_thumbnail_sizes_are_checked():
    with pytest.raises(ValueError, match="thumbnail_size"):
        ExportSettings(thumbnail_size=4)
    assert run("export", "x.npz", "--out", "x.glb", "--thumbnails", "8").exit_code == 2


def test_replacing_an_export_removes_only_the_thumbnails_its_old_manifest_named(tmp_path):
    out, folder = tmp_path / "set.glb", tmp_path / "set_thumbnails"
    grids = grids_npz(tmp_path)
    assert run("export", grids, "--name", "chair", "--out", out, "--thumbnails", "32").exit_code == 0
    (folder / "my_icon.png").write_bytes(b"drawn by hand")
    # one asset now: chair_1's icon goes, the hand-drawn one stays
    assert run("export", grids, "--name", "chair", "--select", "0", "--out", out, "--thumbnails", "32",
               "--overwrite").exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["chair_0.png", "my_icon.png"]
    # no thumbnails at all: the exporter's go; the folder stays for the user's file, and goes once it is empty
    assert run("export", grids, "--name", "chair", "--out", out, "--overwrite").exit_code == 0
    assert [p.name for p in folder.iterdir()] == ["my_icon.png"]
    (folder / "my_icon.png").unlink()
    assert run("export", grids, "--name", "chair", "--out", out, "--thumbnails", "32", "--overwrite").exit_code == 0
    assert run("export", grids, "--name", "chair", "--out", out, "--overwrite").exit_code == 0
    assert not folder.exists()
