"""Material names (asset_export/material_names.py): the same in every file with that look, different wherever the
look differs, so files imported into one Unreal or Unity folder (one material asset per name) keep their own, and a
`--split` file names its colour as the combined file does."""
import re

import numpy as np
import pygltflib
from click.testing import CliRunner

from iggan.asset_export import ExportSettings, export_grids
from iggan.asset_export.material_names import frame_name, is_frame_material, surface_name
from iggan.asset_export.palettes import frame_finish, hex_to_linear
from iggan.cli.main import main
from standing_shapes import table

RED, BLUE = hex_to_linear("#aa2222"), hex_to_linear("#2244aa")


def _materials(path) -> dict[str, list[str]]:
    """node name -> its mesh's material names, in primitive order."""
    gltf = pygltflib.GLTF2().load(str(path))
    return {n.name: [gltf.materials[p.material].name for p in gltf.meshes[n.mesh].primitives]
            for n in gltf.nodes if n.mesh is not None}


def test_names_follow_the_look():
    assert surface_name((0.8, 0.8, 0.8, 1.0), 0.8) == "iggan_surface_e7e7e7"
    assert surface_name(RED, 0.8) == "iggan_surface_aa2222" != surface_name(RED, 0.5) == "iggan_surface_aa2222_r50"
    assert frame_name(frame_finish("wood", 0.8)) == "iggan_frame_wood"
    assert frame_name(frame_finish("#3b2a1e", 0.8), "c_LOD0") == "c_LOD0_frame_3b2a1e"
    assert is_frame_material("iggan_frame_metal") and not is_frame_material("my_frame_0_LOD0_surface_e7e7e7")


def test_files_of_different_looks_share_no_material_name_and_split_files_match_the_set(tmp_path):
    grids = np.stack([table(), table(short=1)])
    grey = export_grids(grids[:1], tmp_path / "grey.glb", ExportSettings(faces=400), names=["t"], preview=False)
    red = export_grids(grids[:1], tmp_path / "red.glb", ExportSettings(faces=400, base_color=RED), names=["t"],
                       preview=False)
    assert grey and red
    assert _materials(tmp_path / "grey.glb")["t"] == ["iggan_surface_e7e7e7"]
    assert _materials(tmp_path / "red.glb")["t"] == ["iggan_surface_aa2222"]
    # a palette dealt over a set: the combined file and each --split file name each asset's colour alike
    palette = ExportSettings(faces=400, palette=(RED, BLUE))
    export_grids(grids, tmp_path / "set.glb", palette, names=["a", "b"], preview=False)
    export_grids(grids, tmp_path / "split", palette, names=["a", "b"], split=True, preview=False)
    combined = _materials(tmp_path / "set.glb")
    assert combined == {"a": ["iggan_surface_aa2222"], "b": ["iggan_surface_2244aa"]}
    for name in ("a", "b"):
        assert _materials(tmp_path / "split" / f"{name}.glb")[name] == combined[name]


def test_frames_of_different_finishes_are_named_apart_on_each_lod(tmp_path):
    export_grids(table()[None], tmp_path / "wood.glb", ExportSettings(faces=400, frame="wood"), names=["t"],
                 preview=False)
    export_grids(table()[None], tmp_path / "metal.glb", ExportSettings(faces=400, lods=2, frame="metal", ao=True,
                                                                       ao_size=64), names=["t"], preview=False)
    assert _materials(tmp_path / "wood.glb")["t"] == ["iggan_surface_e7e7e7", "iggan_frame_wood"]
    lods = _materials(tmp_path / "metal.glb")
    assert lods["t_LOD0"] == ["t_LOD0_surface_e7e7e7", "t_LOD0_frame_metal"]  # each LOD its own occlusion map
    assert lods["t_LOD1"] == ["t_LOD1_surface_e7e7e7", "t_LOD1_frame_metal"]


def test_the_obj_mtl_names_its_materials_as_the_glb_does(tmp_path):
    np.savez(tmp_path / "t.npz", voxels=table()[None])
    r = CliRunner().invoke(main, ["export", str(tmp_path / "t.npz"), "--name", "t", "--color", "#aa2222", "--frame",
                                  "oak", "--faces", "400", "--out", str(tmp_path / "t.obj"), "--no-preview"])
    assert r.exit_code == 0, r.output
    assert re.findall(r"^newmtl (\S+)$", (tmp_path / "t.mtl").read_text(), re.M) == [
        "iggan_surface_aa2222", "iggan_frame_oak"]
