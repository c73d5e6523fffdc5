"""iggan/checkpoint.py: writing a checkpoint or a voxel file into a shared folder."""
from __future__ import annotations

import os

import torch

from iggan.checkpoint import atomic_write_bytes, load_pair, save_pair


def test_a_planted_temporary_name_is_not_written_through(tmp_path):
    """The temporary file was named .<name>.tmp-<pid>: in a shared folder (voxelize --out /tmp/x.npz) another
    user could plant a symlink there, and the write went through it into a file of the user's."""
    (tmp_path / "victim").write_bytes(b"keep")
    for name in ("x.npz", "c.json", "c.safetensors"):
        (tmp_path / f".{name}.tmp-{os.getpid()}").symlink_to(tmp_path / "victim")
    atomic_write_bytes(tmp_path / "x.npz", b"data")
    save_pair(tmp_path / "c", {"w": torch.ones(2)}, {"step": 1})
    assert (tmp_path / "victim").read_bytes() == b"keep" and (tmp_path / "x.npz").read_bytes() == b"data"
    assert not (tmp_path / "x.npz").is_symlink() and load_pair(tmp_path / "c")[1]["step"] == 1
    assert (tmp_path / "x.npz").stat().st_mode & 0o777 == 0o644  # as before, not mkstemp's 0600
