"""Config from JSON: unknown keys, value types and ranges are checked with the key's name."""
import json

import pytest

from iggan.checkpoint import CheckpointError, config_from_meta
from iggan.config import Config, preset


def _edited(section, key, value):
    data = preset("tiny").to_dict()
    data[section][key] = value
    return data


@pytest.mark.parametrize("section, key, value, said", [
    ("train", "steps", "abc", "train.steps must be an integer >= 1, not 'abc'"),
    ("train", "steps", 6.5, "train.steps must be an integer >= 1, not 6.5"),  # would train to 7, save nothing
    ("train", "steps", True, "train.steps must be an integer >= 1, not True"),
    ("train", "log_every", 0, "train.log_every must be an integer >= 1, not 0"),
    ("train", "batch_size", 0, "train.batch_size must be an integer >= 1, not 0"),
    ("train", "checkpoint_every", -5, "train.checkpoint_every must be an integer >= 1"),
    ("train", "use_dom", 1, "train.use_dom must be true or false, not 1"),
    ("train", "lr_g", "fast", "train.lr_g must be a number, not 'fast'"),
    ("train", "fixed_threshold", "half", "train.fixed_threshold must be a number or null, not 'half'"),
    ("train", "renderer", 3, "train.renderer must be a string, not 3"),
    ("views", "elevation", "x", "views.elevation must be a list of 2 numbers, not 'x'"),
    ("views", "azimuth", [0, 90, 180], "views.azimuth must be a list of 2 numbers"),
    ("views", "azimuth", [0, "a"], "views.azimuth must be a list of 2 numbers"),
    ("model", "voxel_res", "16", "model.voxel_res must be an integer from 1 to 256, not '16'"),
    ("model", "voxel_res", 1024, "model.voxel_res must be an integer from 1 to 256, not 1024"),  # 4 GiB a grid
    ("model", "kind", "voxels", "model.kind must be one of 'voxel', 'dcgan2d', not 'voxels'"),
    ("train", "framing", "photos", "train.framing must be one of 'camera', 'object', not 'photos'"),
    ("train", "unify_intensity", "yes", "train.unify_intensity must be true or false, not 'yes'"),
])
def test_a_value_of_the_wrong_type_or_range_is_refused_by_name(section, key, value, said):
    with pytest.raises(ValueError) as exc:
        Config.from_dict(_edited(section, key, value))
    assert said in str(exc.value)


def test_json_values_become_the_fields_types():
    data = _edited("views", "elevation", [0, 45])
    data["train"].update(dom_weight=100, fixed_threshold=0.5, render_workers=-1)
    cfg = Config.from_dict(json.loads(json.dumps(data)))
    assert cfg.views.elevation == (0.0, 45.0) and isinstance(cfg.views.elevation[0], float)
    assert cfg.train.dom_weight == 100.0 and isinstance(cfg.train.dom_weight, float)
    assert cfg.train.fixed_threshold == 0.5 and cfg.train.render_workers == -1
    assert Config.from_dict(_edited("train", "fixed_threshold", None)).train.fixed_threshold is None
    for name in ("tiny", "fast", "paper"):  # every preset goes through JSON unchanged
        assert Config.from_dict(json.loads(json.dumps(preset(name).to_dict()))) == preset(name)


def test_unknown_keys_and_non_mappings_are_refused():
    with pytest.raises(ValueError, match=r"unknown keys \['stepz'\] in train; valid keys are"):
        Config.from_dict({"train": {"stepz": 5}})
    with pytest.raises(ValueError, match="train must be a mapping"):
        Config.from_dict({"train": 3})


def test_a_checkpoints_config_error_names_its_json_file(tmp_path):
    stem = tmp_path / "checkpoints" / "ckpt_00000010"
    with pytest.raises(CheckpointError) as exc:
        config_from_meta({"config": _edited("train", "log_every", 0)}, stem)
    assert str(exc.value) == f"{stem}.json: train.log_every must be an integer >= 1, not 0"
    with pytest.raises(CheckpointError, match="holds no config"):
        config_from_meta({"kind": "train"}, stem)
