"""Collision hulls (asset_export/collision.py): one convex hull, or a V-HACD convex decomposition
(`--collision-hulls N`) that leaves the space under a table free, named for Godot and Unreal."""
import numpy as np
import pytest
from scipy.spatial import Delaunay

import glb_checks
from iggan.asset_export import ExportSettings, export_grids, grid_to_asset
from iggan.asset_export.check import mesh_report
from iggan.asset_export.collision import collision_node_name
from standing_shapes import table


def _inside(hull, points: np.ndarray) -> np.ndarray:
    return Delaunay(hull.vertices).find_simplex(points) >= 0


def test_a_decomposition_frees_the_space_under_a_table_and_is_repeatable():
    one = grid_to_asset(table(), ExportSettings(faces=2000, size_m=1.0, collision="godot"))
    many = grid_to_asset(table(), ExportSettings(faces=2000, size_m=1.0, collision="godot", collision_hulls=8))
    assert len(one.collision) == 1 and 2 <= len(many.collision) <= 8
    assert many.report["collision_hulls"] == len(many.collision)
    for hull in many.collision:
        r = mesh_report(hull)
        assert r["watertight"] and r["outward"] and len(hull.vertices) <= 255
    # the middle of the space under the top (the table is 1 m wide and 0.625 m high, its top's
    # underside 0.5 m up; this point is 0.125 m up): inside the one hull, outside every part
    lo, hi = many.lods[0].bounds()
    under = np.array([[(lo[0] + hi[0]) / 2, 0.4 * (hi[1] - lo[1]) / 2, (lo[2] + hi[2]) / 2]])
    assert _inside(one.collision[0], under)[0]
    assert not any(_inside(h, under)[0] for h in many.collision)
    # the legs' tops and the top itself are still covered: a point in a leg lies inside some part
    leg = np.array([[lo[0] + 0.06, 0.2 * (hi[1] - lo[1]), lo[2] + 0.06]])
    assert any(_inside(h, leg)[0] for h in many.collision)
    again = grid_to_asset(table(), ExportSettings(faces=2000, size_m=1.0, collision="godot", collision_hulls=8))
    assert all(np.array_equal(a.vertices, b.vertices) for a, b in zip(many.collision, again.collision))


def test_parts_without_a_collision_style_are_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="add --collision"):
        ExportSettings(collision_hulls=4)
    from click.testing import CliRunner
    from iggan.cli.main import main
    np.savez(tmp_path / "t.npz", voxels=table()[None])
    r = CliRunner().invoke(main, ["export", str(tmp_path / "t.npz"), "--out", str(tmp_path / "t.glb"),
                                  "--collision-hulls", "4"])
    assert r.exit_code == 2 and "add --collision" in r.output and not (tmp_path / "t.glb").exists()


def test_hull_names_for_each_engine():
    assert collision_node_name("chair_0", "godot") == "chair_0-convcolonly"
    assert collision_node_name("chair_0", "godot", 2, 5) == "chair_0_hull2-convcolonly"
    assert collision_node_name("chair_0", "unreal", 3, 5) == "UCX_chair_0_03"
    with pytest.raises(ValueError):
        collision_node_name("chair_0", "unity")


@pytest.mark.parametrize("style, names", [("godot", "t_hull{k}-convcolonly"), ("unreal", "UCX_t_{k:02d}")])
def test_every_part_is_a_node_of_a_valid_glb(tmp_path, style, names):
    out = tmp_path / f"{style}.glb"
    manifest = export_grids([table()], out, ExportSettings(faces=2000, collision=style, collision_hulls=6), names=["t"])
    count = manifest["assets"][0]["collision_hulls"]
    assert count >= 2
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out, size_m=1.0)
    hulls = {names.format(k=k) for k in range(count)}
    assert hulls <= set(meshes) and all(meshes[h]["parent"] == "t" for h in hulls)


def _unreal_pairs(hull: str, mesh_nodes: set[str]) -> str | None:
    """The node an Unreal importer gives a `UCX_` hull to, of the nodes that hold a mesh (the only ones that make a
    static mesh): the name after the prefix, else the part between the first and the last '_' (FbxImporter::
    FillCollisionModelList / ImportCollisionModels by the mesh node's name; Interchange's GetCollisionMeshType)."""
    body = hull.split("_", 1)[1]
    return next((n for n in (body, body.rpartition("_")[0]) if n in mesh_nodes), None)


@pytest.mark.parametrize("lods", [1, 2])
def test_unreal_hulls_name_the_node_that_holds_lod0(tmp_path, lods):
    out = tmp_path / "t.glb"
    export_grids([table()], out, ExportSettings(faces=800, lods=lods, collision="unreal", collision_hulls=3),
                 names=["t"], preview=False)
    meshes = glb_checks.read_meshes(out)
    hulls = [n for n in meshes if n.startswith("UCX_")]
    assert len(hulls) >= 2
    lod0 = "t_LOD0" if lods > 1 else "t"  # with LODs the asset's node is an empty: no static mesh to pair with
    assert all(_unreal_pairs(h, set(meshes) - set(hulls)) == lod0 for h in hulls), hulls
    assert collision_node_name("chair_0", "unreal", 1, 2, render_mesh="chair_0_LOD0") == "UCX_chair_0_LOD0_01"


def test_the_fit_benchmark_measures_the_space_the_hulls_add():
    from benchmark_scripts import load_benchmark
    bench = load_benchmark("collision_fit")
    count1, ratio1, _ = bench.fit_row(np.stack([table(16)]), 1)
    count8, ratio8, _ = bench.fit_row(np.stack([table(16)]), 8)
    # a table's hull is a box around the empty space under its top; its parts hug the top and legs
    assert count1 == 1 and ratio1 > 2.5 and 2 <= count8 <= 8 and 1.0 <= ratio8 < 0.6 * ratio1


def test_a_decompositions_parts_stand_on_the_floor_where_the_mesh_does():
    """V-HACD's parts sit a little inside the surface: the four legs' parts of a chair stopped 5 mm above the floor
    (two of them), so in a physics engine the parts rested tilted on the legs that reached it. Each floor contact
    of the mesh now lies in the part nearest it."""
    from scipy.spatial import ConvexHull
    from test_asset_export import four_legged_chair
    a = grid_to_asset(four_legged_chair(), ExportSettings(collision="godot", collision_hulls=4))
    vertices = a.lods[0].vertices.astype(np.float64)
    feet = vertices[vertices[:, 1] <= 1e-4]
    assert len(feet) >= 4
    outside = np.min([np.max(feet @ p[:, :3].T + p[:, 3], axis=1)
                      for p in (ConvexHull(h.vertices.astype(np.float64)).equations for h in a.collision)], axis=0)
    assert outside.max() <= 1e-5, f"a floor contact lies {outside.max() * 1000:.1f} mm outside every part"
    assert min(h.vertices[:, 1].min() for h in a.collision) == pytest.approx(0.0, abs=1e-6)
