"""scripts/baseline_own_ab.sh: the equal-steps harness refuses what it cannot run before it trains anything."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, methods: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AB_METHODS": methods, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           **extra}
    return subprocess.run(["bash", "scripts/baseline_own_ab.sh", "cpu", str(tmp_path / "work"), str(tmp_path / "out")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("methods", ["iggan nope", "iggan_dom"])
def test_an_unknown_method_is_refused_before_any_work(tmp_path, methods):
    result = _run(tmp_path, methods)
    assert result.returncode != 0
    assert f"unknown method '{methods.split()[-1]}'" in result.stderr and "iggan_faces" in result.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "out").exists()


def test_missing_chairs_data_is_refused_with_where_to_get_it(tmp_path):
    result = _run(tmp_path, "iggan", AB_DATA=str(tmp_path / "missing.npz"))
    assert result.returncode != 0
    assert "missing.npz is missing: cp ../shared/data/modelnet10-chairs-32.npz .data/" in result.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "out").exists()
