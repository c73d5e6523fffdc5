"""`iggan-assets`: the command-line entry point. Subcommands live in their own modules and are
imported only when used, so `iggan-assets --help` stays fast."""
from __future__ import annotations

import errno
import importlib

import click

# command name -> (module under iggan.cli, attribute)
COMMANDS = {
    "train": ("train", "train"),
    "pretrain-renderer": ("pretrain_renderer", "pretrain_renderer"),
    "demo": ("demo", "demo"),
    "render-dataset": ("datasets", "render_dataset"),
    "voxelize": ("datasets", "voxelize"),
    "generate": ("generate", "generate"),
    "export": ("export_grids", "export"),
    "variations": ("latent_commands", "variations"),
    "interpolate": ("latent_commands", "interpolate"),
    "models": ("model_list", "models"),
    "match": ("match", "match"),
    "evaluate": ("evaluate", "evaluate"),
    "blender": ("blender", "blender"),
    "usdz": ("usdz", "usdz"),
}


# A write that fails for want of room or rights (a full disk mid-training, say) ends the command with a message
# rather than a traceback; atomic writes have left every file already written as it was.
WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class LazyGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno not in WRITE_FAILURES:
                raise
            where = f" {exc.filename}" if exc.filename else ""
            raise click.ClickException(
                f"could not write{where}: {exc.strerror or exc}. Free disk space or choose a writable --out; files "
                "written before are kept whole (`train --resume` continues a run from its newest checkpoint)"
            ) from exc

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(f"iggan.cli.{module}"), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="iggan-assets")
def main():
    """IG-GAN: learn 3D shapes from 2D images and export game-ready glTF assets."""


if __name__ == "__main__":
    main()
