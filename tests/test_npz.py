"""iggan/npz.py: a user's .npz is opened without pickles, and a file of another kind is named."""
import numpy as np
import pytest

from iggan.npz import open_npz


def test_an_npz_opens_and_other_files_say_what_they_are(tmp_path):
    np.savez(tmp_path / "g.npz", voxels=np.ones((1, 4, 4, 4), np.uint8))
    with open_npz(tmp_path / "g.npz") as data:
        assert data["voxels"].shape == (1, 4, 4, 4)
    (tmp_path / "a.glb").write_bytes(b"glTF\x02\x00\x00\x00" + bytes(16))
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.txt").write_text("voxels")
    (tmp_path / "empty.npz").write_bytes(b"")
    for name, kind in (("a.glb", "a GLB"), ("a.npy", "single NumPy array"), ("a.txt", "not a NumPy .npz"),
                       ("empty.npz", "empty")):
        with pytest.raises(ValueError, match=kind) as info:
            open_npz(tmp_path / name)
        assert "numpy.savez" in str(info.value) and "pickle" not in str(info.value)
    with pytest.raises(OSError):
        open_npz(tmp_path / "missing.npz")


def test_pickled_objects_in_an_npz_are_never_loaded(tmp_path):
    np.savez(tmp_path / "p.npz", voxels=np.array([{"x": 1}], dtype=object))
    with open_npz(tmp_path / "p.npz") as data, pytest.raises(ValueError, match="allow_pickle"):
        data["voxels"]


def test_only_stacks_of_cubic_grids_are_cubic_stacks():
    from iggan.npz import is_cubic_stack

    assert is_cubic_stack((6, 32, 32, 32)) and is_cubic_stack((1, 1, 1, 1))
    for shape in [(6, 32, 32, 16), (2, 16, 16), (16, 16, 16), (6, 0, 0, 0), (2, 4, 4, 4, 1)]:
        assert not is_cubic_stack(shape), shape


def test_every_reader_of_a_voxel_file_finds_the_same_solid_cells(tmp_path):
    from iggan.eval.models import load_grids
    from iggan.meshes import y_up_grid
    from iggan.npz import solid_cells

    grid = np.zeros((1, 4, 4, 4), np.float32)
    grid[0, 1, 1, 1], grid[0, 2, 2, 2], grid[0, 3, 3, 3] = 0.5, 0.49, 1.0  # exactly 0.5 is solid, just under is not
    ints = np.zeros((1, 4, 4, 4), np.int8)
    ints[0, 1, 1, 1], ints[0, 2, 2, 2] = -1, 3  # any non-zero integer is solid
    for arr, expected in ((grid, {(1, 1, 1), (3, 3, 3)}), (ints, {(1, 1, 1), (2, 2, 2)})):
        assert {tuple(i) for i in np.argwhere(solid_cells(arr)[0])} == expected
        np.savez(tmp_path / "g.npz", voxels=arr)
        evaluated = load_grids(tmp_path / "g.npz", up="y")  # evaluate's --reference-shapes
        assert np.array_equal(evaluated[0], y_up_grid(arr[0], "y"))  # train's and voxelize's voxels: reader


def test_an_array_larger_than_free_memory_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import io
    import zipfile

    import iggan.npz as npz

    # a header claiming 15 TiB: numpy would raise a bare MemoryError while allocating
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**6, 256, 256, 256)})
    with zipfile.ZipFile(tmp_path / "claims.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voxels.npy", header.getvalue() + bytes(64))
    assert npz.declared_array_bytes(tmp_path / "claims.npz") == {"voxels": 10**6 * 256**3}
    with pytest.raises(ValueError, match=r"'voxels' takes 15,\d{3}\.\d GiB once loaded.*split the grids"):
        open_npz(tmp_path / "claims.npz")
    # a genuine file is judged by the same rule: 2 MiB of zeros (a few KB compressed) against 1 MiB free
    np.savez_compressed(tmp_path / "zeros.npz", voxels=np.zeros((2, 128, 128, 64), np.uint8), up="y")
    with open_npz(tmp_path / "zeros.npz") as data:
        assert data["voxels"].shape == (2, 128, 128, 64)
    monkeypatch.setattr(npz, "available_memory_bytes", lambda: 2**20)
    with pytest.raises(ValueError, match="'voxels' takes 0.0 GiB"):
        open_npz(tmp_path / "zeros.npz")
    monkeypatch.setattr(npz, "available_memory_bytes", lambda: None)  # unknown: no check
    with open_npz(tmp_path / "zeros.npz") as data:
        assert str(data["up"]) == "y"


def test_readers_of_voxel_files_report_an_oversized_array_as_bad_input(tmp_path, monkeypatch):
    import click

    import iggan.npz as npz
    from cli.export_grids import load_grids
    from iggan.eval.models import EvalError
    from iggan.eval.models import load_grids as load_reference_grids
    from iggan.meshes import SourceError, _voxel_array

    np.savez(tmp_path / "g.npz", voxels=np.ones((4, 32, 32, 32), np.uint8))
    monkeypatch.setattr(npz, "available_memory_bytes", lambda: 1000)
    with pytest.raises(click.BadParameter, match="memory free here"):
        load_grids(tmp_path / "g.npz")
    with pytest.raises(EvalError, match="memory free here"):
        load_reference_grids(tmp_path / "g.npz")
    with pytest.raises(SourceError, match="memory free here"):
        _voxel_array(str(tmp_path / "g.npz"))
