"""The frame's border is cut along a smooth line (asset_export/frame_border.py): closed, wound as before, every
piece on one side, no slivers, within the triangle budget, and straight across a leg where it meets the seat."""
import numpy as np
import trimesh

from iggan.asset_export import ExportSettings, grid_to_asset
from iggan.asset_export.check import edge_check, triangle_areas
from iggan.asset_export.frame_border import SNAP, cut_along, frame_lods
from iggan.asset_export.mesh import MeshData
from iggan.asset_export.surface import surface_mesh
from benchmark_scripts import load_benchmark
from test_parts import chair


def sphere() -> MeshData:
    m = trimesh.creation.icosphere(subdivisions=3)
    return MeshData(m.vertices.astype(np.float32), m.faces.astype(np.uint32), m.vertex_normals.astype(np.float32))


def signed_volume(mesh: MeshData) -> float:
    v = mesh.vertices.astype(np.float64)
    a, b, c = (v[mesh.faces[:, k]] for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def test_a_cut_along_a_plane_keeps_the_mesh_closed_and_puts_each_piece_on_one_side():
    mesh = sphere()
    level = 0.237  # not through any vertex
    cut, above = cut_along(mesh, mesh.vertices[:, 1] - level)
    assert cut.n_faces > mesh.n_faces and above.shape == (cut.n_faces,)
    assert edge_check(cut.faces, len(cut.vertices)) == (True, True)  # closed, wound consistently
    assert np.isclose(signed_volume(cut), signed_volume(mesh), rtol=1e-5)  # same surface, same outward winding
    areas = triangle_areas(cut.vertices, cut.faces)
    assert np.isclose(areas.sum(), triangle_areas(mesh.vertices, mesh.faces).sum(), rtol=1e-5)
    # every piece lies on its side of the plane (up to a snapped vertex, which moves the border, not the surface)
    y = cut.vertices[cut.faces][:, :, 1]
    edge = np.abs(np.diff(np.sort(mesh.vertices[:, 1]))).max()
    assert (y[above] > level - edge).all() and (y[~above] < level + edge).all()
    assert (y[above].mean(axis=1) > level).all() and (y[~above].mean(axis=1) < level).all()
    # no sliver: the smallest new piece keeps at least SNAP^2 of its triangle's area
    assert areas.min() > 0.9 * SNAP ** 2 * triangle_areas(mesh.vertices, mesh.faces).min()
    # normals are interpolated and stay unit length
    np.testing.assert_allclose(np.linalg.norm(cut.normals, axis=1), 1.0, atol=1e-5)


def test_crossings_near_a_vertex_snap_onto_it():
    mesh = sphere()
    y = mesh.vertices[:, 1]
    level = float(y[0]) + 1e-4  # the border passes right beside vertex 0
    cut, _ = cut_along(mesh, y - level)
    new = cut.vertices[len(mesh.vertices):]
    assert len(new) > 0 and not np.any(np.linalg.norm(new - mesh.vertices[0], axis=1) < 1e-3)


def test_no_crossing_leaves_the_mesh_as_it_was():
    mesh = sphere()
    cut, above = cut_along(mesh, np.ones(len(mesh.vertices)))
    assert cut.n_faces == mesh.n_faces and above.all()
    np.testing.assert_array_equal(cut.faces, mesh.faces)


def test_the_border_runs_level_across_each_leg_below_the_seat():
    asset = grid_to_asset(chair().astype(np.float32), ExportSettings(frame="wood", faces=3000))
    lod, on_frame = asset.lods[0], asset.frame[0]
    # vertices used by both frame and body faces are the border
    used_frame, used_body = np.zeros(len(lod.vertices), bool), np.zeros(len(lod.vertices), bool)
    used_frame[lod.faces[on_frame].ravel()] = True
    used_body[lod.faces[~on_frame].ravel()] = True
    border = lod.vertices[used_frame & used_body]
    voxel = lod.bounds()[1, 1] / 28.0  # the chair is 28 voxels tall
    seat_bottom = 10 * voxel
    # all of the border lies where the legs meet the seat, within a voxel of its underside, level to a voxel
    assert len(border) > 0
    assert np.abs(border[:, 1] - seat_bottom).max() < 1.0 * voxel
    assert np.ptp(border[:, 1]) < 1.0 * voxel


def test_every_lod_keeps_its_budget_after_the_cut():
    settings = ExportSettings(faces=600, lods=2, frame="wood")
    asset = grid_to_asset(chair().astype(np.float32), settings)
    for lod, on_frame, budget in zip(asset.lods, asset.frame, settings.lod_budgets()):
        assert lod.n_faces <= budget and on_frame.any() and not on_frame.all()


def test_a_mesh_exactly_at_its_budget_is_decimated_by_what_the_cut_adds():
    g = chair()
    raw = surface_mesh(g)  # grid-cube coordinates, as frame_lods takes them
    lods, masks = frame_lods([raw], [raw.n_faces], g)
    assert lods[0].n_faces <= raw.n_faces and masks[0].any() and not masks[0].all()
    assert edge_check(lods[0].faces, len(lods[0].vertices)) == (True, True)


def test_the_benchmark_measures_border_length_and_flecks():
    bench = load_benchmark("frame_border")
    mesh = sphere()
    level = 0.237
    cut, above = cut_along(mesh, mesh.vertices[:, 1] - level)
    s = bench.border_stats(cut, above)
    circle = 2 * np.pi * np.sqrt(1 - level ** 2)  # the unit sphere's circle at that height
    assert s["flecks"] == 0 and abs(s["border_m"] - circle) < 0.03 * circle
    speck = above.copy()
    speck[np.argmin(cut.vertices[cut.faces][:, :, 1].mean(axis=1))] = True  # a body triangle at the bottom pole
    assert bench.border_stats(cut, speck)["flecks"] == 1


def test_the_cut_border_is_shorter_than_the_nearest_voxel_staircase():
    bench = load_benchmark("frame_border")
    new, old, _, _ = bench.export_both(chair().astype(np.float32), ExportSettings(frame="wood", faces=3000))
    cut_length = bench.border_stats(new.lods[0], new.frame[0])["border_m"]
    staircase = bench.border_stats(old.lods[0], old.frame[0])["border_m"]
    assert 0 < cut_length < 0.8 * staircase


def test_a_cut_that_would_leave_a_degenerate_piece_keeps_the_lod_whole(monkeypatch):
    import iggan.asset_export.frame_border as fb
    g = chair()
    raw = surface_mesh(g)
    monkeypatch.setattr(fb, "AREA_EPS", 1.0)  # every cut piece now counts as degenerate
    lods, masks = frame_lods([raw], [10 * raw.n_faces], g)
    assert lods[0] is raw and masks[0].shape == (raw.n_faces,) and masks[0].any() and not masks[0].all()


def test_a_lod_that_cannot_be_decimated_back_into_its_budget_stays_uncut_within_it(monkeypatch):
    import iggan.asset_export.frame_border as fb

    def refuse(mesh, target):
        raise fb.ExportError("no")

    monkeypatch.setattr(fb, "decimate", refuse)
    g = chair()
    raw = surface_mesh(g)
    lods, masks = frame_lods([raw], [raw.n_faces], g)
    assert lods[0] is raw and masks[0].any() and not masks[0].all()
