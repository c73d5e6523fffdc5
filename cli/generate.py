"""`iggan-assets generate`, `export`, `variations`, `interpolate` and `models`: voxels from a
generator (or an .npz) -> game-ready GLB (or USDZ / FBX, iggan/asset_formats.py) + manifest.json + preview
sheet.

The mesh work is `iggan.asset_export` (no torch) and the latents each command asks for are
cli/latent_requests.py; this module adds sampling, resampling of empty/full samples, progress and errors a
user can act on.
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np

from iggan.asset_export import (STAGES, ExportError, ExportSettings, grid_to_asset, place_assets, plan_outputs,
                                write_bundle)
from iggan.asset_export.distinct import DEFAULT_MIN_DISTANCE, DISTINCT_RETRIES, DistinctSet
from iggan.asset_export.layout import LAYOUTS
from iggan.asset_export.orient import SIZE_BY_CHOICES, UP_AXES
from iggan.asset_export.symmetry import MIRROR_CHOICES
from iggan.asset_formats import (FORMATS, FormatError, check_compression, files_writer, format_for,
                                 require_converter)
from iggan.glb_inputs import ConversionError
from iggan.npz import open_npz

from .colours import parse_color, parse_palette
from .devices import device_callback
from .latent_requests import (MAX_N, PICK_NAME, Request, check_pick_labels, generated_requests,
                              interpolation_requests, parse_picks, picked_requests, variation_requests)

DEFAULT_SIZE_M = 1.0


# ---------------------------------------------------------------------------------------------
# shared options


def export_options(f):
    """Options every exporting command shares (the asset_export.ExportSettings fields)."""
    opts = [
        click.option("--out", "out", required=True, type=click.Path(dir_okay=True, path_type=Path),
                     help="Output .glb, .gltf (+ .bin), .usdz or .fbx (or a folder with --split). A "
                     ".manifest.json and .preview.png go beside it."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="Asset file format. Default: --out's suffix, or glb for a --split folder. gltf: "
                     "the GLB as JSON .gltf + .bin (for version control and JSON tools). usdz "
                     "(AR Quick Look, Omniverse; as `iggan-assets usdz`) needs usd-core; fbx (Unity; as "
                     "`iggan-assets blender fbx`, no AO map) needs Blender."),
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
                     "(about 0.6 s a shape)."),
        click.option("--size", "size_m", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Size of each asset in metres, measured as --size-by says (default: the model's, "
                     "e.g. 0.86 m tall chairs and 0.84 m tall sofas; else a largest extent of 1.0)."),
        click.option("--size-by", "size_by", type=click.Choice(SIZE_BY_CHOICES), default=None,
                     help="What --size measures: the largest bounding-box extent, or the height. Default: the "
                     "model's (height for the bundled chairs and sofas, so a long sofa comes out longer than a "
                     "loveseat, as real ones do), else largest."),
        click.option("--smooth", "smooth_iterations", type=click.IntRange(0, 200), default=20, show_default=True,
                     help="Taubin smoothing passes (0 = stair-stepped). 20 suits 32^3 models such as the "
                     "bundled ones; 50 takes more bands off the slanted faces of 64^3 models."),
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
                     "and assimp read them (tested), as does Unity's glTFast; Godot 3 does not (tested), so "
                     "give Godot plain files. Off by default."),
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


def _settings(defaults: dict, opts: dict) -> ExportSettings:
    """ExportSettings from the export options' values (`opts`, by parameter name; None = not given)
    and a model card's defaults (model_defaults; {} for `export`)."""
    def pick(option: str, card_key: str, fallback=None):
        given = opts.get(option)
        return given if given is not None else defaults.get(card_key, fallback)

    kw = dict(threshold=pick("threshold", "threshold", 0.5), max_tilt_deg=pick("max_tilt", "max_tilt_deg"),
              min_height_ratio=pick("min_height_ratio", "min_height_ratio"),
              max_loose_share=pick("max_loose", "max_loose_share"),
              level_base=pick("level_base", "level_base", 0.0), size_m=pick("size_m", "size_m", DEFAULT_SIZE_M),
              size_by=pick("size_by", "size_by", "largest"),
              faces=opts["faces"], lods=opts["lods"], collision=opts["collision"],
              collision_hulls=opts["collision_hulls"], smooth_iterations=opts["smooth_iterations"],
              keep_bodies=opts["keep_bodies"], mirror=opts["mirror"], uv=opts["uv"], ao=opts["ao"],
              compress=opts.get("compress"), thumbnail_size=opts.get("thumbnails") or 0)
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


def _sides(no_preview: bool, preview_sides: int) -> int:
    """Views per asset in the preview sheet; 0 = no sheet."""
    return 0 if no_preview else preview_sides


def _plan(out: Path, split: bool, overwrite: bool, preview: int, fmt: str | None, compress: str | None = None):
    """The checked output paths, before any slow work; fmt: --format (None: from --out); compress: --compress."""
    try:
        fmt = format_for(out, split, fmt)
        check_compression(fmt, compress)
        require_converter(fmt)
        return plan_outputs(out, split, overwrite, preview, suffix="." + fmt)
    except FormatError as exc:
        raise click.UsageError(str(exc)) from exc
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from exc


def _safe_name(text: str) -> str:
    """Node names: letters, digits, '_' and '-' only (engines turn other characters into '_')."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "asset"


def model_defaults(model) -> dict:
    """Export defaults a model's card may carry: {"export": {"size_m": 0.86, "size_by": "height", "name": "chairs",
    "threshold": 0.5, "max_tilt_deg": 10, "min_height_ratio": 0.35, "max_loose_share": 0.05, "level_base": 0.1,
    "distinct_distance": 0.0045}}. Anything missing falls back to the CLI defaults."""
    card = getattr(model, "card", None) or {}
    export = card.get("export", {}) if isinstance(card, dict) else {}
    out = {"name": _safe_name(export.get("name") or getattr(model, "name", "model"))}
    size = export.get("size_m")
    if isinstance(size, (int, float)) and size > 0:
        out["size_m"] = float(size)
        if export.get("size_by") in SIZE_BY_CHOICES:  # what the card's size measures
            out["size_by"] = export["size_by"]
    thr = export.get("threshold")
    if isinstance(thr, (int, float)) and 0 < thr < 1:
        out["threshold"] = float(thr)
    tilt = export.get("max_tilt_deg")
    if isinstance(tilt, (int, float)) and 0 <= tilt <= 180:
        out["max_tilt_deg"] = float(tilt)
    flat = export.get("min_height_ratio")
    if isinstance(flat, (int, float)) and 0 <= flat <= 10:
        out["min_height_ratio"] = float(flat)
    loose = export.get("max_loose_share")
    if isinstance(loose, (int, float)) and 0 <= loose <= 1:
        out["max_loose_share"] = float(loose)
    level = export.get("level_base")
    if isinstance(level, (int, float)) and 0 <= level <= 0.25:
        out["level_base"] = float(level)
    gap = export.get("distinct_distance")
    if isinstance(gap, (int, float)) and gap > 0:
        out["distinct_distance"] = float(gap)
    return out


# ---------------------------------------------------------------------------------------------
# timing and progress


class Timings(dict):
    """Seconds per stage, accumulated."""

    def add(self, stage: str, seconds: float) -> None:
        self[stage] = self.get(stage, 0.0) + seconds

    def table(self, total: float | None = None) -> str:
        lines = [f"{'stage':<12}{'seconds':>9}"]
        # in pipeline order: a stage that only some shapes reach (level) was first timed late
        order = ("load", "sample", *STAGES, "write", "preview")
        keys = sorted(self, key=lambda k: order.index(k) if k in order else len(order))
        lines += [f"{k:<12}{self[k]:>9.3f}" for k in keys]
        if total is not None:
            lines.append(f"{'total (wall)':<12}{total:>9.3f}")
        return "\n".join(lines)


class _Stopwatch:
    def __init__(self, timings: Timings, stage: str):
        self.timings, self.stage = timings, stage

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        self.timings.add(self.stage, time.perf_counter() - self.t0)


def _progress(total: int, label: str):
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


# ---------------------------------------------------------------------------------------------
# model side


def load(model_name: str | None, device: str = "cpu"):
    """iggan.sampling.load_model with CLI errors."""
    from iggan import sampling
    from iggan.checkpoint import CheckpointError

    if model_name is None:
        bundled = sampling.bundled_models()
        if not bundled:
            raise click.UsageError("no model is bundled with this install yet; pass --model RUN_DIR or a "
                                   "checkpoint (.safetensors)")
        model_name = "chairs" if "chairs" in bundled else sorted(bundled)[0]
    try:
        return sampling.load_model(model_name, device=device)
    except CheckpointError as exc:
        raise click.BadParameter(str(exc), param_hint="--model") from exc
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise click.BadParameter(f"could not load model {model_name!r}: {exc}", param_hint="--model") from exc


RESAMPLE_REASONS = (("topple", "would topple over"), ("too flat", "too flat"), ("in pieces", "in pieces"),
                    ("too like", "too like another"))


def resample_summary(failures_per_sample: list[list[str]]) -> str:
    """'2 would topple over, 1 gave no valid mesh': each resampled sample counted once, under the first
    reason in RESAMPLE_REASONS that any of its failures gives; reasons nobody had are left out."""
    counts: dict[str, int] = {}
    for failures in failures_per_sample:
        label = next((label for words, label in RESAMPLE_REASONS if any(words in f for f in failures)),
                     "gave no valid mesh")
        counts[label] = counts.get(label, 0) + 1
    order = [label for _, label in RESAMPLE_REASONS] + ["gave no valid mesh"]
    return ", ".join(f"{counts[label]} {label}" for label in order if label in counts)


def make_assets(model, requests: list[Request], settings: ExportSettings, retries: int, timings: Timings,
                batch_size: int = 16, progress: bool = True, distinct=None):
    """Sample and export every request, resampling empty/full/invalid samples up to `retries`
    times, and with `distinct` (an asset_export.distinct.DistinctSet) samples too like one already kept.
    Returns (names, assets, extras). Raises ClickException if any request fails them all."""
    from iggan.sampling import sample_voxels

    done: dict[int, tuple] = {}
    pending, gave_up = list(range(len(requests))), []
    bar = _progress(len(requests), "generating") if progress else None
    try:
        for attempt in range(retries + 1):
            todo = []
            for i in pending:
                got = requests[i].latent(attempt)
                if got is None:  # this request has no replacement latent
                    gave_up.append(i)
                else:
                    todo.append((i, *got, requests[i].photos(attempt) if requests[i].photos else None))
            pending = []
            for start in range(0, len(todo), batch_size):
                chunk = todo[start:start + batch_size]
                with _Stopwatch(timings, "sample"):
                    grids = sample_voxels(model, np.stack([c[1] for c in chunk]))
                for (i, _z, name, extras, photos), grid in zip(chunk, grids):
                    if distinct is not None:
                        with _Stopwatch(timings, "distinct"):
                            cloud = distinct.cloud(grid >= settings.threshold)
                            reason = distinct.too_close(cloud)
                        if reason is not None:
                            requests[i].failures.append(f"{name}: {reason}")
                            pending.append(i)
                            continue
                    try:
                        asset = grid_to_asset(grid, settings, timings=timings, photos=photos)
                    except ExportError as exc:
                        requests[i].failures.append(f"{name}: {exc}")
                        pending.append(i)
                        continue
                    done[i] = (name, asset, extras)
                    if distinct is not None:
                        distinct.add(name, cloud)
                    if bar is not None:
                        bar.update(1)
            if not pending:
                break
    finally:
        if bar is not None:
            bar.render_finish()
    pending = sorted(pending + gave_up)
    if pending:
        lines = [f"  sample {i}: " + "; ".join(requests[i].failures) for i in pending[:10]]
        more = f"\n  ... and {len(pending) - 10} more" if len(pending) > 10 else ""
        failures = [f for i in pending for f in requests[i].failures]
        if any("empty" in f or "full" in f for f in failures):
            hint = "try another --seed or --threshold; an untrained or collapsed model gives empty or full grids"
        elif any("too like" in f for f in failures):
            hint = ("the model cannot make that many distinct shapes: ask for fewer (--n), allow more "
                    "--retries (up to 20), or pass a smaller distance to --distinct")
        elif any("topple" in f for f in failures):
            hint = "try another --seed or more --retries, or let such shapes through with --max-tilt 180"
        elif any("too flat" in f for f in failures):
            hint = "try another --seed or more --retries, or let such shapes through with --min-height-ratio 0"
        else:
            hint = "try a larger --faces or another --threshold"
        what = "valid mesh" if distinct is None else "valid mesh far enough from the others"
        raise click.ClickException(
            f"{len(pending)} of {len(requests)} samples gave no {what} after {retries} resample(s); "
            f"nothing was written.\n" + "\n".join(lines) + more + f"\n({hint})")
    resampled = [r.failures for r in requests if r.failures]
    if resampled:  # say so: a resampled asset is named after the seed it came from, not --seed
        click.echo(f"resampled {len(resampled)} of {len(requests)} sample(s): "
                   + resample_summary(resampled), err=True)
    order = sorted(done)
    return [done[i][0] for i in order], [done[i][1] for i in order], [done[i][2] for i in order]


def _write(names, assets, extras, outputs, settings, layout, overwrite, preview, meta, timings):
    placed = place_assets(names, assets, extras, layout)
    try:
        return write_bundle(placed, outputs, settings, meta, overwrite=overwrite, preview=preview, timings=timings,
                            write_files=files_writer(outputs.suffix.lstrip(".")))
    except (ExportError, ConversionError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"could not write {outputs.out}: {exc}") from exc


def size_summary(assets, settings: ExportSettings) -> str:
    """One line on how big the assets came out: the measure --size fixed, and the range of the other."""
    sizes = np.array([a.report["size_m"] for a in assets], np.float64)  # (N, 3) extents x, y, z in metres
    if settings.size_by == "height":
        fixed, other, what = f"{settings.size_m:g} m tall", sizes[:, [0, 2]].max(axis=1), "across"
    else:
        fixed, other, what = f"{settings.size_m:g} m at their largest", sizes[:, 1], "tall"
    span = f"{other.min():.2f}" if other.max() - other.min() < 0.005 else f"{other.min():.2f}-{other.max():.2f}"
    return f"size: {fixed}, {span} m {what} (--size {settings.size_m:g} --size-by {settings.size_by})"


def written_megabytes(outputs, names) -> float:
    """Size of the asset files just written (a .gltf's .bin and its textures folder included), in MB."""
    from iggan.asset_export.gltf_separate import buffer_path, textures_folder

    files = [outputs.asset_file(n) for n in names] if outputs.split else [outputs.out]
    if outputs.suffix == ".gltf":
        folders = [textures_folder(f) for f in files]
        files += [buffer_path(f) for f in files] + [p for d in folders if d.is_dir() for p in d.iterdir()]
    return sum(f.stat().st_size for f in set(files) if f.is_file()) / 1e6


def _report(outputs, names, assets, settings, timings: Timings, t0: float, show_timings: bool):
    tris = sum(a.report["triangles"][0] for a in assets)
    where = outputs.out if not outputs.split else f"{outputs.out}/ ({len(names)} files)"
    size = written_megabytes(outputs, names)
    click.echo(f"wrote {len(names)} asset(s), {tris} triangles at LOD0, {size:.2f} MB, to {where}", err=True)
    click.echo(size_summary(assets, settings), err=True)
    click.echo(f"manifest: {outputs.manifest}", err=True)
    if settings.thumbnail_size:
        click.echo(f"thumbnails: {outputs.thumbnails}/ ({len(names)} PNG, {settings.thumbnail_size} px)", err=True)
    if show_timings:
        click.echo(timings.table(time.perf_counter() - t0), err=True)


def run_from_model(requests_for, *, model, device, out, fmt, split, layout, overwrite, no_preview, preview_sides,
                   timings, retries, command: str, extra_meta: dict, progress: bool = True, morph: bool = False,
                   distinct: float | None = None, loaded=None, **settings_opts) -> tuple[dict, Timings, list]:
    """Shared body of generate / variations / interpolate; settings_opts are the export options that
    make ExportSettings (threshold, faces, ...: see export_options). Returns (manifest, timings, the
    exported Assets in the manifest's order). Without
    retries (interpolate: each latent is fixed) the card's tilt check is off, as nothing could
    replace a shape that topples. The frames of a morph also keep their bases as sampled: one frame
    levelled on its own would stand a layer lower than its neighbours (an explicit --level-base
    still applies). distinct: None (off), DISTINCT_FROM_CARD (the card's distance, else the
    package default) or a distance: no two assets closer than that (asset_export/distinct.py). loaded: the
    model already loaded (`load`), for a command that needs it before making its requests."""
    t0 = time.perf_counter()
    times = Timings()
    sides = _sides(no_preview, preview_sides)
    outputs = _plan(out, split, overwrite, sides, fmt, settings_opts.get("compress"))
    if loaded is None:
        with _Stopwatch(times, "load"):
            loaded = load(model, device)
    defaults = model_defaults(loaded)
    if not retries:
        defaults.pop("max_tilt_deg", None)
        defaults.pop("min_height_ratio", None)
        defaults.pop("max_loose_share", None)
    if morph:
        defaults.pop("level_base", None)
    settings = _settings(defaults, settings_opts)
    requests = requests_for(defaults["name"], loaded.config.model.z_dim)
    keeper = None
    if distinct is not None:
        gap = defaults.get("distinct_distance", DEFAULT_MIN_DISTANCE) if distinct == DISTINCT_FROM_CARD else distinct
        if not gap > 0:
            raise click.BadParameter(f"must be a distance > 0, got {distinct}", param_hint="--distinct")
        keeper = DistinctSet(gap)
        extra_meta = {**extra_meta, "distinct_distance": gap}
    names, assets, extras = make_assets(loaded, requests, settings, retries, times, progress=progress,
                                        distinct=keeper)
    # model_source is what --model takes to load this model again (the card's name is the asset name)
    meta = {"command": command, "model": defaults["name"], "model_source": str(model or loaded.name),
            "voxel_res": loaded.config.model.voxel_res, **extra_meta}
    manifest = _write(names, assets, extras, outputs, settings, layout, overwrite, sides, meta, times)
    _report(outputs, names, assets, settings, times, t0, timings)
    return manifest, times, assets


DISTINCT_FROM_CARD = -1.0  # `--distinct` given without a distance
model_option = click.option("--model", default=None, metavar="NAME|PATH",
                            help="A bundled model name (see `iggan-assets models`), a run folder or a checkpoint.")
device_option = click.option("--device", default="cpu", show_default=True, callback=device_callback,
                             help="torch device for sampling: cpu, cuda, cuda:N, mps or auto.")
RETRIES = 3
retries_option = click.option("--retries", type=click.IntRange(0, 20), default=None,
                              help=f"Resample an empty/full/invalid or toppling sample this many times before "
                              f"giving up. Default {RETRIES}; {DISTINCT_RETRIES} with --distinct.")
n_option = click.option("--n", "n", type=click.IntRange(1, MAX_N), default=1, show_default=True,
                        help="Number of assets.")


@click.command()
@n_option
@model_option
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True,
              help="Seed of the latents; latent i of a seed does not depend on --n.")
@click.option("--pick", "pick", default=None, metavar="NAMES",
              help="Export exactly these shapes, as a set made before named them (preview sheet, manifest): "
              "'chair_12_s0,chair_14_s975157198', or latent indices of --seed ('12,30'). None is resampled "
              "or refused by the model's checks: you chose them. E.g. pick favourites from a quick 50, then "
              "export them with --lods 3 --collision --ao.")
@retries_option
@click.option("--distinct", type=float, is_flag=False, flag_value=DISTINCT_FROM_CARD, default=None,
              metavar="[DIST]", help="No two assets alike: resample a shape closer than DIST (yaw-minimised "
              "Chamfer of unit-box surface clouds, as `evaluate`) to one already kept. Alone: the model's "
              "distance (the bundled cards: the closest quarter of their training shapes' pairs), else 0.004.")
@device_option
@export_options
@click.pass_context
def generate(ctx, n, model, seed, pick, retries, distinct, device, **kw):
    """Sample N shapes from a generator and export them as one game-ready GLB (or USDZ or FBX).

    \b
    Example: iggan-assets generate --n 50 --out chairs.glb --lods 3 --collision
    Then:    iggan-assets generate --pick chair_3_s0,chair_12_s0 --lods 3 --ao --out best.glb
    """
    if pick is not None:
        given = [f"--{name}" for name in ("n", "retries", "distinct")
                 if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if given:
            raise click.UsageError(f"--pick names the shapes to export; drop {' and '.join(given)}")
        picks = parse_picks(pick, seed)
        run_from_model(lambda label, z_dim: picked_requests(label, picks, z_dim), model=model, device=device,
                       retries=0, command="generate", extra_meta={"seed": seed, "picked": pick}, **kw)
        return
    run_from_model(lambda label, z_dim: generated_requests(label, seed, n, z_dim), model=model, device=device,
                   retries=retries if retries is not None else DISTINCT_RETRIES if distinct is not None else RETRIES,
                   command="generate", extra_meta={"seed": seed, "n": n}, distinct=distinct,
                   **kw)


@click.command()
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=0, show_default=True, help="The base latent.")
@click.option("--of", "of", default=None, metavar="NAME",
              help="The shape to vary: an asset's name from a generate set (chair_12_s0: latent 12 of seed 0), or "
              "a latent index of --seed. Default: latent 0 of --seed.")
@n_option
@click.option("--spread", type=click.FloatRange(0, 5, min_open=True), default=0.35, show_default=True,
              help="How far variations move from the base latent.")
@model_option
@retries_option
@device_option
@export_options
def variations(seed, of, n, spread, model, retries, device, **kw):
    """N variations of one shape: latents near latent 0 of --seed, or near the shape --of names (variation 0 is
    the shape itself).

    \b
    Example: iggan-assets variations --of chair_12_s0 --n 8 --out more_like_12.glb
    """
    index = 0
    if of is not None:
        picks = parse_picks(of, seed, "--of")
        if len(picks) != 1:
            raise click.BadParameter("name one shape", param_hint="--of")
        label, index, seed = picks[0]

    def requests(model_label, z_dim):
        if of is not None:
            check_pick_labels(model_label, picks, "--of")
        return variation_requests(model_label, seed, n, z_dim, spread, index)

    run_from_model(requests, model=model, device=device, retries=RETRIES if retries is None else retries,
                   command="variations", extra_meta={"seed": seed, "latent_index": index, "n": n, "spread": spread},
                   **kw)


@click.command()
@click.option("--seeds", type=(click.IntRange(0, 2**31 - 1), click.IntRange(0, 2**31 - 1)), default=None,
              help="Two seeds A B: interpolate from latent 0 of A to latent 0 of B.")
@click.option("--between", type=(str, str), default=None, metavar="NAME NAME",
              help="Two assets' names from generate sets, e.g. chair_3_s0 chair_12_s0: interpolate between those "
              "shapes (instead of --seeds).")
@click.option("--n", "n", type=click.IntRange(2, MAX_N), default=8, show_default=True, help="Steps, ends included.")
@model_option
@device_option
@export_options
def interpolate(seeds, between, n, model, device, **kw):
    """N shapes morphing from one seed's shape to another's (spherical interpolation of latents)."""
    if (seeds is None) == (between is None):
        raise click.UsageError("give the two ends: --seeds A B (latent 0 of each) or --between NAME NAME")
    if between is not None:
        picks = []
        for name in between:
            match = PICK_NAME.fullmatch(name.strip())
            if match is None or match["label"] is None or match["seed"] is None or int(match["index"]) >= MAX_N:
                raise click.BadParameter(f"{name!r} is not an asset name like chair_12_s0", param_hint="--between")
            picks.append((match["label"], int(match["index"]), int(match["seed"])))
        (_, ia, a), (_, ib, b) = picks
    else:
        (a, b), ia, ib = seeds, 0, 0

    def requests(model_label, z_dim):
        if between is not None:
            check_pick_labels(model_label, picks, "--between")
        return interpolation_requests(model_label, a, b, n, z_dim, ia, ib)

    meta = {"seeds": [a, b], "n": n, **({"latent_indices": [ia, ib]} if ia or ib else {})}
    run_from_model(requests, model=model, device=device, retries=0, command="interpolate", extra_meta=meta,
                   morph=True, **kw)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print each model's card and config as JSON.")
def models(as_json):
    """List the bundled models with their model cards (data, steps, GPU time, metrics, limitations, licence)."""
    import json

    from iggan.sampling import bundled_models

    found = bundled_models()
    if not found:
        click.echo("no bundled models; pass --model RUN_DIR or a checkpoint file to generate")
        return
    metas = {name: json.loads(stem.with_suffix(".json").read_text()) for name, stem in found.items()}
    if as_json:
        click.echo(json.dumps({name: {"path": str(found[name]), **meta} for name, meta in metas.items()}, indent=1))
        return
    for name, meta in metas.items():
        card, model = meta.get("card", {}), meta.get("config", {}).get("model", {})
        size_mb = found[name].with_suffix(".safetensors").stat().st_size / 1e6
        steps, minutes = card.get("steps"), card.get("gpu_minutes")
        trained = f"{steps:,} steps" if isinstance(steps, int) else "steps unknown"
        if minutes is not None:
            trained += f", {minutes} GPU min"
        click.echo(f"{name}: {model.get('voxel_res', '?')}^3 voxels, {trained}, {size_mb:.1f} MB  ({found[name]})")
        for key in ("description", "data", "metrics", "limitations", "licence"):
            if card.get(key):
                click.echo(f"  {key}: {card[key]}")
        if isinstance(card.get("export"), dict):
            click.echo(f"  generate defaults: {describe_export_defaults(card['export'])}")


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
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# export: grids from elsewhere


def _parse_select(text: str | None, total: int) -> list[int]:
    """'0:16', '3,7,9' or None (all) -> indices."""
    if text is None:
        return list(range(total))
    try:
        if ":" in text:
            start, _, stop = text.partition(":")
            idx = list(range(total))[slice(int(start) if start else None, int(stop) if stop else None)]
        else:
            idx = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter("expected START:STOP or a comma list of indices, e.g. 0:16 or 3,7,9",
                                 param_hint="--select")
    bad = [i for i in idx if not -total <= i < total]
    if bad or not idx:
        raise click.BadParameter(f"indices {bad or idx} select nothing in {total} grid(s)", param_hint="--select")
    return [i % total for i in idx]


def load_grids(path: Path) -> np.ndarray:
    """VOXELS.npz with key 'voxels': (R, R, R) or (N, R, R, R), values in [0, 1] -> (N, X, Y, Z)."""
    try:
        with open_npz(path) as data:
            if "voxels" not in data.files:
                raise click.BadParameter(f"{path} has no 'voxels' array (it has: {', '.join(data.files) or 'none'})",
                                         param_hint="VOXELS")
            grids = data["voxels"]
    except click.BadParameter:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError (not an .npz, pickled objects), OSError
        raise click.BadParameter(f"cannot read {path} as .npz: {exc}", param_hint="VOXELS") from exc
    if grids.ndim == 3:
        grids = grids[None]
    if grids.ndim != 4 or min(grids.shape) < 1:
        raise click.BadParameter(f"'voxels' must be (R, R, R) or (N, R, R, R), got shape {grids.shape}",
                                 param_hint="VOXELS")
    if grids.dtype == bool:
        return grids
    if not np.issubdtype(grids.dtype, np.number):
        raise click.BadParameter(f"'voxels' must be numeric, got {grids.dtype}", param_hint="VOXELS")
    if not np.all(np.isfinite(grids)):
        raise click.BadParameter("'voxels' contains NaN or infinite values", param_hint="VOXELS")
    lo, hi = float(grids.min()), float(grids.max())
    if lo < 0 or hi > 1:
        raise click.BadParameter(f"'voxels' values must be occupancies in [0, 1], got [{lo:g}, {hi:g}]",
                                 param_hint="VOXELS")
    return grids


@click.command("export")
@click.argument("voxels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--up", type=click.Choice(UP_AXES), default="y", show_default=True,
              help="Which grid axis is up in the file (ModelNet grids are z-up).")
@click.option("--name", default=None, help="Asset name prefix (default: the file's stem).")
@click.option("--select", default=None, metavar="SPEC", help="Grids to export: START:STOP or 3,7,9 (default all).")
@click.option("--skip-invalid", is_flag=True, help="Skip grids that give no valid mesh instead of failing.")
@export_options
def export(voxels, up, name, select, skip_invalid, out, fmt, split, layout, overwrite, no_preview, preview_sides,
           timings, **settings_opts):
    """Export voxel grids from VOXELS.npz (key 'voxels') through the same pipeline."""
    t0 = time.perf_counter()
    times = Timings()
    sides = _sides(no_preview, preview_sides)
    outputs = _plan(out, split, overwrite, sides, fmt, settings_opts.get("compress"))
    with _Stopwatch(times, "load"):
        grids = load_grids(voxels)
    settings = _settings({}, settings_opts)
    prefix = _safe_name(name or voxels.stem)
    names, assets, extras, skipped = [], [], [], []
    with _progress(len(_parse_select(select, len(grids))), "exporting") as bar:
        for i in _parse_select(select, len(grids)):
            try:
                asset = grid_to_asset(grids[i], settings, up=up, timings=times)
            except ExportError as exc:
                if not skip_invalid:
                    raise click.ClickException(f"grid {i} of {voxels}: {exc}; nothing was written "
                                               "(--skip-invalid skips such grids)") from exc
                skipped.append({"index": i, "reason": str(exc)})
                bar.update(1)
                continue
            names.append(f"{prefix}_{i}")
            assets.append(asset)
            extras.append({"source": voxels.name, "index": i})
            bar.update(1)
    if not assets:
        raise click.ClickException(f"no grid in {voxels} gave a valid mesh; nothing was written")
    for s in skipped:
        click.echo(f"skipped grid {s['index']}: {s['reason']}", err=True)
    meta = {"command": "export", "source": str(voxels), "up": up, "skipped": skipped}
    _write(names, assets, extras, outputs, settings, layout, overwrite, sides, meta, times)
    _report(outputs, names, assets, settings, times, t0, timings)
