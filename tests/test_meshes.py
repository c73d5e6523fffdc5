"""Loading and normalising 3D sources: every mesh format, .sh3f catalogs, voxel arrays, bad input."""
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from iggan.meshes import (SourceError, catalog_objects, list_objects, load_object, normalise_mesh,
                          parse_properties, voxel_object)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
KENNEY = DATA / "kenney-furniture"
MODELNET = DATA / "modelnet10-chairs-32.npz"
SH3D = Path("/usr/share/sweethome3d/furniture")
needs_kenney = pytest.mark.skipif(not KENNEY.is_dir(), reason=f"{KENNEY} absent (shared data not mounted)")
needs_modelnet = pytest.mark.skipif(not MODELNET.is_file(), reason=f"{MODELNET} absent (shared data not mounted)")
needs_sh3d = pytest.mark.skipif(not SH3D.is_dir(), reason="sweethome3d-furniture not installed "
                                "(apt-get install -y sweethome3d-furniture)")


def box(extents=(2.0, 4.0, 1.0), center=(10.0, 5.0, -3.0)) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(center)
    return m


def check_normalised(obj):
    assert obj.positions.dtype == np.float32 and obj.positions.shape[1] == 3
    assert len(obj.triangles) > 0 and obj.triangles.max() < len(obj.positions)
    lo, hi = obj.positions.min(0), obj.positions.max(0)
    assert np.all(lo >= -0.5 - 1e-5) and np.all(hi <= 0.5 + 1e-5)
    assert np.isclose((hi - lo).max(), 1.0, atol=1e-5)  # longest side fills the cube
    np.testing.assert_allclose((lo + hi) / 2, 0, atol=1e-5)  # centred
    np.testing.assert_allclose(np.linalg.norm(obj.normals, axis=1), 1, atol=1e-4)


@pytest.mark.parametrize("suffix", ["obj", "off", "ply", "stl", "glb"])
def test_every_mesh_format_loads_and_normalises(tmp_path, suffix):
    path = tmp_path / f"box.{suffix}"
    box().export(path)
    refs = list_objects(path)
    assert [r.kind for r in refs] == ["mesh"] and refs[0].name == "box"
    obj = load_object(refs[0])
    check_normalised(obj)
    ext = obj.positions.max(0) - obj.positions.min(0)
    np.testing.assert_allclose(ext, [0.5, 1.0, 0.25], atol=1e-5)  # aspect kept: (2, 4, 1) / 4
    # every triangle is also present with the opposite winding (two-sided under back-face culling)
    assert len(obj.triangles) == 2 * 12


def test_gltf_with_external_buffer(tmp_path):
    scene = trimesh.Scene([box()])
    files = scene.export(file_type="gltf")  # {name: bytes}, incl. the .bin
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    obj = load_object(list_objects(tmp_path / "model.gltf")[0])
    check_normalised(obj)


def test_scene_parts_keep_their_node_transforms(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(extents=(1, 1, 1)), transform=trimesh.transformations.translation_matrix([3, 0, 0]))
    scene.add_geometry(trimesh.creation.box(extents=(1, 1, 1)))
    path = tmp_path / "two.glb"
    scene.export(path)
    obj = load_object(list_objects(path)[0])
    ext = obj.positions.max(0) - obj.positions.min(0)
    np.testing.assert_allclose(ext, [1.0, 0.25, 0.25], atol=1e-5)  # 4 wide, 1 high and deep


def test_z_up_becomes_y_up(tmp_path):
    path = tmp_path / "tall.stl"
    box(extents=(1, 1, 4)).export(path)  # tall along Z
    y_up = load_object(list_objects(path, up="y")[0])
    z_up = load_object(list_objects(path, up="z")[0])
    assert np.ptp(y_up.positions[:, 2]) == pytest.approx(1.0, abs=1e-5)
    assert np.ptp(z_up.positions[:, 1]) == pytest.approx(1.0, abs=1e-5)  # now tall along +Y
    assert np.ptp(z_up.positions[:, 2]) == pytest.approx(0.25, abs=1e-5)


def test_folder_listing_is_sorted_recursive_and_filtered(tmp_path):
    (tmp_path / "sub").mkdir()
    box().export(tmp_path / "sub" / "chairB.obj")
    box().export(tmp_path / "chairA.stl")
    box().export(tmp_path / "table.ply")
    (tmp_path / "notes.txt").write_text("not a mesh")
    names = [r.name for r in list_objects(tmp_path)]
    assert names == ["chairA", "chairB", "table"]  # sorted by path: chairA.stl, sub/chairB.obj, table.ply
    assert sorted(r.name for r in list_objects(tmp_path, filter="CHAIR")) == ["chairA", "chairB"]
    assert [r.name for r in list_objects(tmp_path, filter="chair", exclude="B")] == ["chairA"]
    assert list_objects(tmp_path, category="Living") == []  # plain meshes have no category


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        list_objects(tmp_path / "missing")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(SourceError, match="unsupported format"):
        list_objects(tmp_path / "x.txt")
    with pytest.raises(SourceError, match="up axis"):
        list_objects(tmp_path, up="x")
    garbage = tmp_path / "broken.glb"
    garbage.write_bytes(b"glTF\x02\x00\x00\x00 definitely not a model")
    with pytest.raises(SourceError, match="broken.glb"):
        load_object(list_objects(garbage)[0])
    empty = tmp_path / "empty.obj"
    empty.write_text("")
    with pytest.raises(SourceError, match="empty.obj"):
        load_object(list_objects(empty)[0])
    points = tmp_path / "points.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((10, 3))).export(points)
    with pytest.raises(SourceError, match="points.ply"):
        load_object(list_objects(points)[0])


def test_degenerate_and_nonfinite_meshes():
    with pytest.raises(SourceError, match="coincide"):
        normalise_mesh(np.zeros((3, 3)), np.array([[0, 1, 2]]), None, "y")
    with pytest.raises(SourceError, match="degenerate"):
        normalise_mesh(np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0.0]]), np.array([[0, 1, 2]]), None, "y")
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [np.nan, 0, 0]], float)
    obj = normalise_mesh(v, np.array([[0, 1, 2], [0, 1, 3]]), None, "y")
    assert len(obj.triangles) == 2 and np.isfinite(obj.positions).all()


# ---------------------------------------------------------------------------- voxel arrays

def test_voxel_npz_z_up_default_and_conversion(tmp_path):
    grid = np.zeros((8, 8, 8), np.uint8)
    grid[3:5, 3:5, 0:8] = 1  # a column along Z (ModelNet's up)
    np.savez(tmp_path / "v.npz", voxels=np.stack([grid, grid]))
    refs = list_objects(tmp_path / "v.npz")
    assert [r.index for r in refs] == [0, 1] and refs[0].up == "z"
    obj = load_object(refs[0])
    ext = obj.positions.max(0) - obj.positions.min(0)
    np.testing.assert_allclose(ext, [0.25, 1.0, 0.25], atol=1e-6)  # now a column along +Y
    kept = load_object(list_objects(tmp_path / "v.npz", up="y")[0])
    np.testing.assert_allclose(kept.positions.max(0) - kept.positions.min(0), [0.25, 0.25, 1.0], atol=1e-6)


def test_voxel_rotation_is_proper():
    """up='z' maps old +Z to +Y and old +Y to -Z (a rotation, not a mirror)."""
    grid = np.zeros((4, 4, 4), bool)
    grid[0, 0, 3] = True  # x low, y low, z high
    obj = voxel_object(grid, "z")
    c = obj.positions.mean(0)
    assert c[0] < 0 and c[1] > 0 and c[2] > 0  # old y low -> new z high (z_new = -y_old)


def test_voxel_npz_bad_inputs(tmp_path):
    np.savez(tmp_path / "nokey.npz", grids=np.zeros((1, 4, 4, 4)))
    with pytest.raises(SourceError, match="voxels"):
        list_objects(tmp_path / "nokey.npz")
    np.savez(tmp_path / "shape.npz", voxels=np.zeros((4, 4)))
    with pytest.raises(SourceError, match="shape"):
        list_objects(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="junk.npz"):
        list_objects(tmp_path / "junk.npz")
    np.savez(tmp_path / "empty.npz", voxels=np.zeros((1, 4, 4, 4)))
    with pytest.raises(SourceError, match="empty voxel grid"):
        load_object(list_objects(tmp_path / "empty.npz")[0])


@needs_modelnet
def test_modelnet_chairs_stand_up_after_conversion():
    """ModelNet grids are Z-up: converted, the chair's seat+back make the Y extent the tallest."""
    refs = list_objects(MODELNET)
    assert len(refs) == 889
    heights = [np.ptp(load_object(r).positions[:, 1]) for r in refs[:5]]
    assert min(heights) > 0.9  # chairs are their grid's tallest dimension (normalised to fill it)


# ---------------------------------------------------------------------------- Sweet Home 3D

PROPS = """# test catalog
id=test
name#1=Test chair
category#1=Living room
model#1=/models/chair/chair.obj
width#1=50
depth#1=50
height#1=100
name#2=Rotated \\u00e9table
category#2=Kitchen
model#2=/models/table/table.obj
modelRotation#2=1 0 0 0 0 1 0 -1 0
width#2=100
depth#2=50
height#2=25
name#3=Missing model
model#3=/models/none.obj
"""


def make_catalog(path: Path) -> Path:
    cube = trimesh.creation.box(extents=(1, 1, 1))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("PluginFurnitureCatalog.properties", PROPS.encode("latin-1"))
        zf.writestr("models/chair/chair.obj", cube.export(file_type="obj"))
        zf.writestr("models/table/table.obj", cube.export(file_type="obj"))
    return path


def test_properties_parser():
    p = parse_properties("a=1\nb = two words\n# c=3\nd=x\\\n  y\ne=\\u00e9\n")
    assert p == {"a": "1", "b": "two words", "d": "xy", "e": "é"}


def test_sh3f_catalog(tmp_path):
    cat = make_catalog(tmp_path / "cat.sh3f")
    refs = catalog_objects(cat)
    assert [r.name for r in refs] == ["Test chair", "Rotated étable"]  # #3's model is missing: dropped
    assert refs[0].category == "Living room" and refs[0].dims == (50.0, 100.0, 50.0)
    chair = load_object(refs[0])
    check_normalised(chair)
    np.testing.assert_allclose(np.ptp(chair.positions, axis=0), [0.5, 1.0, 0.5], atol=1e-5)  # stretched to w/h/d
    table = load_object(refs[1])
    np.testing.assert_allclose(np.ptp(table.positions, axis=0), [1.0, 0.25, 0.5], atol=1e-5)
    assert [r.name for r in list_objects(tmp_path, category="kitchen")] == ["Rotated étable"]
    assert [r.name for r in list_objects(tmp_path, filter="chair")] == ["Test chair"]


def test_sh3f_bad_catalogs(tmp_path):
    (tmp_path / "bad.sh3f").write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="Sweet Home 3D"):
        catalog_objects(tmp_path / "bad.sh3f")
    with zipfile.ZipFile(tmp_path / "noprops.sh3f", "w") as zf:
        zf.writestr("x.obj", "v 0 0 0\n")
    with pytest.raises(SourceError, match="PluginFurnitureCatalog"):
        catalog_objects(tmp_path / "noprops.sh3f")
    with zipfile.ZipFile(tmp_path / "broken.sh3f", "w") as zf:
        zf.writestr("PluginFurnitureCatalog.properties", "name#1=Broken\nmodel#1=/m.obj\n")
        zf.writestr("m.obj", "this is not obj\n")
    ref = catalog_objects(tmp_path / "broken.sh3f")[0]
    with pytest.raises(SourceError, match="broken.sh3f"):
        load_object(ref)


@needs_sh3d
def test_real_sh3d_chairs_and_sofas():
    chairs = list_objects(SH3D, filter="^chair$")
    sofas = list_objects(SH3D, filter="sofa|couch")
    assert len(chairs) >= 10 and len(sofas) >= 10
    for ref in (chairs[0], sofas[0]):
        obj = load_object(ref)
        check_normalised(obj)
        ext = np.ptp(obj.positions, axis=0)
        h, w, d = ref.dims[1], ref.dims[0], ref.dims[2]
        np.testing.assert_allclose(ext / ext.max(), np.array([w, h, d]) / max(w, h, d), atol=0.02)


@needs_kenney
def test_kenney_glbs_load_as_scenes():
    refs = list_objects(KENNEY, filter="^(chair|loungeSofa)$")
    assert sorted(r.name for r in refs) == ["chair", "loungeSofa"]
    for ref in refs:
        obj = load_object(ref)
        check_normalised(obj)
    colored = load_object(refs[0], color=True)
    assert colored.colors is not None and colored.colors.shape == colored.positions.shape
    assert 0 <= colored.colors.min() and colored.colors.max() <= 1


def test_damaged_catalog_and_npz_in_a_folder_are_skipped_and_named(tmp_path):
    """A bad .sh3f/.npz inside a folder becomes an 'unreadable' object that fails (is skipped) when loaded,
    like a bad mesh; named directly, the same file is still an error."""
    box().export(tmp_path / "good.obj")
    (tmp_path / "bad.sh3f").write_bytes(b"PK\x03\x04 truncated catalog")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 truncated npz")
    refs = list_objects(tmp_path)
    assert sorted(r.kind for r in refs) == ["mesh", "unreadable", "unreadable"]
    for ref in refs:
        if ref.kind == "unreadable":
            with pytest.raises(SourceError, match=Path(ref.path).name):
                load_object(ref)
    with pytest.raises(SourceError, match="bad.sh3f"):
        list_objects(tmp_path / "bad.sh3f")
    with pytest.raises(SourceError, match="cut.npz"):
        list_objects(tmp_path / "cut.npz")
    assert [r.name for r in list_objects(tmp_path, filter="good")] == ["good"]


def test_an_invalid_filter_regex_is_a_source_error_naming_it(tmp_path):
    box().export(tmp_path / "a.obj")
    for key in ("filter", "exclude", "category"):
        with pytest.raises(SourceError, match=f"{key} '\\(' is not a valid regular expression"):
            list_objects(tmp_path, **{key: "("})


def test_float_grids_are_solid_at_half_occupancy():
    """Occupancy probabilities are thresholded at 0.5 (any value > 0 made a random grid all solid);
    integer grids stay solid where non-zero."""
    from iggan.meshes import y_up_grid

    probs = np.random.default_rng(0).random((8, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(y_up_grid(probs, "y"), probs >= 0.5)
    assert 0.4 < y_up_grid(probs, "y").mean() < 0.6
    counts = np.zeros((4, 4, 4), np.uint8)
    counts[0, 0, 0] = 1
    counts[1, 1, 1] = 3
    assert y_up_grid(counts, "y").sum() == 2
    assert y_up_grid(np.where(counts > 0, 1.0, 0.0), "y").sum() == 2  # 0/1 floats are unchanged
