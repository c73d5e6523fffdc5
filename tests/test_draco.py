"""asset_export/draco.py and `--compress draco`: a Draco-coded GLB (KHR_draco_mesh_compression) holds the same
nodes, triangles and maps as the plain one, within the quantisation, several times smaller; readers without a
decoder are told by extensionsRequired; USD and FBX output refuse it."""
import json

import numpy as np
import pygltflib
import pytest
import trimesh
from click.testing import CliRunner
from scipy.spatial import cKDTree

import glb_checks
from iggan.asset_export import ExportError, ExportSettings, export_grids
from iggan.asset_export.draco import EXTENSION, POSITION_BITS, compress_glb
from iggan.cli.main import main


def chairs(n: int = 3) -> np.ndarray:
    """(n, 16, 16, 16) chair-like grids, y up: seat, back, four legs; each a little different."""
    g = np.zeros((n, 16, 16, 16), np.float32)
    g[:, 3:13, 6:8, 3:13] = 1
    g[:, 3:5, 6:15, 3:13] = 1
    for x in (3, 11):
        for z in (3, 11):
            g[:, x:x + 2, 0:6, z:z + 2] = 1
    for i in range(1, n):
        g[i, 5:13, 8:8 + i, 11:13] = 1  # an armrest of growing height
    return g


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A GLB with two LODs, collision hulls and AO maps, and one with meshes only."""
    root = tmp_path_factory.mktemp("draco")
    export_grids(chairs(), root / "rich.glb", ExportSettings(size_m=0.9, lods=2, collision="godot", ao=True),
                 names=["a", "b", "c"], up="y", preview=False)
    export_grids(chairs(), root / "meshes.glb", ExportSettings(size_m=0.9), names=["a", "b", "c"], up="y",
                 preview=False)
    return root


def _document(data: bytes) -> dict:
    return json.loads(pygltflib.GLTF2.load_from_bytes(data).to_json())


def test_every_mesh_comes_back_within_the_quantisation(plain, tmp_path):
    coded = tmp_path / "rich.glb"
    coded.write_bytes(compress_glb((plain / "rich.glb").read_bytes()))
    before = trimesh.load(plain / "rich.glb", force="scene", process=False)
    after = trimesh.load(coded, force="scene", process=False)  # trimesh decodes through DracoPy
    assert sorted(after.geometry) == sorted(before.geometry) and len(before.geometry) == 9  # 3 x (2 LODs + hull)
    for name, mesh in before.geometry.items():
        back = after.geometry[name]
        assert len(back.faces) == len(mesh.faces)
        step = mesh.extents.max() * 2.0 ** -POSITION_BITS  # Draco's grid over the mesh's largest extent
        # every vertex of either lies on the other's within the grid step, and the surface area holds
        assert cKDTree(mesh.vertices).query(back.vertices)[0].max() <= step
        assert cKDTree(back.vertices).query(mesh.vertices)[0].max() <= step
        assert back.area == pytest.approx(mesh.area, rel=1e-3)
        if "LOD" in name:  # the UV atlas rides along, inside [0, 1]
            assert back.visual.uv.shape == (len(back.vertices), 2)
            assert back.visual.uv.min() >= -1e-3 and back.visual.uv.max() <= 1 + 1e-3


def test_nodes_materials_and_maps_are_untouched_and_the_extension_is_required(plain):
    data = (plain / "rich.glb").read_bytes()
    before, after = _document(data), _document(compress_glb(data))
    assert after["extensionsRequired"] == after["extensionsUsed"] == [EXTENSION]
    for key in ("nodes", "scenes", "materials", "textures", "samplers"):
        assert after[key] == before[key], key
    assert [i["name"] for i in after["images"]] == [i["name"] for i in before["images"]]
    old, new = pygltflib.GLTF2.load_from_bytes(data), pygltflib.GLTF2.load_from_bytes(compress_glb(data))

    def image_bytes(gltf):
        blob = gltf.binary_blob()
        return [blob[v.byteOffset: v.byteOffset + v.byteLength]
                for v in (gltf.bufferViews[i.bufferView] for i in gltf.images)]

    assert image_bytes(new) == image_bytes(old) and len(image_bytes(old)) == 6  # the AO PNGs, byte for byte
    for mesh in after["meshes"]:
        prim = mesh["primitives"][0]
        ext = prim["extensions"][EXTENSION]
        assert set(ext["attributes"]) == set(prim["attributes"])  # POSITION, NORMAL (and TEXCOORD_0)
        assert all("bufferView" not in after["accessors"][i] for i in [prim["indices"], *prim["attributes"].values()])


def test_it_is_several_times_smaller_and_passes_the_validator(plain, tmp_path):
    data = (plain / "meshes.glb").read_bytes()
    coded = tmp_path / "meshes.glb"
    coded.write_bytes(compress_glb(data))
    assert coded.stat().st_size * 4 < len(data)
    glb_checks.assert_valid([coded])  # 0 errors, 0 warnings (the validator cannot decode Draco itself)
    assert compress_glb(coded.read_bytes()) == coded.read_bytes()  # already coded: left as it is


def test_bytes_that_are_not_a_glb_are_refused():
    with pytest.raises(ExportError, match=r"not a binary glTF 2 \(GLB\): cannot Draco-code it"):
        compress_glb(b"this is not a GLB file")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_export_with_compress_writes_glb_and_gltf_and_records_it(tmp_path):
    grids = tmp_path / "grids.npz"
    np.savez(grids, voxels=chairs(2))
    r = run("export", grids, "--compress", "draco", "--uv", "--out", tmp_path / "a.glb")
    assert r.exit_code == 0, r.output
    assert f", {(tmp_path / 'a.glb').stat().st_size / 1e6:.2f} MB, to " in r.output  # what was written
    assert _document((tmp_path / "a.glb").read_bytes())["extensionsRequired"] == [EXTENSION]
    assert json.loads((tmp_path / "a.manifest.json").read_text())["settings"]["compress"] == "draco"
    r = run("export", grids, "--compress", "draco", "--out", tmp_path / "b.gltf")
    assert r.exit_code == 0, r.output
    pair = (tmp_path / "b.gltf").stat().st_size + (tmp_path / "b.bin").stat().st_size
    assert f", {pair / 1e6:.2f} MB, to " in r.output  # the .bin counted in
    doc = json.loads((tmp_path / "b.gltf").read_text())
    assert doc["extensionsRequired"] == [EXTENSION] and doc["buffers"][0]["uri"] == "b.bin"
    glb_checks.assert_valid([tmp_path / "b.gltf"])
    assert len(trimesh.load(tmp_path / "b.gltf", force="scene").geometry) == 2


@pytest.mark.parametrize("out", ["a.usdz", "a.fbx"])
def test_compress_with_usdz_or_fbx_is_refused_before_any_work(tmp_path, out):
    grids = tmp_path / "grids.npz"
    np.savez(grids, voxels=chairs(1))
    r = run("export", grids, "--compress", "draco", "--out", tmp_path / out)
    assert r.exit_code == 2 and "--compress draco compresses glTF meshes" in r.output and "write a .glb" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grids.npz"]


def test_usdz_converts_a_compressed_glb_as_the_plain_one(plain, tmp_path):
    pytest.importorskip("pxr", reason="needs Pixar's USD library: pip install usd-core (scripts/setup.sh)")
    from iggan.usdz import write_usdz
    coded = tmp_path / "coded.glb"
    coded.write_bytes(compress_glb((plain / "rich.glb").read_bytes()))
    (tmp_path / "plain").mkdir()
    (tmp_path / "coded").mkdir()
    # the same target name: the prims' paths start with it
    a = write_usdz(plain / "rich.glb", tmp_path / "plain" / "rich.usdz")
    b = write_usdz(coded, tmp_path / "coded" / "rich.usdz")
    assert a["meshes"] == b["meshes"] and a["collisions"] == b["collisions"] and a["assets"] == b["assets"]
    assert len(a["meshes"]) == 6 and len(a["collisions"]) == 3


def _decoded(gltf: pygltflib.GLTF2, prim):
    """A Draco-coded primitive's decoded mesh (DracoPy)."""
    import DracoPy
    view = gltf.bufferViews[prim.extensions[EXTENSION]["bufferView"]]
    start = view.byteOffset or 0
    return DracoPy.decode(gltf.binary_blob()[start:start + view.byteLength])


def test_a_frame_meshs_two_primitives_stay_joined_along_their_border(tmp_path):
    """--frame: body and frame share copies of their border vertices; each primitive quantised on a grid of its
    own moved its copies its own way and opened a crack along the border. On one grid they decode identically."""
    export_grids(chairs(2), tmp_path / "frame.glb", ExportSettings(size_m=0.9, frame="metal"), names=["a", "b"],
                 up="y", preview=False)
    coded = pygltflib.GLTF2.load_from_bytes(compress_glb((tmp_path / "frame.glb").read_bytes()))
    for mesh in coded.meshes:
        assert len(mesh.primitives) == 2, "the chairs need a frame primitive for this test"
        body, frame = (_decoded(coded, prim) for prim in mesh.primitives)
        body_points, frame_points = np.asarray(body.points), np.asarray(frame.points)
        gap = cKDTree(body_points).query(frame_points)[0]
        border = gap < 1e-3  # within a few grid steps: the two copies of one border vertex
        assert border.sum() > 0
        assert gap[border].max() == 0.0, f"{mesh.name}: the border opened by {gap[border].max() * 1000:.4f} mm"
        # so the surface is closed once the copies are welded, as the plain file's is
        faces = np.concatenate([np.asarray(body.faces).reshape(-1, 3),
                                np.asarray(frame.faces).reshape(-1, 3) + len(body_points)])
        assert trimesh.Trimesh(np.concatenate([body_points, frame_points]), faces, process=True).is_watertight
