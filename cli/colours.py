"""--color and --palette: colours as people write them (hex, sRGB as colour pickers give it) or as glTF stores
them (linear floats), turned into the linear RGBA that ExportSettings takes."""
from __future__ import annotations

import click

from iggan.asset_export.palettes import hex_to_linear, palette_colours


def parse_color(ctx, param, value):
    """click callback for --color: '#c8b090' (sRGB) or '0.8,0.7,0.5[,1]' (linear, as glTF stores
    baseColorFactor) -> linear RGBA floats."""
    if value is None:
        return None
    rgba = hex_to_linear(value)
    if rgba is not None:
        return rgba
    try:
        floats = [float(x) for x in value.strip().split(",")]
        if len(floats) not in (3, 4) or not all(0.0 <= c <= 1.0 for c in floats):
            raise ValueError
    except ValueError:
        raise click.BadParameter("expected a hex colour like '#c8b090' or 3-4 numbers in [0, 1] like '0.8,0.7,0.5'")
    return tuple(floats) if len(floats) == 4 else (*floats, 1.0)


def parse_palette(ctx, param, value):
    """click callback for --palette: a palette's name (PALETTES) or hex colours separated by spaces, commas or
    semicolons -> a tuple of linear RGBA colours."""
    if value is None:
        return None
    try:
        return palette_colours(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
