"""`iggan-assets voxelize`: meshes and grids -> one +Y-up .npz for fresh-view training (voxels:)."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from click.testing import CliRunner

from iggan.cli.main import main
from iggan.config import preset
from iggan.data_sources import open_data_source
from iggan.meshes import list_objects, load_object
from iggan.voxelize import voxelize_mesh


@pytest.fixture
def box_dir(tmp_path):
    folder = tmp_path / "meshes"
    folder.mkdir()
    trimesh.creation.box((1.0, 0.5, 0.8)).export(folder / "box.obj")
    return folder


def _run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_box_voxelises_solid_at_its_rendered_size(box_dir):
    grid = voxelize_mesh(load_object(list_objects(box_dir)[0]), 32)
    xs, ys, zs = (np.flatnonzero(grid.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3))
    # Normalised as for rendering: longest side 1 = the whole 32-cell cube, the others in proportion.
    assert len(xs) == 32 and abs(len(ys) - 16) <= 1 and abs(len(zs) - 25.6) <= 1
    assert grid[16, 16, 16] and grid.mean() == pytest.approx(0.5 * 0.8, abs=0.06)  # filled, not a shell


def test_voxelised_mesh_renders_like_the_mesh(box_dir):
    from iggan.render.scene import ReferenceScene
    from iggan.render.voxel_mesh import voxel_surface

    cfg = preset("tiny")
    mesh = load_object(list_objects(box_dir)[0])
    scene = ReferenceScene(64, cfg.views)
    try:
        a = scene.render(mesh.positions, mesh.normals, mesh.triangles, 30.0, 20.0) > 0.05
        b = scene.render(*voxel_surface(voxelize_mesh(mesh, 32)), 30.0, 20.0) > 0.05
    finally:
        scene.close()
    assert (a & b).sum() / (a | b).sum() > 0.85  # same place, same size


def test_cli_writes_y_up_grids_that_train_as_a_voxels_source(tmp_path, box_dir):
    out = tmp_path / "train.npz"
    zup = np.zeros((2, 16, 16, 16), np.uint8)
    zup[:, 4:12, 4:12, 0:2] = 1  # a slab on the floor of a Z-up grid
    np.savez(tmp_path / "zup.npz", voxels=zup)
    result = _run(["voxelize", tmp_path / "zup.npz", box_dir, "--res", 16, "--out", out])
    assert result.exit_code == 0, result.output
    assert "wrote 3 grids at 16^3" in result.output
    with np.load(out) as data:
        grids, names, up = data["voxels"], list(data["names"]), str(data["up"])
    assert grids.shape == (3, 16, 16, 16) and up == "y" and names[-1].endswith("box.obj")
    assert grids[0][:, 0:2, :].any() and not grids[0][:, 2:, :].any()  # the slab now lies at low Y
    source, report = open_data_source(f"voxels:{out}", preset("tiny"))  # up taken from the file
    assert report.loaded == 3 and all(r.up == "y" for r in source.refs)
    assert torch.equal(source.grids, torch.from_numpy(grids.astype(bool)))


def test_cli_refuses_to_overwrite_and_keeps_the_old_file(tmp_path, box_dir):
    out = tmp_path / "train.npz"
    out.write_bytes(b"precious")
    result = _run(["voxelize", box_dir, "--out", out])
    assert result.exit_code != 0 and "--overwrite" in result.output and out.read_bytes() == b"precious"
    assert _run(["voxelize", box_dir, "--out", out, "--overwrite"]).exit_code == 0
    assert np.load(out)["voxels"].shape == (1, 32, 32, 32)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_cli_unwritable_folder_is_a_clear_error(tmp_path, box_dir):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    result = _run(["voxelize", box_dir, "--out", ro / "x.npz"])
    assert result.exit_code != 0 and "is not writable; choose another --out" in result.output


def test_cli_missing_folder_and_wrong_resolution_are_clear_errors(tmp_path):
    result = _run(["voxelize", Path(__file__), "--out", tmp_path / "no" / "x.npz"])
    assert result.exit_code != 0 and "does not exist; make it first or choose another --out" in result.output
    assert result.output.count("choose another") == 1  # said once, not once by the check and again by voxelize
    if Path("/proc/self").exists():  # a folder no one can make files in, root included
        result = _run(["voxelize", Path(__file__), "--out", "/proc/x.npz"])
        assert result.exit_code != 0 and "cannot create files in folder /proc" in result.output
    g = np.zeros((1, 8, 8, 8), np.uint8)
    g[0, 2:6, 2:6, 2:6] = 1
    np.savez(tmp_path / "g8.npz", voxels=g)
    result = _run(["voxelize", tmp_path / "g8.npz", "--res", 32, "--out", tmp_path / "x.npz"])
    assert result.exit_code != 0 and "8^3 grid; pass --res 8" in result.output and "no object" in result.output
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("option", ["--filter", "--exclude", "--category"])
def test_cli_invalid_regex_is_a_clear_error(tmp_path, box_dir, option):
    result = _run(["voxelize", box_dir, "--out", tmp_path / "x.npz", option, "["])
    assert result.exit_code != 0 and f"Error: {option} '[' is not a valid regular expression" in result.output
    assert result.exc_info[0] is SystemExit and not (tmp_path / "x.npz").exists()


def test_cli_skips_and_names_a_damaged_catalog_or_npz_in_a_folder(tmp_path, box_dir):
    (box_dir / "bad.sh3f").write_bytes(b"PK\x03\x04 cut short")
    (box_dir / "cut.npz").write_bytes(b"PK\x03\x04 cut short")
    result = _run(["voxelize", box_dir, "--out", tmp_path / "x.npz", "--res", 8])
    assert result.exit_code == 0, result.output
    assert "skipped 2" in result.output and "bad.sh3f" in result.output and "cut.npz" in result.output
    assert np.load(tmp_path / "x.npz")["voxels"].shape == (1, 8, 8, 8)
    result = _run(["voxelize", box_dir / "cut.npz", "--out", tmp_path / "y.npz", "--res", 8])
    assert result.exit_code != 0 and "cut.npz" in result.output  # named directly: still an error


def test_cli_float_grids_are_thresholded_at_half(tmp_path):
    probs = np.random.default_rng(0).random((2, 8, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "p.npz", voxels=probs, up=np.array("y"))
    result = _run(["voxelize", tmp_path / "p.npz", "--res", 8, "--out", tmp_path / "v.npz"])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(tmp_path / "v.npz")["voxels"], probs >= 0.5)
