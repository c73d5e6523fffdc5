"""Starting a run from an existing generator, and training at another image size (tiny, CPU)."""
import json

import pytest
import torch
from click.testing import CliRunner

from iggan.checkpoint import CheckpointError, list_checkpoints, load_pair
from iggan.cli.main import main
from iggan.config import preset
from iggan.models.generator import VoxelGenerator
from iggan.sampling import load_model, save_random_model
from iggan.warm_start import warm_start_generator


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_warm_start_copies_the_weights_into_g_and_its_ema(tmp_path):
    stem = save_random_model(tmp_path / "g", "tiny", seed=3)
    cfg = preset("tiny")
    g, ema = VoxelGenerator(cfg.model), VoxelGenerator(cfg.model)
    assert warm_start_generator(cfg, g, ema, str(stem)) == "g"
    source = load_model(str(stem)).generator.state_dict()
    for module in (g, ema):
        for k, v in module.state_dict().items():
            assert torch.equal(v, source[k]), k


def test_warm_start_refuses_another_architecture(tmp_path):
    stem = save_random_model(tmp_path / "g", "tiny")
    cfg = preset("fast")
    g = VoxelGenerator(cfg.model)
    before = {k: v.clone() for k, v in g.state_dict().items()}
    with pytest.raises(CheckpointError, match="--preset tiny"):
        warm_start_generator(cfg, g, VoxelGenerator(cfg.model), str(stem))
    assert all(torch.equal(v, before[k]) for k, v in g.state_dict().items())  # untouched
    with pytest.raises(CheckpointError, match="unknown model"):
        warm_start_generator(cfg, g, g, "no-such-model")


def test_train_at_another_image_size_from_a_generator(tmp_path, tiny_image_dir):
    stem = save_random_model(tmp_path / "g", "tiny", seed=5)
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--image-size", "64", "--init-generator", str(stem), "--renderer", "none"])
    assert r.exit_code == 0, r.output
    assert "generator initialised from g" in r.output
    assert json.loads((out / "config.json").read_text())["model"]["image_size"] == 64
    tensors, _ = load_pair(list_checkpoints(out)[-1][1])
    source = load_model(str(stem)).generator.state_dict()
    ema = {k[len("generator_ema."):]: v for k, v in tensors.items() if k.startswith("generator_ema.")}
    assert ema.keys() == source.keys()
    # One Adam step moves each weight by at most ~lr (2e-4), and the EMA lies between the start and G;
    # another random init would differ by the weights' own scale (~1e-2).
    lr = preset("tiny").train.lr_g
    for k, v in source.items():
        if v.is_floating_point() and v.numel() > 1:
            assert torch.allclose(ema[k], v, rtol=0, atol=3 * lr), k
    other = VoxelGenerator(preset("tiny").model).state_dict()  # the check can fail: a fresh init is far off
    assert not all(torch.allclose(other[k], v, rtol=0, atol=3 * lr) for k, v in source.items() if v.numel() > 1)
    # a run's image size is fixed: resuming at another one says how to start over
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "2", "--resume",
              "--image-size", "32"])
    assert r.exit_code != 0 and "--init-generator" in r.output and "64" in r.output


def test_train_init_generator_of_another_preset_is_a_clear_error(tmp_path, tiny_image_dir):
    stem = save_random_model(tmp_path / "g", "tiny")
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "run"), "--preset", "fast",
              "--steps", "1", "--init-generator", str(stem), "--renderer", "none", "--batch-size", "2"])
    assert r.exit_code != 0 and "--preset tiny" in r.output


def test_image_size_must_be_a_supported_power_of_two(tmp_path, tiny_image_dir):
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "r"), "--image-size", "100"])
    assert r.exit_code == 2 and "--image-size" in r.output


def _tiny_run(tmp_path, images, name="src", steps=1, *extra):
    out = tmp_path / name
    r = _run(["train", "--data", str(images), "--out", str(out), "--preset", "tiny", "--steps", str(steps),
              "--batch-size", "2", "--renderer", "none", *extra])
    assert r.exit_code == 0, r.output
    return out


def test_warm_start_discriminator_copies_d_from_a_run(tmp_path, tiny_image_dir):
    from iggan.models.discriminator import Discriminator
    from iggan.warm_start import warm_start_discriminator

    run = _tiny_run(tmp_path, tiny_image_dir, steps=2)
    cfg = preset("tiny")
    d = Discriminator(cfg.model)
    assert warm_start_discriminator(cfg, d, run) == 2  # a run folder: its newest checkpoint
    tensors, _ = load_pair(list_checkpoints(run)[-1][1])
    for k, v in d.state_dict().items():
        assert torch.equal(v, tensors[f"discriminator.{k}"].to(v.dtype)), k
    # Another architecture, a generator-only model and an empty folder are clear errors; D is untouched.
    before = {k: v.clone() for k, v in d.state_dict().items()}
    fast = preset("fast")
    with pytest.raises(CheckpointError, match="image_size 32 \\(run: 64\\)"):
        warm_start_discriminator(fast, Discriminator(fast.model), run)
    with pytest.raises(CheckpointError, match="holds no discriminator"):
        warm_start_discriminator(cfg, d, save_random_model(tmp_path / "g", "tiny"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="has no complete checkpoint"):
        warm_start_discriminator(cfg, d, tmp_path / "empty")
    assert all(torch.equal(v, before[k]) for k, v in d.state_dict().items())


def test_train_init_discriminator_starts_d_from_the_checkpoint(tmp_path, tiny_image_dir):
    run = _tiny_run(tmp_path, tiny_image_dir, "src", 1, "--seed", "7")  # another seed: another D than a new run's
    out = _tiny_run(tmp_path, tiny_image_dir, "new", 1, "--init-discriminator", str(run))
    plain = _tiny_run(tmp_path, tiny_image_dir, "plain", 1)
    (source, _), (warm, _), (fresh, _) = (load_pair(list_checkpoints(r)[-1][1]) for r in (run, out, plain))
    # trained weights only: spectral norm's power-iteration vectors (_u, _v) are re-estimated each pass
    weights = [k for k, v in source.items() if k.startswith("discriminator.") and v.is_floating_point()
               and v.numel() > 1 and not k.endswith(("._u", "._v"))]
    lr = preset("tiny").train.lr_d
    close = lambda a: all(torch.allclose(a[k], source[k], rtol=0, atol=3 * lr) for k in weights)  # noqa: E731
    assert weights and close(warm)  # one Adam step from the source
    assert not close(fresh)  # the check can fail: without the flag D starts elsewhere
    # resumed, the run keeps its own D and says so
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "2", "--resume",
              "--init-discriminator", str(run)])
    assert r.exit_code == 0 and "--init-discriminator ignored" in r.output


def test_a_wider_pretrained_proxy_sets_the_runs_proxy_width(tmp_path, tiny_image_dir):
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "1",
              "--proxy-channels", "12"])
    assert r.exit_code == 0, r.output
    proxy = tmp_path / "p" / "proxy.safetensors"
    assert json.loads(proxy.with_suffix(".json").read_text())["config"]["model"]["proxy_channels"] == 12
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--proxy", str(proxy)])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["model"]["proxy_channels"] == 12
    pretrained, _ = load_pair(proxy)
    tensors, _ = load_pair(list_checkpoints(out)[-1][1])
    assert {k: v.shape for k, v in tensors.items() if k.startswith("proxy.")} == {
        k: v.shape for k, v in pretrained.items()}
    # resumed, --proxy cannot replace the run's own proxy
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "2", "--resume",
              "--proxy", str(proxy)])
    assert r.exit_code == 0 and "--proxy ignored" in r.output
    # a proxy for another image size is a clear error before any training
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "r64"), "--preset", "tiny",
              "--steps", "1", "--image-size", "64", "--proxy", str(proxy)])
    assert r.exit_code != 0 and "pretrain-renderer --image-size 64" in r.output
    assert not list_checkpoints(tmp_path / "r64")


def test_a_normalised_d_is_baked_into_a_plain_d_that_scores_the_same(tmp_path, tiny_image_dir):
    import dataclasses

    from iggan.models.discriminator import Discriminator
    from iggan.warm_start import warm_start_discriminator

    run = _tiny_run(tmp_path, tiny_image_dir, steps=2)
    cfg = preset("tiny")
    normed = Discriminator(cfg.model)
    warm_start_discriminator(cfg, normed, run)
    plain_cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, disc_spectral_norm=False))
    plain = Discriminator(plain_cfg.model)
    assert not any("parametrizations" in k for k in plain.state_dict())
    warm_start_discriminator(plain_cfg, plain, run)
    images = torch.rand(4, 1, cfg.model.image_size, cfg.model.image_size)
    with torch.no_grad():
        same, fresh = normed.eval()(images), plain.eval()(images)
    assert torch.allclose(same, fresh, atol=1e-5), (same, fresh)
    assert not torch.allclose(Discriminator(plain_cfg.model).eval()(images), same, atol=1e-3)  # the check can fail
    # the other way cannot be exact: refused with what to do
    out = _tiny_run(tmp_path, tiny_image_dir, "plainrun", 1, "--no-disc-spectral-norm")
    with pytest.raises(CheckpointError, match="--no-disc-spectral-norm"):
        warm_start_discriminator(cfg, Discriminator(cfg.model), out)


def test_train_without_spectral_norm_from_a_normalised_run(tmp_path, tiny_image_dir):
    run = _tiny_run(tmp_path, tiny_image_dir, "src", 1)
    out = _tiny_run(tmp_path, tiny_image_dir, "new", 1, "--no-disc-spectral-norm", "--init-discriminator", str(run))
    assert json.loads((out / "config.json").read_text())["model"]["disc_spectral_norm"] is False
    tensors, _ = load_pair(list_checkpoints(out)[-1][1])
    assert "discriminator.net.0.weight" in tensors and not any("parametrizations" in k for k in tensors)
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "2", "--resume"])
    assert r.exit_code == 0, r.output  # resumes as a plain-D run
    # a run cannot switch on --resume: the message says how to start over
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(run), "--steps", "2", "--resume",
              "--no-disc-spectral-norm"])
    assert r.exit_code != 0 and "--init-discriminator" in r.output


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_a_one_view_d_widens_into_a_two_view_d_that_judges_the_first_view_the_same(tmp_path, tiny_image_dir,
                                                                                  spectral_norm):
    import dataclasses

    from iggan.models.discriminator import Discriminator
    from iggan.warm_start import warm_start_discriminator

    run = _tiny_run(tmp_path, tiny_image_dir, steps=2)
    cfg = preset("tiny")
    one = Discriminator(cfg.model)
    warm_start_discriminator(cfg, one, run)
    wide_model = dataclasses.replace(cfg.model, disc_views=2, disc_spectral_norm=spectral_norm)
    wide_cfg = dataclasses.replace(cfg, model=wide_model)
    two = Discriminator(wide_model)
    warm_start_discriminator(wide_cfg, two, run)
    S = cfg.model.image_size
    first, other = torch.rand(4, 1, S, S), torch.rand(4, 1, S, S)
    with torch.no_grad():
        expected = one.eval()(first)
        assert torch.allclose(two.eval()(torch.cat([first, other], 1)), expected, atol=1e-5)
        assert not torch.allclose(Discriminator(wide_model).eval()(torch.cat([first, other], 1)), expected, atol=1e-3)
    # a two-view D cannot go back to one view
    from iggan.checkpoint import save_pair

    stem = tmp_path / "two" / "ckpt_00000001"
    save_pair(stem, {f"discriminator.{k}": v for k, v in two.state_dict().items()},
              {"step": 1, "config": wide_cfg.to_dict()})
    with pytest.raises(CheckpointError, match="only a one-view D"):
        warm_start_discriminator(cfg, Discriminator(cfg.model), stem)


def test_disc_views_cannot_change_on_resume(tmp_path, tiny_image_dir):
    run = _tiny_run(tmp_path, tiny_image_dir, "src", 1)
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(run), "--steps", "2", "--resume",
              "--disc-views", "2"])
    assert r.exit_code != 0 and "--disc-views 2" in r.output and "--init-discriminator" in r.output
    # a new run with several views on a folder of single images: a clear error before any training
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "mv"), "--preset", "tiny",
              "--steps", "1", "--batch-size", "2", "--g-renderer", "faces", "--disc-views", "2"])
    assert r.exit_code != 0 and "voxels:FILE.npz" in r.output
    assert not list_checkpoints(tmp_path / "mv")


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_the_minibatch_std_feature_joins_an_existing_d_with_zero_weight(tmp_path, tiny_image_dir, spectral_norm):
    import dataclasses

    from iggan.models.discriminator import Discriminator
    from iggan.warm_start import warm_start_discriminator

    run = _tiny_run(tmp_path, tiny_image_dir, steps=2)
    cfg = preset("tiny")
    plain = Discriminator(cfg.model)
    warm_start_discriminator(cfg, plain, run)
    model = dataclasses.replace(cfg.model, disc_minibatch_std=2, disc_spectral_norm=spectral_norm)
    grouped_cfg = dataclasses.replace(cfg, model=model)
    grouped = Discriminator(model)
    warm_start_discriminator(grouped_cfg, grouped, run)
    images = torch.rand(4, 1, cfg.model.image_size, cfg.model.image_size)
    with torch.no_grad():
        assert torch.allclose(grouped.eval()(images), plain.eval()(images), atol=1e-5)
    # a D that has the feature cannot lose it
    from iggan.checkpoint import save_pair

    stem = tmp_path / "mbstd" / "ckpt_00000001"
    save_pair(stem, {f"discriminator.{k}": v for k, v in grouped.state_dict().items()},
              {"step": 1, "config": grouped_cfg.to_dict()})
    with pytest.raises(CheckpointError, match="--disc-minibatch-std"):
        warm_start_discriminator(cfg, Discriminator(cfg.model), stem)


def test_minibatch_std_groups_must_divide_the_batch(tmp_path, tiny_image_dir):
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "r"), "--preset", "tiny", "--steps", "1",
              "--batch-size", "6", "--renderer", "none", "--disc-minibatch-std", "4"])
    assert r.exit_code != 0 and "multiple of model.disc_minibatch_std" in r.output
    out = _tiny_run(tmp_path, tiny_image_dir, "ok", 1, "--disc-minibatch-std", "2")
    assert json.loads((out / "config.json").read_text())["model"]["disc_minibatch_std"] == 2
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "2", "--resume",
              "--disc-minibatch-std", "0"])
    assert r.exit_code != 0 and "--init-discriminator" in r.output


def test_disc_channels_sets_a_wider_d_and_cannot_change_on_resume(tmp_path, tiny_image_dir):
    run = _tiny_run(tmp_path, tiny_image_dir, "wide", 1, "--disc-channels", "24")
    assert json.loads((run / "config.json").read_text())["model"]["disc_channels"] == 24
    tensors, _ = load_pair(list_checkpoints(run)[-1][1])
    first = next(v for k, v in tensors.items() if k.startswith("discriminator.") and v.ndim == 4)
    assert first.shape[0] == 24  # D's first layer has the asked width
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(run), "--steps", "2", "--resume",
              "--disc-channels", "16"])
    assert r.exit_code != 0 and "width 24" in r.output and "--disc-channels 16" in r.output
    assert list_checkpoints(run)[-1][0] == 1  # nothing trained on


def test_gen_upsample_builds_a_resize_g_that_sampling_loads_and_cannot_change_on_resume(tmp_path, tiny_image_dir):
    run = _tiny_run(tmp_path, tiny_image_dir, "resize", 1, "--gen-upsample", "resize")
    assert json.loads((run / "config.json").read_text())["model"]["gen_upsample"] == "resize"
    model = load_model(str(run))  # the checkpoint's config rebuilds the same layers
    assert model.config.model.gen_upsample == "resize"
    assert any(isinstance(m, torch.nn.Upsample) for m in model.generator.modules())
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(run), "--steps", "2", "--resume",
              "--gen-upsample", "transposed"])
    assert r.exit_code != 0 and "'resize'" in r.output and "--gen-upsample transposed" in r.output
    assert list_checkpoints(run)[-1][0] == 1  # nothing trained on
    # a transposed-convolution G cannot start a resize run: the weights would not fit
    stem = save_random_model(tmp_path / "g", "tiny")
    cfg = preset("tiny")
    cfg.model.gen_upsample = "resize"
    g = VoxelGenerator(cfg.model)
    with pytest.raises(CheckpointError, match="gen_upsample transposed"):
        warm_start_generator(cfg, g, VoxelGenerator(cfg.model), str(stem))
