import math

import numpy as np
import torch

from iggan.cameras import Views, camera_pose, pose_volume, sample_views
from iggan.config import LVP_VIEWS, ViewConfig


def test_sample_views_stay_in_range_and_are_seeded():
    cfg = ViewConfig(azimuth=(-60, 60), elevation=(15, 60))
    v1 = sample_views(500, cfg, torch.Generator().manual_seed(3))
    v2 = sample_views(500, cfg, torch.Generator().manual_seed(3))
    assert torch.equal(v1.azimuth, v2.azimuth)
    az, el = torch.rad2deg(v1.azimuth), torch.rad2deg(v1.elevation)
    assert az.min() >= -60 and az.max() <= 60 and el.min() >= 15 and el.max() <= 60
    assert az.max() - az.min() > 100  # actually spread over the range
    assert LVP_VIEWS.azimuth == (-60.0, 60.0) and LVP_VIEWS.elevation == (15.0, 60.0)


def test_camera_pose_looks_at_origin_from_the_right_place():
    pose = camera_pose(math.radians(90), math.radians(30), 3.0)
    pos = pose[:3, 3]
    expected = 3.0 * np.array([math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0])
    np.testing.assert_allclose(pos, expected, atol=1e-9)
    forward = -pose[:3, 2]  # OpenGL cameras look down their -Z
    np.testing.assert_allclose(forward, -pos / np.linalg.norm(pos), atol=1e-9)
    np.testing.assert_allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-9)


def _grid_with_voxel(x, y, z, res=8):
    g = torch.zeros(1, 1, res, res, res)
    g[0, 0, x, y, z] = 1.0
    return g


def _centre_of_mass(vol):
    idx = torch.stack(torch.meshgrid(*[torch.arange(s, dtype=torch.float32) for s in vol.shape], indexing="ij"))
    return (idx * vol).flatten(1).sum(1) / vol.sum()


def test_pose_volume_front_view_orientation():
    # A voxel at high y (top) and low x (left), high z (towards a camera at azimuth 0).
    g = _grid_with_voxel(1, 6, 6)
    posed = pose_volume(g, Views(torch.zeros(1), torch.zeros(1)), 16)[0, 0]
    d, row, col = _centre_of_mass(posed)
    assert row < 8 and col < 8  # top-left of the image
    assert d < 8  # near the camera (depth index 0 is nearest)
    # The object fills the middle half of the 2x frame: nothing is cut off.
    assert posed.sum() > 0 and abs(posed.sum() - g.sum() * (16 / 8 / 2) ** 3) < 0.5


def test_pose_volume_side_view_and_gradients():
    g = _grid_with_voxel(6, 4, 4).requires_grad_(True)
    # From azimuth 90 deg the camera sits on +X: a voxel at high x is near the camera.
    posed = pose_volume(g, Views(torch.tensor([math.pi / 2]), torch.zeros(1)), 16)
    d, _, _ = _centre_of_mass(posed[0, 0].detach())
    assert d < 8
    posed.sum().backward()
    assert g.grad is not None and g.grad.abs().sum() > 0


def test_views_cat_keeps_the_parts_in_order():
    a = Views(torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.4]))
    b = Views(torch.tensor([0.5]), torch.tensor([0.6]))
    both = Views.cat(a, b, a[:1])
    assert torch.equal(both.azimuth, torch.tensor([0.1, 0.2, 0.5, 0.1]))
    assert torch.equal(both.elevation, torch.tensor([0.3, 0.4, 0.6, 0.3]))
