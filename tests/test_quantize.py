"""Int8 storage of shipped generators (iggan.quantize) and its loaders (torch and the add-on's numpy)."""
import numpy as np
import torch

from iggan import checkpoint as ckpt
from iggan.blender_addon.numpy_generator import load_generator
from iggan.config import preset
from iggan.models.generator import VoxelGenerator
from iggan.quantize import SCALE_SUFFIX, dequantize, quantize_int8
from iggan.sampling import latents, load_model, sample_voxels, save_generator


def test_round_trip_error_is_at_most_half_a_step_per_channel():
    torch.manual_seed(0)
    w = torch.randn(6, 5, 3, 3, 3) * torch.linspace(0.01, 3.0, 5)[None, :, None, None, None]  # channels of any scale
    bias = torch.randn(5)
    q = quantize_int8({"w": w, "b": bias})
    assert q["w"].dtype == torch.int8 and q["w"].shape == w.shape
    assert q["w" + SCALE_SUFFIX].shape == (1, 5, 1, 1, 1)
    assert torch.equal(q["b"], bias) and "b" + SCALE_SUFFIX not in q
    back = dequantize(q)
    assert set(back) == {"w", "b"} and back["w"].dtype == torch.float32
    step = q["w" + SCALE_SUFFIX]
    assert ((back["w"] - w).abs() <= step / 2 + 1e-7).all()
    assert (q["w"].abs().amax(dim=(0, 2, 3, 4)) == 127).all()  # each channel uses the full int8 range


def test_int8_bundle_is_half_the_size_and_samples_alike(tmp_path):
    cfg = preset("tiny")
    torch.manual_seed(1)
    gen = VoxelGenerator(cfg.model).eval()
    save_generator(tmp_path / "half", gen, cfg, {"name": "half"}, half=True)
    save_generator(tmp_path / "q", gen, cfg, {"name": "q"}, int8=True)
    size = {s: (tmp_path / f"{s}.safetensors").stat().st_size for s in ("half", "q")}
    assert size["q"] < 0.6 * size["half"]
    tensors, meta = ckpt.load_pair(tmp_path / "q")
    assert "int8" in meta["weights"]
    assert all(t.is_floating_point() for t in tensors.values()) and not any(k.endswith(SCALE_SUFFIX) for k in tensors)
    z = latents(0, 8, cfg.model.z_dim)
    full = sample_voxels(load_model(tmp_path / "half"), z)
    small = sample_voxels(load_model(tmp_path / "q"), z)
    assert np.abs(full - small).max() < 0.05
    assert not np.array_equal(full, small)  # it really is a different (rounded) set of weights
    # the Blender add-on's numpy loader reads the same file to the same occupancies
    assert np.abs(load_generator(tmp_path / "q")(z) - small).max() < 1e-4


def test_damaged_int8_files_are_clear_errors(tmp_path):
    import pytest
    from safetensors.torch import load_file, save_file

    from iggan.blender_addon.numpy_generator import ModelError

    cfg = preset("tiny")
    save_generator(tmp_path / "q", VoxelGenerator(cfg.model), cfg, {"name": "q"}, int8=True)
    tensors = load_file(str(tmp_path / "q.safetensors"))
    scale_key = next(k for k in tensors if k.endswith(SCALE_SUFFIX))
    meta = (tmp_path / "q.json").read_text()
    for name, broken in (("no_scale", {k: v for k, v in tensors.items() if k != scale_key}),
                         ("no_weight", {k: v for k, v in tensors.items() if k != scale_key[:-len(SCALE_SUFFIX)]})):
        save_file(broken, str(tmp_path / f"{name}.safetensors"))
        (tmp_path / f"{name}.json").write_text(meta)
        with pytest.raises(ckpt.CheckpointError, match="damaged"):
            ckpt.load_pair(tmp_path / name)
    for name in ("no_scale", "no_weight"):
        with pytest.raises(ModelError, match="damaged"):
            load_generator(tmp_path / name)
    intact, _ = ckpt.load_pair(tmp_path / "q")  # the undamaged file still loads, as floats
    assert all(t.is_floating_point() for t in intact.values())
