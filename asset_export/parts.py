"""The frame of a piece of furniture: its thin parts that hold it up (legs, rails, an office chair's base) apart from
its panels and cushions (seat, back, a sofa's body), so the two can carry different materials (`--frame wood`).

A voxel belongs to the frame when the solid is thin (at most THIN voxels) through it along at least two of the
three axes: a leg is thin across both horizontal axes, a rail across two, while a seat or back panel is thin
along one axis only. Axis-aligned runs also catch slanted legs, which cross a voxel row in a voxel or two. Then
a majority vote of each voxel and its six face neighbours removes the speckle that the rule leaves where a panel
meets a leg. Last, the frame is what holds the piece up: a frame part that does not reach the floor through
other frame voxels joins the body (a narrow corner of a chair back, or the strip above a row of slits across it),
as does a grounded one of fewer than MIN_GROUNDED_FRAME voxels. Before that, a small body bit among frame parts
(where rails cross) and a body part apart from the main body that lies in the lowest 30% of the height (the hub of
an office chair's star base, where its column stands) join the frame. Arm rests and stretchers that
meet the legs stay frame.

    frame = frame_voxels(solid)                   # (X, Y, Z) bool, +Y up
    labels = nearest_labels(solid, frame)         # every grid cell labelled as its nearest solid voxel

frame_border.py cuts the mesh along the border these labels draw.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage


THIN = 4  # voxels: a part at most this thick along an axis is thin along it (generated legs are 1-2 voxels at
# 32^3, chunkier real ones 3-4; 4 finds more of artists' frames than 3 and no upholstery, benchmarks/frame_accuracy.py)
MIN_GROUNDED_FRAME = 3  # voxels: a sofa's foot can be this small
MIN_BODY = 32  # voxels: a body island smaller than this is a joint of the frame (where rails cross)
LOW_SHARE = 0.3  # a body island (not the main body) wholly in this lowest share of the height is a base: frame


def run_lengths(solid: np.ndarray, axis: int) -> np.ndarray:
    """(X, Y, Z) bool -> (X, Y, Z) int: the length of the run of solid voxels along `axis` through each voxel
    (0 outside the solid)."""
    s = np.moveaxis(np.asarray(solid, bool), axis, -1)
    n = s.shape[-1]
    index = np.arange(n)
    # the last empty index at or before each position, and the first empty index at or after it
    before = np.maximum.accumulate(np.where(~s, index, -1), axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(np.where(~s, index, n), axis=-1), axis=-1), axis=-1)
    return np.moveaxis(np.where(s, after - before - 1, 0), -1, axis)


def _relabel_islands(solid: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Small body islands and low ones apart from the main body join the frame (first, so a hub where rails cross
    can carry a column to the floor), then frame parts off the floor (and tiny grounded ones) join the body."""
    rows = np.flatnonzero(solid.any(axis=(0, 2)))
    floor, solid_top = int(rows[0]), int(rows[-1])
    full = np.ones((3, 3, 3), bool)
    for is_frame in (False, True):
        mask = frame if is_frame else solid & ~frame
        labels, n = ndimage.label(mask, full)
        if n == 0:
            continue
        sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
        if is_frame:
            grounded = np.zeros(n + 1, bool)
            grounded[np.unique(labels[:, floor, :])] = True
            need = np.where(grounded[1:], MIN_GROUNDED_FRAME, np.iinfo(np.int64).max)
        else:
            # a body part apart from the main body that lies low (an office chair's hub, a base) is frame too
            heights = np.broadcast_to(np.arange(solid.shape[1])[None, :, None], labels.shape)
            tops = ndimage.maximum(heights, labels, np.arange(1, n + 1))
            low = (np.asarray(tops) - floor < LOW_SHARE * (solid_top - floor + 1)) & (sizes < sizes.max())
            need = np.where(low, np.iinfo(np.int64).max, MIN_BODY)
        small = np.isin(labels, 1 + np.flatnonzero(sizes < need))
        frame = frame & ~small if is_frame else frame | small
    return frame


def frame_voxels(solid: np.ndarray) -> np.ndarray:
    """(X, Y, Z) bool solid, +Y up -> (X, Y, Z) bool: its frame voxels (thin across at least two axes)."""
    solid = np.asarray(solid, bool)
    if not solid.any():
        return np.zeros_like(solid)
    thin_axes = sum((run_lengths(solid, a) <= THIN).astype(np.int8) for a in range(3))
    frame = solid & (thin_axes >= 2)
    # majority of the voxel and its six face neighbours in the solid: smooths the border where a leg meets a
    # panel (a 3^3 box would also outvote a one-voxel-tall foot by the body above it)
    cross = ndimage.generate_binary_structure(3, 1).astype(np.float32)
    votes = ndimage.convolve(frame.astype(np.float32), cross, mode="constant")
    solid_votes = ndimage.convolve(solid.astype(np.float32), cross, mode="constant")
    frame = solid & (votes > 0.5 * solid_votes)
    return _relabel_islands(solid, frame)


def nearest_labels(solid: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """(X, Y, Z) bool: every cell of the grid labelled as its nearest solid voxel is (so a face centre that
    falls just outside the solid, as smoothed surfaces do, takes the label of the part it belongs to)."""
    solid = np.asarray(solid, bool)
    if not solid.any():
        return np.zeros_like(solid)
    _, (i, j, k) = ndimage.distance_transform_edt(~solid, return_indices=True)
    return np.asarray(frame, bool)[i, j, k]
