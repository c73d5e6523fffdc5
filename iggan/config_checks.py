"""Type and range checks for config values read from JSON (a run's config.json, a checkpoint's config).

An edited value that training cannot use (a step count "abc" or 6.5, a log interval 0, an elevation "x")
is refused here, by name, instead of surfacing as a traceback deep in training or as silently lost work.
Types come from the dataclass field annotations; the few ranges that matter are listed below.
"""
from __future__ import annotations

import types
import typing
from typing import Any

# Least value of the counts and every-N intervals that training loops over, divides by or indexes with.
# (Finer rules, such as a power-of-two image size, are checked where the networks are built.)
MINIMUM = {
    "model.voxel_res": 1, "model.z_dim": 1, "model.gen_channels": 1, "model.image_size": 1,
    "model.disc_channels": 1, "model.disc_views": 1, "model.disc_minibatch_std": 0, "model.proxy_channels": 1,
    "model.proxy_pose_size": 0, "model.voxel_channels": 1,
    "train.batch_size": 1, "train.steps": 1, "train.dom_thresholds": 1, "train.proxy_augment": 0,
    "train.proxy_warmup": 0, "train.disc_warmup": 0, "train.coverage_pool": 1, "train.sample_every": 1,
    "train.checkpoint_every": 1, "train.keep_checkpoints": 0, "train.log_every": 1, "train.render_workers": -1,
    "train.collapse_patience": 0, "train.collapse_recoveries": 0,
}
# Greatest voxel_res: a model card claiming more would make tiny weights sample grids of many GB each
# (1024^3 floats are 4 GiB); 256 is four times the paper's 64 on each side.
MAXIMUM = {"model.voxel_res": 256}
CHOICES = {"model.kind": ("voxel", "dcgan2d"), "train.real_renderer": ("reference", "own"),
           "train.framing": ("camera", "object")}


class ConfigValueError(ValueError):
    """A config value has the wrong type or is out of range; the message names it and what it must be."""


def checked_value(value: Any, hint: Any, name: str) -> Any:
    """`value` as a field annotated `hint` holds it (an int for a float field becomes a float, a list for a
    tuple field a tuple). Raises ConfigValueError("train.steps must be an integer >= 1, not 'abc'")."""
    result = _typed(value, hint)
    if result is _WRONG or not _in_range(result, name):
        raise ConfigValueError(f"{name} must be {_describe(hint, name)}, not {value!r}")
    return result


_WRONG = object()  # marks a value of the wrong type (None is a valid value of optional fields)


def _typed(value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # e.g. float | None
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            result = _typed(value, arg)
            if result is not _WRONG:
                return result
        return _WRONG
    if origin is tuple:  # fixed-length tuples of numbers, e.g. an elevation range
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            return _WRONG
        items = tuple(_typed(v, a) for v, a in zip(value, args))
        return _WRONG if any(i is _WRONG for i in items) else items
    if hint is bool:
        return value if isinstance(value, bool) else _WRONG
    if hint is int:  # bool is an int to Python, but true is no step count
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if hint is float:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _WRONG
    if hint is str:
        return value if isinstance(value, str) else _WRONG
    return value  # a type with no rule here: taken as it is


def _in_range(value: Any, name: str) -> bool:
    if name in CHOICES:
        return value in CHOICES[name]
    return (name not in MINIMUM or value >= MINIMUM[name]) and (name not in MAXIMUM or value <= MAXIMUM[name])


def _describe(hint: Any, name: str) -> str:
    """What a field takes, in words: 'an integer >= 1', 'a list of 2 numbers', 'a number or null'."""
    if name in CHOICES:
        return "one of " + ", ".join(repr(c) for c in CHOICES[name])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        words = [_describe(a, name) for a in args if a is not type(None)]
        return " or ".join(words) + (" or null" if type(None) in args else "")
    if origin is tuple:
        return f"a list of {len(args)} " + ("numbers" if all(a is float for a in args) else "values")
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(hint, str(hint))
    if name in MINIMUM and name in MAXIMUM:
        return words + f" from {MINIMUM[name]} to {MAXIMUM[name]}"
    return words + (f" >= {MINIMUM[name]}" if name in MINIMUM else "")
