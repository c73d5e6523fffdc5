"""The `iggan-assets` commands as Python functions, for build scripts and notebooks.

Each function runs the command in this process, exactly as the CLI does (the same checks, defaults, model
cards and messages), with the options as keyword arguments named as the command's parameters are: `--faces
3000` is `faces=3000`, `--no-preview` is `no_preview=True`, `--collision godot` is `collision="godot"`. The
exporting commands return their manifest (the dict written beside the GLB), `evaluate` its metrics; a bad option value or
input raises CommandError with the message the CLI would print, and a keyword the command does not take raises
TypeError, as calling a Python function with one would.

    from iggan import api
    manifest = api.generate("chairs.glb", n=50, lods=3, collision="godot")
    print(manifest["assets"][0]["name"], manifest["assets"][0]["triangles"])
    api.models()["chairs"]["card"]["metrics"]           # the bundled models' cards, as data
    api.run("usdz", "chairs.glb")                       # any command; returns what it returns
    api.run("blender", "fbx", "chairs.glb", overwrite=True)   # a group's subcommand: its name first

Progress and the summary lines go to stderr, as on the command line. Ctrl-C raises KeyboardInterrupt, as in
any Python call; an export that fails or is interrupted leaves none of its files behind, so the same call can be
retried. A keyword whose option takes an optional value (collision, distinct) is off with False.
"""
from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

import click


class CommandError(Exception):
    """A command refused its options or inputs; the message says what to do, as the CLI's would."""


def command_arguments(command: click.Command, arguments: tuple, options: dict[str, Any]) -> list[str]:
    """The command line that gives `command` these positional arguments and keyword options (None = the
    option's default; False, for an option whose value is optional such as collision, = not given). Raises
    TypeError for a keyword the command does not take, or a value that is not a command-line word (a list where
    one value goes)."""
    params = {p.name: p for p in command.params if isinstance(p, click.Option)}
    for a in arguments:
        _check_word(a, f"{command.name}'s arguments")
    line = [str(a) for a in arguments]
    for key, value in options.items():
        param = params.get(key)
        if param is None:
            raise TypeError(f"{command.name} takes no option {key!r}; it takes: {', '.join(sorted(params))}")
        optional_value = param.flag_value is not None and not param.is_flag  # --collision, --distinct [DIST]
        if value is None or (value is False and optional_value):  # collision=False: off, as not giving it
            continue
        flag = param.opts[0]
        if param.is_bool_flag:
            line += [flag] if value else param.secondary_opts[:1]
        elif value is True and optional_value:
            line.append(flag)
        elif param.multiple:
            for item in [value] if isinstance(value, (str, os.PathLike)) else value:  # models="chairs": one, not six
                line += [flag, *_values(item, param)]
        else:
            line += [flag, *_values(value, param)]
    return line


def _values(value: Any, param: click.Option) -> list[str]:
    """One option's value as command-line words: a tuple for an option of several values (nargs > 1).
    Raises TypeError for a list, array or dict where the option takes one value: its repr is no command-line word."""
    values = list(value) if param.nargs > 1 else [value]
    for v in values:
        _check_word(v, param.name)
    return [str(v) for v in values]


def _check_word(value: Any, name: str) -> None:
    """Raise TypeError unless `value` is a str, path or number (numpy's included): one command-line word."""
    if not isinstance(value, (str, os.PathLike, numbers.Number)):
        raise TypeError(f"{name} takes a str, path or number, not {type(value).__name__}; give it as on the "
                        "command line, e.g. palette='#5c4033 #b98b5a', pick='3,12'")


def run(command_name: str, /, *arguments, **options) -> Any:
    """Run `iggan-assets COMMAND_NAME ARGUMENTS --OPTIONS` in this process and return what the command returns (the
    manifest for generate, variations, interpolate, match and export; the metrics for evaluate). Raises CommandError when the command
    refuses (a bad option, an unreadable input, an output it will not overwrite)."""
    from iggan.cli.main import main

    command = main.get_command(None, command_name)
    if command is None:
        raise TypeError(f"no command {command_name!r}; the commands are: {', '.join(main.list_commands(None))}")
    names = [command_name]
    while isinstance(command, click.Group):  # `blender fbx ...`: the options are the subcommand's
        sub = command.get_command(None, str(arguments[0])) if arguments else None
        if sub is None:
            raise TypeError(f"{' '.join(names)} needs a subcommand first: one of {', '.join(command.list_commands(None))}")
        names.append(str(arguments[0]))
        command, arguments = sub, arguments[1:]
    line = [*names, *command_arguments(command, arguments, options)]
    # make_context + invoke, not main.main: even with standalone_mode=False that turns Ctrl-C into click.Abort
    # (a RuntimeError, so a caller's `except KeyboardInterrupt` missed it) and a broken pipe into SystemExit
    try:
        with main.make_context("iggan-assets", line) as ctx:
            return main.invoke(ctx)
    except click.ClickException as exc:
        raise CommandError(exc.format_message()) from exc


def models() -> dict:
    """What `iggan-assets models --json` prints, as data (nothing printed): {name: {"path": checkpoint stem,
    "card": {...}, "config": {...}}} for each bundled model."""
    from iggan.cli.model_list import bundled_cards

    return bundled_cards()


def evaluate(run_or_model: str | Path, **options) -> dict:
    """`iggan-assets evaluate RUN ...`: {"metrics": {...}, "info": {...}}, what --json prints (the table is
    printed as on the command line)."""
    return run("evaluate", run_or_model, **options)


def generate(out: str | Path, **options) -> dict:
    """`iggan-assets generate --out OUT ...`: sample shapes from a model (the bundled chairs unless
    model=...) and export them; returns the manifest."""
    return run("generate", out=out, **options)


def variations(out: str | Path, **options) -> dict:
    """`iggan-assets variations --out OUT ...`: shapes near one latent; returns the manifest."""
    return run("variations", out=out, **options)


def interpolate(out: str | Path, **options) -> dict:
    """`iggan-assets interpolate --out OUT ...`: shapes morphing from one latent to another; returns the manifest."""
    return run("interpolate", out=out, **options)


def match(photos: list[str | Path] | str | Path, out: str | Path, **options) -> dict:
    """`iggan-assets match PHOTOS --out OUT ...`: the model's shape that looks most like each photo (one path or a
    list of them); returns the manifest."""
    if isinstance(photos, (str, Path)):  # one photo: a string is not a list of one-letter paths
        photos = [photos]
    return run("match", *photos, out=out, **options)


def export(voxels: str | Path, out: str | Path, **options) -> dict:
    """`iggan-assets export VOXELS --out OUT ...`: your own (N, X, Y, Z) grids in an .npz through the same
    pipeline; returns the manifest. (For grids already in memory, iggan.asset_export.export_grids.)"""
    if not isinstance(voxels, (str, os.PathLike)):
        raise TypeError(f"export takes the path of an .npz, not {type(voxels).__name__}; for grids in memory call "
                        "iggan.asset_export.export_grids(grids, out)")
    return run("export", voxels, out=out, **options)
