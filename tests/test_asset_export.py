"""asset_export stages, one by one, and whole-pipeline exports checked with the Khronos validator."""
import io
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image
import pytest

import glb_checks
from iggan.asset_export import (EmptyGridError, ExportError, ExportSettings, FullGridError, export_grids,
                                grid_to_asset)
from iggan.asset_export.atomic import atomic_write
from iggan.asset_export.check import edge_check, mesh_report, require_valid
from iggan.asset_export.clean import clean_grid
from iggan.asset_export.collision import collision_node_name, convex_hull
from iggan.asset_export.decimate import decimate, scaled_budgets
from iggan.asset_export.layout import layout_positions
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.orient import grid_to_y_up, place_transform, vertex_normals
from iggan.asset_export.preview import around_views, contact_sheet, render_mesh, sheet_tiles
from iggan.asset_export.repair import make_edge_manifold
from iggan.asset_export.fairing import fair_surface
from iggan.asset_export.surface import signed_volume, surface_mesh

MODELNET = Path("/work/shared/data/modelnet10-chairs-32.npz")
needs_modelnet = pytest.mark.skipif(not MODELNET.is_file(), reason=f"{MODELNET} absent (shared data not mounted)")


def ball(res=24, radius=0.35, centre=(0.0, 0.0, 0.0)):
    c = (np.arange(res) + 0.5) / res - 0.5
    x, y, z = np.meshgrid(c, c, c, indexing="ij")
    return ((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= radius**2).astype(np.float32)


def l_shape(res=16):
    """An upright 'L': a vertical post (tall in y) and a foot along +x, so +Y-up is checkable."""
    g = np.zeros((res, res, res), np.float32)
    g[2:6, 1:14, 5:10] = 1.0  # post, 13 voxels tall
    g[2:12, 1:4, 5:10] = 1.0  # foot
    return g


# -- stage 1: clean ---------------------------------------------------------------------------

def test_clean_keeps_largest_body_and_fills_cavities():
    g = ball(20, 0.4)
    g[g > 0] = 1
    inner = ball(20, 0.2)
    g[inner > 0] = 0  # a sealed cavity
    g[0, 0, 0] = 1  # a floating speck
    solid = clean_grid(g)
    assert not solid[0, 0, 0], "speck kept"
    assert solid[10, 10, 10], "cavity not filled"
    assert solid.sum() == (ball(20, 0.4) > 0).sum()


def test_clean_keep_fraction_keeps_second_body():
    g = np.zeros((16, 16, 16), np.float32)
    g[1:5, 1:5, 1:5] = 1  # 64 voxels
    g[9:12, 9:12, 9:12] = 1  # 27 voxels
    assert clean_grid(g, keep_fraction=1.0).sum() == 64
    assert clean_grid(g, keep_fraction=0.3).sum() == 64 + 27


def test_clean_joins_a_part_the_threshold_cut_off_by_a_gap_the_generator_nearly_filled():
    """An office chair's column cut one voxel under the seat: joined back (the base kept, one body) when the
    gap's occupancy is at least half the threshold, dropped when it is near empty; a base that is dropped
    counts against max_loose (BrokenError), and two slabs side by side along a weak seam stay apart."""
    from scipy import ndimage

    from iggan.asset_export import BrokenError
    from iggan.asset_export.clean import SOLID_CONNECTIVITY
    from standing_shapes import swivel_chair

    nearly = clean_grid(swivel_chair(32, gap_occupancy=0.4))
    assert nearly[:, 0].any() and ndimage.label(nearly, structure=SOLID_CONNECTIVITY)[1] == 1
    assert nearly.sum() == (swivel_chair(32, 0.4) >= 0.5).sum() + 4  # the 2 x 2 gap, nothing more
    empty = clean_grid(swivel_chair(32, gap_occupancy=0.1))
    assert not empty[:, 0].any()  # the base is gone: what keep-largest always did
    with pytest.raises(BrokenError, match=r"in pieces: 9% .* \(limit 5%\)"):
        clean_grid(swivel_chair(32, gap_occupancy=0.1), max_loose=0.05)
    assert clean_grid(swivel_chair(32, gap_occupancy=0.4), max_loose=0.0).sum() == nearly.sum()
    slabs = np.zeros((16, 16, 16), np.float32)
    slabs[2:14, 2:14, 4:7] = 1.0
    slabs[2:12, 2:14, 8:11] = 1.0
    slabs[2:14, 2:14, 7] = 0.4  # a 12 x 12 seam the generator half filled: not a joint
    assert clean_grid(slabs, keep_fraction=1.0).sum() == 12 * 12 * 3


def test_clean_refuses_empty_and_full():
    with pytest.raises(EmptyGridError, match="empty"):
        clean_grid(np.zeros((8, 8, 8)))
    with pytest.raises(EmptyGridError):
        clean_grid(np.full((8, 8, 8), 0.49))  # nothing reaches the threshold
    with pytest.raises(FullGridError, match="full"):
        clean_grid(np.ones((8, 8, 8)))
    with pytest.raises(ExportError, match="NaN"):
        clean_grid(np.full((8, 8, 8), np.nan))
    with pytest.raises(ExportError, match="3D"):
        clean_grid(np.ones((8, 8)))


# -- stage 2-3: surface and smoothing -------------------------------------------------------------

def test_surface_is_watertight_outward_and_in_the_unit_cube():
    mesh = surface_mesh(ball(24, 0.35) > 0)
    r = mesh_report(mesh)
    assert r["watertight"] and r["outward"] and r["bodies"] == 1 and r["degenerate_triangles"] == 0
    assert np.all(mesh.vertices >= -0.5) and np.all(mesh.vertices <= 0.5)
    assert abs(signed_volume(mesh.vertices, mesh.faces) - 4 / 3 * np.pi * 0.35**3) < 0.02


def test_surface_of_a_grid_touching_the_border_is_closed():
    mesh = surface_mesh(np.ones((4, 4, 4), bool))
    assert mesh_report(mesh)["watertight"]
    np.testing.assert_allclose(mesh.bounds(), [[-0.5] * 3, [0.5] * 3], atol=0.13)


def test_edge_touching_voxels_become_one_body():
    g = np.zeros((6, 6, 6), bool)
    g[2, 2, 2] = g[3, 3, 2] = True  # share only an edge
    g[2, 2, 3] = g[3, 3, 3] = True
    mesh = surface_mesh(g)
    r = mesh_report(mesh)
    assert r["watertight"] and r["bodies"] == 1


def test_fairing_keeps_volume_and_topology():
    mesh = surface_mesh(ball(24, 0.35) > 0)
    smooth = fair_surface(mesh, (24, 24, 24), 100)
    v0, v1 = signed_volume(mesh.vertices, mesh.faces), signed_volume(smooth.vertices, smooth.faces)
    assert abs(v1 - v0) / v0 < 0.03
    # smoother: the spread of vertex radii shrinks
    r0, r1 = np.linalg.norm(mesh.vertices, axis=1).std(), np.linalg.norm(smooth.vertices, axis=1).std()
    assert r1 < r0
    assert mesh_report(smooth)["watertight"]


# -- stage 4: decimation and repair -----------------------------------------------------------------

def test_decimate_meets_budget_and_stays_watertight():
    mesh = fair_surface(surface_mesh(ball(32, 0.4) > 0), (32, 32, 32), 50)
    assert mesh.n_faces > 2000
    small = decimate(mesh, 500)
    assert small.n_faces <= 500
    r = mesh_report(small)
    assert r["watertight"] and r["outward"]
    assert decimate(small, 10_000) is small  # within budget: unchanged


def _two_tetrahedra_sharing_an_edge():
    # two closed tetrahedra glued along edge (0, 1): that edge has four triangles
    v = np.array([[0, 0, 0], [1, 0, 0], [0.5, 1, 0], [0.5, 0.5, 1], [0.5, -1, 0], [0.5, -0.5, -1]], np.float32)
    t1 = np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]])
    t2 = np.array([[0, 1, 4], [0, 5, 1], [1, 5, 4], [0, 4, 5]])
    return MeshData(v, np.concatenate([t1, t2]).astype(np.uint32))


def test_repair_splits_an_edge_with_four_triangles():
    mesh = _two_tetrahedra_sharing_an_edge()
    for body in (mesh.faces[:4], mesh.faces[4:]):  # each half is a closed, outward tetrahedron
        if signed_volume(mesh.vertices, body) < 0:
            body[:] = body[:, ::-1]
    closed, consistent = edge_check(mesh.faces, len(mesh.vertices))
    assert not (closed and consistent)
    fixed = make_edge_manifold(mesh)
    assert edge_check(fixed.faces, len(fixed.vertices)) == (True, True)
    assert len(fixed.vertices) == len(mesh.vertices) + 2  # both ends of the edge got a copy
    assert fixed.n_faces == mesh.n_faces


# -- stage 5: orientation, units, normals -------------------------------------------------------------

def test_z_up_grid_turns_into_y_up():
    g = np.zeros((4, 4, 4))
    g[1, 2, 3] = 1  # high in z (up), at y = 2
    y = grid_to_y_up(g, "z")
    # (x, y, z) -> (x, z, -y): new[i, j, k] = old[i, R-1-k, j]
    assert y[1, 3, 1] == 1 and y.sum() == 1
    # a right-handed rotation (det +1): x stays, old up (z) becomes y
    assert grid_to_y_up(g, "y") is g


def test_place_puts_pivot_at_base_centre_with_size():
    v = np.array([[1, 2, 3], [3, 6, 4]], np.float64)
    scale, offset = place_transform(v, 2.0)
    p = v * scale + offset
    assert p[:, 1].min() == pytest.approx(0)
    assert (p[:, 0].min() + p[:, 0].max()) / 2 == pytest.approx(0)
    assert (p[:, 2].min() + p[:, 2].max()) / 2 == pytest.approx(0)
    assert (p.max(0) - p.min(0)).max() == pytest.approx(2.0)


def test_place_by_height_sets_the_height_and_keeps_the_proportions():
    v = np.array([[0, 0, 0], [4, 1, 2]], np.float64)  # a long, low sofa: 4 long, 1 tall
    scale, offset = place_transform(v, 0.8, "height")
    p = v * scale + offset
    assert np.allclose(p.max(0) - p.min(0), [3.2, 0.8, 1.6]) and p[:, 1].min() == pytest.approx(0)
    with pytest.raises(ValueError, match="largest, height"):
        place_transform(v, 0.8, "width")
    with pytest.raises(ValueError, match="size_by"):
        ExportSettings(size_by="depth")


def test_vertex_normals_are_unit_and_outward():
    mesh = vertex_normals(surface_mesh(ball(16, 0.4) > 0))
    np.testing.assert_allclose(np.linalg.norm(mesh.normals, axis=1), 1, atol=1e-6)
    assert np.mean(np.einsum("ij,ij->i", mesh.normals, mesh.vertices) > 0) > 0.99  # ball: radial


# -- stage 7: collision ---------------------------------------------------------------------------

def test_convex_hull_is_convex_closed_and_bounded():
    mesh = fair_surface(surface_mesh(ball(32, 0.45) > 0), (32, 32, 32), 20)
    hull = convex_hull(mesh, max_vertices=64)
    assert len(hull.vertices) <= 64
    r = require_valid(hull, "hull")
    assert r["bodies"] == 1
    import trimesh

    assert trimesh.Trimesh(hull.vertices, hull.faces).is_convex
    assert collision_node_name("chair_0_s1", "godot") == "chair_0_s1-convcolonly"
    assert collision_node_name("chair_0_s1", "unreal") == "UCX_chair_0_s1_00"


# -- whole pipeline -------------------------------------------------------------------------------------

def test_pipeline_report_and_lods():
    a = grid_to_asset(ball(32, 0.4), ExportSettings(faces=800, lods=3, size_m=0.9, collision="godot"))
    assert a.report["triangles"][0] <= 800 and a.report["triangles"] == sorted(a.report["triangles"], reverse=True)
    assert a.report["watertight"] and a.report["bodies"] == 1
    assert max(a.report["size_m"]) == pytest.approx(0.9, abs=1e-4)
    assert a.report["bbox_m"]["min"][1] == pytest.approx(0, abs=1e-5)
    assert len(a.collision) == a.report["collision_hulls"] == 1 and len(a.collision[0].vertices) <= 255


def test_each_lod_halves_the_one_before_when_lod0_is_under_its_budget():
    """--faces above what the surface has (--faces 50000 on a 32^3 grid): LOD0 keeps every triangle, and LOD1 and
    LOD2 were budgeted 25,000 and 12,500 from --faces, so they repeated LOD0 unchanged. --lods promises each LOD
    half the triangles of the one before."""
    a = grid_to_asset(ball(24, 0.4), ExportSettings(faces=50000, lods=3, size_m=0.9))
    tris = a.report["triangles"]
    assert tris[0] < 50000 and a.report["notes"] == []
    for k in (1, 2):
        assert tris[k] <= round(tris[0] * 0.5 ** k) and tris[k] > 0.4 * tris[k - 1], tris
    assert scaled_budgets([5000, 2500, 1250], 4068) == [5000, 2034, 1017]  # a LOD0 decimation left under budget
    assert scaled_budgets([5000, 2500, 1250], 9000) == [5000, 2500, 1250]  # (LOD0 never exceeds its budget)
    assert scaled_budgets([12, 12, 12], 10) == [12, 12, 12]  # the 12-triangle floor of --faces stays


def test_settings_reject_bad_values():
    for bad in (dict(threshold=0), dict(threshold=1), dict(faces=3), dict(lods=0), dict(size_m=-1), dict(size_m=1e-4),
                dict(size_m=1e5),
                dict(collision="unity"), dict(base_color=(2, 0, 0)), dict(collision_hulls=0),
                dict(collision_hulls=33)):
        with pytest.raises(ValueError):
            ExportSettings(**bad)


def test_export_grids_validates_and_is_y_up(tmp_path):
    out = tmp_path / "shapes.glb"
    manifest = export_grids([l_shape(), ball(16, 0.4)], out, ExportSettings(faces=400, lods=2, collision="unreal",
                                                                            size_m=2.0), names=["ell", "ball"])
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out, size_m=2.0)
    assert {"ell_LOD0", "ell_LOD1", "UCX_ell_LOD0_00", "ball_LOD0", "ball_LOD1", "UCX_ball_LOD0_00"} == set(meshes)
    assert meshes["ell_LOD0"]["parent"] == "ell" and meshes["UCX_ell_LOD0_00"]["parent"] == "ell"
    assert len(manifest["assets"]) == 2 and manifest["up"]
    # +Y up: the L's post (13 voxels) is its height, the foot (10 voxels) its length along x
    size = np.ptp(meshes["ell_LOD0"]["positions"], axis=0)
    assert size[1] == pytest.approx(2.0, abs=1e-4) and size[0] < 0.85 * size[1] and size[2] < 0.5 * size[1]
    # the foot is at the bottom: the lowest tenth of the L is wider in x than the top tenth
    p = meshes["ell_LOD0"]["positions"]
    low, high = p[p[:, 1] < 0.2], p[p[:, 1] > 1.8]
    assert np.ptp(low[:, 0]) > 1.5 * np.ptp(high[:, 0])
    assert json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]["triangles"][0] <= 400
    assert out.with_suffix(".preview.png").is_file()
    scene = glb_checks.load_trimesh_scene(out)
    assert len(scene.geometry) == 6


def test_split_writes_one_file_per_asset(tmp_path):
    out = tmp_path / "parts"
    manifest = export_grids([l_shape(), ball(16)], out, names=["a", "b"], split=True, preview=False)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["a.glb", "b.glb", "manifest.json"]
    assert [a["file"] for a in manifest["assets"]] == ["a.glb", "b.glb"]
    glb_checks.assert_valid([out / "a.glb", out / "b.glb"])
    glb_checks.assert_game_ready(out / "a.glb", size_m=1.0)


def test_layout_grid_and_origin():
    pos = layout_positions(np.ones((5, 2)), "grid")
    assert pos.shape == (5, 3) and np.all(pos[:, 1] == 0)
    d = np.linalg.norm(pos[:, None] - pos[None], axis=2) + np.eye(5) * 9
    assert d.min() >= 1.0  # footprints of 1 m never overlap
    assert np.all(layout_positions(np.ones((3, 2)), "origin") == 0)


def test_refuses_existing_output_and_writes_atomically(tmp_path, monkeypatch):
    out = tmp_path / "x.glb"
    out.write_bytes(b"old")
    with pytest.raises(ExportError, match="overwrite"):
        export_grids([ball(12)], out)
    assert out.read_bytes() == b"old"
    # a failure during the rename leaves the old file and no temporary file
    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(out, b"new", overwrite=True)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.glb"]


def test_no_file_when_a_grid_is_invalid(tmp_path):
    out = tmp_path / "x.glb"
    with pytest.raises(EmptyGridError, match="bad.*empty"):
        export_grids([ball(12), np.zeros((12, 12, 12))], out, names=["good", "bad"])
    assert list(tmp_path.iterdir()) == []


def four_legged_chair(res=32):
    """A 32^3 chair, y up: seat, back and four thin legs (2x2 voxels)."""
    g = np.zeros((res, res, res), np.float32)
    g[6:26, 12:15, 6:26] = 1  # seat
    g[6:26, 15:30, 6:9] = 1  # back
    for x in (6, 24):
        for z in (6, 24):
            g[x:x + 2, 0:12, z:z + 2] = 1  # legs
    return g


def test_lods_and_hulls_keep_their_legs_on_the_floor_at_tiny_budgets():
    """--faces 100 --lods 3: at 25 triangles decimation collapses the legs, and that LOD (and a hull made from
    it) hung 0.4 m above the floor. Such a LOD repeats the previous one with a note; every LOD stands at y = 0;
    the hull is made from LOD0."""
    a = grid_to_asset(four_legged_chair(), ExportSettings(faces=100, lods=3, collision="godot"))
    lo0, hi0 = a.lods[0].bounds()
    for lod in a.lods:
        lo, hi = lod.bounds()
        assert lo[1] == 0.0 and np.all(hi - lo >= 0.9 * (hi0 - lo0))
    assert a.report["triangles"][2] == a.report["triangles"][1] <= 50
    assert any(n.startswith("LOD2 repeats LOD1: at 25 triangles it lost") for n in a.report["notes"])
    hull_lo, hull_hi = a.collision[0].bounds()
    np.testing.assert_allclose([hull_lo[1], hull_hi[1]], [lo0[1], hi0[1]], atol=1e-6)


def test_a_small_budget_is_reached_by_decimation_not_by_coarser_voxels():
    """--faces 150 (a mobile LOD0): the chair is decimated from its own grid; the noise guard once meshed any
    shape with more than 12 exposed voxel faces per triangle of the budget on 16^3 voxels (this one has 2,114),
    which broke the bundled chairs' thin legs: 9 of 20 toppled at 200 triangles, against 1 of 20 now."""
    full = grid_to_asset(four_legged_chair(), ExportSettings())
    small = grid_to_asset(four_legged_chair(), ExportSettings(faces=150))
    assert small.report["triangles"][0] <= 150
    assert not any("pooled" in note for note in small.report["notes"])
    np.testing.assert_allclose(small.report["size_m"], full.report["size_m"], atol=0.02)
    assert small.report["rest_tilt_deg"] < 1 and small.report["watertight"]


def test_noise_is_still_meshed_on_coarser_voxels():
    rng = np.random.default_rng(0)
    noise = (rng.random((64, 64, 64)) < 0.3).astype(np.float32)  # 330k exposed voxel faces
    asset = grid_to_asset(noise, ExportSettings(faces=200, max_fill=1.0))
    assert any("pooled" in note for note in asset.report["notes"])  # cost stays bounded
    assert asset.report["triangles"][0] <= 200


def test_preview_draws_the_mesh():
    a = grid_to_asset(l_shape())
    img = np.asarray(render_mesh(a.lods[0], size=64))
    shaded = np.any(img != img[0, 0], axis=2)
    assert 0.1 < shaded.mean() < 0.8
    # lit from the upper left: the mesh is not one flat colour
    assert img[shaded].std() > 5


def test_preview_shows_each_asset_from_evenly_spaced_sides():
    a = grid_to_asset(l_shape())
    strip = around_views(a.lods[0], 2, size=64)
    assert strip.size == (128, 64)
    halves = np.asarray(strip, dtype=np.int16).reshape(64, 2, 64, 3)
    front, back = halves[:, 0], halves[:, 1]
    assert np.array_equal(front, np.asarray(render_mesh(a.lods[0], size=64), dtype=np.int16))
    # the back view is the L seen from the other side: mirrored in outline, not the same picture
    assert np.abs(front - back).mean() > 5
    # wide tiles get fewer columns, so the sheet stays near-square
    sheet = contact_sheet([strip] * 8, [f"a{i}" for i in range(8)])
    assert sheet.size[0] == 2 * 128
    with pytest.raises(ValueError, match="at least 1"):
        around_views(a.lods[0], 0)


def test_the_z_buffer_keeps_the_nearest_fragment_and_the_first_of_equals():
    """preview._nearest picks per pixel what a stable sort by pixel, then nearness, puts first (the renderer's
    rule before it shaded only the winners), NaN depths included."""
    from iggan.asset_export.preview import _nearest

    rng = np.random.default_rng(0)
    pix = rng.integers(0, 50, 2000)
    dep = rng.integers(0, 6, 2000).astype(np.float64)  # many ties
    for depths in (dep, np.where(rng.random(2000) < 0.05, np.nan, dep)):
        order = np.lexsort((-depths, pix))
        expected = order[np.r_[True, pix[order][1:] != pix[order][:-1]]]
        assert np.array_equal(_nearest(pix, depths, 60), expected)


def test_a_sheet_drawn_tile_by_tile_equals_one_from_a_list():
    """bundle hands contact_sheet a generator, so a sheet of thousands holds one tile at a time."""
    a = grid_to_asset(l_shape())
    tiles = [around_views(a.lods[0], 2, size=32, azimuth=az) for az in (0, 40, 80, 120, 160)]
    labels = [f"a{i}" for i in range(5)]
    listed = contact_sheet(tiles, labels)
    streamed = contact_sheet((t for t in tiles), labels)
    assert streamed.size == listed.size and streamed.tobytes() == listed.tobytes()
    with pytest.raises(ValueError, match="no images"):
        contact_sheet(iter([]), [])


def test_a_sheet_saved_without_optimize_keeps_every_pixel():
    """bundle saves the preview sheet at zlib's default level (optimize takes 3x as long for 1-2% less)."""
    from iggan.asset_export.preview import png_bytes

    sheet = contact_sheet([around_views(grid_to_asset(l_shape()).lods[0], 2, size=32)] * 3, ["a", "b", "c"])
    fast, small = (Image.open(io.BytesIO(png_bytes(sheet, optimize=o))) for o in (False, True))
    assert fast.tobytes() == small.tobytes() == sheet.tobytes()


def test_a_sheet_of_thousands_of_assets_keeps_within_its_pixel_budget(tmp_path, monkeypatch):
    from iggan.asset_export import preview
    assert sheet_tiles(50, 2) == (160, 2)  # README command 1's sheet as it always was
    for n in (1, 50, 500, 2000, 10000):
        for sides in (1, 2, 8):
            size, views = sheet_tiles(n, sides)
            assert preview.MIN_TILE <= size <= preview.TILE and 1 <= views <= sides
            cols, rows = preview._grid(n, views)
            assert cols * size * views * rows * (size + 16) <= preview.MAX_SHEET_PIXELS  # the sheet, labels and all
    assert sheet_tiles(10000, 8) == (49, 2)  # 10,000 assets: smaller tiles, then fewer views
    # written: a small budget shrinks the tiles of a 3-asset sheet, and the manifest says how many views it shows
    monkeypatch.setattr(preview, "MAX_SHEET_PIXELS", 3 * 2 * 60 * 76)
    manifest = export_grids(np.stack([l_shape()] * 3), tmp_path / "s.glb", ExportSettings(), preview=8)
    assert manifest["preview_sides"] < 8
    width, height = Image.open(tmp_path / "s.preview.png").size
    assert width * height <= preview.MAX_SHEET_PIXELS and width * height > 0


@needs_modelnet
def test_modelnet_chairs_export_valid_and_upright(tmp_path):
    grids = np.load(MODELNET)["voxels"][:6]
    out = tmp_path / "chairs.glb"
    export_grids(grids, out, ExportSettings(faces=2000, lods=3, collision="godot", size_m=0.9), up="z",
                 names=[f"chair_{i}" for i in range(6)])
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out, size_m=0.9)
    for i in range(6):
        p = meshes[f"chair_{i}_LOD0"]["positions"]
        # upright (ModelNet is z-up; --up z): a chair is about as tall as its largest extent
        assert np.ptp(p[:, 1]) >= 0.8 * np.ptp(p, axis=0).max()


def test_noise_is_meshed_coarser_or_refused_quickly():
    import time

    rng = np.random.default_rng(0)
    noise = (rng.random((48, 48, 48)) < 0.3).astype(np.float32)
    t0 = time.perf_counter()
    try:
        a = grid_to_asset(noise, ExportSettings(faces=300))
    except ExportError as exc:
        assert "empty" in str(exc) or "decimation" in str(exc)
    else:
        assert any("pooled" in n for n in a.report["notes"]) and a.report["watertight"]
    assert time.perf_counter() - t0 < 10


def test_asset_export_needs_no_torch_and_imports_relatively():
    import subprocess
    import sys

    code = "import sys, iggan.asset_export; assert 'torch' not in sys.modules, 'asset_export imported torch'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    # the Blender extension vendors the folder under another name: no absolute self-imports
    folder = Path(__file__).resolve().parents[1] / "asset_export"
    import ast

    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not node.module.startswith(("iggan", "asset_export")), f"{path.name}: {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(("iggan", "asset_export")) for a in node.names), path.name


def test_the_game_ready_check_catches_normals_that_point_inward(tmp_path):
    from dataclasses import replace

    from iggan.asset_export import build_glb, grid_to_asset
    from iggan.asset_export.gltf import PlacedAsset

    grid = np.zeros((12, 12, 12), np.float32)
    grid[3:9, 2:10, 4:8] = 1.0
    asset = grid_to_asset(grid, ExportSettings(faces=300))
    good, bad = tmp_path / "good.glb", tmp_path / "bad.glb"
    good.write_bytes(build_glb([PlacedAsset("a", asset)]))
    glb_checks.assert_game_ready(good)
    flipped = replace(asset, lods=[replace(m, normals=-m.normals) for m in asset.lods])
    bad.write_bytes(build_glb([PlacedAsset("a", flipped)]))
    with pytest.raises(AssertionError, match="normals point inward"):
        glb_checks.assert_game_ready(bad)
