import gc
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from iggan import checkpoint as ckpt
from iggan.cameras import Views, sample_views
from iggan.config import preset
from iggan.coverage import coverage_loss
from iggan.data_sources import open_data_source
from iggan.images import load_image_folder
from iggan.render.protocol import sample_thresholds
from iggan.render.reference import NullRenderer, PyrenderRenderer
from iggan.render.volume import VolumeRenderer
from iggan.shapes import random_shapes
from iggan.image_sources import TensorImages
from iggan.trainer import NonFiniteLoss, Trainer, _Done


def _trainer(tmp_path, data_dir, run="run", renderer=None, **train):
    gc.collect()  # free earlier tests' renderers before this one draws (see the note in the tests below)
    cfg = preset("tiny")
    cfg.train.batch_size = 4
    cfg.train.checkpoint_every = 2
    cfg.train.sample_every = 100
    for k, v in train.items():
        setattr(cfg.train, k, v)
    images, _ = load_image_folder(data_dir, cfg.model.image_size)
    ref = renderer or PyrenderRenderer(cfg.model.image_size, cfg.views)
    return Trainer(cfg, TensorImages(images), tmp_path / run, ref)


class _CountingReference(PyrenderRenderer):
    """The reference renderer, recording whether its inputs carried autograd history."""

    def __call__(self, voxels, views):
        self.saw_grad = getattr(self, "saw_grad", False) or voxels.requires_grad
        return super().__call__(voxels, views)


def test_gradients_reach_g_through_the_proxy_never_through_the_reference(tmp_path, tiny_image_dir):
    ref = _CountingReference(32, preset("tiny").views)
    tr = _trainer(tmp_path, tiny_image_dir, renderer=ref)
    before = [p.detach().clone() for p in tr.G.parameters()]
    losses = tr.train_step()
    assert set(losses) >= {"loss_d", "loss_g", "loss_l2", "loss_dom", "proxy_rank"}
    assert all(math.isfinite(v) for v in losses.values())
    assert -1.0 <= losses["proxy_rank"] <= 1.0
    assert not ref.saw_grad  # R_d only ever sees detached, binarised grids
    # G moved, and only through D(R_phi(G(z))): check the gradient path directly too.
    assert any(not torch.equal(a, b) for a, b in zip(before, tr.G.parameters()))
    tr.G.zero_grad()
    z = torch.randn(2, tr.cfg.model.z_dim)
    views = tr._draw().views[:2]
    tr.D(tr.R(tr.G(z), views)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in tr.G.parameters() if p.dim() > 1)


def test_without_dom_the_log_has_no_proxy_rank(tmp_path, tiny_image_dir):
    # D(reference) is only computed for DOM; the log must stay plain finite JSON (no NaN placeholder).
    losses = _trainer(tmp_path, tiny_image_dir, use_dom=False).train_step()
    assert "proxy_rank" not in losses and losses["loss_dom"] == 0.0
    assert all(math.isfinite(v) for v in losses.values())


def test_proxy_augment_renders_perturbed_copies_for_the_proxy_only(tmp_path, tiny_image_dir):
    ref = _SizeRecordingReference(32, preset("tiny").views)
    tr = _trainer(tmp_path, tiny_image_dir, renderer=ref, proxy_augment=3, pipeline_render=False)
    batch = tr._draw()
    B, K = tr.cfg.train.batch_size, tr.cfg.train.dom_thresholds
    assert len(batch.x_d) == B * K + 3 and ref.sizes[-1] == B * K + 3
    # each copy is a local move of its source grid: a subset (eroded, cut) or a superset (dilated)
    for src, copy in zip(batch.x_d[:3].bool(), batch.x_d[B * K:].bool()):
        assert torch.equal(src & copy, copy) or torch.equal(src | copy, copy)
    losses = tr.train_step()
    assert all(math.isfinite(v) for v in losses.values()) and -1.0 <= losses["proxy_rank"] <= 1.0


def test_augment_dom_matches_d_changes_on_the_copies_with_gradient_to_the_proxy_only(tmp_path, tiny_image_dir):
    with pytest.raises(ValueError, match="proxy_augment"):
        _trainer(tmp_path, tiny_image_dir, "bad", augment_dom=True)
    with pytest.raises(ValueError, match="use_dom"):  # the --no-dom ablation has no DOM to extend
        _trainer(tmp_path, tiny_image_dir, "bad2", augment_dom=True, proxy_augment=3, use_dom=False)
    tr = _trainer(tmp_path, tiny_image_dir, proxy_augment=3, augment_dom=True, pipeline_render=False)
    b = tr._draw()
    B, K = tr.cfg.train.batch_size, tr.cfg.train.dom_thresholds
    ref = b.pending.result()
    n = len(b.x_d)
    views_k = b.views.repeat(K)
    pred = tr.R(b.x_d, Views.cat(views_k, views_k[: n - B * K]))  # (B*K + 3, 1, S, S), as in the trainer
    with torch.no_grad():
        ref_logits = tr.D(ref[: B * K]).view(B, K)
    loss, rank = tr._move_dom(pred, ref, ref_logits, n)
    assert loss.item() >= 0.0 and -1.0 <= rank <= 1.0
    tr.R.zero_grad()
    tr.D.zero_grad()
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in tr.R.parameters())
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in tr.D.parameters())
    losses = tr.train_step()
    assert {"loss_move", "move_rank", "loss_dom"} <= set(losses)
    assert all(math.isfinite(v) for v in losses.values()) and -1.0 <= losses["move_rank"] <= 1.0


def test_proxy_warmup_trains_only_the_proxy_for_its_first_steps(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, proxy_warmup=2, pipeline_render=False)

    def weights(module):  # trained weights only (spectral norm's _u/_v vectors move on every forward)
        return {k: v.detach().clone() for k, v in module.named_parameters()}

    start = {name: weights(m) for name, m in tr._modules().items()}

    def moved(name):
        return any(not torch.equal(v, start[name][k]) for k, v in weights(tr._modules()[name]).items())

    for _ in range(2):
        losses = tr.train_step()
        assert set(losses) == {"loss_l2", "loss_dom", "proxy_rank", "occupancy"}  # no D/G losses: none ran
    assert moved("proxy") and not moved("generator") and not moved("discriminator")
    losses = tr.train_step()  # step 3: the warm-up is over and every model trains
    assert {"loss_d", "loss_g"} <= set(losses) and moved("generator") and moved("discriminator")


@pytest.mark.parametrize("g_renderer", ["proxy", "faces"])
def test_disc_warmup_trains_d_but_leaves_g_and_its_average_alone(tmp_path, tiny_image_dir, g_renderer):
    tr = _trainer(tmp_path, tiny_image_dir, disc_warmup=2, pipeline_render=False, g_renderer=g_renderer)
    trained = lambda m: {k: v.detach().clone() for k, v in m.named_parameters()}  # noqa: E731
    g0, d0, ema0 = trained(tr.G), trained(tr.D), trained(tr.G_ema)
    moved = lambda m, before: any(not torch.equal(v, before[k]) for k, v in m.named_parameters())  # noqa: E731
    for _ in range(2):
        losses = tr.train_step()
        assert "loss_d" in losses and "loss_g" not in losses
    assert moved(tr.D, d0) and not moved(tr.G, g0) and not moved(tr.G_ema, ema0)
    if g_renderer == "proxy":
        assert {"loss_l2", "loss_dom"} <= set(losses)  # the proxy keeps learning G's shapes meanwhile
    losses = tr.train_step()  # step 3: the warm-up is over
    assert "loss_g" in losses and moved(tr.G, g0) and moved(tr.G_ema, ema0)


@pytest.mark.parametrize("g_renderer", ["proxy", "faces"])
def test_spread_weight_adds_the_spread_to_g_loss_and_logs_it(tmp_path, tiny_image_dir, g_renderer):
    plain = _trainer(tmp_path, tiny_image_dir, "plain", pipeline_render=False, g_renderer=g_renderer)
    spread = _trainer(tmp_path, tiny_image_dir, "spread", pipeline_render=False, g_renderer=g_renderer,
                      spread_weight=10.0)
    assert "spread" not in plain.train_step()  # off by default: the paper's loss, as logged before
    losses = spread.train_step()
    assert math.isfinite(losses["spread"]) and losses["spread"] < 0  # log of a mean difference below 1
    # the same seed and batch, so only the spread term differs: G takes another step
    a, b = _params(plain), _params(spread)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("discriminator."))
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("generator."))
    with pytest.raises(ValueError, match="spread_weight"):
        _trainer(tmp_path, tiny_image_dir, "bad", spread_weight=-1.0)
    with pytest.raises(ValueError, match="spread_weight"):
        _trainer(tmp_path, tiny_image_dir, "bad1", spread_weight=1.0, batch_size=1)


@pytest.mark.parametrize("g_renderer", ["proxy", "faces"])
def test_volume_weight_charges_g_for_occupancy_and_thins_its_shapes(tmp_path, tiny_image_dir, g_renderer):
    plain = _trainer(tmp_path, tiny_image_dir, "plain", pipeline_render=False, g_renderer=g_renderer)
    thin = _trainer(tmp_path, tiny_image_dir, "thin", pipeline_render=False, g_renderer=g_renderer,
                    volume_weight=50.0)
    z = torch.randn(8, plain.cfg.model.z_dim)
    with torch.no_grad():
        start = plain.G(z).mean().item()
    assert "volume" not in plain.train_step()  # off by default: the paper's loss
    losses = thin.train_step()
    assert 0.0 < losses["volume"] < 1.0
    a, b = _params(plain), _params(thin)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("discriminator."))  # same D step
    for _ in range(2):
        plain.train_step()
        thin.train_step()
    with torch.no_grad():
        kept, thinned = plain.G(z).mean().item(), thin.G(z).mean().item()
    assert thinned < kept and thinned < start  # the charge shrinks G's shapes
    with pytest.raises(ValueError, match="volume_weight"):
        _trainer(tmp_path, tiny_image_dir, "bad", volume_weight=-1.0)


def test_coverage_weight_pulls_g_towards_the_real_images_and_logs_it(tmp_path, tiny_image_dir):
    plain = _trainer(tmp_path, tiny_image_dir, "plain", pipeline_render=False, g_renderer="faces")
    cover = _trainer(tmp_path, tiny_image_dir, "cover", pipeline_render=False, g_renderer="faces",
                     coverage_weight=5.0, coverage_pool=3)
    assert "coverage" not in plain.train_step()  # off by default: the paper's loss
    losses = cover.train_step()
    assert 0.0 < losses["coverage"] < 1.0  # a mean squared pixel difference
    a, b = _params(plain), _params(cover)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("discriminator."))  # same D step
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("generator."))  # G pulled further
    # the pull alone lowers the loss it measures: G's chosen samples come nearer their images
    images = cover.data.sample(4, torch.Generator().manual_seed(1))
    chosen, views = cover._coverage_search(images)
    G, t = cover.G, torch.full((4, 1, 1, 1, 1), 0.5)

    def loss():
        return coverage_loss(cover.coverage.render(torch.sigmoid((G(chosen) - t) / 0.05), views), images)

    before = loss().item()
    opt = torch.optim.Adam(G.parameters(), lr=1e-3)
    for _ in range(5):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().item() < before


def test_coverage_weight_resumes_exactly_and_bad_values_are_refused(tmp_path, tiny_image_dir):
    opts = dict(g_renderer="faces", coverage_weight=1.0, coverage_pool=2)
    full = _trainer(tmp_path, tiny_image_dir, "full", **opts)
    full.train(3)
    part = _trainer(tmp_path, tiny_image_dir, "part", **opts)
    part.train(2)
    resumed = _trainer(tmp_path, tiny_image_dir, "part", **opts)
    assert resumed.resume() and resumed.step == 2
    resumed.train(3)
    a, b = _params(full), _params(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="coverage_weight"):
        _trainer(tmp_path, tiny_image_dir, "bad", g_renderer="faces", coverage_weight=-1.0)
    with pytest.raises(ValueError, match="g_renderer 'faces'"):
        _trainer(tmp_path, tiny_image_dir, "bad1", coverage_weight=1.0)  # the proxy path has no exact twin


def test_spread_weight_on_a_differentiable_baseline(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, renderer=VolumeRenderer("absorption", 32), spread_weight=1.0)
    losses = tr.train_step()
    assert {"loss_g", "spread"} <= set(losses) and math.isfinite(losses["spread"])


def test_disc_warmup_on_a_differentiable_baseline_and_bad_values(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, renderer=VolumeRenderer("absorption", 32), disc_warmup=1)
    g0 = [p.detach().clone() for p in tr.G.parameters()]
    assert set(tr.train_step()) == {"loss_d", "mean_image"}
    assert all(torch.equal(a, b) for a, b in zip(g0, tr.G.parameters()))
    assert "loss_g" in tr.train_step()
    with pytest.raises(ValueError, match="disc_warmup"):
        _trainer(tmp_path, tiny_image_dir, "bad", disc_warmup=-1)


def test_disc_warmup_resumes_exactly_across_its_end(tmp_path, tiny_image_dir):
    full = _trainer(tmp_path, tiny_image_dir, "full", disc_warmup=3)
    full.train(4)
    part = _trainer(tmp_path, tiny_image_dir, "part", disc_warmup=3)
    part.train(2)
    resumed = _trainer(tmp_path, tiny_image_dir, "part", disc_warmup=3)
    assert resumed.resume() and resumed.step == 2
    resumed.train(4)
    a, b = _params(full), _params(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_three_step_smoke_writes_checkpoints_sheets_and_logs(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, log_every=1)
    tr.train(3)
    run = tmp_path / "run"
    assert [s for s, _ in ckpt.list_checkpoints(run)] == [2, 3]
    assert (run / "samples" / "step_00000003.png").is_file()
    assert len((run / "losses.jsonl").read_text().splitlines()) == 3
    assert any((run / "tb").iterdir())


def _params(tr):
    return {k: v for name, m in tr._modules().items() for k, v in ckpt.state_dict_tensors(name, m).items()}


def test_resume_equals_an_uninterrupted_run(tmp_path, tiny_image_dir):
    full = _trainer(tmp_path, tiny_image_dir, "full")
    full.train(4)
    part = _trainer(tmp_path, tiny_image_dir, "part")
    part.train(2)
    resumed = _trainer(tmp_path, tiny_image_dir, "part")
    assert resumed.resume() and resumed.step == 2
    resumed.train(4)
    a, b = _params(full), _params(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_drops_what_was_logged_past_its_checkpoint(tmp_path, tiny_image_dir):
    _trainer(tmp_path, tiny_image_dir, log_every=1).train(3)  # checkpoints at 2 and 3
    run = tmp_path / "run"
    for suffix in (".json", ".safetensors"):  # killed after logging step 3, before its checkpoint
        Path(f"{ckpt.checkpoint_stem(run, 3)}{suffix}").unlink()
    with open(run / "losses.jsonl", "a") as f:
        f.write('{"step": 4, "loss_d": 0.')  # torn by the kill
    resumed = _trainer(tmp_path, tiny_image_dir, log_every=1)
    assert resumed.resume() and resumed.step == 2
    assert [json.loads(line)["step"] for line in (run / "losses.jsonl").read_text().splitlines()] == [1, 2]
    resumed.train(4)
    assert [json.loads(line)["step"] for line in (run / "losses.jsonl").read_text().splitlines()] == [1, 2, 3, 4]


def test_non_finite_loss_stops_with_state_saved(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir)
    tr.train(1)
    with torch.no_grad():
        next(tr.D.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteLoss, match="saved to"):
        tr.train(5)
    assert ckpt.list_checkpoints(tmp_path / "run")[-1][0] == 1


@pytest.mark.parametrize("suffix", [".safetensors", ".json"])
def test_resume_passes_over_a_damaged_newest_checkpoint_and_moves_it_aside(tmp_path, tiny_image_dir, suffix):
    _trainer(tmp_path, tiny_image_dir).train(4)  # checkpoints at steps 2 and 4
    run = tmp_path / "run"
    newest = ckpt.list_checkpoints(run)[-1][1]
    data = Path(f"{newest}{suffix}").read_bytes()
    Path(f"{newest}{suffix}").write_bytes(data[: len(data) // 2])  # cut short by a crash
    damaged = {s: Path(f"{newest}{s}").read_bytes() for s in (".json", ".safetensors")}
    resumed = _trainer(tmp_path, tiny_image_dir)
    assert resumed.resume() and resumed.step == 2
    [warning] = resumed.damaged_checkpoints
    assert warning.startswith(f"checkpoint ckpt_00000004 is damaged (ckpt_00000004{suffix} ")
    assert "moved aside to ckpt_00000004.damaged.*, resuming from step 2" in warning
    assert [s for s, _ in ckpt.list_checkpoints(run)] == [2]  # nothing deleted: renamed out of the run's sight
    assert {s: Path(f"{newest}.damaged{s}").read_bytes() for s in damaged} == damaged
    oldest = ckpt.list_checkpoints(run)[-1][1]
    oldest.with_suffix(".safetensors").write_bytes(b"junk")
    with pytest.raises(ckpt.CheckpointError, match="none of the 1 checkpoint.s. in .* reads whole"):
        _trainer(tmp_path, tiny_image_dir).resume()


@pytest.mark.parametrize("kind", ["visual_hull", "absorption", "emission_absorption"])
def test_differentiable_baselines_train_g_directly(tmp_path, tiny_image_dir, kind):
    cfg_ch = 2 if kind == "emission_absorption" else 1
    cfg = preset("tiny")
    cfg.model.voxel_channels = cfg_ch
    cfg.train.batch_size = 4
    images, _ = load_image_folder(tiny_image_dir, 32)
    tr = Trainer(cfg, TensorImages(images), tmp_path / kind, VolumeRenderer(kind, 32))
    assert tr.mode == "direct" and tr.R is None
    before = [p.detach().clone() for p in tr.G.parameters()]
    losses = tr.train_step()
    assert math.isfinite(losses["loss_g"])
    assert any(not torch.equal(a, b) for a, b in zip(before, tr.G.parameters()))


def test_no_op_reference_renderer_keeps_the_loop_identical(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, renderer=NullRenderer(32))
    assert tr.mode == "iggan"
    assert math.isfinite(tr.train_step()["loss_l2"])


def test_a_collapse_to_empty_shapes_stops_without_overwriting_checkpoints(tmp_path, tiny_image_dir):
    """G emitting empty grids for collapse_patience steps stops training with a clear message, and
    no checkpoint is written while the samples are empty (the kept ones predate the collapse)."""
    from iggan.trainer import GeneratorCollapsed

    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=3, checkpoint_every=2, collapse_recoveries=0)
    tr.train(2)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")] == [2]
    out = tr.G.body[-1]  # the last transposed conv: a huge negative bias empties every grid
    with torch.no_grad():
        out.bias.fill_(-50.0)
    with pytest.raises(GeneratorCollapsed, match=r"steps 3-5\).*kept ones \(steps \[2\]\).*predate the collapse"):
        tr.train(20)
    assert tr.step == 5
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")] == [2]  # step 4 was not written


def test_healthy_samples_never_trigger_the_collapse_guard(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=1, collapse_occupancy=1e-6)
    tr.train(3)
    assert tr.step == 3


def test_a_collapse_goes_back_to_the_last_healthy_checkpoint_with_halved_learning_rates(tmp_path, tiny_image_dir):
    import json

    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=3, checkpoint_every=2)
    lr_g = tr.cfg.train.lr_g
    tr.train(2)
    with torch.no_grad():
        tr.G.body[-1].bias.fill_(-50.0)  # collapse: every grid empty from step 3 on
    reported = []
    tr.train(8, on_step=lambda step, losses: reported.append(step))  # 3-5 empty -> back to step 2, on to 8
    assert tr.step == 8
    assert reported == [3, 4, 3, 4, 5, 6, 7, 8]  # the recovering step itself is not reported; the CLI's bar follows
    assert tr.cfg.train.lr_g == lr_g / 2 and tr.cfg.train.collapse_recoveries == 1
    assert all(g["lr"] == lr_g / 2 for g in tr.opt_g.param_groups)
    assert tr.G.body[-1].bias.max() > -10  # the reloaded weights, not the collapsed ones
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["train"]["lr_g"] == lr_g / 2 and saved["train"]["collapse_recoveries"] == 1
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")][-1] == 8
    logged = [json.loads(line)["step"] for line in (tmp_path / "run" / "losses.jsonl").read_text().splitlines()]
    assert logged == sorted(set(logged)) and 5 in logged  # step 5 trained twice, logged once (the second time)


def test_a_time_limit_during_a_collapse_writes_no_checkpoint(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=50, checkpoint_every=2)
    tr.train(2)
    with torch.no_grad():
        tr.G.body[-1].bias.fill_(-50.0)  # empty from step 3 on, not yet long enough to count as a collapse
    tr._out_of_time = lambda start, limit: tr.step >= 4  # the time limit strikes after step 4
    tr.train(20, time_limit_s=100.0)
    assert tr.step == 4
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")] == [2]  # the healthy one is still newest


def _script_occupancy(tr, occupancies):
    """Train as usual but report these mean occupancies, one a step, to the collapse guard."""
    real, script = tr.train_step, iter(occupancies)
    tr.train_step = lambda *args, **kwargs: {**real(*args, **kwargs), "occupancy": next(script)}


def test_samples_hovering_at_the_empty_threshold_count_as_one_collapse(tmp_path, tiny_image_dir):
    """Seen on an H100: occupancy at 0.001-0.003 for 280 steps, crossing the 0.001 threshold both ways."""
    from iggan.trainer import GeneratorCollapsed

    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=4, checkpoint_every=100, collapse_recoveries=0,
                  collapse_occupancy=1e-3)
    # Healthy for 2 steps, then hovering; no checkpoint yet (the H100 run's case): the guard says there is none.
    _script_occupancy(tr, [0.02, 0.02, 0.0008, 0.0012, 0.0009, 0.0025])
    with pytest.raises(GeneratorCollapsed, match=r"under 0\.001, and not back above 0\.003 since\) for the last 4.*"
                       r"none from before the collapse.*another --seed"):
        tr.train(20)
    assert tr.step == 6 and ckpt.list_checkpoints(tmp_path / "run") == []


def test_samples_back_above_three_times_the_threshold_are_no_longer_empty(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=4, checkpoint_every=2, collapse_recoveries=0,
                  collapse_occupancy=1e-3)
    _script_occupancy(tr, [0.0008, 0.0008, 0.0035, 0.0008, 0.0008, 0.0008, 0.02])
    tr.train(7)  # empty stretches of 2 and 3 steps: no collapse
    assert tr.step == 7 and [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")][-1] == 7


def test_a_run_that_ends_with_empty_samples_keeps_its_healthy_checkpoint_newest(tmp_path, tiny_image_dir, caplog):
    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=50, checkpoint_every=2)
    tr.train(2)
    with torch.no_grad():
        tr.G.body[-1].bias.fill_(-50.0)  # empty from step 3 on, too briefly to count as a collapse
    with caplog.at_level("WARNING", logger="iggan.trainer"):
        tr.train(5)
    assert tr.step == 5
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")] == [2]  # step 4 and the final 5 not written
    assert "training ended at step 5" in caplog.text and "newest is still step 2" in caplog.text


def test_a_run_with_no_checkpoint_saves_its_empty_end_state_and_says_so(tmp_path, tiny_image_dir, caplog):
    """With nothing healthy to keep, the last state is saved, so the run can be looked at and resumed
    (seen on an H100: a 500-step IG-GAN run whose samples emptied wrote nothing, and evaluate failed)."""
    tr = _trainer(tmp_path, tiny_image_dir, collapse_patience=50, checkpoint_every=100)
    with torch.no_grad():
        tr.G.body[-1].bias.fill_(-50.0)
    with caplog.at_level("WARNING", logger="iggan.trainer"):
        tr.train(3)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "run")] == [3]
    assert "no earlier checkpoint: saved this one anyway" in caplog.text and "another --seed" in caplog.text


class _SubmittingReference(PyrenderRenderer):
    """The reference renderer with the render pool's submit(): records each job's size."""

    def submit(self, voxels, views):
        self.jobs = getattr(self, "jobs", []) + [len(voxels)]
        return _Done(self(voxels, views))


@pytest.fixture
def table_grids(tmp_path):
    """12 random tables at the tiny preset's resolution (16^3), saved Y-up as a voxels: source."""
    grids = random_shapes(12, preset("tiny").model.voxel_res, torch.Generator().manual_seed(3), ("tables",))
    np.savez(tmp_path / "tables.npz", voxels=grids[:, 0].numpy().astype(np.uint8))
    return tmp_path / "tables.npz"


def test_fresh_real_views_are_rendered_in_the_fakes_job_and_match_the_source(tmp_path, table_grids):
    # Free earlier tests' renderers now: a traceback cycle (pytest.raises) keeps one alive until the
    # cyclic GC frees it, and freeing an OSMesa renderer mid-draw leaves no context current.
    gc.collect()
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.checkpoint_every, cfg.train.sample_every = 4, 100, 100
    source, _ = open_data_source(f"voxels:{table_grids}?up=y", cfg)
    ref = _SubmittingReference(cfg.model.image_size, cfg.views)
    tr = Trainer(cfg, source, tmp_path / "run", ref)
    seen, d_update = [], tr._d_update
    tr._d_update = lambda real, fake: (seen.append(real.clone()), d_update(real, fake))[1]
    gen = torch.Generator()
    gen.set_state(tr.rng.get_state())
    tr.train_step()
    B, K = 4, cfg.train.dom_thresholds
    assert ref.jobs[0] == B * K + B and set(ref.jobs) == {B * K + B}  # per job: the fakes, then the real grids (the next is drawn ahead)
    # D saw exactly the source's next draw (test_data_sources: that draw renders as source.sample does).
    torch.randn(B, cfg.model.z_dim, generator=gen), sample_views(B, cfg.views, gen), sample_thresholds(B * K, gen)
    expected = ref(*source.draw_grids(B, gen))
    assert seen[0].shape == expected.shape and expected.amax(dim=(1, 2, 3)).min() > 0.2
    assert (seen[0] - expected).abs().mean() < 1e-3


def test_proxy_augment_copies_go_between_the_fakes_and_the_real_views_and_reach_only_the_proxy(tmp_path, table_grids):
    gc.collect()  # see above
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.checkpoint_every, cfg.train.sample_every = 4, 100, 100
    cfg.train.proxy_augment = 3
    source, _ = open_data_source(f"voxels:{table_grids}?up=y", cfg)
    ref = _SubmittingReference(cfg.model.image_size, cfg.views)
    tr = Trainer(cfg, source, tmp_path / "run", ref)
    seen, d_update = [], tr._d_update
    tr._d_update = lambda real, fake: (seen.append((real.clone(), fake.clone())), d_update(real, fake))[1]
    gen = torch.Generator()
    gen.set_state(tr.rng.get_state())
    tr.train_step()
    B, K = 4, cfg.train.dom_thresholds
    assert set(ref.jobs) == {B * K + 3 + B}
    real, fake = seen[0]
    assert fake.shape[0] == B  # D: one binarisation per sample, no perturbed copy
    # D's real images are exactly the source's draw (drawn before the copies), not the copies' slot
    torch.randn(B, cfg.model.z_dim, generator=gen), sample_views(B, cfg.views, gen), sample_thresholds(B * K, gen)
    expected = ref(*source.draw_grids(B, gen))
    assert real.shape == expected.shape and (real - expected).abs().mean() < 1e-3
    source.close()


def test_real_grids_of_another_resolution_are_rendered_by_the_source_itself(tmp_path, table_grids):
    gc.collect()  # see above
    cfg = preset("tiny")
    cfg.model.voxel_res = 32  # G makes 32^3, the data are 16^3: they cannot share the fakes' job
    cfg.train.batch_size, cfg.train.checkpoint_every, cfg.train.sample_every = 4, 100, 100
    source, _ = open_data_source(f"voxels:{table_grids}?up=y", cfg)
    ref = _SubmittingReference(cfg.model.image_size, cfg.views)
    tr = Trainer(cfg, source, tmp_path / "run", ref)
    assert math.isfinite(tr.train_step()["loss_d"])
    assert set(ref.jobs) == {4 * cfg.train.dom_thresholds}  # fakes only
    source.close()


class _SizeRecordingReference(_CountingReference):
    """The reference renderer, recording how many grids each call drew (and whether any had a gradient)."""

    def __call__(self, voxels, views):
        self.sizes = getattr(self, "sizes", []) + [len(voxels)]
        return super().__call__(voxels, views)


def test_faces_path_trains_g_through_the_differentiable_twin_and_leaves_the_proxy_alone(tmp_path, tiny_image_dir):
    ref = _SizeRecordingReference(32, preset("tiny").views)
    tr = _trainer(tmp_path, tiny_image_dir, renderer=ref, g_renderer="faces", pipeline_render=False)
    proxy = [p.detach().clone() for p in tr.R.parameters()]
    g_before = [p.detach().clone() for p in tr.G.parameters()]
    losses = tr.train_step()
    assert set(losses) == {"loss_d", "loss_g", "occupancy"} and all(math.isfinite(v) for v in losses.values())
    assert not ref.saw_grad
    assert any(not torch.equal(a, b) for a, b in zip(g_before, tr.G.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(proxy, tr.R.parameters()))  # the proxy is not trained
    assert ref.sizes == [tr.cfg.train.batch_size]  # one binarisation per sample, the one D judges
    with pytest.raises(ValueError, match="faces"):
        _trainer(tmp_path, tiny_image_dir, "bad", g_renderer="faces", augment_dom=True, proxy_augment=2)
    with pytest.raises(ValueError, match="proxy_augment"):
        _trainer(tmp_path, tiny_image_dir, "bad1", g_renderer="faces", proxy_augment=2)
    with pytest.raises(ValueError, match="g_renderer"):
        _trainer(tmp_path, tiny_image_dir, "bad2", g_renderer="mesh")
    with pytest.raises(ValueError, match="faces_temperature"):
        _trainer(tmp_path, tiny_image_dir, "bad3", g_renderer="faces", faces_temperature=0.0)


def test_faces_path_resumes_exactly(tmp_path, tiny_image_dir):
    full = _trainer(tmp_path, tiny_image_dir, "full", g_renderer="faces")
    full.train(4)
    part = _trainer(tmp_path, tiny_image_dir, "part", g_renderer="faces")
    part.train(2)
    resumed = _trainer(tmp_path, tiny_image_dir, "part", g_renderer="faces")
    assert resumed.resume() and resumed.step == 2
    resumed.train(4)
    a, b = _params(full), _params(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_several_view_d_sees_each_shape_from_quarter_turns_real_and_fake_alike(tmp_path, table_grids):
    gc.collect()  # see above
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.checkpoint_every, cfg.train.sample_every = 4, 100, 100
    cfg.train.g_renderer, cfg.model.disc_views = "faces", 2
    source, _ = open_data_source(f"voxels:{table_grids}?up=y", cfg)
    ref = _SubmittingReference(cfg.model.image_size, cfg.views)
    tr = Trainer(cfg, source, tmp_path / "run", ref)
    assert tr.D_module.net[0].weight.shape[1] == 2
    seen, d_update = [], tr._d_update
    tr._d_update = lambda real, fake: (seen.append((real.clone(), fake.clone())), d_update(real, fake))[1]
    gen = torch.Generator()
    gen.set_state(tr.rng.get_state())
    g_before = [p.detach().clone() for p in tr.G.parameters()]
    losses = tr.train_step()
    assert math.isfinite(losses["loss_g"]) and any(not torch.equal(a, b) for a, b in zip(g_before, tr.G.parameters()))
    B, V, S = 4, 2, cfg.model.image_size
    assert set(ref.jobs) == {(B + B) * V}  # one binarisation per sample and each real grid, from 2 sides
    real, fake = seen[0]
    assert real.shape == fake.shape == (B, V, S, S)
    # channel j of a real shape is the source's draw seen a quarter turn j further round
    torch.randn(B, cfg.model.z_dim, generator=gen), sample_views(B, cfg.views, gen), sample_thresholds(B, gen)
    grids, views = source.draw_grids(B, gen)
    for j in range(V):
        turned = Views(views.azimuth + j * math.pi / 2, views.elevation)
        expected = ref(grids, turned)[:, 0]
        assert (real[:, j] - expected).abs().mean() < 1e-3
    assert (real[:, 0] - real[:, 1]).abs().mean() > 1e-2  # the check can fail: the sides differ
    # a folder of single images, or the proxy path, cannot feed it
    with pytest.raises(ValueError, match="voxels:FILE.npz"):
        Trainer(cfg, TensorImages(torch.rand(4, 1, S, S)), tmp_path / "bad", ref)
    cfg.train.g_renderer = "proxy"
    with pytest.raises(ValueError, match="--g-renderer faces"):
        Trainer(cfg, source, tmp_path / "bad2", ref)
    source.close()


def test_views_around_are_quarter_turns_sample_major():
    v = Views(torch.tensor([0.1, 1.0]), torch.tensor([0.2, 0.3]))
    a = v.around(3)
    assert torch.allclose(a.azimuth, torch.tensor([0.1, 0.1 + math.pi / 2, 0.1 + math.pi, 1.0, 1.0 + math.pi / 2,
                                                   1.0 + math.pi]))
    assert torch.equal(a.elevation, torch.tensor([0.2, 0.2, 0.2, 0.3, 0.3, 0.3]))


def test_a_fixed_threshold_binarises_every_sample_where_d_judges_it(tmp_path, tiny_image_dir):
    tr = _trainer(tmp_path, tiny_image_dir, g_renderer="faces", pipeline_render=False, fixed_threshold=0.5)
    b = tr._draw()
    assert torch.equal(b.x_d, (b.x_c > 0.5).to(b.x_d.dtype))  # every sample at 0.5, as the export cuts it
    losses = tr.train_step()  # and G's faces path trains at that threshold too
    assert all(math.isfinite(v) for v in losses.values())
    random = _trainer(tmp_path, tiny_image_dir, "random", g_renderer="faces", pipeline_render=False)
    b = random._draw()
    assert not torch.equal(b.x_d, (b.x_c > 0.5).to(b.x_d.dtype))  # the paper's random thresholds differ


def test_a_baseline_can_train_on_its_own_renders_of_the_real_grids(tmp_path, table_grids, tiny_image_dir):
    """The paper trains each differentiable baseline on data made with its own renderer: with
    real_renderer 'own', D's real images are the baseline's renders of the source's next draw of grids."""
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.checkpoint_every, cfg.train.sample_every = 4, 100, 100
    cfg.train.real_renderer = "own"
    source, _ = open_data_source(f"voxels:{table_grids}?up=y", cfg)
    hull = VolumeRenderer("visual_hull", cfg.model.image_size)
    tr = Trainer(cfg, source, tmp_path / "run", hull)
    seen, d_update = [], tr._d_update
    tr._d_update = lambda real, fake: (seen.append(real.clone()), d_update(real, fake))[1]
    gen = torch.Generator()
    gen.set_state(tr.rng.get_state())
    assert math.isfinite(tr.train_step()["loss_g"])
    B = 4
    torch.randn(B, cfg.model.z_dim, generator=gen), sample_views(B, cfg.views, gen)
    expected = hull(*source.draw_grids(B, gen))
    assert expected.amax(dim=(1, 2, 3)).min() > 0.5 and torch.equal(seen[0], expected)
    # the default: the source's reference renders, as IG-GAN sees them
    cfg.train.real_renderer = "reference"
    tr = Trainer(cfg, source, tmp_path / "run2", hull)
    d_update = tr._d_update
    tr._d_update = lambda real, fake: (seen.append(real.clone()), d_update(real, fake))[1]
    gen.set_state(tr.rng.get_state())
    tr.train_step()
    torch.randn(B, cfg.model.z_dim, generator=gen), sample_views(B, cfg.views, gen)
    assert (seen[1] - source.sample(B, gen)).abs().max() < 1e-6
    # 'own' needs a one-channel baseline renderer and voxel grids
    cfg.train.real_renderer = "own"
    with pytest.raises(ValueError, match="visual_hull or absorption"):
        Trainer(cfg, source, tmp_path / "run3", PyrenderRenderer(cfg.model.image_size, cfg.views))
    images, _ = load_image_folder(tiny_image_dir, cfg.model.image_size)
    with pytest.raises(ValueError, match="voxels:FILE.npz"):
        Trainer(cfg, TensorImages(images), tmp_path / "run4", hull)
    source.close()
