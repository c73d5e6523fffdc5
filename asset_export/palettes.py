"""Colour palettes as people write them: a palette's name or hex colours (sRGB, as colour pickers give them),
turned into the linear RGBA that ExportSettings.palette takes. Shared by `--palette` and the Blender panel."""
from __future__ import annotations

import re

from .colour_space import srgb_to_linear

# 'furniture': woods, paints and fabrics that furniture comes in (sRGB hex)
PALETTES = {
    "furniture": ("#5c4033", "#b98b5a", "#d9b98c", "#eeeae4", "#333333", "#8a8d91", "#2c3e5c", "#3e5c45",
                  "#a0522d", "#c9a227"),
}
HEX = re.compile(r"#?([0-9a-fA-F]{6}([0-9a-fA-F]{2})?)")


def _words(text: str) -> list[str]:
    """A list as people type one: words separated by spaces, commas or semicolons."""
    return [w for w in re.split(r"[\s,;]+", text.strip()) if w]


def hex_to_linear(text: str) -> tuple[float, float, float, float] | None:
    """'#c8b090' or '#c8b090ff' (sRGB) -> linear RGBA, or None if `text` is no hex colour."""
    match = HEX.fullmatch(text.strip())
    if match is None:
        return None
    digits = match.group(1)
    rgba = [int(digits[i:i + 2], 16) / 255.0 for i in range(0, len(digits), 2)]
    rgba[:3] = (float(c) for c in srgb_to_linear(rgba[:3]))
    return tuple(rgba) if len(rgba) == 4 else (*rgba, 1.0)


def palette_colours(text: str) -> tuple[tuple[float, float, float, float], ...]:
    """A palette's name (PALETTES) or hex colours separated by spaces, commas or semicolons -> linear RGBA
    colours. Raises ValueError naming the first word that is not a colour."""
    colours = PALETTES.get(text.strip().lower()) or _words(text)
    parsed = [hex_to_linear(c) for c in colours]
    if not parsed or None in parsed:
        bad = next((c for c, p in zip(colours, parsed) if p is None), text)
        raise ValueError(f"{bad!r} is not a hex colour; give hex colours like '#8b5a2b #c8b090' or a "
                         f"palette's name ({', '.join(PALETTES)})")
    return tuple(parsed)


# --frame's named finishes: (sRGB hex, roughness, metallic). Wood and paint are dielectric (metallic 0); a metal
# frame is a conductor with a brushed sheen, as chair legs and office chair bases are.
FRAME_FINISHES = {
    "wood": ("#5c4033", 0.6, 0.0),
    "oak": ("#b98b5a", 0.6, 0.0),
    "black": ("#262626", 0.5, 0.0),
    "white": ("#eeeae4", 0.5, 0.0),
    "metal": ("#a8abb0", 0.35, 1.0),
    "brass": ("#c9a227", 0.35, 1.0),
}


def frame_finish(text: str, roughness: float) -> tuple[tuple[float, float, float, float], float, float]:
    """--frame's value: a finish's name (FRAME_FINISHES) or a hex colour (painted: metallic 0, the file's
    `roughness`) -> (linear RGBA, roughness, metallic). Raises ValueError saying what it takes."""
    name = text.strip().lower()
    if name in FRAME_FINISHES:
        hex_colour, rough, metallic = FRAME_FINISHES[name]
        return hex_to_linear(hex_colour), rough, metallic
    colour = hex_to_linear(text)
    if colour is None:
        raise ValueError(f"{text!r} is not a frame finish; give one of {', '.join(FRAME_FINISHES)} or a hex "
                         "colour like '#3b2a1e'")
    return colour, float(roughness), 0.0


def frame_finishes(text: str, roughness: float) -> list[tuple[str, tuple | None]]:
    """--frame's value: one finish or several separated by spaces, commas or semicolons ('wood metal'), dealt to
    the assets in order as --palette deals colours -> [(the finish as written, (linear RGBA, roughness, metallic))];
    `none` gives its asset no frame material (None), as the Blender extension exports assets made without one.
    Raises ValueError naming the first that is not a finish."""
    words = _words(text)
    if not words:
        raise ValueError("give a frame finish: " + ", ".join(FRAME_FINISHES) + " or a hex colour like '#3b2a1e'")
    return [(w.lower(), None if w.lower() == "none" else frame_finish(w, roughness)) for w in words]
