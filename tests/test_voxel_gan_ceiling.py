"""benchmarks/voxel_gan_ceiling.py: the 3D-supervised diagnostic trains, saves, resumes and writes
generators that the product's loader reads."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from iggan.sampling import latents, load_model, sample_voxels, save_random_model
from tests.benchmark_scripts import load_benchmark

ceiling = load_benchmark("voxel_gan_ceiling")


def test_voxel_discriminator_gives_one_logit_per_grid():
    disc = ceiling.VoxelDiscriminator(res=16, channels=4)
    assert disc(torch.rand(3, 1, 16, 16, 16)).shape == (3,)
    with pytest.raises(ValueError, match="power of two"):
        ceiling.VoxelDiscriminator(res=12)


def test_train_save_resume_round_trip(tmp_path):
    init = str(save_random_model(tmp_path / "init", "tiny"))
    torch.manual_seed(0)
    arm = ceiling.make_arm(init, None, 4, 1e-3, "cpu")
    ema_before = [p.clone() for p in arm.ema.parameters()]
    real = (torch.rand(4, 1, 16, 16, 16) > 0.7).float()
    for _ in range(2):
        stats = ceiling.train_step(arm, real.clone(), r1_gamma=1.0, ema_decay=0.5)
    assert arm.step == 2 and all(torch.isfinite(v) for v in stats.values())
    assert any(not torch.equal(a, b) for a, b in zip(ema_before, arm.ema.parameters())), "EMA did not follow G"

    out = tmp_path / "run"
    out.mkdir()
    ceiling.save_state(arm, out)
    again = ceiling.make_arm(init, None, 4, 1e-3, "cpu")
    ceiling.resume(again, out)
    assert again.step == 2
    for a, b in zip(arm.disc.state_dict().values(), again.disc.state_dict().values()):
        assert torch.equal(a, b)
    assert again.opt_g.state_dict()["state"], "optimizer state was not restored"

    model = load_model(str(out / "g_00000002"))  # what `iggan-assets evaluate` reads
    grids = sample_voxels(model, latents(0, 2, model.config.model.z_dim))
    with torch.no_grad():
        expected = arm.ema(torch.from_numpy(latents(0, 2, model.config.model.z_dim)))[:, 0].numpy()
    assert grids.shape == (2, 16, 16, 16)
    assert np.abs(grids - expected).max() < 0.01  # fp16 weights on disk


def test_wider_generator_starts_fresh_with_the_new_width(tmp_path):
    init = str(save_random_model(tmp_path / "init", "tiny"))
    arm = ceiling.make_arm(init, 64, 4, 1e-3, "cpu")
    assert arm.cfg.model.gen_channels == 64
    assert arm.generator.stem[0].out_channels == 64


def test_z_up_data_is_refused(tmp_path):
    path = tmp_path / "z.npz"
    np.savez(path, voxels=np.zeros((2, 8, 8, 8), np.uint8), up="z")
    with pytest.raises(SystemExit, match="expects \\+Y up"):
        ceiling.load_training_grids(path, None)
    np.savez(path, voxels=np.ones((3, 8, 8, 8), np.uint8), up="y")
    assert ceiling.load_training_grids(path, slice(0, 2)).shape == (2, 1, 8, 8, 8)
