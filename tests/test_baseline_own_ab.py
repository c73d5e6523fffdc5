"""scripts/baseline_own_ab.sh: the equal-steps harness refuses what it cannot run before it trains anything."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stand_in_chairs import write_stand_in_chairs

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, methods: str, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AB_METHODS": methods, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           **extra}
    return subprocess.run(["bash", "scripts/baseline_own_ab.sh", "cpu", str(tmp_path / "work"), str(tmp_path / "out")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


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


@pytest.mark.slow
def test_a_tiny_run_trains_evaluates_and_prints_each_arms_metrics(tmp_path):
    """End to end on 889 synthetic boxes (the script's ModelNet slices): the product's arm and a baseline on its own
    renders, 2 tiny steps each, scored on the held-out slice with cheap shape metrics (about 30 s on 2 cores)."""
    import json

    import numpy as np

    boxes = write_stand_in_chairs(tmp_path / "boxes.npz")
    result = _run(tmp_path, "iggan_faces visual_hull", AB_DATA=str(boxes), AB_STEPS="2",
                  AB_PRESET="tiny", AB_SAMPLES="8", AB_ARMS="reference own", PYOPENGL_PLATFORM="osmesa",
                  AB_EVAL_ARGS="--shape-samples 8 --points 64 --yaw-angles 2")
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "out"
    for arm in ("iggan_faces_reference", "visual_hull_reference", "visual_hull_own"):
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith(arm + " "))
        metrics = json.loads((out / f"{arm}.json").read_text())["metrics"]
        assert f"1nna_cd={metrics['1nna_cd']:.4g}" in line and 0 <= metrics["1nna_cd"] <= 1
        assert np.isfinite(metrics["fid"]) and (out / f"{arm}.png").stat().st_size > 0
    assert json.loads((out / "iggan_faces_reference.json").read_text())["info"]["n_generated"] == 8
