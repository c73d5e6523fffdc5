"""Open a user's .npz file safely: never as a pickle, and with an error that says what a file of
another kind is (np.load reads any file that is not a zip or .npy as a pickle, and its refusal talks
about pickled data and `allow_pickle`, which is no help to someone who passed a GLB)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

NPZ_HINT = "save voxel grids with numpy.savez(PATH, voxels=GRIDS), or make them with `iggan-assets voxelize`"


def open_npz(path: str | Path) -> np.lib.npyio.NpzFile:
    """np.load(path, allow_pickle=False) for a .npz (a zip archive); use it as a context manager.
    Raises ValueError ("it is a GLB (binary glTF); save voxel grids with ...") for any other file,
    and OSError if the file cannot be read."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if not magic.startswith(b"PK"):
        kind = ("empty" if not magic else "a GLB (binary glTF)" if magic.startswith(b"glTF")
                else "a single NumPy array (.npy), not an .npz archive" if magic == b"\x93NUMPY"
                else "not a NumPy .npz archive")
        raise ValueError(f"it is {kind}; {NPZ_HINT}")
    return np.load(path, allow_pickle=False)


OCCUPANCY_THRESHOLD = 0.5  # a float grid's cell is solid at or above this (0/1 floats are unchanged)


def solid_cells(grids: np.ndarray) -> np.ndarray:
    """Voxel grids of any shape and dtype -> bool of the same shape: the one rule every reader of voxel files
    uses. Integer and bool grids are solid where non-zero; float grids (occupancy probabilities) where
    >= OCCUPANCY_THRESHOLD, more likely solid than not ("> 0" made nearly every cell of a probability grid solid)."""
    grids = np.asarray(grids)
    return grids >= OCCUPANCY_THRESHOLD if np.issubdtype(grids.dtype, np.floating) else grids != 0


def is_cubic_stack(shape: tuple[int, ...]) -> bool:
    """True for (N, R, R, R) with R >= 1: a stack of cubic voxel grids. Anything else (a (2, 16, 16) stack of
    images, a (2, 16, 8, 4) box) would be drawn or scored squashed, so readers of 'voxels' refuse it."""
    return len(shape) == 4 and shape[1] >= 1 and shape[1] == shape[2] == shape[3]
