"""The add-on's work that does not touch bpy: load a generator, sample latents, run the
asset_export pipeline, export GLBs. Runs in a worker thread; talks back only through `emit`.

Torch-free: the generator runs as a numpy forward pass (numpy_generator.py), and the mesh work is
the vendored `asset_export` package (the same code as `iggan-assets generate`)."""
from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .numpy_generator import ModelError, NumpyGenerator, latents, load_generator
from .outline_match import POOL_SEED


class _LazyAssetExport:
    """asset_export (scipy, scikit-image, trimesh) is imported on first use, so enabling the
    add-on and drawing the panel stay fast. The built extension vendors it inside this package;
    from the repository / the installed iggan package it is the sibling iggan.asset_export."""

    def __getattr__(self, name):
        try:
            from . import asset_export as mod
        except ImportError:
            from .. import asset_export as mod
        return getattr(mod, name)


ae = _LazyAssetExport()

HERE = Path(__file__).resolve().parent
# the extension's vendored copy, else iggan/bundled (installed package, or the repository checkout)
MODEL_DIRS = (HERE / "models", HERE.parent / "bundled", HERE.parent / "iggan" / "bundled")
DEFAULT_MODEL = "chairs"
DEFAULT_SIZE_M = 1.0


class JobCancelled(Exception):
    pass


_SCRATCH: list[str] = []


def scratch_folder() -> str:
    """A folder of this Blender session's own for files it writes to hand on (an image's pixels as a PNG):
    made by mkdtemp, so private to the user and unguessable. A fixed name in the shared temp folder let
    another user plant a symlink there that the PNG was then written through."""
    import os
    import tempfile

    with _CACHE_LOCK:
        if not _SCRATCH or not os.path.isdir(_SCRATCH[0]):
            _SCRATCH[:] = [tempfile.mkdtemp(prefix="iggan_images_")]
        return _SCRATCH[0]


def _is_generator(meta: Path) -> bool:
    """A checkpoint pair of a generator (not the proxy renderer or evaluate's feature network beside them)."""
    if not meta.with_suffix(".safetensors").is_file() or meta.stem.startswith(("proxy", "eval_")):
        return False
    try:
        return json.loads(meta.read_text()).get("kind", "generator") == "generator"
    except (OSError, ValueError, AttributeError):
        return False


def bundled_models() -> dict[str, Path]:
    """name -> checkpoint stem of the generators shipped with the add-on."""
    for folder in MODEL_DIRS:
        found = {p.stem: p.with_suffix("") for p in sorted(folder.glob("*.json")) if _is_generator(p)}
        if found:
            return found
    return {}


_CACHE: dict[str, tuple[float, NumpyGenerator]] = {}
_CACHE_LOCK = threading.Lock()


def get_generator(model: str) -> NumpyGenerator:
    """A bundled model name or a checkpoint path (.safetensors/.json pair); cached by path+mtime."""
    bundled = bundled_models()
    if model in bundled:
        stem = bundled[model]
    else:
        path = Path(model).expanduser()
        if not str(model).strip():
            raise ModelError("no model chosen: pick a bundled model or a checkpoint file")
        if path.is_dir():
            cands = sorted(path.glob("checkpoints/*.safetensors")) or sorted(path.glob("*.safetensors"))
            if not cands:
                raise ModelError(f"{path} holds no .safetensors checkpoint")
            path = cands[-1]
        stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
        if not stem.with_suffix(".safetensors").is_file():
            names = ", ".join(bundled) or "none"
            raise ModelError(f"model {model!r} is neither a bundled model ({names}) nor a checkpoint file")
    key = str(stem)
    mtime = stem.with_suffix(".safetensors").stat().st_mtime
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is None or hit[0] != mtime:
            _CACHE[key] = (mtime, load_generator(stem))
        return _CACHE[key][1]


def model_defaults(gen: NumpyGenerator) -> dict:
    """The model card's export defaults (size in metres and what it measures, largest extent or height;
    threshold, asset name, largest tilt a shape
    may topple when stood on a floor, None = no check; the least height over width a shape may have,
    None = no check; how much of its base may be trimmed level;
    how far apart two shapes of a Distinct set must be, None = the package default)."""
    export = gen.card.get("export", {}) if isinstance(gen.card.get("export"), dict) else {}
    out = {"name": safe_name(export.get("name") or gen.name), "size_m": DEFAULT_SIZE_M, "size_by": "largest",
           "threshold": 0.5}
    if isinstance(export.get("size_m"), (int, float)) and export["size_m"] > 0:
        out["size_m"] = float(export["size_m"])
        if export.get("size_by") in ("largest", "height"):  # what the card's size measures
            out["size_by"] = export["size_by"]
    if isinstance(export.get("threshold"), (int, float)) and 0 < export["threshold"] < 1:
        out["threshold"] = float(export["threshold"])
    tilt = export.get("max_tilt_deg")
    out["max_tilt_deg"] = float(tilt) if isinstance(tilt, (int, float)) and 0 <= tilt <= 180 else None
    flat = export.get("min_height_ratio")
    out["min_height_ratio"] = float(flat) if isinstance(flat, (int, float)) and 0 <= flat <= 10 else None
    loose = export.get("max_loose_share")
    out["max_loose_share"] = float(loose) if isinstance(loose, (int, float)) and 0 <= loose <= 1 else None
    level = export.get("level_base")
    out["level_base"] = float(level) if isinstance(level, (int, float)) and 0 <= level <= 0.25 else 0.0
    yaw = export.get("yaw_deg")  # quarter turns that make the model's front face +Z
    out["yaw_deg"] = yaw if isinstance(yaw, int) and not isinstance(yaw, bool) and yaw % 90 == 0 else 0
    gap = export.get("distinct_distance")
    out["distinct_distance"] = float(gap) if isinstance(gap, (int, float)) and gap > 0 else None
    return out


def distinct_options(model: str) -> dict:
    """Request fields for a Distinct set: the card's export.distinct_distance (else the package
    default) and as many resamples as `generate --distinct` allows."""
    gap = model_defaults(get_generator(model))["distinct_distance"]
    return {"distinct": gap if gap is not None else ae.DEFAULT_MIN_DISTANCE, "retries": ae.DISTINCT_RETRIES}


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "asset"


def derived_seed(seed: int, attempt: int) -> int:
    """Same as `iggan-assets generate`: the seed of the attempt-th resample of a sample."""
    if attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, attempt, 0x1667]).generate_state(1)[0] >> 1)


def variation_latent(z0: np.ndarray, seed: int, i: int, attempt: int, spread: float) -> np.ndarray:
    """Same formula as `iggan-assets variations`: z = (z0 + spread * e) / sqrt(1 + spread^2)."""
    e = np.random.default_rng([seed, i, attempt, 0x7A41]).standard_normal(len(z0)).astype(np.float32)
    return ((z0 + spread * e) / np.sqrt(1.0 + spread**2)).astype(np.float32)


def pack_grid(grid: np.ndarray, threshold: float = 0.0) -> str:
    """Occupancy (R, R, R) -> compact text (for an object's custom property): 8-bit quantised, base64.
    Kept continuous so Export can re-threshold."""
    q = np.clip(np.round(np.asarray(grid, np.float32) * 255), 0, 255).astype(np.uint8)
    import zlib
    return f"{q.shape[0]}:" + base64.b64encode(zlib.compress(q.tobytes(), 6)).decode()


def unpack_grid(text: str) -> np.ndarray:
    import zlib
    res, data = text.split(":", 1)
    r = int(res)
    return np.frombuffer(zlib.decompress(base64.b64decode(data)), np.uint8).reshape(r, r, r).astype(np.float32) / 255


@dataclass
class Request:
    """What the worker makes. kind: 'generate' (latents index..index+count-1 of seed) or
    'variations' (count shapes around latent `index` of seed) or 'match' (the count shapes whose outlines
    best fit the image file `image`, or fit all of a list of images of one object, best first; seed and
    index unused). distinct: None, or the distance
    below which a shape counts as a look-alike of one already made and is resampled (asset_export.distinct).
    cache_dir: where 'match' keeps each model's traced outlines (None: traced every time). texture: 'match'
    paints each shape with the image's colours, as `iggan-assets match --texture`."""

    kind: str
    model: str
    count: int
    seed: int
    settings: dict  # ExportSettings fields
    index: int = 0
    spread: float = 0.35
    retries: int = 3
    distinct: float | None = None
    image: str | list[str] | None = None
    cache_dir: str | None = None
    texture: bool = False  # 'match': paint each shape with the image's colours (asset_export.photo_texture)
    delight: bool = False  # 'match' with texture: divide the image's lighting out (photo_texture.delight)


@dataclass
class MadeAsset:
    name: str
    asset: "ae.Asset"
    grid: np.ndarray
    extras: dict = field(default_factory=dict)


def export_settings(settings: dict) -> "ae.ExportSettings":
    try:
        return ae.ExportSettings(**settings)
    except (TypeError, ValueError) as exc:
        raise ae.ExportError(f"invalid settings: {exc}") from exc


def run(request: Request, emit: Callable[[str, object], None], cancelled: Callable[[], bool] = lambda: False):
    """Make request.count assets, emitting ('progress', (done, total, message)) and ('asset', MadeAsset)
    as they finish. Raises ModelError / ExportError (message for the user) or JobCancelled.

    With request.distinct, a sample too like one made before it is resampled, as `generate --distinct`
    does; each sample's resamples come before the next sample, so a set can differ from the CLI's,
    which resamples in rounds."""
    t0 = time.perf_counter()
    emit("progress", (0, request.count, "loading model"))
    gen = get_generator(request.model)
    defaults = model_defaults(gen)
    settings = export_settings(request.settings)
    label = defaults["name"] if request.model in bundled_models() else safe_name(gen.name)
    if request.kind == "match":
        return _run_match(request, gen, settings, label, emit, cancelled, t0)
    z0 = latents(request.seed, 1, gen.z_dim, start=request.index)[0]
    failures: list[str] = []
    made = 0
    keeper = ae.DistinctSet(request.distinct) if request.distinct is not None else None
    for i in range(request.count):
        for attempt in range(request.retries + 1):
            if cancelled():
                raise JobCancelled(f"cancelled after {made} of {request.count} assets")
            if request.kind == "variations":
                z = z0 if (i == 0 and attempt == 0) else variation_latent(z0, request.seed, i, attempt, request.spread)
                s, index = request.seed, request.index
                name = f"{label}_var{i}_s{request.seed}" + (f"r{attempt}" if attempt else "")
                extras = {"variation": i, "spread": request.spread}
            else:
                s, index = derived_seed(request.seed, attempt), request.index + i
                z = latents(s, 1, gen.z_dim, start=index)[0]
                name, extras = f"{label}_{index}_s{s}", {}
            extras.update(model=request.model, model_name=gen.name, seed=s, latent_index=index)
            grid = gen(z[None])[0]
            if keeper is not None:  # before meshing: a distance costs milliseconds, a mesh a second
                cloud = keeper.cloud(grid >= settings.threshold)
                reason = keeper.too_close(cloud)
                if reason is not None:
                    failures.append(f"{name}: {reason}")
                    continue
            try:
                asset = ae.grid_to_asset(grid, settings)
            except ae.ExportError as exc:
                failures.append(f"{name}: {exc}")
                continue
            if keeper is not None:
                keeper.add(name, cloud)
            made += 1
            emit("asset", MadeAsset(name, asset, grid, extras))
            emit("progress", (made, request.count, name))
            break
        else:
            if keeper is not None and any("too like" in f for f in failures[-request.retries - 1:]):
                more = "raise Spread, " if request.kind == "variations" else ""  # variations stay near one latent
                hint = f"the model cannot make that many distinct shapes: {more}ask for fewer, or turn Distinct off"
            else:
                hint = "try another seed or threshold"
            raise ae.ExportError(f"sample {i} gave no valid mesh after {request.retries} resamples "
                                 f"({'; '.join(failures[-2:])}); {hint}")
    return {"made": made, "seconds": time.perf_counter() - t0, "failures": failures}


def _run_match(request: Request, gen: NumpyGenerator, settings, label: str, emit, cancelled, t0: float) -> dict:
    """The 'match' request: the photo's mask first (a bad image fails at once), then the model's pool (traced
    once, then read from cache_dir), then the best fits exported in order; a fit that topples or gives no
    valid mesh is passed over for the next, as `iggan-assets match --retries` does."""
    from .outline_match import MatchError, OutlinePool, photo_mask

    images = [request.image] if isinstance(request.image, str) else [str(i) for i in request.image or ()]
    if not images:
        raise MatchError("no image chosen: pick a photo or render of one object (a cut-out PNG is best)")
    masks = np.stack([photo_mask(image) for image in images])  # every image readable before the slow part
    emit("progress", (0, request.count, "tracing the model's outlines (once per model)"))
    pool = OutlinePool.shared(gen, settings.threshold, cache_dir=request.cache_dir, cancelled=cancelled,
                       progress=lambda done, total: emit("progress", (0, request.count, f"outlines {done}/{total}")))
    found = pool.match(masks, keep=request.count + request.retries)
    stem = safe_name(Path(images[0]).stem)
    decoded = _decoded_images(images, pool.camera) if request.texture else None
    failures: list[str] = []
    made = 0
    for rank, m in enumerate(found):
        if made == request.count:
            break
        if cancelled():
            raise JobCancelled(f"cancelled after {made} of {request.count} assets")
        name = f"{label}_match_{stem}" + (f"_m{rank}" if rank else "")
        grid = gen(pool.z[m.index][None])[0]
        paint = {"photos": images, "views_rad": [list(v) for v in m.photo_views], "delight": request.delight,
                 **pool.camera} if request.texture else None
        photos = _paint_views(paint, decoded) if request.texture else None
        try:
            asset = ae.grid_to_asset(grid, settings, photos=photos)
        except ae.ExportError as exc:
            failures.append(f"{name}: {exc}")
            continue
        extras = dict(model=request.model, model_name=gen.name, seed=POOL_SEED, latent_index=m.index,
                      photo=images[0], match_iou=round(m.iou, 4), match_rank=rank,
                      view_azimuth_deg=round(math.degrees(m.azimuth) % 360, 1),
                      view_elevation_deg=round(math.degrees(m.elevation), 1))
        if len(images) > 1:
            extras["photo_count"] = len(images)
        if request.texture:  # what Export Selected needs to paint it again from the same images
            extras["paint"] = json.dumps(paint)
        made += 1
        emit("asset", MadeAsset(name, asset, grid, extras))
        emit("progress", (made, request.count, name))
    if made == 0:
        raise ae.ExportError(f"none of the {len(found)} best fits gave a valid mesh ({'; '.join(failures[-2:])}); "
                             "try another threshold or a larger Max tilt")
    return {"made": made, "seconds": time.perf_counter() - t0, "failures": failures,
            "best_iou": found[0].iou if found else None}


def _decoded_images(images: list[str], camera: dict) -> list:
    """Each image read and masked once, as a PhotoView to pose per candidate (camera: fov_deg, distance)."""
    from .outline_match import photo_view
    return [photo_view(image, 0.0, 0.0, camera["fov_deg"], camera["distance"]) for image in images]


def _paint_views(paint: dict, decoded: list | None = None) -> list:
    """The PhotoViews a painted match is painted from: paint is its JSON spec (images, views in radians,
    camera, delight), as Match Image records it for Export Selected; decoded: its images already read."""
    from dataclasses import replace

    decoded = decoded or _decoded_images(paint["photos"], paint)
    return [replace(base, azimuth=az, elevation=el, delight=bool(paint.get("delight")))
            for base, (az, el) in zip(decoded, paint["views_rad"])]


def export_glb(items: list[tuple[str, np.ndarray, dict]], path: str | Path, settings: dict,
               emit: Callable[[str, object], None] = lambda *_: None,
               cancelled: Callable[[], bool] = lambda: False,
               settings_per_item: list[dict] | None = None) -> dict:
    """(name, occupancy grid, extras) per asset -> one game-ready GLB (+ manifest + preview) through
    the same pipeline as `iggan-assets export`. Returns the manifest. No tilt or flatness check: the user
    chose these shapes, as `iggan-assets export` has none unless asked. A shape Match Image painted is
    painted again from its images (extras `paint`: JSON of the images, views and camera); if one is gone it is exported
    unpainted, and its manifest notes say so. settings_per_item: each asset's own settings (its model's card: a
    sofa's size and turn), else `settings` for all; `settings` is the file's (palette, compression, ...)."""

    def checks_off(d: dict) -> dict:
        return {**d, "max_tilt_deg": None, "min_height_ratio": None, "max_loose_share": None}

    s = export_settings(checks_off(settings))
    own = [export_settings(checks_off(d)) for d in settings_per_item] if settings_per_item else [s] * len(items)
    path = Path(path)
    if path.suffix.lower() != ".glb":
        path = path.with_suffix(".glb")
    assets = []
    for k, (name, grid, extras) in enumerate(items):
        if cancelled():
            raise JobCancelled("export cancelled")
        emit("progress", (k, len(items), name))
        photos, note = None, None
        if extras.get("paint"):
            paint = json.loads(extras["paint"])
            gone = [p for p in paint["photos"] if not Path(p).is_file()]
            if not gone:
                photos = _paint_views(paint)
            else:
                note = f"colour map left out: the image that painted it ({gone[0]}) is gone"
        try:
            asset = ae.grid_to_asset(grid, own[k], photos=photos)
        except ae.ExportError as exc:
            raise type(exc)(f"{name}: {exc}") from exc
        if note:
            asset.report["notes"].append(note)
        assets.append(asset)
    outputs = ae.plan_outputs(path, split=False, overwrite=True, preview=True, option="file name")
    placed = ae.place_assets([n for n, _, _ in items], assets, [dict(e) for _, _, e in items], "grid")
    manifest = ae.write_bundle(placed, outputs, s, {"tool": "iggan-assets Blender extension"}, overwrite=True)
    emit("progress", (len(items), len(items), path.name))
    return manifest
