"""Material names, made from the look they name: the same in every file that has that look, and different wherever
the look differs. Unreal and Unity make one material asset per name in the folder a file is imported into, so two
files that named different looks alike (grey chairs, then red sofas, both `iggan_surface`) made the second import
take or overwrite the first's material; a `--split` file, which holds one asset's colour, named it as the combined
file's first colour.

    surface_name((0.8, 0.8, 0.8, 1.0), 0.8)            # 'iggan_surface_e7e7e7' (the sRGB hex of the colour)
    frame_name(frame_finish("wood", 0.8))              # 'iggan_frame_wood'
"""
from __future__ import annotations

import numpy as np

from .colour_space import linear_to_srgb
from .palettes import FRAME_FINISHES, hex_to_linear

DEFAULT_ROUGHNESS = 0.8  # ExportSettings.roughness: left out of names, so the usual names stay short
PREFIX = "iggan"


def colour_hex(colour) -> str:
    """A linear RGB(A) colour as its sRGB hex, no '#' ('5c4033'): as people pick colours, and a valid name in every
    engine ('#' is not one in Unreal's asset names)."""
    rgb = linear_to_srgb(np.asarray(colour[:3], np.float64))
    return "".join(f"{int(round(float(c) * 255)):02x}" for c in rgb)


def look(colour, roughness: float, metallic: float = 0.0) -> str:
    """The part of a name that tells looks apart: the hex colour, then the roughness and metalness where they are
    not the plain surface's."""
    text = colour_hex(colour)
    if round(float(roughness), 2) != DEFAULT_ROUGHNESS:
        text += f"_r{int(round(float(roughness) * 100)):02d}"
    if float(metallic) > 0.0:
        text += f"_m{int(round(float(metallic) * 100)):02d}"
    return text


def surface_name(colour, roughness: float, owner: str = PREFIX) -> str:
    """The body's material: `<owner>_surface_<look>`; owner is the LOD's node name for a material of its own (its
    occlusion map), else the package's prefix."""
    return f"{owner}_surface_{look(colour, roughness)}"


def frame_name(frame, owner: str = PREFIX) -> str:
    """A frame finish (linear RGBA, roughness, metallic) as `<owner>_frame_<finish>`: a named finish by its name
    (palettes.FRAME_FINISHES: `wood`, `metal`), a painted one by its look (`3b2a1e`)."""
    colour, roughness, metallic = frame[0], float(frame[1]), float(frame[2])
    for name, (hex_colour, rough, metal) in FRAME_FINISHES.items():
        if tuple(map(float, hex_to_linear(hex_colour))) == tuple(map(float, colour)) and (rough, metal) == (
                roughness, metallic):
            return f"{owner}_frame_{name}"
    return f"{owner}_frame_{look(colour, roughness, metallic)}"


def is_frame_material(name: str) -> bool:
    """Whether a material name is a frame's (frame_name), not a body's, even where the asset's own name holds
    '_frame_': what follows the last '_frame_' is a finish, never a surface."""
    head, mark, finish = str(name or "").rpartition("_frame_")
    return bool(mark) and "_surface" not in finish
