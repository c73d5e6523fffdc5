"""Property tests: any grid gives a valid, watertight, outward GLB, or an explicit ExportError."""
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy import ndimage

import glb_checks
from iggan.asset_export import ExportError, ExportSettings, build_glb, grid_to_asset
from iggan.asset_export.check import mesh_report
from iggan.asset_export.gltf import PlacedAsset


@st.composite
def grids(draw):
    """Random occupancy grids from sparse noise to blobs: size, density and blur drawn."""
    res = draw(st.integers(4, 14))
    seed = draw(st.integers(0, 2**32 - 1))
    density = draw(st.floats(0.15, 0.85))  # mostly real shapes; the extremes still give empty/full
    blur = draw(st.sampled_from([0.0, 0.7, 1.5]))
    rng = np.random.default_rng(seed)
    occ = rng.random((res, res, res)).astype(np.float32)
    if blur:
        occ = ndimage.gaussian_filter(occ, blur)
        occ = (occ - occ.min()) / max(float(np.ptp(occ)), 1e-6)
    return np.clip(occ + (density - 0.5), 0.0, 1.0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids(), faces=st.sampled_from([60, 300, 5000]), lods=st.integers(1, 3),
       collision=st.sampled_from([None, "godot"]))
def test_random_grids_give_valid_assets_or_refusal(grid, faces, lods, collision):
    s = ExportSettings(faces=faces, lods=lods, collision=collision)
    try:
        asset = grid_to_asset(grid, s)
    except ExportError as exc:
        assert str(exc)  # a refusal says why
        event(f"refused: {type(exc).__name__}")
        return
    event("exported")
    for k, lod in enumerate(asset.lods):
        r = mesh_report(lod)
        assert r["watertight"] and r["outward"] and r["degenerate_triangles"] == 0 and r["unit_normals"], (k, r)
        assert lod.n_faces <= s.lod_budgets()[k] or "repeats" in " ".join(asset.report["notes"])
    lo, hi = asset.lods[0].bounds()
    assert abs(lo[1]) < 1e-5 and abs(max(hi - lo) - s.size_m) < 1e-4
    if collision:
        assert len(asset.collision) == 1 and mesh_report(asset.collision[0])["watertight"]
    # every asset must also make a GLB the trimesh client reads as closed
    glb = build_glb([PlacedAsset("a", asset)])
    assert glb[:4] == b"glTF"


@settings(max_examples=8, deadline=None)
@given(grid=grids())
def test_random_grid_glbs_pass_the_khronos_validator(grid, tmp_path_factory):
    reason = glb_checks.validator_missing()
    if reason:
        pytest.skip(reason)
    try:
        asset = grid_to_asset(grid, ExportSettings(faces=300, lods=2, collision="unreal"))
    except ExportError:
        event("refused")
        return
    event("validated")
    path = tmp_path_factory.mktemp("prop") / "a.glb"
    path.write_bytes(build_glb([PlacedAsset("a", asset)], collision_style="unreal"))
    glb_checks.assert_valid([path])
    glb_checks.assert_game_ready(path)
