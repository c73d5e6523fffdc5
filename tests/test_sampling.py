"""iggan/sampling.py: loading a generator leaves the caller's torch RNG alone; a model file someone else wrote
cannot make the loader allocate more than its weights hold, and a malformed card is refused by name."""
import json

import numpy as np
import pytest
import torch

from iggan import sampling
from iggan.checkpoint import CheckpointError
from iggan.eval.models import EvalError, load_subject
from iggan.sampling import load_model, save_random_model


def test_loading_and_making_models_leave_the_global_rng_as_it_was(tmp_path):
    """Regression: the random init that load_model overwrites drew from the global generator, and
    save_random_model reseeded it, so a pipeline's own torch.manual_seed stream changed with every call."""
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    stem = sampling.save_random_model(tmp_path / "tiny", "tiny", seed=0)
    sampling.load_model(str(stem))
    sampling.load_model("chairs")
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_random_model_depends_on_its_seed_only(tmp_path):
    a = sampling.save_random_model(tmp_path / "a", "tiny", seed=4)
    torch.manual_seed(99)
    b = sampling.save_random_model(tmp_path / "b", "tiny", seed=4)
    assert a.with_suffix(".safetensors").read_bytes() == b.with_suffix(".safetensors").read_bytes()


def _edited(tmp_path, edit):
    stem = save_random_model(tmp_path / "m")
    meta = json.loads(stem.with_suffix(".json").read_text())
    edit(meta)
    stem.with_suffix(".json").write_text(json.dumps(meta))
    return stem


@pytest.mark.parametrize("key", ["gen_channels", "z_dim"])
def test_a_card_claiming_a_huge_network_is_refused_before_allocating(tmp_path, key):
    # 10**7 channels would be a 50 GB stem layer (10**9 z_dim: 200 GB); refused from the weights' shapes
    stem = _edited(tmp_path, lambda m: m["config"]["model"].update({key: 10**7 if key == "gen_channels" else 10**9}))
    with pytest.raises(CheckpointError, match="do not fit the model in its config"):
        load_model(str(stem))
    with pytest.raises(EvalError, match="do not fit the model in its config"):
        load_subject(str(stem))


def test_a_card_claiming_a_huge_grid_is_refused(tmp_path):
    stem = _edited(tmp_path, lambda m: m["config"]["model"].update(voxel_res=1024))
    with pytest.raises(CheckpointError, match="voxel_res must be an integer from 1 to 256, not 1024"):
        load_model(str(stem))


def test_a_grid_too_fine_for_the_channels_is_a_clear_error(tmp_path):
    # 256^3 from 16 channels halves them to 0 on the way (a ZeroDivisionError in GroupNorm before)
    stem = _edited(tmp_path, lambda m: m["config"]["model"].update(voxel_res=256, gen_channels=16))
    with pytest.raises(ValueError, match="gen_channels must be at least"):
        load_model(str(stem))


def test_a_card_that_is_not_an_object_is_refused(tmp_path):
    stem = _edited(tmp_path, lambda m: m.update(card=[1, 2]))
    with pytest.raises(CheckpointError, match='"card" must be a JSON object'):
        load_model(str(stem))
    with pytest.raises(EvalError, match='"card" must be a JSON object'):
        load_subject(str(stem))


def test_latents_from_a_start_index_equal_the_same_rows_of_a_longer_draw():
    """A resample or a --pick of latent i draws that latent alone (start=i), not the i before it too."""
    from iggan.sampling import latents

    whole = latents(5, 40, 16)
    assert np.array_equal(latents(5, 1, 16, start=37)[0], whole[37])
    assert np.array_equal(latents(5, 3, 16, start=10), whole[10:13])


def test_a_training_checkpoint_without_a_card_name_is_named_after_its_run_and_step(tmp_path):
    from iggan.blender_addon.numpy_generator import load_generator, unnamed_model_label
    from iggan.config import preset
    from iggan.models.generator import VoxelGenerator

    cfg = preset("tiny")
    stem = tmp_path / "chairs128" / "checkpoints" / "ckpt_00000150"
    stem.parent.mkdir(parents=True)
    sampling.save_generator(stem, VoxelGenerator(cfg.model), cfg, {})  # training checkpoints carry no card name
    assert load_model(str(tmp_path / "chairs128")).name == "chairs128_step150"  # the run folder: its newest
    assert load_model(str(stem)).name == "chairs128_step150"
    assert load_generator(stem).name == "chairs128_step150"  # the Blender panel names it alike
    # anything else keeps its file's stem
    assert unnamed_model_label(tmp_path / "g") == "g"
    assert unnamed_model_label(tmp_path / "checkpoints" / "ckpt_final") == "ckpt_final"
    assert unnamed_model_label(tmp_path / "elsewhere" / "ckpt_00000007") == "ckpt_00000007"
