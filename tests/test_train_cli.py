import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import torch

from iggan.checkpoint import list_checkpoints
from iggan.cli.main import main
from iggan.sampling import load_model
from iggan.shapes import random_shapes


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_train_cli_runs_and_resumes(tmp_path, tiny_image_dir):
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "2",
              "--batch-size", "4"])
    assert r.exit_code == 0, r.output
    assert (out / "config.json").is_file() and list_checkpoints(out)[-1][0] == 2
    # An existing run is not overwritten by accident.
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "3"])
    assert r.exit_code != 0 and "--resume" in r.output
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "3", "--resume"])
    assert r.exit_code == 0, r.output
    assert "resumed at step 2" in r.output and list_checkpoints(out)[-1][0] == 3
    assert json.loads((out / "config.json").read_text())["train"]["batch_size"] == 4  # kept from the run
    # A resumed run can switch on the proxy's perturbed copies; the run's config records it.
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "5", "--resume",
              "--proxy-augment", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["proxy_augment"] == 2
    # ... and DOM on the copies' differences, which needs the copies
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "5", "--resume",
              "--augment-dom", "--proxy-augment", "0"])
    assert r.exit_code != 0 and "--proxy-augment" in r.output
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "6", "--resume", "--augment-dom"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["augment_dom"] is True
    # --proxy-warmup is recorded too (it counts from the run's first step, so here it changes nothing)
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "7", "--resume",
              "--proxy-warmup", "3"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["proxy_warmup"] == 3
    # so is --disc-warmup (also counted from the run's first step)
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "8", "--resume",
              "--disc-warmup", "4"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["disc_warmup"] == 4
    logged = [json.loads(line) for line in (out / "losses.jsonl").read_text().splitlines()]
    assert logged[-1]["step"] == 5 and -1.0 <= logged[-1]["proxy_rank"] <= 1.0
    # --g-renderer faces replaces the proxy path; it cannot go with the proxy's copies or DOM on them ...
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "9", "--resume",
              "--g-renderer", "faces", "--no-augment-dom"])
    assert r.exit_code != 0 and "--proxy-augment 0" in r.output
    # ... and a resumed run can switch to it (the config records it)
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "10", "--resume",
              "--g-renderer", "faces", "--no-augment-dom", "--proxy-augment", "0"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["g_renderer"] == "faces"
    logged = [json.loads(line) for line in (out / "losses.jsonl").read_text().splitlines()]
    assert logged[-1]["step"] == 10 and set(logged[-1]) == {"step", "loss_d", "loss_g", "occupancy"}
    # D's R1 weight is a training setting: a resumed run may change it, and the config records it
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "11", "--resume",
              "--r1-gamma", "0.05"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["r1_gamma"] == 0.05
    # so are the weights of G's extra terms (spread, volume), which then show in the log
    for steps, option, value, key, logged_as in ((15, "--spread-weight", 0.5, "spread_weight", "spread"),
                                                 (20, "--volume-weight", 2.0, "volume_weight", "volume")):
        r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", str(steps), "--resume",
                  option, str(value)])
        assert r.exit_code == 0, r.output
        assert json.loads((out / "config.json").read_text())["train"][key] == value
        logged = [json.loads(line) for line in (out / "losses.jsonl").read_text().splitlines()]
        assert logged[-1]["step"] == steps and logged_as in logged[-1]
    # and the coverage (IMLE) term with its pool size, on the faces path this run is on
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "30", "--resume",
              "--coverage-weight", "1.5", "--coverage-pool", "2"])
    assert r.exit_code == 0, r.output
    saved = json.loads((out / "config.json").read_text())["train"]
    assert (saved["coverage_weight"], saved["coverage_pool"]) == (1.5, 2)
    assert "coverage" in json.loads((out / "losses.jsonl").read_text().splitlines()[-1])
    # a symmetric G is part of the model: a resumed run cannot switch it on
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "31", "--resume", "--symmetric"])
    assert r.exit_code != 0 and "symmetric" in r.output and "--init-generator" in r.output


def test_train_cli_symmetric_and_coverage_options(tmp_path, tiny_image_dir):
    out = tmp_path / "sym"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--symmetric"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["model"]["symmetric"] is True
    model = load_model(str(out))  # what generate samples: mirror-symmetric along x
    grids = model.generator(torch.randn(2, model.config.model.z_dim))
    assert torch.equal(grids, grids.flip(2))
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "c"), "--preset", "tiny", "--steps", "1",
              "--coverage-weight", "1"])  # the proxy path: no exact twin to pull renders through
    assert r.exit_code != 0 and "--g-renderer faces" in r.output


def test_train_cli_mirror_data_is_kept_in_the_run_and_on_resume(tmp_path, tiny_image_dir):
    out = tmp_path / "mirror"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--mirror-data"])
    assert r.exit_code == 0, r.output
    assert "each mirrored left-right with probability 1/2" in r.output
    assert json.loads((out / "config.json").read_text())["train"]["mirror_data"] is True
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--resume", "--steps", "2",
              "--batch-size", "2"])
    assert r.exit_code == 0, r.output
    assert "mirrored left-right" in r.output and list_checkpoints(out)[-1][0] == 2


@pytest.mark.parametrize("option, key, value, bad", [("--faces-temperature", "faces_temperature", 0.01, "0"),
                                                     ("--fixed-threshold", "fixed_threshold", 0.5, "1")])
def test_train_cli_faces_path_options_reach_the_run_config(tmp_path, tiny_image_dir, option, key, value, bad):
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--g-renderer", "faces", option, str(value)])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"][key] == value
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "z"), "--preset", "tiny", "--steps", "1",
              "--g-renderer", "faces", option, bad])
    assert r.exit_code == 2 and option in r.output


def test_train_cli_real_renderer_own_trains_a_baseline_on_its_own_renders(tmp_path, tiny_image_dir):
    table_grids = tmp_path / "tables.npz"
    np.savez(table_grids, voxels=random_shapes(6, 16, torch.Generator().manual_seed(3), ("tables",))[:, 0].numpy())
    out = tmp_path / "hull"
    r = _run(["train", "--data", f"voxels:{table_grids}?up=y", "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--batch-size", "2", "--renderer", "visual_hull", "--real-renderer", "own"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "config.json").read_text())["train"]["real_renderer"] == "own"
    assert "drawn by the visual_hull renderer (--real-renderer own)" in r.output
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "img"), "--preset", "tiny", "--steps",
              "1", "--renderer", "visual_hull", "--real-renderer", "own"])
    assert r.exit_code != 0 and "voxels:FILE.npz" in r.output


def test_a_run_folder_inside_the_data_folder_is_not_read_as_training_images(tmp_path, tiny_image_dir):
    import shutil

    nest = tmp_path / "nest"
    shutil.copytree(tiny_image_dir, nest)
    common = ["train", "--data", str(nest), "--out", str(nest / "run"), "--batch-size", "2"]
    r = _run([*common, "--preset", "tiny", "--steps", "1"])
    assert r.exit_code == 0, r.output
    loaded = re.search(r"data: \d+ images", r.output).group()
    assert list((nest / "run" / "samples").glob("*.png"))
    r = _run([*common, "--steps", "2", "--resume"])  # its sample sheet is there now, and still not data
    assert r.exit_code == 0 and loaded in r.output, r.output
    assert "left out 1 training run folder(s)" in r.output and "run" in r.output


def test_a_skipped_training_image_is_named_once_with_its_reason(tmp_path, tiny_image_dir):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tiny_image_dir, data)
    (data / "broken.png").write_text("not a png")
    # The real command line: pytest's log capture would hide a second report from the library's logger.
    cmd = [sys.executable, "-m", "iggan.cli.main", "train", "--data", str(data), "--out", str(tmp_path / "run"),
           "--preset", "tiny", "--steps", "1", "--batch-size", "2", "--device", "cpu"]
    proc = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("broken.png") == 1, proc.stderr
    assert "skipped 1 file(s): broken.png (not an image" in proc.stderr


def test_resume_takes_a_lost_config_from_the_checkpoint_and_passes_over_a_damaged_one(tmp_path, tiny_image_dir):
    out = tmp_path / "run"
    common = ["train", "--data", str(tiny_image_dir), "--out", str(out)]
    r = _run([*common, "--preset", "tiny", "--steps", "1", "--batch-size", "2"])
    assert r.exit_code == 0, r.output
    (out / "config.json").unlink()
    r = _run([*common, "--steps", "2", "--resume"])  # not the default preset's networks: the run's own
    assert r.exit_code == 0, r.output
    assert "config.json is missing: the run's config comes from its checkpoint ckpt_00000001" in r.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["preset"] == "tiny" and saved["train"]["batch_size"] == 2 and saved["train"]["steps"] == 2
    newest = list_checkpoints(out)[-1][1]
    newest.with_suffix(".safetensors").write_bytes(b"cut short")
    r = _run([*common, "--steps", "3", "--resume"])
    assert r.exit_code == 0, r.output
    assert "warning: checkpoint ckpt_00000002 is damaged (ckpt_00000002.safetensors is truncated" in r.output
    assert "moved aside to ckpt_00000002.damaged.*" in r.output and "resumed at step 1" in r.output
    assert (out / "checkpoints" / "ckpt_00000002.damaged.safetensors").read_bytes() == b"cut short"
    assert [step for step, _ in list_checkpoints(out)] == [1, 3]


def test_a_new_run_refuses_a_folder_where_a_run_started_without_a_checkpoint(tmp_path, tiny_image_dir):
    from iggan.config import preset
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text(json.dumps(preset("tiny").to_dict()))
    (out / "losses.jsonl").write_text('{"step": 5, "loss_d": 1.0}\n')
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1"])
    assert r.exit_code == 1 and "already holds the start of a run (config.json, losses.jsonl" in r.output
    assert "--resume" in r.output and {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_resume_of_a_finished_run_says_so_and_changes_nothing(tmp_path, tiny_image_dir):
    out = tmp_path / "run"
    common = ["train", "--data", str(tiny_image_dir), "--out", str(out)]
    r = _run([*common, "--preset", "tiny", "--steps", "2", "--batch-size", "2"])
    assert r.exit_code == 0, r.output
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    r = _run([*common, "--resume"])
    assert r.exit_code == 1 and f"{out} is already at step 2 of 2; pass a larger --steps (above 2)" in r.output
    r = _run([*common, "--resume", "--steps", "1"])
    assert r.exit_code == 1 and f"{out} is already at step 2; pass a larger --steps" in r.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # config.json still says 2


@pytest.mark.parametrize("name, make, said", [
    ("checkpoints", "file", "checkpoints is a file, where the run keeps its checkpoints folder"),
    ("samples", "file", "samples is a file, where the run keeps its samples folder"),
    ("config.json", "folder", "config.json is a folder, where the run keeps its config.json file"),
])
@pytest.mark.parametrize("resume", [False, True])
def test_a_name_the_run_writes_to_taken_by_the_other_kind_is_a_clear_error(tmp_path, tiny_image_dir, name, make,
                                                                          said, resume):
    out = tmp_path / "run"
    out.mkdir()
    (out / name).mkdir() if make == "folder" else (out / name).write_text("mine")
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny",
                                  "--steps", "1", *(["--resume"] if resume else [])])
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert said in r.output and "move it away or choose another --out" in r.output
    assert sorted(p.name for p in out.iterdir()) == [name]  # nothing else written


def test_train_cli_bad_inputs(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run(["train", "--data", str(empty), "--out", str(tmp_path / "r"), "--preset", "tiny", "--steps", "1"])
    assert r.exit_code != 0 and "no" in r.output.lower() and str(empty) in r.output
    (empty / "broken.png").write_bytes(b"not a png")
    r = _run(["train", "--data", str(empty), "--out", str(tmp_path / "r"), "--preset", "tiny", "--steps", "1"])
    assert r.exit_code != 0 and "broken.png" in r.output
    Image.new("L", (40, 40), 128).save(empty / "ok.png")
    r = _run(["train", "--data", str(empty), "--out", str(tmp_path / "r2"), "--preset", "tiny", "--steps", "1",
              "--strict"])
    assert r.exit_code != 0 and "broken.png" in r.output  # --strict: a bad file is an error, not a skip
    r = _run(["train", "--data", str(empty), "--out", str(tmp_path / "r"), "--steps", "0"])
    assert r.exit_code == 2 and "--steps" in r.output


def test_pretrain_renderer_cli_writes_a_loadable_proxy(tmp_path, tiny_image_dir):
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "2"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p" / "proxy.safetensors").is_file()
    before = {p.name: p.read_bytes() for p in (tmp_path / "p").iterdir()}
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "1"])
    assert r.exit_code == 1 and "already holds a proxy renderer" in r.output and "--overwrite" in r.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "p").iterdir()} == before  # not a byte replaced
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "1", "--overwrite"])
    assert r.exit_code == 0 and json.loads((tmp_path / "p" / "proxy.json").read_text())["steps"] == 1, r.output
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "1",
              "--proxy", str(tmp_path / "p")])  # the folder pretrain-renderer wrote: its one proxy pair
    assert r.exit_code == 0, r.output
    (tmp_path / "empty").mkdir()
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "run2"), "--preset", "tiny", "--steps",
              "1", "--proxy", str(tmp_path / "empty")])
    assert r.exit_code == 1 and "is a folder and holds no checkpoint pair" in r.output
    assert f"{tmp_path / 'empty' / 'proxy.safetensors'}" in r.output


@pytest.mark.slow
def test_ddp_with_gloo_on_two_cpu_processes(tmp_path, tiny_image_dir):
    """The same trainer under torchrun: 2 ranks over gloo; rank 0 saves every rank's RNG state."""
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "iggan.cli.main", "train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny",
           "--steps", "2", "--batch-size", "4", "--device", "cpu"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from iggan.checkpoint import load_pair

    tensors, meta = load_pair(list_checkpoints(out)[-1][1])
    assert meta["world_size"] == 2 and meta["step"] == 2
    assert "rng.0" in tensors and "rng.1" in tensors and not (tensors["rng.0"] == tensors["rng.1"]).all()


def test_pretrain_renderer_on_a_generators_samples(tmp_path):
    from iggan.sampling import save_random_model

    stem = save_random_model(tmp_path / "g", "tiny", seed=2)
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "1",
              "--shapes-from-generator", str(stem), "--generator-samples", "4"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "p" / "proxy.json").read_text())["shapes"] == f"4 samples of generator {stem}"
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "q"), "--preset", "tiny", "--steps", "1",
              "--shapes-from-generator", "no-such-model"])
    assert r.exit_code != 0 and "no-such-model" in r.output and not (tmp_path / "q").exists()


def test_pretrain_renderer_on_in_domain_grids(tmp_path):
    import numpy as np

    grids = np.zeros((3, 8, 8, 8), np.uint8)
    grids[:, 2:6, 2:6, 0:4] = 1  # z-up boxes
    np.savez(tmp_path / "shapes.npz", voxels=grids)
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "p"), "--preset", "tiny", "--steps", "2",
              "--shapes-from", str(tmp_path / "shapes.npz"), "--shapes-slice", "0:2"])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "p" / "proxy.json").read_text())
    assert meta["shapes"] == "in-domain grids"
    np.savez(tmp_path / "bad.npz", other=grids)
    r = _run(["pretrain-renderer", "--out", str(tmp_path / "q"), "--preset", "tiny", "--steps", "1",
              "--shapes-from", str(tmp_path / "bad.npz")])
    assert r.exit_code != 0 and "voxels" in r.output


def test_progress_bar_redraws_rarely_when_stderr_is_a_log_file(monkeypatch):
    from iggan.cli.progress import progress_bar

    for tty, expected in ((False, 30.0), (True, 0.1)):
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty, raising=False)
        bar = progress_bar(total=10, unit="step")
        assert bar.mininterval == expected  # a log gets a line per 30 s, a terminal a live bar
        bar.close()


def test_progress_bar_follows_the_step_back_after_a_collapse_recovery():
    import io

    from iggan.cli.progress import follow_step, progress_bar

    bar = progress_bar(total=6, unit="step", file=io.StringIO())
    seen = []
    for step in (1, 2, 3, 4, 3, 4, 5, 6):  # steps 3-4 trained again after going back to step 2's checkpoint
        follow_step(bar, step)
        seen.append(bar.n)
    bar.close()
    assert seen == [1, 2, 3, 4, 3, 4, 5, 6]  # counting calls would end at 8 of 6


def test_render_workers_default_to_the_cores_on_a_gpu_and_none_on_a_cpu(monkeypatch):
    from iggan.cli.training_run import resolve_render_workers
    from iggan.config import preset

    assert preset("fast").train.render_workers == -1  # auto unless set
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert resolve_render_workers(-1, "cuda") == 15
    assert resolve_render_workers(-1, "cuda:0") == 15
    assert resolve_render_workers(-1, "cpu") == 0  # the trainer needs the cores
    assert resolve_render_workers(3, "cuda") == 3 and resolve_render_workers(0, "cuda") == 0  # explicit wins
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")  # two DDP ranks on this host share the cores
    assert resolve_render_workers(-1, "cuda:1") == 7
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert resolve_render_workers(-1, "cuda") == 1


def test_missing_proxy_warning_only_where_a_proxy_is_used(tmp_path, tiny_image_dir):
    common = ["train", "--data", str(tiny_image_dir), "--preset", "tiny", "--steps", "1", "--batch-size", "4"]
    r = _run(common + ["--out", str(tmp_path / "proxy")])
    assert r.exit_code == 0, r.output
    assert "no pretrained proxy renderer" in r.output  # the tiny preset bundles none
    # the command it suggests runs as written (pretrain-renderer needs --out) and --proxy takes its folder
    assert ("`iggan-assets pretrain-renderer --preset tiny --image-size 32 --out runs/proxy_32` "
            "and pass --proxy runs/proxy_32") in r.output
    r = _run(common + ["--out", str(tmp_path / "faces"), "--g-renderer", "faces"])
    assert r.exit_code == 0, r.output
    assert "no pretrained proxy renderer" not in r.output  # G trains through the twin: no proxy involved


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_an_output_folder_that_cannot_hold_files_stops_train_and_its_helpers_at_once(tiny_image_dir):
    # /proc takes no new files, not even from root: each command says so before any rendering or training
    for args in (["train", "--data", str(tiny_image_dir), "--preset", "tiny", "--steps", "1"],
                 ["pretrain-renderer", "--preset", "tiny", "--steps", "1"],
                 ["demo", "--steps", "1", "--images", "8"],
                 ["render-dataset", str(tiny_image_dir), "--views", "1"]):
        r = CliRunner().invoke(main, [*args, "--out", "/proc/iggan-run"])
        assert r.exit_code == 1 and "cannot create folder /proc/iggan-run" in r.output, (args, r.output)
        assert "choose another --out" in r.output and "Traceback" not in r.output


def test_a_disk_that_fills_up_mid_training_ends_with_a_message_and_keeps_the_last_checkpoint(
        tmp_path, tiny_image_dir, monkeypatch):
    from safetensors import SafetensorError

    from iggan import checkpoint
    out = tmp_path / "run"
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--preset", "tiny", "--steps", "2"])
    assert r.exit_code == 0, r.output
    before = {p.name: p.read_bytes() for p in (out / "checkpoints").iterdir()}

    def full_disk(tensors, filename):
        with open(filename, "wb") as f:
            f.write(b"half a checkpoint")  # the Rust writer got this far
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(checkpoint, "save_file", full_disk)
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(out), "--steps", "4",
                                  "--resume"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "could not write" in r.output and "No space left on device" in r.output and "--resume" in r.output
    assert {p.name: p.read_bytes() for p in (out / "checkpoints").iterdir()} == before  # no half file, none lost
    assert list_checkpoints(out)[-1][0] == 2


@pytest.mark.parametrize("option, value, said", [
    ("--image-size", "64", "was trained at --image-size 32; a run cannot change it. Start a new --out with "
                           "--image-size 64 --init-generator"),
    ("--voxel-res", "32", "was trained at --voxel-res 16; a run cannot change it. Start a new --out with "
                          "--voxel-res 32 --init-generator"),
    ("--disc-minibatch-std", "4", "was trained without D's minibatch-std feature"),
    ("--disc-channels", "64", "with a D of width"),
    ("--gen-upsample", "resize", "with G's upsampling 'transposed'"),
    ("--symmetric", None, "was trained without a symmetric G"),
    ("--disc-views", "2", "with a D of 1 view(s)"),
    ("--no-disc-spectral-norm", None, "was trained with spectral normalisation in D"),
])
def test_resume_refuses_options_that_would_change_the_runs_networks(tmp_path, tiny_image_dir, option, value, said):
    from iggan.config import preset
    out = tmp_path / "run"
    out.mkdir()
    cfg = preset("tiny")
    (out / "config.json").write_text(json.dumps(cfg.to_dict()))
    before = (out / "config.json").read_bytes()
    r = _run(["train", "--data", str(tiny_image_dir), "--out", str(out), "--resume", option,
              *([value] if value is not None else [])])
    assert r.exit_code == 1 and said in r.output and "a run cannot change it" in r.output, r.output
    assert (out / "config.json").read_bytes() == before and not (out / "checkpoints").exists()


@pytest.mark.parametrize("key, value, said", [("steps", "abc", "train.steps must be an integer >= 1, not 'abc'"),
                                             ("log_every", 0, "train.log_every must be an integer >= 1, not 0"),
                                             ("steps", 6.5, "train.steps must be an integer >= 1, not 6.5")])
def test_resume_refuses_an_edited_config_value_by_name(tmp_path, tiny_image_dir, key, value, said):
    from iggan.config import preset
    out = tmp_path / "run"
    out.mkdir()
    cfg = preset("tiny").to_dict()
    cfg["train"][key] = value
    (out / "config.json").write_text(json.dumps(cfg))
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(out), "--resume"])
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert r.output == f"Error: {out / 'config.json'}: {said}\n"
    (out / "config.json").write_text("{not json")
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(out), "--resume"])
    assert r.exit_code == 1 and "is not valid JSON" in r.output and "fix the file" in r.output


def test_resume_takes_the_options_as_the_run_already_has_them():
    from iggan.cli.train import refuse_architecture_changes
    from iggan.config import preset
    m = preset("tiny").model
    refuse_architecture_changes(Path("run"), m, image_size=str(m.image_size), voxel_res=str(m.voxel_res),
                                disc_minibatch_std=m.disc_minibatch_std,
                                disc_channels=m.disc_channels, gen_upsample=m.gen_upsample, symmetric=m.symmetric,
                                disc_views=m.disc_views, disc_spectral_norm=m.disc_spectral_norm)  # raises nothing


def test_bad_data_option_is_named_before_the_run_folder_is_made(tmp_path):
    out = tmp_path / "run"
    for spec, message in [(f"mesh:{tmp_path}?filter=(", "?filter= '(' is not a valid regular expression"),
                          (f"voxels:{tmp_path}/g.npz?filtr=x", "unknown option(s) ['filtr']")]:
        r = CliRunner().invoke(main, ["train", "--data", spec, "--out", str(out), "--preset", "tiny", "--steps", "1"])
        assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output
        assert not out.exists()


def test_train_help_documents_the_data_options():
    text = " ".join(CliRunner().invoke(main, ["train", "--help"]).output.split())
    assert "?KEY=VALUE" in text and "filter=REGEX" in text and "category=REGEX" in text and "slice=START:STOP" in text
