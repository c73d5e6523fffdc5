"""--color and --palette: colours as people write them (hex, sRGB as colour pickers give it) or as glTF stores
them (linear floats), turned into the linear RGBA that ExportSettings takes."""
from __future__ import annotations

import re

import click

from iggan.asset_export.colour_space import srgb_to_linear

# --palette furniture: woods, paints and fabrics that furniture comes in (sRGB hex)
PALETTES = {
    "furniture": ("#5c4033", "#b98b5a", "#d9b98c", "#eeeae4", "#333333", "#8a8d91", "#2c3e5c", "#3e5c45",
                  "#a0522d", "#c9a227"),
}
HEX = re.compile(r"#?([0-9a-fA-F]{6}([0-9a-fA-F]{2})?)")


def hex_to_linear(text: str) -> tuple[float, float, float, float] | None:
    """'#c8b090' or '#c8b090ff' (sRGB) -> linear RGBA, or None if `text` is no hex colour."""
    match = HEX.fullmatch(text.strip())
    if match is None:
        return None
    digits = match.group(1)
    rgba = [int(digits[i:i + 2], 16) / 255.0 for i in range(0, len(digits), 2)]
    rgba[:3] = (float(c) for c in srgb_to_linear(rgba[:3]))
    return tuple(rgba) if len(rgba) == 4 else (*rgba, 1.0)


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
    colours = PALETTES.get(value.strip().lower()) or [c for c in re.split(r"[\s,;]+", value.strip()) if c]
    parsed = [hex_to_linear(c) for c in colours]
    if not parsed or None in parsed:
        bad = next((c for c, p in zip(colours, parsed) if p is None), value)
        raise click.BadParameter(f"{bad!r} is not a hex colour; give hex colours like '#8b5a2b #c8b090' or a "
                                 f"palette's name ({', '.join(PALETTES)})")
    return tuple(parsed)
