"""scripts/grow_generator.py: a generator doubled in resolution starts as the source's shapes, and trains."""
import json

import torch
from click.testing import CliRunner

from iggan.cli.main import main
from iggan.config import preset
from iggan.models.generator import VoxelGenerator
from iggan.sampling import load_model, save_generator
from benchmark_scripts import load_script


def _tiny_source(tmp_path):
    cfg = preset("tiny")
    torch.manual_seed(0)
    gen = VoxelGenerator(cfg.model)
    save_generator(tmp_path / "src", gen, cfg, {"name": "src"})
    return gen, cfg


def test_grown_generator_copies_the_hidden_layers_and_doubles_the_grid(tmp_path):
    grow = load_script("grow_generator")
    source, cfg = _tiny_source(tmp_path)
    big, model = grow.grown(source, cfg.model)
    assert model.voxel_res == 2 * cfg.model.voxel_res
    z = torch.randn(2, cfg.model.z_dim)
    assert big(z).shape == (2, 1, 32, 32, 32)
    # the stem's and each hidden layer's features are the source's, bit for bit
    a, b = source.stem(z[:, :, None, None, None]), big.stem(z[:, :, None, None, None])
    assert torch.equal(a, b)
    for i in range(len(source.body) - 1):
        a, b = source.body[i](a), big.body[i](b)
        assert torch.equal(a, b)


def test_distillation_brings_the_grown_grid_close_to_the_doubled_source(tmp_path):
    grow = load_script("grow_generator")
    source, cfg = _tiny_source(tmp_path)
    with torch.no_grad():  # an untrained G's output is a near-uniform haze; make its grid solid and empty in parts
        source.body[-1].weight.mul_(30)
    big, _ = grow.grown(source, cfg.model)
    z = torch.randn(8, cfg.model.z_dim, generator=torch.Generator().manual_seed(5))
    target = grow.nearest_doubled(source(z)).detach()

    def miss():  # mean distance of the grown grid's occupancy from the doubled source's
        with torch.no_grad():
            return float((big(z) - target).abs().mean())

    before = miss()
    fit = grow.distil(big, source, steps=80, batch=8, lr=5e-3, device="cpu", log_every=80)
    # the tiny preset leaves the new layers 4 channels wide, so it learns slowly; the bundles' layers are 32 wide
    assert miss() < 0.75 * before, (before, miss())
    assert 0.4 < fit["iou"] <= 1, fit


def test_a_grown_generator_trains_with_voxel_res_and_its_grid_size(tmp_path, tiny_image_dir):
    grow = load_script("grow_generator")
    source, cfg = _tiny_source(tmp_path)
    big, model = grow.grown(source, cfg.model)
    cfg.model = model
    save_generator(tmp_path / "g32", big, cfg, {"name": "g32"})
    # without --voxel-res the tiny preset's 16^3 run does not fit it, and says which preset/option would
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "no"),
                                  "--preset", "tiny", "--steps", "2", "--init-generator", str(tmp_path / "g32")])
    assert r.exit_code != 0 and "voxel_res 32 (run: 16)" in r.output and "--voxel-res 32" in r.output, r.output
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny",
                                  "--steps", "2", "--voxel-res", "32", "--init-generator", str(tmp_path / "g32")])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["model"]["voxel_res"] == 32
    trained = load_model(str(out))
    assert trained.config.model.voxel_res == 32
    assert trained.generator(torch.randn(1, cfg.model.z_dim)).shape == (1, 1, 32, 32, 32)


def test_a_missing_source_or_zero_steps_is_refused_with_what_to_pass(tmp_path, monkeypatch):
    import sys

    import pytest

    grow = load_script("grow_generator")
    for argv, said in [([str(tmp_path / "nothing"), str(tmp_path / "g")], "pass a bundled name, run folder"),
                       (["chairs", str(tmp_path / "g"), "--steps", "0"], "--steps and --batch must be at least 1")]:
        monkeypatch.setattr(sys, "argv", ["grow_generator.py", *argv])
        with pytest.raises(SystemExit, match=said):
            grow.main()
    assert not list(tmp_path.iterdir())  # nothing written
