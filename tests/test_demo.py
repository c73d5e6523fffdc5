import numpy as np
from click.testing import CliRunner
from PIL import Image

from iggan.cli import demo as demo_module
from iggan.cli.main import main
from iggan.config import preset
from iggan.data_sources import open_data_source


def test_demo_trains_on_its_renders_as_rendered(tmp_path, monkeypatch):
    # The demo's renders are already in training form (grey on black). Read as photos, the mask's
    # speckle filter erased the tiny preset's one-pixel table legs and dropped whole images as empty.
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path / "cache"))
    seen = {}
    monkeypatch.setattr(demo_module, "run_training", lambda cfg, data, *a, **k: seen.update(data=data))
    out = tmp_path / "demo"
    r = CliRunner().invoke(main, ["demo", "--out", str(out), "--images", "64", "--steps", "1"])
    assert r.exit_code == 0, r.output
    files = sorted((out / "data").glob("*.png"))
    written = np.stack([np.asarray(Image.open(p), np.float32) / 255 for p in files])  # (N, 32, 32)
    source, report = open_data_source(seen["data"], preset("tiny"))
    assert report.loaded == len(files) == 64 and not report.skipped
    loaded = source.images[:, 0].numpy()  # (N, 32, 32), in file order
    assert np.abs(loaded - written).max() < 1e-6
