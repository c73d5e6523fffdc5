"""iggan/sampling.py: loading a generator leaves the caller's torch RNG alone."""
import torch

from iggan import sampling


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
