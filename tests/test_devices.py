"""cli/devices.py: --device is checked before any work; a device this machine lacks, or a misspelt one, is a
usage error that says what to pass, not a torch traceback."""
import click
import pytest
import torch
from click.testing import CliRunner

from iggan.cli.devices import resolve_device
from iggan.cli.main import main

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


def test_cpu_and_auto_resolve():
    assert resolve_device("cpu") == "cpu" and resolve_device(" CPU ") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


def test_misspelt_and_foreign_devices_are_refused():
    with pytest.raises(click.BadParameter, match="'banana' is not a torch device; pass cpu, cuda"):
        resolve_device("banana")
    with pytest.raises(click.BadParameter, match="runs on cpu, cuda or mps"):
        resolve_device("meta")


@no_cuda
def test_cuda_without_a_gpu_says_to_pass_cpu():
    for name in ("cuda", "cuda:1"):
        with pytest.raises(click.BadParameter, match="no CUDA GPU here .*pass --device cpu"):
            resolve_device(name)


@no_cuda
@pytest.mark.parametrize("command", [["generate", "--out", "x.glb"], ["evaluate", "chairs", "--data", "."],
                                     ["train", "--data", ".", "--out", "run"]])
def test_commands_refuse_a_missing_gpu_before_any_work(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, [*command, "--device", "cuda"])
    assert r.exit_code == 2 and "Invalid value for --device: no CUDA GPU here" in r.output, r.output
    assert "Traceback" not in r.output and list(tmp_path.iterdir()) == []
