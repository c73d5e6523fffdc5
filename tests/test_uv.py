"""The optional UV atlas (asset_export/uv.py, `--uv`)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from iggan.asset_export import ExportError, ExportSettings, grid_to_asset
from iggan.asset_export.check import edge_check
from iggan.asset_export.uv import ATLAS_RESOLUTION, atlas_resolutions, unwrap
from benchmark_scripts import load_benchmark
from glb_checks import join_seams
from standing_shapes import table

pytest.importorskip("xatlas", reason="xatlas is a dependency: bash scripts/setup.sh installs it")


def overlapping_share(uvs: np.ndarray, faces: np.ndarray, res: int = 512) -> float:
    """Share of the texels covered by some triangle that lie strictly inside two or more of them.
    uvs (V, 2) in [0, 1], faces (F, 3) -> a fraction in [0, 1] (0 for a true atlas)."""
    count = np.zeros((res, res), np.int16)
    centres = (np.arange(res) + 0.5) / res
    for tri in uvs[faces].astype(np.float64):
        lo = np.floor(tri.min(0) * res).astype(int)
        hi = np.ceil(tri.max(0) * res).astype(int)
        xs, ys = np.meshgrid(centres[lo[0]:hi[0]], centres[lo[1]:hi[1]], indexing="ij")
        (ax, ay), (bx, by), (cx, cy) = tri
        area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        if abs(area) < 1e-12:
            continue
        w0 = ((bx - xs) * (cy - ys) - (by - ys) * (cx - xs)) / area
        w1 = ((cx - xs) * (ay - ys) - (cy - ys) * (ax - xs)) / area
        inside = (w0 > 1e-6) & (w1 > 1e-6) & (1 - w0 - w1 > 1e-6)
        count[lo[0]:hi[0], lo[1]:hi[1]] += inside
    covered = count > 0
    return float((count > 1).sum() / max(1, covered.sum()))


def test_uv_stage_gives_every_lod_a_non_overlapping_atlas_of_the_same_closed_surface():
    plain = grid_to_asset(table(32), ExportSettings(lods=2))
    mapped = grid_to_asset(table(32), ExportSettings(lods=2, uv=True))
    assert all(m.uvs is None for m in plain.lods)
    for before, after in zip(plain.lods, mapped.lods):
        assert after.uvs.shape == (len(after.vertices), 2) and after.uvs.dtype == np.float32
        assert after.uvs.min() >= 0 and after.uvs.max() <= 1
        assert len(after.vertices) > len(before.vertices)  # seams: some vertices are copied
        assert after.n_faces == before.n_faces
        # the same triangles in the same order, and joining the seams' copies closes the surface again
        np.testing.assert_array_equal(after.vertices[after.faces], before.vertices[before.faces])
        np.testing.assert_array_equal(after.normals[after.faces], before.normals[before.faces])
        points, _, faces = join_seams(after.vertices, after.normals, after.faces)
        assert len(points) == len(before.vertices)
        assert edge_check(faces, len(points)) == (True, True)
        assert overlapping_share(after.uvs, after.faces) < 0.001


def test_overlap_measure_sees_a_box_projection():
    """The control for the atlas test: a planar projection folds the top and bottom onto each other."""
    m = grid_to_asset(table(32), ExportSettings()).lods[0]
    lo, hi = m.vertices.min(0), m.vertices.max(0)
    top_view = ((m.vertices - lo) / (hi - lo))[:, [0, 2]]
    assert overlapping_share(top_view, m.faces) > 0.3


def texels_two_charts_reach(uvs: np.ndarray, faces: np.ndarray, size: int) -> float:
    """Share of the covered texels of a size x size map that two charts both reach within one texel
    (benchmarks/ao_bleed.py): where a bilinear lookup mixes one chart's bake into another's."""
    return load_benchmark("ao_bleed").charts_mixed(uvs, faces, size)[0]


def test_charts_stay_apart_in_the_smallest_map_baked_over_each_lod():
    """With --ao, each LOD's atlas is packed for its own occlusion map (256, 128, 64 px here), so no texel
    of it serves two charts; packed for 1,024 texels, the 64 px map of LOD2 mixed neighbouring charts (about
    15-20% of the covered texels of the bundled chairs' LOD2s, BENCHMARKS.md session 52)."""
    settings = ExportSettings(lods=3, ao=True)
    assert settings.ao_sizes() == [256, 128, 64]
    asset = grid_to_asset(table(32), settings)
    for lod, size in zip(asset.lods, settings.ao_sizes()):
        assert texels_two_charts_reach(lod.uvs, lod.faces, size) == 0.0
    packed_for_1024 = unwrap(asset.lods[2])  # the control: the old packing is what this measure catches
    assert texels_two_charts_reach(packed_for_1024.uvs, packed_for_1024.faces, 64) > 0.02


def test_the_atlas_is_packed_for_the_smallest_map_of_each_lod():
    assert atlas_resolutions(3) == [ATLAS_RESOLUTION] * 3  # --uv alone: for lightmaps and painting
    assert atlas_resolutions(3, [256, 128, 64]) == [256, 128, 64]  # --ao
    assert atlas_resolutions(4, [256, 128, 64, 64], [512, 256, 128, 64]) == [256, 128, 64, 64]  # and a photo's colours


def test_missing_xatlas_is_a_clear_error(monkeypatch):
    mesh = grid_to_asset(table(32), ExportSettings()).lods[0]
    monkeypatch.setitem(sys.modules, "xatlas", None)
    with pytest.raises(ExportError, match="pip install xatlas"):
        unwrap(mesh)
