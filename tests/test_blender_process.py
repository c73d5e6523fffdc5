"""Finding Blender: a prefix found once is reused, and a changed setting or a failure looks again."""
from __future__ import annotations

import stat

import pytest

from iggan import blender_process
from iggan.blender_process import BlenderUnavailable, find_blender


def _fake_python(folder, name: str, exit_code: int):
    """A 'Python' that logs each start to <name>.log and exits with exit_code (0: it can `import bpy`)."""
    script = folder / name
    script.write_text(f"#!/bin/sh\necho run >> {folder / (name + '.log')}\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _starts(folder, name: str) -> int:
    log = folder / (name + ".log")
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_found_blender_is_reused_until_the_setting_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(blender_process, "_FOUND", {})
    first, second = _fake_python(tmp_path, "py_a", 0), _fake_python(tmp_path, "py_b", 0)
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", str(first))
    assert find_blender("x") == [str(first)]
    assert find_blender("y") == [str(first)]
    assert _starts(tmp_path, "py_a") == 1  # the second call did not start it again
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", str(second))
    assert find_blender("x") == [str(second)]
    assert _starts(tmp_path, "py_b") == 1


def test_a_failed_look_is_not_remembered(tmp_path, monkeypatch):
    monkeypatch.setattr(blender_process, "_FOUND", {})
    broken = _fake_python(tmp_path, "py_c", 1)
    monkeypatch.setenv("IGGAN_BLENDER_PYTHON", str(broken))
    for _ in range(2):
        with pytest.raises(BlenderUnavailable, match="cannot `import bpy`"):
            find_blender("the FBX converter")
    assert _starts(tmp_path, "py_c") == 2
