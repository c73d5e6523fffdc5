"""Sitting places (`--seats`, asset_export/seats.py) and turning a model to face +Z (`--yaw`, orient.turn_mesh)."""
import json

import numpy as np
import pygltflib
import pytest
from click.testing import CliRunner

import glb_checks
from iggan.asset_export import ExportSettings, export_grids, grid_to_asset
from iggan.asset_export.orient import turn_about_y, turn_mesh, yaw_matrix
from iggan.asset_export.seats import PLACE_WIDTH_M, SeatPlace, seat_places
from iggan.cli.main import main
from test_parts import chair


VOXEL_M = 0.04  # metres a voxel, for the test shapes


def identity(points):
    return np.asarray(points, np.float64)


def to_metres(points):
    return np.asarray(points, np.float64) * VOXEL_M


def quaternion_matrix(q) -> np.ndarray:
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def bench(width: int = 40, back: bool = True) -> np.ndarray:
    """(48^3) bool, +Y up: a seat `width` voxels along X and 10 deep along Z at height 8-9 on a block, with a back
    along its -Z edge rising to 20 (and arm rests as high as the back, which join it into a U seen from above)."""
    g = np.zeros((48, 48, 48), bool)
    g[4:4 + width, 0:10, 10:20] = True  # base and seat
    if back:
        g[4:4 + width, 10:20, 10:12] = True  # back at low z
        g[4:6, 10:20, 10:20] = g[2 + width:4 + width, 10:20, 10:20] = True  # arms as high as the back
    return g


def test_a_chair_seats_one_facing_away_from_its_back():
    (place,) = seat_places(chair(), to_metres)
    np.testing.assert_allclose(place.facing, [0, 0, -1])  # the test chair's back stands at high z
    # over the seat's open part (x 8-19, z 8-17: the back covers 18-19), on its top face (voxel layer 11)
    np.testing.assert_allclose(place.position, np.array([13.5, 11.5, 12.5]) * VOXEL_M)


def test_a_bench_seats_one_per_place_width_side_by_side_and_a_u_shaped_top_is_no_seat():
    metres = 0.05  # a voxel
    places = seat_places(bench(), lambda p: identity(p) * metres)
    width = (40 - 4 - 1) * metres  # between the arms, from column centre to column centre
    assert len(places) == int(round(width / PLACE_WIDTH_M)) == 3
    for p in places:
        np.testing.assert_allclose(p.facing, [0, 0, 1])
        assert p.position[1] == pytest.approx(9.5 * metres)  # on the seat (top face of layer 9), not the arms' top
    xs = sorted(p.position[0] for p in places)
    assert np.allclose(np.diff(xs), np.diff(xs)[0], atol=metres) and np.diff(xs)[0] > 0.5


def test_a_stool_seats_one_facing_nowhere_and_a_pole_seats_none():
    places = seat_places(bench(width=12, back=False), to_metres)
    assert len(places) == 1 and places[0].facing is None and places[0].rotation() is None
    pole = np.zeros((16, 16, 16), bool)
    pole[7:9, :, 7:9] = True
    assert seat_places(pole, lambda p: identity(p) * 0.05) == []  # 2 voxels wide: 0.05 m, no seat
    assert seat_places(np.zeros((8, 8, 8), bool), to_metres) == []


def test_a_shelf_under_the_seat_is_not_the_seat():
    g = chair()
    g[8:20, 3:5, 8:20] = True  # a plate as large as the seat, under it
    (place,) = seat_places(g, to_metres)
    assert place.position[1] == pytest.approx(11.5 * VOXEL_M)


def test_the_node_rotation_turns_gltf_forward_to_the_facing():
    for facing in ([1, 0, 0], [-1, 0, 0], [0, 0, -1]):
        q = SeatPlace(np.zeros(3), np.array(facing, float)).rotation()
        np.testing.assert_allclose(quaternion_matrix(q) @ [0, 0, 1], facing, atol=1e-7)
        np.testing.assert_allclose(np.linalg.norm(q), 1.0)
    assert SeatPlace(np.zeros(3), np.array([0.0, 0, 1])).rotation() is None  # already glTF's forward


def test_turning_is_exact_and_the_same_for_grid_mesh_and_places():
    for yaw in (90, 180, -90):
        r = yaw_matrix(yaw)
        assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1)
    np.testing.assert_allclose(yaw_matrix(90) @ [0, 0, 1], [1, 0, 0])  # +90: +Z to +X
    np.testing.assert_allclose(yaw_matrix(90) @ [1, 0, 0], [0, 0, -1])
    plain = grid_to_asset(chair().astype(np.float32), ExportSettings(seats=True))
    turned = grid_to_asset(chair().astype(np.float32), ExportSettings(seats=True, yaw_deg=90))
    np.testing.assert_array_equal(turned.lods[0].vertices, turn_mesh(plain.lods[0], 90).vertices)
    np.testing.assert_array_equal(turned.lods[0].normals, turn_mesh(plain.lods[0], 90).normals)
    np.testing.assert_array_equal(turned.solid, turn_about_y(plain.solid, 90))
    np.testing.assert_allclose(turned.seats[0].facing, [-1, 0, 0])  # the chair's -Z facing, turned by +90
    np.testing.assert_allclose(turned.seats[0].position, yaw_matrix(90) @ plain.seats[0].position, atol=1e-9)
    # the grid turned by hand faces the same way as the turned export, so the turn of the grid matches the mesh's
    (by_hand,) = seat_places(turn_about_y(chair(), 90), to_metres)
    np.testing.assert_allclose(by_hand.facing, [-1, 0, 0])
    assert turned.report["seats"] == [p.to_dict() for p in turned.seats]
    with pytest.raises(ValueError, match="multiple of 90"):
        ExportSettings(yaw_deg=45)


def test_the_glb_has_an_empty_node_at_each_place_and_the_manifest_lists_them(tmp_path):
    grids = np.stack([chair(48), bench()]).astype(np.float32)
    out = tmp_path / "s.glb"
    manifest = export_grids(grids, out, ExportSettings(seats=True, size_m=2.0, yaw_deg=180), names=["c", "b"],
                            preview=False)
    glb_checks.assert_valid([out])
    gltf = pygltflib.GLTF2().load(str(out))
    by_name = {n.name: n for n in gltf.nodes}
    for name, entry in zip(["c", "b"], manifest["assets"]):
        seats = entry["seats"]
        names = [f"{name}_seat"] if len(seats) == 1 else [f"{name}_seat{k}" for k in range(len(seats))]
        root = by_name[name]
        for node_name, seat in zip(names, seats):
            node = by_name[node_name]
            assert node.mesh is None and gltf.nodes.index(node) in root.children
            np.testing.assert_allclose(node.translation, seat["position_m"], atol=1e-4)
            forward = [0, 0, 1] if node.rotation is None else quaternion_matrix(node.rotation) @ [0, 0, 1]
            np.testing.assert_allclose(forward, seat["facing"], atol=1e-6)
    assert len(manifest["assets"][1]["seats"]) == 3  # the 2 m bench: three places, turned to face -Z
    assert all(s["facing"] == [0, 0, -1] for s in manifest["assets"][1]["seats"])


def test_cli_seats_and_yaw_and_their_refusals(tmp_path):
    grids = tmp_path / "g.npz"
    np.savez(grids, voxels=chair()[None].astype(np.float32))
    out = tmp_path / "c.glb"
    r = CliRunner().invoke(main, ["export", str(grids), "--out", str(out), "--seats", "--yaw", "-90"])
    assert r.exit_code == 0, r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["assets"][0]["seats"][0]["facing"] == [1.0, 0.0, 0.0]  # -Z turned by -90
    assert manifest["settings"]["seats"] is True and manifest["settings"]["yaw_deg"] == -90
    r = CliRunner().invoke(main, ["export", str(grids), "--out", str(tmp_path / "x.glb"), "--yaw", "45"])
    assert r.exit_code != 0 and "multiple of 90" in r.output
    r = CliRunner().invoke(main, ["export", str(grids), "--out", str(tmp_path / "x.obj"), "--seats"])
    assert r.exit_code != 0 and "OBJ has no empty nodes" in r.output and not (tmp_path / "x.obj").exists()


def test_the_bundled_sofas_face_plus_z_like_the_chairs(tmp_path):
    for model, n in (("sofas", 6), ("chairs", 6)):
        out = tmp_path / f"{model}.glb"
        r = CliRunner().invoke(main, ["generate", "--model", model, "--n", str(n), "--seats", "--no-preview",
                                      "--out", str(out)])
        assert r.exit_code == 0, r.output
        assets = json.loads(out.with_suffix(".manifest.json").read_text())["assets"]
        facings = [a["seats"][0]["facing"] for a in assets if a["seats"]]
        assert len(facings) >= n - 1 and sum(f == [0.0, 0.0, 1.0] for f in facings) >= len(facings) - 1, facings
        if model == "sofas":  # long along X once they face +Z, and seating two or more
            assert all(a["size_m"][0] > a["size_m"][2] for a in assets)
            assert all(len(a["seats"]) >= 2 for a in assets if a["seats"])


def test_a_photo_painted_shape_turns_with_its_colour_map_unchanged():
    import math

    from iggan.asset_export.photo_texture import PhotoView
    rgb = np.zeros((64, 64, 3), np.float32)
    rgb[:, :32], rgb[:, 32:] = (0.8, 0.3, 0.2), (0.2, 0.4, 0.8)
    view = PhotoView(rgb, np.pad(np.ones((48, 48), np.float32), 8), math.radians(30), math.radians(20),
                     2 * math.degrees(math.atan(1 / 3)), 3.0)
    grid = chair().astype(np.float32)
    plain = grid_to_asset(grid, ExportSettings(), photos=[view])
    turned = grid_to_asset(grid, ExportSettings(yaw_deg=-90), photos=[view])
    np.testing.assert_array_equal(turned.colour[0], plain.colour[0])  # painted in the voxels' frame, then turned
    np.testing.assert_array_equal(turned.lods[0].uvs, plain.lods[0].uvs)
    np.testing.assert_array_equal(turned.lods[0].vertices, turn_mesh(plain.lods[0], -90).vertices)


def test_the_benchmark_summarises_places_and_draws_the_anchors_read_back_from_the_glb(tmp_path):
    from PIL import Image

    from benchmark_scripts import load_benchmark
    bench_script = load_benchmark("seats")
    one = [{"position_m": [0, 0.45, 0], "facing": [0, 0, 1]}]
    s = bench_script.summary([one, one * 3, [], [{"position_m": [0, 0.5, 0], "facing": [1, 0, 0]}]])
    assert s["shapes"] == 4 and s["with_seat"] == 3 and s["places"] == "1: 2, 3: 1"
    assert s["same_way"] == pytest.approx(2 / 3) and s["way"] == "[0, 0, 1]"
    assert s["height"][0] == pytest.approx(0.45)
    out = tmp_path / "s.glb"
    facing_the_camera = chair(48)[:, :, ::-1]  # back at low z: faces +Z, so the sheet's view sees its seat
    export_grids(np.stack([facing_the_camera, bench()]).astype(np.float32), out, ExportSettings(seats=True, size_m=2.0),
                 names=["c", "b"], preview=False)
    bench_script.sheet(out, ["c", "b"], tmp_path / "sheet.png", size=96)
    rgb = np.asarray(Image.open(tmp_path / "sheet.png").convert("RGB")).astype(int)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    assert red[:, :96].any() and red[:, 96:].any()  # a cone on each asset, from its _seat nodes


def test_a_cards_yaw_is_taken_only_as_a_whole_number_of_quarter_turns():
    from types import SimpleNamespace

    from iggan.cli.export_options import describe_export_defaults, model_defaults
    for value, taken in ((-90, -90), (180, 180), (45, None), (90.0, None), (True, None), ("90", None)):
        d = model_defaults(SimpleNamespace(card={"export": {"yaw_deg": value}}, name="m"))
        assert d.get("yaw_deg") == taken, value
    assert "turned -90 degrees about +Y to face +Z" in describe_export_defaults({"yaw_deg": -90})
    assert "turned" not in describe_export_defaults({})
