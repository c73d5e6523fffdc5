import math

import numpy as np
import pytest
import torch

from iggan.cameras import Views, pose_volume
from iggan.config import ViewConfig
from iggan.render.gl import FIX, choose_platform
from iggan.render.pool import PooledPyrenderRenderer
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_mesh import voxel_surface
from iggan.render.volume import VolumeRenderer, absorption_only, emission_absorption, visual_hull


def _chair(res=16):
    g = np.zeros((res, res, res), bool)
    g[3:13, 6:8, 3:13] = True  # seat
    g[3:5, 6:15, 3:13] = True  # back
    for x in (3, 11):
        for z in (3, 11):
            g[x:x + 2, 0:6, z:z + 2] = True
    return g


def test_voxel_surface_covers_every_exposed_face_once_outward_and_inside_the_unit_cube():
    g = _chair()
    pos, nrm, tris = voxel_surface(g)
    res = g.shape[0]
    # Rows of faces are merged into long quads (T-junctions, so not an edge-manifold mesh), but the
    # surface must still enclose exactly the voxels: signed volume (divergence theorem, valid for
    # any closed surface) = occupied count, area = exposed unit faces.
    a, b, c = pos[tris[:, 0]], pos[tris[:, 1]], pos[tris[:, 2]]
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6
    assert volume == pytest.approx(g.sum() / res**3, rel=1e-5)  # positive: outward winding
    area = np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2
    padded = np.pad(g, 1)
    exposed = sum((padded[1:-1, 1:-1, 1:-1] & ~np.roll(padded, s, ax)[1:-1, 1:-1, 1:-1]).sum()
                  for ax in range(3) for s in (1, -1))
    assert area == pytest.approx(exposed / res**2, rel=1e-5)
    assert len(tris) < 2 * exposed  # rows were merged
    assert pos.min() >= -0.5 and pos.max() <= 0.5
    face_n = np.cross(pos[tris[:, 1]] - pos[tris[:, 0]], pos[tris[:, 2]] - pos[tris[:, 0]])
    assert (np.einsum("ij,ij->i", face_n, nrm[tris[:, 0]]) > 0).all()  # normals agree with winding
    assert len(voxel_surface(np.zeros((4, 4, 4), bool))[2]) == 0


def test_reference_render_is_lit_and_background_is_black():
    r = PyrenderRenderer(64, ViewConfig())
    img = r.render_grid(_chair(), math.radians(30), math.radians(20))
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert img[0, 0] == 0 and img[-1, -1] == 0
    lit = img[img > 0]
    assert lit.size > 100 and lit.max() > 0.5 and len(np.unique(np.round(lit, 2))) > 2  # several shades
    # the chair stands upright: more of it in the lower half (legs + seat + back) than cut off
    rows = np.nonzero(img.sum(1))[0]
    assert 8 < rows.min() and rows.max() < 56  # nothing touches the border (2x frame)


def test_worker_pool_matches_the_single_process_renderer():
    views = Views(torch.tensor([0.3, 2.0, 4.0]), torch.tensor([0.2, -0.3, 0.9]))
    grids = torch.from_numpy(np.stack([_chair(), _chair()[::-1], np.ones((16, 16, 16), bool)])).float()[:, None]
    serial = PyrenderRenderer(32, ViewConfig())(grids, views)
    pool = PooledPyrenderRenderer(32, ViewConfig(), workers=2)
    try:
        job = pool.submit(grids, views)  # two jobs in flight at once
        again = pool(grids[:1], views[:1])
        assert torch.equal(job.result(), serial)
        assert torch.equal(again, serial[:1])
    finally:
        pool.close()
    assert all(not p.is_alive() for p in pool._procs)


def test_pool_reuses_its_buffers_without_mixing_up_batches():
    """The shared buffers of a collected job are reused; earlier results must not change with them."""
    views = Views(torch.tensor([0.3, 2.0]), torch.tensor([0.2, -0.3]))
    a = torch.from_numpy(np.stack([_chair(), _chair()[::-1]])).float()[:, None]
    b = torch.zeros_like(a)
    pool = PooledPyrenderRenderer(32, ViewConfig(), workers=2)
    try:
        first = pool(a, views)
        second = pool(b, views)  # same shape: same shared buffers
        assert first.sum() > 0 and second.sum() == 0
        assert torch.equal(first, pool(a.to(torch.float64), views).float())  # any float dtype in, same images
    finally:
        pool.close()


@pytest.mark.gpu
def test_pool_takes_voxels_on_the_gpu_and_returns_images_there():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    views = Views(torch.tensor([0.3, 2.0]), torch.tensor([0.2, -0.3]))
    grids = torch.from_numpy(np.stack([_chair(), _chair()[::-1]])).float()[:, None]
    pool = PooledPyrenderRenderer(32, ViewConfig(), workers=2)
    try:
        on_gpu = pool(grids.cuda(), views)
        assert on_gpu.is_cuda and torch.equal(on_gpu.cpu(), pool(grids, views))
    finally:
        pool.close()


def test_a_crashed_worker_is_reported_not_a_hang():
    pool = PooledPyrenderRenderer(16, ViewConfig(), workers=1, timeout_s=30)
    proc = pool._procs[0]
    proc.kill()
    proc.join()
    with pytest.raises(RuntimeError, match="died"):
        pool(torch.ones(1, 1, 4, 4, 4), Views(torch.zeros(1), torch.zeros(1)))


def test_platform_choice_respects_the_override(monkeypatch):
    monkeypatch.setenv("PYOPENGL_PLATFORM", "egl")
    assert choose_platform() == "egl"
    assert "libosmesa6" in FIX


def test_volume_formulas_on_a_hand_computed_column():
    col = torch.tensor([0.5, 0.5, 0.0]).view(1, 1, 3, 1, 1)
    assert abs(visual_hull(col).item() - (1 - math.exp(-1.0))) < 1e-6
    assert abs(absorption_only(col).item() - 0.75) < 1e-6
    rgba = torch.stack([col[:, 0], torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)], 1)
    # front voxel: T=1, a=0.5, e=1 -> 0.5; second: e=0 -> 0
    assert abs(emission_absorption(rgba).item() - 0.5) < 1e-6


def test_volume_renderer_checks_channels_and_is_differentiable():
    vox = torch.rand(2, 1, 8, 8, 8, requires_grad=True)
    views = Views(torch.zeros(2), torch.zeros(2))
    img = VolumeRenderer("absorption", 16)(vox, views)
    assert img.shape == (2, 1, 16, 16)
    img.sum().backward()
    assert vox.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="2-channel"):
        VolumeRenderer("emission_absorption", 16)(vox, views)


@pytest.mark.parametrize("kind, expected", [("visual_hull", 1 - math.exp(-0.5)), ("absorption", 0.5)])
def test_volume_renderers_count_each_voxel_once_at_any_image_size(kind, expected):
    """The baselines' formulas sum / multiply over voxels along a ray: a one-voxel plate of density 0.5 seen
    face-on gives the same pixel at every image size (depth was sampled at the image size: 0.70 at 4x)."""
    r = 16
    vox = torch.zeros(1, 1, r, r, r)
    vox[0, 0, 4:12, 4:12, 8] = 0.5  # normal +z, facing the camera at azimuth 0
    views = Views(torch.zeros(1), torch.zeros(1))
    for size in (r, 2 * r, 4 * r):
        img = VolumeRenderer(kind, size)(vox, views)[0, 0]
        assert img.shape == (size, size)
        assert abs(img[size // 2, size // 2].item() - expected) < 1e-5, size
    # at the presets' image size (2R) nothing changes: depth was already one sample per voxel there
    same = visual_hull(pose_volume(vox, views, 2 * r)) if kind == "visual_hull" else \
        absorption_only(pose_volume(vox, views, 2 * r))
    assert torch.equal(VolumeRenderer(kind, 2 * r)(vox, views), same)


def test_fast_path_matches_the_straightforward_path():
    """Same grid, threshold and view: vectorised surface + persistent scene vs one box per voxel in a
    fresh scene. Tolerance: at most 1% of pixels may differ by more than 2/255 (edge rasterisation)."""
    from iggan.render.naive import boxes_mesh, render_fresh_scene

    cfg = ViewConfig()
    fast = PyrenderRenderer(64, cfg)
    rng = np.random.default_rng(0)
    for grid in (_chair(), rng.random((12, 12, 12)) > 0.6):
        for az, el in ((0.4, 0.3), (3.5, -0.4)):
            a = fast.render_grid(grid, az, el)
            b = render_fresh_scene(boxes_mesh(grid), az, el, 64, cfg)
            assert (a > 0).sum() > 50
            assert (np.abs(a - b) > 2 / 255).mean() <= 0.01


def test_shader_programs_are_compiled_once_per_scene():
    """Regression: pyrender's cache key changed on every render under PyOpenGL 3.1.10, so shaders
    were recompiled each time (5x slower, ~3 MB leaked per render)."""
    r = PyrenderRenderer(32, ViewConfig())
    for i in range(12):
        r.render_grid(_chair(), 0.1 * i, 0.2)
    cache = r.scene.renderer._renderer._program_cache
    assert len(cache._stable) <= 3  # one program per shader/define combination, not per render


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    """No orphans: a SIGKILLed training process leaves no render workers behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from iggan.config import ViewConfig\n"
        "from iggan.render.pool import PooledPyrenderRenderer\n"
        "if __name__ == '__main__':\n"
        "    pool = PooledPyrenderRenderer(16, ViewConfig(), workers=2)\n"
        "    print(' '.join(str(p.pid) for p in pool._procs), flush=True)\n"
        "    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 20
    alive = pids
    while alive and time.time() < deadline:
        time.sleep(0.5)
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and "zombie" not in open(f"/proc/{p}/status").read()]
    assert not alive, f"orphaned render workers {alive}"


def test_deleting_one_egl_renderer_leaves_the_others_working(tmp_path):
    """Regression: pyrender's EGL delete_context terminated the display that all contexts of the
    process share, so a scene still alive failed at its next render (seen on the H100 box)."""
    import subprocess
    import sys

    script = tmp_path / "egl.py"
    script.write_text(
        "import os, sys\n"
        "os.environ['PYOPENGL_PLATFORM'] = 'egl'\n"
        "from iggan.config import ViewConfig\n"
        "from iggan.render.gl import import_pyrender\n"
        "from iggan.render.scene import ReferenceScene\n"
        "from iggan.render.voxel_mesh import voxel_surface\n"
        "import numpy as np\n"
        "try:\n"
        "    scene = ReferenceScene(16, ViewConfig())\n"
        "except Exception as exc:\n"
        "    print(exc); sys.exit(77)\n"
        "grid = np.zeros((8, 8, 8), bool); grid[2:6, 2:6, 2:6] = True\n"
        "first = scene.render(*voxel_surface(grid), 0.5, 0.3)\n"
        "other = import_pyrender().OffscreenRenderer(16, 16)\n"
        "other.delete()\n"
        "again = scene.render(*voxel_surface(grid), 0.5, 0.3)\n"
        "assert first.max() > 0 and np.array_equal(first, again)\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    if done.returncode == 77:
        pytest.skip(f"no EGL context on this machine: {done.stdout.strip()[:200]}")
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_pyopengl_keeps_no_records_of_finished_draws():
    """Regression: PyOpenGL 3.1.10 stored each draw's vertex-attribute records under a context key never
    seen again (a new pointer object per call): ~5 KB and a slower lookup more per render, for good."""
    from OpenGL import contextdata

    r = PyrenderRenderer(32, ViewConfig())
    r.render_grid(_chair(), 0.1, 0.2)
    before = sum(len(s) for s in contextdata.STORAGES)
    for i in range(10):
        r.render_grid(_chair(), 0.1 * i, 0.2)
    assert sum(len(s) for s in contextdata.STORAGES) <= before
