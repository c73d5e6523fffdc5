"""benchmarks/compare.py --quick on CPU: every method trains a few tiny steps, is evaluated, and
the table lists them all; a second call reuses the finished runs and evaluations."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmark_scripts import load_benchmark

from iggan.eval.classifier import BUNDLED
from iggan.render_dataset import MANIFEST_FORMAT

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(not BUNDLED.with_suffix(".safetensors").is_file(), reason="feature network not trained")
def test_compare_quick_runs_all_methods_and_resumes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(16):
        img = np.zeros((32, 32), np.uint8)
        w, h = rng.integers(6, 14, 2)
        img[16 - h:16 + h, 16 - w:16 + w] = rng.integers(80, 220)
        Image.fromarray(img).save(data / f"{i:03d}.png")
    (data / "manifest.json").write_text(json.dumps({"format": MANIFEST_FORMAT}))
    shapes = tmp_path / "shapes.npz"
    grids = np.zeros((4, 16, 16, 16), np.uint8)
    for i in range(4):
        grids[i, 3:13, 3:13, 2:5 + 2 * i] = 1
    np.savez(shapes, voxels=grids)
    out = tmp_path / "cmp"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--quick", "--data", str(data), "--out", str(out),
           "--reference-shapes", str(shapes)]
    env = {**os.environ, "IGGAN_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    methods = ["iggan", "iggan_nodom", "visual_hull", "absorption", "emission_absorption", "dcgan2d"]
    table = (out / "results.md").read_text()
    for m in methods:
        assert f"| {m} |" in table
        assert (out / m / "sheet.png").is_file()
        assert json.loads((out / m / "budget.json").read_text())["step"] >= 1
    results = json.loads((out / "results.json").read_text())
    assert "1nna_cd" in results["iggan"]["metrics"] and "1nna_cd" not in results["dcgan2d"]["metrics"]
    assert all(np.isfinite(results[m]["metrics"]["fid"]) for m in methods)
    # second call: nothing to train, evaluations cached
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "train chunk" not in again.stderr and "evaluate (" not in again.stderr
    assert again.stdout == proc.stdout


def test_ablation_methods_need_their_pretrained_proxy(tmp_path):
    compare = load_benchmark("compare")
    args = type("Args", (), {"proxies": None})()
    with pytest.raises(SystemExit, match="needs --proxies"):
        compare.method_args(args, "iggan_proxy_cubes")
    args.proxies = tmp_path
    with pytest.raises(SystemExit, match="pretrain-renderer --out"):
        compare.method_args(args, "iggan_proxy_in_domain_frozen")
    (tmp_path / "in_domain").mkdir()
    (tmp_path / "in_domain" / "proxy.safetensors").write_bytes(b"")
    got = compare.method_args(args, "iggan_proxy_in_domain_frozen")
    assert "--freeze-proxy" in got and got[got.index("--proxy") + 1] == str(tmp_path / "in_domain" / "proxy.safetensors")
    assert compare.method_args(args, "iggan") == ["--renderer", "pyrender"]
