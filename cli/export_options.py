"""The export options every exporting command shares (`generate`, `export`, `variations`, `interpolate`,
`match`), the ExportSettings they make, the checked output paths, and the export defaults a model card carries."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import click

from iggan.asset_export import ExportError, ExportSettings, plan_outputs
from iggan.asset_export.layout import LAYOUTS
from iggan.asset_export.orient import SIZE_BY_CHOICES
from iggan.asset_export.settings import MAX_SIZE_M, MIN_SIZE_M
from iggan.asset_export.symmetry import MIRROR_CHOICES
from iggan.asset_formats import FORMATS, FormatError, check_format_contents, format_for, require_converter

from .colours import parse_color, parse_palette

DEFAULT_SIZE_M = 1.0


def _quarter_turn(ctx, param, value):
    if value is not None and value % 90:
        raise click.BadParameter(f"{value} is not a multiple of 90 degrees (0, 90, 180, -90)")
    return value


def export_options(f):
    """Options every exporting command shares (the asset_export.ExportSettings fields)."""
    opts = [
        click.option("--out", "out", required=True, type=click.Path(dir_okay=True, path_type=Path),
                     help="Output .glb, .gltf (+ .bin), .usdz, .fbx or .obj (+ .mtl) (or a folder with --split). A "
                     ".manifest.json and .preview.png go beside it."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="Asset file format. Default: --out's suffix, or glb for a --split folder. gltf: "
                     "the GLB as JSON .gltf + .bin (for version control and JSON tools). usdz "
                     "(AR Quick Look, Omniverse; as `iggan-assets usdz`) needs usd-core; fbx (Unity, Unreal: "
                     "LODs as an FBX LOD group; as `iggan-assets blender fbx`, no AO map) needs Blender; obj "
                     "(sculpting and paint tools) holds LOD0 and colours only."),
        click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
                     help="Occupancy >= threshold is solid (default 0.5, or the model's)."),
        click.option("--faces", type=click.IntRange(min=12), default=5000, show_default=True,
                     help="Triangle budget of LOD0."),
        click.option("--lods", type=click.IntRange(1, 6), default=1, show_default=True,
                     help="Number of LODs (each half the triangles of the one before), as <name>_LOD<k> nodes."),
        click.option("--collision", type=click.Choice(["godot", "unreal"]), is_flag=False, flag_value="godot",
                     default=None, help="Add a convex collision hull: 'godot' (-convcolonly, the default "
                     "when given alone) or 'unreal' (UCX_)."),
        click.option("--collision-hulls", type=click.IntRange(1, 32), default=1, show_default=True,
                     help="With --collision: 1 is one convex hull around the whole shape; more splits it into "
                     "up to this many convex hulls (V-HACD), so the space between a chair's legs stays free "
                     "(about 0.4-0.5 s a shape on a quiet 2-core CPU)."),
        click.option("--size", "size_m", type=click.FloatRange(MIN_SIZE_M, MAX_SIZE_M), default=None,
                     help="Size of each asset in metres, measured as --size-by says (default: the model's, "
                     "e.g. 0.86 m tall chairs and 0.84 m tall sofas; else a largest extent of 1.0); "
                     f"{MIN_SIZE_M:g} to {MAX_SIZE_M:g}."),
        click.option("--size-by", "size_by", type=click.Choice(SIZE_BY_CHOICES), default=None,
                     help="What --size measures: the largest bounding-box extent, or the height. Default: the "
                     "model's (height for the bundled chairs and sofas, so a long sofa comes out longer than a "
                     "loveseat, as real ones do), else largest."),
        click.option("--yaw", "yaw", type=int, callback=_quarter_turn, default=None, metavar="DEG",
                     help="Turn each shape about +Y by DEG degrees (a multiple of 90; +90 takes +Z to +X), so its front "
                     "faces +Z, glTF's forward. Default: the model's (-90 for the bundled sofas, whose generator "
                     "faces them along +X; 0 for the chairs)."),
        click.option("--smooth", "smooth_iterations", type=click.IntRange(0, 1000), default=50, show_default=True,
                     help="Fairing passes that take the voxel stair steps off slanted faces, each vertex kept within "
                     "a quarter voxel of the voxels' surface (0 = stair-stepped)."),
        click.option("--keep-bodies", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
                     help="Keep bodies with at least this fraction of the largest one's volume (1 = largest only)."),
        click.option("--max-tilt", "max_tilt", type=click.FloatRange(0, 180), default=None, metavar="DEG",
                     help="Refuse a shape that, stood on a floor, would topple more than DEG degrees "
                     "(generate and variations resample it). Default: the model's (10 for the bundled "
                     "chairs and sofas, which keeps those that rock on an uneven foot); export: no check."),
        click.option("--min-height-ratio", "min_height_ratio", type=click.FloatRange(0, 10), default=None,
                     metavar="RATIO", help="Refuse a shape less than RATIO times as tall as it is wide (a flat "
                     "slab rather than a whole object; generate and variations resample it). Default: the "
                     "model's (0.35 for the bundled chairs, whose flattest training chair is 0.44); export: "
                     "no check."),
        click.option("--max-loose", "max_loose", type=click.FloatRange(0, 1), default=None, metavar="FRACTION",
                     help="Refuse a shape whose parts cut off from its main body hold more than FRACTION of its "
                     "voxels (an office chair whose base broke off; generate and variations resample it). Parts "
                     "only a one-voxel gap from the body, which the generator nearly filled, are joined back "
                     "first; smaller parts are dropped. Default: the model's (0.05 for the bundled chairs and "
                     "sofas); export: no check."),
        click.option("--level-base", "level_base", type=click.FloatRange(0, 0.25), default=None, metavar="FRACTION",
                     help="A shape that rocks when stood on a floor (a drip or rounded belly under it, uneven "
                     "legs) loses its lowest voxel layers, as few as it takes to rest within 1 degree and at most "
                     "this fraction of its largest extent. Default: the model's (0.1 for the bundled chairs and "
                     "sofas); export and interpolate: 0, off."),
        click.option("--mirror", type=click.Choice(MIRROR_CHOICES), default=None,
                     help="Make each shape mirror-symmetric about the X or Z axis (+Y up), or 'auto' (whichever "
                     "it is more symmetric about). Parts with no counterpart go, e.g. an odd leg. Off by "
                     "default: one-sided designs such as L-shaped sofas would lose a part."),
        click.option("--color", "base_color", callback=parse_color, default=None,
                     help="Base colour, '#c8b090' or '0.8,0.7,0.5' (default light grey)."),
        click.option("--palette", callback=parse_palette, default=None, metavar="COLOURS",
                     help="A base colour per asset, dealt in order from hex colours ('#5c4033 #b98b5a #2c3e5c') or "
                     "a named palette ('furniture': woods, paints and fabrics), one material per colour; the "
                     "manifest records each asset's colour and the preview sheet shows it. Instead of --color."),
        click.option("--frame", default=None, metavar="FINISH",
                     help="Give each asset's frame (legs, stretchers, an office chair's base, a sofa's feet) a "
                     "material of its own: wood, oak, black, white, metal (metallic), brass (metallic) or a hex "
                     "colour, or several dealt in order ('wood metal'; none: no frame for that asset); seats, "
                     "backs and cushions keep --color / --palette. Every format carries it (a second material on "
                     "the same mesh)."),
        click.option("--seats", is_flag=True,
                     help="Add an empty node at each sitting place on each asset's seat (<name>_seat, or "
                     "<name>_seat0, _seat1, ... along a sofa, one per 0.55 m), its +Z facing forward, away from "
                     "the back: where a game sits a character. The manifest lists them. Not in .obj."),
        click.option("--variants", is_flag=True,
                     help="With --palette: every asset also carries all the palette's colours as material variants "
                     "(KHR_materials_variants), named by their hex colour, its dealt colour the default. "
                     "<model-viewer>, Babylon.js and Blender switch between them (tested). .glb and .gltf only."),
        click.option("--uv", is_flag=True,
                     help="Add a UV atlas (TEXCOORD_0, non-overlapping charts) to every LOD, for lightmaps and "
                     "texture painting or baking. Off by default: about 0.3 s per 5,000-triangle mesh."),
        click.option("--ao", is_flag=True,
                     help="Bake ambient occlusion into a 256x256 occlusion map per asset (halved per LOD) over "
                     "the UV atlas (implies --uv): creases, the underside of a seat and the space between "
                     "legs darken in engines. About 1 s per asset."),
        click.option("--compress", type=click.Choice(["draco"]), default=None,
                     help="Compress the meshes with Draco (KHR_draco_mesh_compression): about 8 times smaller "
                     ".glb/.gltf files for the web. three.js (with DRACOLoader), <model-viewer>, Babylon.js, Blender "
                     "and assimp read them (tested; Unity's glTFast documents support, not tested); Godot 3 does "
                     "not (tested), so give Godot plain files. Off by default."),
        click.option("--thumbnails", type=click.IntRange(16, 2048), default=None, metavar="PX",
                     help="Also write each asset's picture as a PX-pixel PNG with a transparent background (icons "
                     "for a game's build menu or an asset browser), tinted like the preview sheet, in "
                     "<out>_thumbnails/ (a --split folder: its thumbnails/); the manifest names each one."),
        click.option("--split", is_flag=True, help="One file per asset in the folder --out."),
        click.option("--layout", type=click.Choice(LAYOUTS), default="grid", show_default=True,
                     help="Place assets on a grid in the XZ plane, or all at the origin."),
        click.option("--overwrite", is_flag=True, help="Replace existing output files."),
        click.option("--no-preview", is_flag=True, help="Skip the preview PNG sheet."),
        click.option("--preview-sides", type=click.IntRange(1, 8), default=2, show_default=True,
                     help="Views of each asset in the preview sheet, evenly around it (2: front and back "
                     "three-quarter views, so every side shows once)."),
        click.option("--timings", is_flag=True, help="Print seconds per stage to stderr."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def card_fields(defaults: dict, opts: dict | None = None) -> dict:
    """The ExportSettings fields a model card sets (model_defaults), each taken from its export option in `opts`
    (by parameter name; None = not given) when given: threshold, the checks, levelling and size."""
    opts = opts or {}

    def pick(option: str, card_key: str, fallback=None):
        given = opts.get(option)
        return given if given is not None else defaults.get(card_key, fallback)

    return dict(threshold=pick("threshold", "threshold", 0.5), max_tilt_deg=pick("max_tilt", "max_tilt_deg"),
                min_height_ratio=pick("min_height_ratio", "min_height_ratio"),
                max_loose_share=pick("max_loose", "max_loose_share"),
                level_base=pick("level_base", "level_base", 0.0), size_m=pick("size_m", "size_m", DEFAULT_SIZE_M),
                size_by=pick("size_by", "size_by", "largest"), yaw_deg=int(pick("yaw", "yaw_deg", 0)))


def export_settings(defaults: dict, opts: dict) -> ExportSettings:
    """ExportSettings from the export options' values (`opts`, by parameter name; None = not given)
    and a model card's defaults (model_defaults; {} for `export`)."""
    kw = dict(**card_fields(defaults, opts),
              faces=opts["faces"], lods=opts["lods"], collision=opts["collision"],
              collision_hulls=opts["collision_hulls"], smooth_iterations=opts["smooth_iterations"],
              keep_bodies=opts["keep_bodies"], mirror=opts["mirror"], uv=opts["uv"], ao=opts["ao"],
              compress=opts.get("compress"), thumbnail_size=opts.get("thumbnails") or 0,
              variants=bool(opts.get("variants")), frame=opts.get("frame"), seats=bool(opts.get("seats")))
    if opts.get("base_color") is not None:
        kw["base_color"] = opts["base_color"]
    if opts.get("palette") is not None:
        if opts.get("base_color") is not None:
            raise click.UsageError("--palette deals a colour to each asset; drop --color, or give it alone")
        kw["palette"] = opts["palette"]
    try:
        return ExportSettings(**kw)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def sheet_sides(no_preview: bool, preview_sides: int) -> int:
    """Views per asset in the preview sheet; 0 = no sheet."""
    return 0 if no_preview else preview_sides


def checked_outputs(out: Path, split: bool, overwrite: bool, preview: int, fmt: str | None, opts: dict):
    """The checked output paths, before any slow work; fmt: --format (None: from --out); opts: the export
    options by parameter name (compress, variants, lods, collision, ao, texture), checked against the format."""
    try:
        fmt = format_for(out, split, fmt)
        check_format_contents(fmt, opts)
        require_converter(fmt)
        return plan_outputs(out, split, overwrite, preview, suffix="." + fmt)
    except FormatError as exc:
        raise click.UsageError(str(exc)) from exc
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from exc


def safe_name(text: str) -> str:
    """Node names: letters, digits, '_' and '-' only (engines turn other characters into '_')."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "asset"


# A card's numeric export defaults and the range each must fall in to be used: (low, high, whether the ends are allowed)
CARD_RANGES = {"threshold": (0, 1, False), "max_tilt_deg": (0, 180, True), "min_height_ratio": (0, 10, True),
               "max_loose_share": (0, 1, True), "level_base": (0, 0.25, True),
               "distinct_distance": (0, float("inf"), False)}


def model_defaults(model) -> dict:
    """Export defaults a model's card may carry: {"export": {"size_m": 0.86, "size_by": "height", "name": "chairs",
    "threshold": 0.5, "max_tilt_deg": 10, "min_height_ratio": 0.35, "max_loose_share": 0.05, "level_base": 0.1,
    "distinct_distance": 0.0045, "yaw_deg": -90}}. Anything missing falls back to the CLI defaults."""
    card = getattr(model, "card", None) or {}
    export = card.get("export", {}) if isinstance(card, dict) else {}
    out = {"name": safe_name(export.get("name") or getattr(model, "name", "model"))}
    size = export.get("size_m")
    if isinstance(size, (int, float)) and size > 0:
        out["size_m"] = float(size)
        if export.get("size_by") in SIZE_BY_CHOICES:  # what the card's size measures
            out["size_by"] = export["size_by"]
    for key, (low, high, ends_allowed) in CARD_RANGES.items():
        value = export.get(key)
        if isinstance(value, (int, float)) and (low <= value <= high if ends_allowed else low < value < high):
            out[key] = float(value)
    yaw = export.get("yaw_deg")
    if isinstance(yaw, int) and not isinstance(yaw, bool) and yaw % 90 == 0:
        out["yaw_deg"] = yaw
    return out


def describe_export_defaults(export: dict) -> str:
    """A model card's export entry in words: what `generate` does with the model unless told otherwise."""
    d = model_defaults(SimpleNamespace(card={"export": export}, name="model"))
    size = d.get("size_m", DEFAULT_SIZE_M)
    parts = [f"assets named {d['name']}_<i>",
             f"{size:g} m tall" if d.get("size_by") == "height" else f"{size:g} m at their largest",
             f"threshold {d.get('threshold', 0.5):g}"]
    refused = ([f"topples over {d['max_tilt_deg']:g} degrees"] if "max_tilt_deg" in d else []) + \
        ([f"is less than {d['min_height_ratio']:g} times as tall as wide"] if "min_height_ratio" in d else []) + \
        ([f"has more than {d['max_loose_share']:.0%} of its voxels in parts cut off from its body"]
         if "max_loose_share" in d else [])
    if refused:
        parts.append("resample a shape that " + ", or ".join(refused))
    if d.get("level_base"):
        parts.append(f"level a rocking base by up to {d['level_base']:g} of its size")
    if "distinct_distance" in d:
        parts.append(f"--distinct distance {d['distinct_distance']:g}")
    if d.get("yaw_deg"):
        parts.append(f"turned {d['yaw_deg']:g} degrees about +Y to face +Z")
    return ", ".join(parts)
