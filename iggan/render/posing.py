"""Camera poses in numpy only, so render worker processes need not import torch."""
from __future__ import annotations

import math

import numpy as np


def camera_rotation(azimuth: float, elevation: float) -> np.ndarray:
    """Camera-to-world rotation (3, 3): Ry(azimuth) @ Rx(-elevation). Camera looks along its -Z."""
    ca, sa = math.cos(azimuth), math.sin(azimuth)
    ce, se = math.cos(-elevation), math.sin(-elevation)
    ry = np.array([[ca, 0, sa], [0, 1, 0], [-sa, 0, ca]])
    rx = np.array([[1, 0, 0], [0, ce, -se], [0, se, ce]])
    return ry @ rx


def camera_pose(azimuth: float, elevation: float, distance: float) -> np.ndarray:
    """Camera-to-world 4x4 pose (OpenGL convention, as Pyrender expects)."""
    pose = np.eye(4)
    pose[:3, :3] = camera_rotation(azimuth, elevation)
    pose[:3, 3] = pose[:3, :3] @ np.array([0.0, 0.0, distance])
    return pose
