"""benchmarks/spread_gradient.py: the pull of G's extra loss terms next to D's, at a training checkpoint."""
from __future__ import annotations

import re
import sys

import pytest
from click.testing import CliRunner

from iggan.checkpoint import list_checkpoints
from iggan.cli.main import main as cli
from tests.benchmark_scripts import load_benchmark


@pytest.mark.parametrize("term,thresholds", [("spread", ["0.3", "0.7"]), ("volume", ["0.5", "0.5"])])
def test_prints_finite_gradient_norms_ratio_and_cosine(tmp_path, tiny_image_dir, monkeypatch, capsys, term, thresholds):
    run = tmp_path / "run"
    r = CliRunner().invoke(cli, ["train", "--data", str(tiny_image_dir), "--out", str(run), "--preset", "tiny",
                                 "--steps", "1", "--batch-size", "2", "--renderer", "none"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    stem = list_checkpoints(run)[-1][1]
    monkeypatch.setattr(sys, "argv", ["spread_gradient.py", str(stem), "--batches", "1", "--batch", "4",
                                      "--term", term, "--thresholds", *thresholds])
    load_benchmark("spread_gradient").main()
    line = capsys.readouterr().out.strip().splitlines()[-1]
    found = re.search(rf"{term} (\S+) .*\|grad g_loss\| (\S+) .*\|grad {term}\| (\S+)\s+ratio (\S+)\s+cosine (\S+)", line)
    assert found, line
    value, norm_g, norm_t, ratio, cos = map(float, found.groups())
    assert norm_g > 0 and norm_t > 0 and -1.0 <= cos <= 1.0
    assert ratio == pytest.approx(norm_t / norm_g, rel=0.01)
    if term == "volume":
        assert 0.0 < value < 1.0  # a mean occupancy
