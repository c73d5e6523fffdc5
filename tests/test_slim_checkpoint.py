"""scripts/slim_checkpoint.py: a run moved without its generator weights and restored from a bundle."""
import pytest
import torch
from safetensors.torch import load_file

from iggan import checkpoint as ckpt
from iggan.config import preset
from iggan.models.generator import VoxelGenerator
from iggan.sampling import save_generator
from benchmark_scripts import load_script


def _script():
    return load_script("slim_checkpoint")


def test_slim_drops_generators_and_unslim_restores_them_from_an_int8_bundle(tmp_path):
    cfg = preset("tiny")
    torch.manual_seed(0)
    gen = VoxelGenerator(cfg.model)
    run = tmp_path / "run"
    tensors = {**{k: v.clone() for k, v in ckpt.state_dict_tensors("generator", gen).items()},
               **ckpt.state_dict_tensors("generator_ema", gen),
               "discriminator.w": torch.randn(4, 4)}
    ckpt.save_pair(ckpt.checkpoint_stem(run, 120), tensors, {"step": 120, "config": cfg.to_dict()})
    (run / "config.json").write_text("{}")
    slim = _script()
    slim.slim(run, tmp_path / "slim")
    slimmed, _ = ckpt.load_pair(tmp_path / "slim" / "ckpt_00000120")
    assert set(slimmed) == {"discriminator.w"}
    save_generator(tmp_path / "bundle", gen, cfg, {"name": "bundle"}, int8=True)
    slim.unslim(tmp_path / "slim", tmp_path / "bundle.safetensors", tmp_path / "moved")
    [(step, stem)] = ckpt.list_checkpoints(tmp_path / "moved")
    restored, _ = ckpt.load_pair(stem)
    raw = load_file(str(stem.with_suffix(".safetensors")))  # a plain training checkpoint: float weights, no scales
    assert not any(k.endswith(".qscale") for k in raw) and all(v.is_floating_point() for v in raw.values())
    assert step == 120 and (tmp_path / "moved" / "config.json").is_file()
    for key, value in gen.state_dict().items():
        for prefix in ("generator", "generator_ema"):
            got = restored[f"{prefix}.{key}"]
            assert got.is_floating_point() == value.is_floating_point()
            if value.is_floating_point():  # int8 weights come back within one quantisation step
                assert torch.allclose(got.float(), value, atol=float(value.abs().max()) / 100 + 1e-3), key
    fresh = VoxelGenerator(cfg.model)
    ckpt.load_module("generator", fresh, restored, stem)  # loads into the model without errors


def test_slim_keep_ema_drops_only_raw_g_and_unslim_restores_g_from_the_checkpoints_own_ema(tmp_path):
    cfg = preset("tiny")
    torch.manual_seed(0)
    gen, ema = VoxelGenerator(cfg.model), VoxelGenerator(cfg.model)  # different weights: G != EMA
    run = tmp_path / "run"
    tensors = {**ckpt.state_dict_tensors("generator", gen), **ckpt.state_dict_tensors("generator_ema", ema),
               "discriminator.w": torch.randn(4, 4)}
    ckpt.save_pair(ckpt.checkpoint_stem(run, 7), tensors, {"step": 7, "config": cfg.to_dict()})
    slim = _script()
    slim.slim(run, tmp_path / "slim", keep_ema=True)
    slimmed, _ = ckpt.load_pair(tmp_path / "slim" / "ckpt_00000007")
    assert not any(k.startswith("generator.") for k in slimmed)
    assert any(k.startswith("generator_ema.") for k in slimmed) and "discriminator.w" in slimmed
    slim.unslim(tmp_path / "slim", None, tmp_path / "moved")
    [(_, stem)] = ckpt.list_checkpoints(tmp_path / "moved")
    restored, _ = ckpt.load_pair(stem)
    for key, value in ema.state_dict().items():
        if value.is_floating_point():  # the portable copy is fp16
            assert torch.allclose(restored[f"generator.{key}"].float(), value, atol=1e-2), key
            assert torch.equal(restored[f"generator.{key}"], restored[f"generator_ema.{key}"]), key


def test_unslim_from_its_own_ema_refuses_a_fully_slimmed_checkpoint(tmp_path):
    cfg = preset("tiny")
    run = tmp_path / "run"
    tensors = {**ckpt.state_dict_tensors("generator_ema", VoxelGenerator(cfg.model)), "discriminator.w": torch.zeros(2)}
    ckpt.save_pair(ckpt.checkpoint_stem(run, 3), tensors, {"step": 3, "config": cfg.to_dict()})
    slim = _script()
    slim.slim(run, tmp_path / "slim")  # drops both generator copies
    with pytest.raises(SystemExit, match="pass the bundle"):
        slim.unslim(tmp_path / "slim", None, tmp_path / "moved")
    assert not (tmp_path / "moved").exists()


def test_slim_and_unslim_say_what_is_missing(tmp_path):
    slim = _script()
    with pytest.raises(SystemExit, match="has no checkpoints to slim"):
        slim.slim(tmp_path / "empty_run", tmp_path / "slim")
    with pytest.raises(SystemExit, match="run `slim` first"):
        slim.unslim(tmp_path, None, tmp_path / "moved")
    assert not (tmp_path / "slim").exists() and not (tmp_path / "moved").exists()
