"""Turn a `--data` specification into an ImageSource for the trainer.

Specs:
  DIR                    images; folders from render-dataset as they are, anything else as photos
  photos:DIR             every image through the photo pipeline (mask, crop, centre)
  images:DIR             every image as it is (gray, resized), e.g. renders made elsewhere
  mesh:PATH[?OPTS]       "unlimited": fresh random views of the meshes / .sh3f catalogs under PATH
  voxels:FILE.npz[?OPTS] "unlimited" over voxel grids (key 'voxels'), drawn as voxel meshes
OPTS (mesh/voxels), joined with '&': filter=REGEX, exclude=REGEX, category=REGEX, up=y|z,
  slice=START:STOP (a range of the sorted objects, e.g. slice=0:789 holds out ModelNet's last 100).
  Values are %-decoded but '+' stays '+' (a regex's "one or more"), e.g. mesh:DIR?filter=^chair.+&up=y.
"""
from __future__ import annotations

from urllib.parse import unquote

from .config import Config
from .images import DataError, LoadReport, load_image_folder
from .meshes import SourceError, list_objects
from .name_filters import FilterError, check_filters
from .image_sources import ImageSource, TensorImages

_MESH_OPTIONS = {"filter", "exclude", "category", "up", "slice"}


def open_data_source(spec: str, cfg: Config, *, strict: bool = False,
                     unify: bool | None = False) -> tuple[ImageSource, LoadReport]:
    """--data spec -> (ImageSource, LoadReport). strict: unusable files/objects are errors.
    unify: bring each image's mean object brightness to the renders' (None: for photos only; images.py).
    Raises DataError with what to do."""
    kind, _, rest = spec.partition(":")
    if kind in ("mesh", "voxels") and rest:
        return _open_objects(kind, rest, cfg, strict)
    mode = {"photos": "photos", "images": "prepared"}.get(kind) if rest else None
    folder = rest if mode else spec
    images, report = load_image_folder(folder, cfg.model.image_size, strict=strict, unify=unify, mode=mode or "auto")
    return TensorImages(images), report


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """'PATH?a=1&b=2' -> ('PATH', {'a': '1', 'b': '2'}); unknown keys are an error; a key given twice
    keeps its last value. Not urllib's parse_qs: it reads '+' as a space (form encoding), which turned
    filter=^chair.+ into '^chair. '; here only %XX escapes are decoded."""
    path, _, query = text.partition("?")
    opts = {}
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            opts[unquote(key)] = unquote(value)
    unknown = sorted(set(opts) - _MESH_OPTIONS)
    if unknown:
        raise DataError(f"unknown option(s) {unknown} in --data; valid: {sorted(_MESH_OPTIONS)}")
    return path, opts


def check_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Check a --data spec's options without reading any file (train calls it before making its run folder):
    unknown keys and regexes that do not compile raise DataError naming them. Returns (path, options)."""
    kind, _, rest = spec.partition(":")
    if kind not in ("mesh", "voxels") or not rest:
        return spec, {}
    path, opts = split_options(rest)
    try:
        check_filters({f"--data's ?{k}=": opts.get(k) for k in ("filter", "exclude", "category")})
    except FilterError as exc:
        raise DataError(str(exc)) from exc
    return path, opts


def parse_slice(text: str | None) -> slice | None:
    if not text:
        return None
    try:
        parts = [int(p) if p.strip() else None for p in text.split(":")]
        if len(parts) != 2:
            raise ValueError
    except ValueError as exc:
        raise DataError(f"slice must look like START:STOP (e.g. 0:789), not {text!r}") from exc
    return slice(*parts)


def _open_objects(kind: str, rest: str, cfg: Config, strict: bool):
    from .mesh_source import MeshImages

    path, opts = check_spec(f"{kind}:{rest}")
    try:
        refs = list_objects(path, up=opts.get("up") or None, filter=opts.get("filter"),
                            exclude=opts.get("exclude"), category=opts.get("category"))
    except SourceError as exc:
        raise DataError(str(exc)) from exc
    # A damaged file found in the folder ('unreadable') goes with the kind its suffix says, to be skipped and named.
    def is_grids(r) -> bool:
        return r.kind == "voxels" or (r.kind == "unreadable" and r.path.lower().endswith(".npz"))

    refs = [r for r in refs if is_grids(r) == (kind == "voxels")]
    window = parse_slice(opts.get("slice"))
    if window is not None:
        refs = refs[window]
    if not refs:
        raise DataError(f"--data {kind}:{rest}: no {'voxel grids' if kind == 'voxels' else 'meshes'} found; "
                        "check the path and the filter/category options")
    source = MeshImages(refs, cfg.model.image_size, cfg.views)
    report = LoadReport(loaded=len(source), skipped=list(source.skipped), reasons=dict(source.errors),
                        unit="objects (rendered on the fly)")
    if strict and source.skipped:
        raise DataError(f"--strict: {len(source.skipped)} unusable object(s): "
                        + "; ".join(f"{k} ({v})" for k, v in list(source.errors.items())[:10]))
    if len(source) == 0:
        raise DataError(f"--data {kind}:{rest}: none of the {len(refs)} object(s) could be loaded: "
                        + "; ".join(f"{k} ({v})" for k, v in list(source.errors.items())[:10]))
    return source, report


__all__ = ["DataError", "open_data_source"]
