"""benchmarks/voxel_gan_ceiling.py: the 3D-supervised diagnostic trains, saves, resumes and writes
generators that the product's loader reads."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from iggan.eval.models import load_grids
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


def test_a_resize_generator_starts_fresh_and_its_file_loads_as_one(tmp_path):
    init = str(save_random_model(tmp_path / "init", "tiny"))
    arm = ceiling.make_arm(init, None, 4, 1e-3, "cpu", gen_upsample="resize")
    assert arm.cfg.model.gen_upsample == "resize"
    assert any(isinstance(m, torch.nn.Upsample) for m in arm.generator.modules())
    (tmp_path / "out").mkdir()
    ceiling.save_state(arm, tmp_path / "out")
    loaded = load_model(str(tmp_path / "out" / "g_00000000"))
    assert loaded.config.model.gen_upsample == "resize"
    with pytest.raises(SystemExit, match="--gen-upsample"):
        ceiling.make_arm(init, None, 4, 1e-3, "cpu", warm=True, gen_upsample="resize")


def test_warm_start_takes_the_init_weights_and_keeps_its_width(tmp_path):
    init = str(save_random_model(tmp_path / "init", "tiny", seed=4))
    arm = ceiling.make_arm(init, None, 4, 1e-3, "cpu", warm=True)
    source = load_model(init).generator.state_dict()
    for module in (arm.generator, arm.ema):
        assert all(torch.equal(v, source[k]) for k, v in module.state_dict().items())
    assert all(p.requires_grad for p in arm.generator.parameters())
    with pytest.raises(SystemExit, match="drop --gen-channels"):
        ceiling.make_arm(init, 64, 4, 1e-3, "cpu", warm=True)


def test_training_grids_are_turned_y_up_by_their_up_entry_and_bad_files_are_clear_errors(tmp_path):
    grid = np.zeros((1, 8, 8, 8), np.uint8)
    grid[0, 2, 3, 7] = 1  # a voxel high on z
    path = tmp_path / "z.npz"
    np.savez(path, voxels=grid, up="z")
    turned = ceiling.load_training_grids(path, None)
    assert turned.shape == (1, 1, 8, 8, 8)
    assert np.array_equal(turned[0, 0].numpy() > 0.5, load_grids(path, None, "z")[0])  # as train / evaluate
    assert turned[0, 0].nonzero().tolist() == [[2, 7, 4]]  # old +Z is now +Y (old y 3 -> z 8 - 1 - 3)
    np.savez(path, voxels=np.ones((3, 8, 8, 8), np.uint8), up="y")
    assert ceiling.load_training_grids(path, slice(0, 2)).shape == (2, 1, 8, 8, 8)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(SystemExit, match="voxelize"):
        ceiling.load_training_grids(tmp_path / "bad.npz", None)
    np.savez(tmp_path / "other.npz", images=np.zeros(3), up="y")
    with pytest.raises(SystemExit, match="no array 'voxels'"):
        ceiling.load_training_grids(tmp_path / "other.npz", None)
