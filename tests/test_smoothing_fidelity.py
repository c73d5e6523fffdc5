"""benchmarks/smoothing_fidelity.py: the export's smoothing measured against the real surface a grid came from."""
import numpy as np
import pytest
import trimesh

from benchmark_scripts import load_benchmark
from iggan.asset_export.clean import clean_grid
from iggan.asset_export.surface import surface_mesh
from iggan.meshes import normalise_mesh
from iggan.voxelize import voxelize_mesh

RES = 16


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("smoothing_fidelity")


def slab(bench, yaw=0.0, tilt=0.0):
    """A 1 x 0.5 x 0.3 box as load_object makes it, turned by yaw / tilt degrees."""
    box = trimesh.creation.box((1.0, 0.5, 0.3))
    return bench.turned(normalise_mesh(box.vertices, box.faces, None, "y"), yaw, tilt)


def scores(bench, obj, variant):
    real = bench.RealSurface(bench.real_surface(obj), RES)
    solid = clean_grid(voxelize_mesh(obj, RES).astype(np.float32), 0.5, 1.0, True, 1, 1.0)
    return bench.fidelity(bench.smoothed(surface_mesh(solid), variant, solid.shape), real)


def test_turned_objects_still_fill_the_unit_cube(bench):
    p = slab(bench, 20, 10).positions
    assert np.isclose((p.max(0) - p.min(0)).max(), 1.0) and np.allclose((p.max(0) + p.min(0)) / 2, 0, atol=1e-6)


def test_smoothing_takes_the_stair_steps_off_a_slanted_face(bench):
    # turned, the box's faces come out of the voxels as staircases: raw normals are far off on the
    # flat faces; the export's fairing brings them closer than the Taubin passes it replaced
    raw_flat, _, raw_all, _, _ = scores(bench, slab(bench, 20, 10), "raw")
    taubin_flat, _, _, _, _ = scores(bench, slab(bench, 20, 10), "taubin:20")
    smooth_flat, _, smooth_all, to_real, from_real = scores(bench, slab(bench, 20, 10), "fair:50")
    assert raw_flat > 15 and smooth_flat < 0.8 * taubin_flat < 0.6 * raw_flat and smooth_all < raw_all
    assert to_real < 1.0 and from_real < 1.5  # voxels: the smoothed surface stays on the box


def test_an_axis_aligned_box_needs_no_smoothing(bench):
    # its faces are already flat in the voxels; smoothing only rounds its edges
    raw_flat, raw_edges, _, _, _ = scores(bench, slab(bench), "raw")
    smooth_flat, smooth_edges, _, _, _ = scores(bench, slab(bench), "fair:50")
    assert raw_flat < 1.0 and smooth_edges > raw_edges


def test_unknown_variants_are_refused(bench):
    with pytest.raises(ValueError, match="raw, taubin:PASSES or fair:PASSES"):
        bench.smoothed(None, "laplace:5", (1, 1, 1))
