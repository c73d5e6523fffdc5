"""Open a user's .npz file safely: never as a pickle, and with an error that says what a file of
another kind is (np.load reads any file that is not a zip or .npy as a pickle, and its refusal talks
about pickled data and `allow_pickle`, which is no help to someone who passed a GLB)."""
from __future__ import annotations

import math
import zipfile
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
    _refuse_arrays_larger_than_memory(path)
    return np.load(path, allow_pickle=False)


def declared_array_bytes(path: str | Path) -> dict[str, int]:
    """Each array of an .npz -> the bytes it takes once loaded, read from its .npy header alone (nothing
    else is decompressed). Members whose header cannot be read are left out: loading them fails anyway."""
    sizes = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            if not member.filename.endswith(".npy"):
                continue
            try:
                with archive.open(member) as fh:
                    version = np.lib.format.read_magic(fh)
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read(fh)
            except (ValueError, OSError, zipfile.BadZipFile, EOFError):
                continue
            # Python ints: a crafted shape cannot overflow the product
            sizes[member.filename[:-4]] = math.prod(int(n) for n in shape) * dtype.itemsize
    return sizes


def available_memory_bytes() -> int | None:
    """Memory the kernel can give this process without swapping (MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _refuse_arrays_larger_than_memory(path: str | Path) -> None:
    """ValueError naming the array when one of the file's arrays would not fit in free memory: numpy would
    raise a bare MemoryError for a header that claims more than it holds, and a highly compressed real file
    (e.g. a zip of zeros) would be decompressed until the kernel kills the process."""
    free = available_memory_bytes()
    if free is None:
        return
    try:
        sizes = declared_array_bytes(path)
    except (zipfile.BadZipFile, OSError):
        return  # np.load says what is wrong with the archive itself
    for name, size in sizes.items():
        if size > free:
            raise ValueError(f"its array {name!r} takes {size / 2**30:,.1f} GiB once loaded, more than the "
                             f"{free / 2**30:,.1f} GiB of memory free here; split the grids over several files, "
                             "store them as uint8 or bool, or free memory")


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
