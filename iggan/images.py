"""Image folders for training: every PNG/JPEG/WebP/AVIF/HEIC under a folder -> (N, 1, S, S) float32 in [0, 1].

- Folders written by `render-dataset` (they hold its manifest.json) are loaded as they are
  (grayscale, resized); any other image is treated as a photo (`iggan.photos`: alpha or border
  background as the mask, cropped to the object, scaled so it covers half the frame, on black).
- Training run folders inside the folder (a `train --out` under `--data`) are left out: their sample
  sheets are the model's output, not training images.
- Unreadable, empty, tiny and over-large files are skipped and reported by name; `strict=True`
  makes any of them an error. Files with other suffixes are ignored (and listed).
- The result is cached (an .npz under ``$IGGAN_CACHE_DIR`` or ``~/.cache/iggan-assets/images``), keyed
  by every file's name, size and mtime and by the options, so a second run starts at once.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .photos import IMAGE_SUFFIXES, RENDER_LEVEL, PhotoError, photo_image, prepared_image, unify_mean, unsupported_reason

log = logging.getLogger(__name__)
MAX_PIXELS = 16384 * 16384  # larger images are skipped (decoding one would need gigabytes)
CACHE_VERSION = 6  # bump when the processing changes, so old caches are not reused (4: EXIF orientation, 5: ICC,
# 6: a folder mixing photos and render-dataset images frames them all as photos; unify to RENDER_LEVEL)


class DataError(ValueError):
    """The training data cannot be used; the message says why and what to do."""


@dataclass
class LoadReport:
    loaded: int = 0
    skipped: list[str] = field(default_factory=list)  # file names (relative to the folder)
    reasons: dict[str, str] = field(default_factory=dict)  # skipped name -> why
    ignored: list[str] = field(default_factory=list)  # files that are not PNG/JPEG/WebP/AVIF/HEIC by name
    runs: list[str] = field(default_factory=list)  # training run folders inside the data folder, left out
    warnings: dict[str, str] = field(default_factory=dict)  # used, but with a caveat
    from_cache: bool = False
    # How the images are framed: "camera" (render-dataset folders, as they are) or "object" (photos, each
    # object's box centred and half the image wide; photos.photo_image). train.framing follows it.
    framing: str = "camera"
    unified: bool = False  # each image's mean object brightness set to photos.RENDER_LEVEL (unify_intensity)
    unit: str = "images"  # what `loaded` counts: 'images', or 'objects' for sources rendered on the fly

    def summary(self) -> str:
        """Human-readable lines about what was skipped, ignored or doubtful."""
        lines = []
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file(s): "
                         + "; ".join(f"{n} ({self.reasons.get(n, '?')})" for n in self.skipped[:8])
                         + (f"; and {len(self.skipped) - 8} more" if len(self.skipped) > 8 else ""))
        if self.warnings:
            lines.append(f"{len(self.warnings)} image(s) with warnings: "
                         + "; ".join(f"{n} ({w})" for n, w in list(self.warnings.items())[:8])
                         + (" ..." if len(self.warnings) > 8 else ""))
        if self.runs:
            lines.append(f"left out {len(self.runs)} training run folder(s) (their sample sheets are not training "
                         "images): " + ", ".join(self.runs[:8]) + (" ..." if len(self.runs) > 8 else ""))
        if self.ignored:
            lines.append(f"ignored {len(self.ignored)} non-image file(s): " + ", ".join(self.ignored[:8])
                         + (" ..." if len(self.ignored) > 8 else ""))
        return "\n".join(lines)


def image_to_array(img: Image.Image, size: int) -> np.ndarray:
    """Any PIL image already in training form -> (size, size) float32 in [0, 1]; alpha onto black."""
    return prepared_image(img, size)


def _cache_dir() -> Path:
    env = os.environ.get("IGGAN_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "iggan-assets" / "images"


def display_name(path: Path, folder: Path) -> str:
    """`path` relative to `folder`, printable: a name that is not valid UTF-8 (say Latin-1 from an old
    camera or archive) shows its odd bytes as \\xNN instead of breaking every message that names it."""
    return os.fsencode(path.relative_to(folder)).decode("utf-8", "backslashreplace")


def is_training_run(folder: Path) -> bool:
    """True for a `train --out` folder: its config.json beside checkpoints/ or samples/."""
    return (folder / "config.json").is_file() and ((folder / "checkpoints").is_dir() or (folder / "samples").is_dir())


def _scan(folder: Path) -> tuple[list[Path], list[Path]]:
    """Every visible file under `folder` (sorted; none in a hidden folder) but those inside training run folders;
    and those run folders."""
    # Hidden files and hidden folders' files are left out (e.g. render-dataset's staging folder of a killed run).
    every = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    runs = sorted({p.parent for p in every if p.name == "config.json" and p.parent != folder
                   and is_training_run(p.parent)})
    if runs:
        every = [p for p in every if not any(run in p.parents for run in runs)]
    return every, runs


def _cache_key(folder: Path, files: list[Path], options: dict) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"folder": str(folder.resolve()), "v": CACHE_VERSION, **options}, sort_keys=True).encode())
    for p in files:
        st = p.stat()
        # os.fsencode, not str.encode: names are bytes on Linux, and not every one decodes as UTF-8
        h.update(os.fsencode(p.relative_to(folder)) + f"\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def _read_cache(path: Path) -> tuple[np.ndarray, LoadReport] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            images = data["images"]
            meta = json.loads(str(data["meta"]))
        report = LoadReport(loaded=len(images), skipped=meta["skipped"], reasons=meta["reasons"],
                            ignored=meta["ignored"], warnings=meta["warnings"], from_cache=True,
                            framing=meta["framing"], unified=meta["unified"])
    except (OSError, ValueError, KeyError, TypeError):  # unreadable, or not a cache this version wrote: load anew
        return None
    return images, report


def _write_cache(path: Path, images: np.ndarray, report: LoadReport) -> None:
    meta = json.dumps({"skipped": report.skipped, "reasons": report.reasons, "ignored": report.ignored,
                       "warnings": report.warnings, "framing": report.framing,
                       "unified": report.unified})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npz")
        np.savez(tmp, images=images, meta=np.array(meta))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache is a slow start, not a failure
        log.warning("could not write the image cache %s (%s); set IGGAN_CACHE_DIR to a writable folder", path, exc)


def _read_one(path: Path, size: int, prepared: bool):
    """-> (image, mask, warning). Raises PhotoError with the reason for skipping."""
    if path.stat().st_size == 0:
        raise PhotoError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check the size ourselves
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise PhotoError(f"too large ({w}x{h} px, over {MAX_PIXELS // 10**6} Mpx); downscale it first")
                if prepared:
                    if min(w, h) < 1:
                        raise PhotoError("no pixels")
                    arr = prepared_image(img, size)
                    return arr, (arr > 0).astype(np.float32), None
                return photo_image(img, size)
    except Image.DecompressionBombError as exc:
        raise PhotoError(f"too large for a safe decode ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError(unsupported_reason(path)) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError(f"corrupt or truncated ({type(exc).__name__}: {exc})") from exc


def load_image_folder(folder: str | Path, size: int, *, strict: bool = False, unify: bool | None = False,
                      mode: str = "auto", cache: bool = True) -> tuple[torch.Tensor, LoadReport]:
    """All images in `folder` (recursively) -> (N, 1, size, size) float32 in [0, 1], and a report.

    mode: 'auto' (render-dataset folders as they are, photos through the photo pipeline; a folder holding
    both reads all as photos, report.framing says which), 'photos' (always the photo pipeline) or 'prepared'
    (always as they are). unify: set each image's mean object brightness to photos.RENDER_LEVEL, the reference
    renders' (None: for photos only; report.unified says whether it was done).
    Raises DataError for a missing/empty/all-bad folder, or (strict) for any skipped file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DataError(f"image folder {folder} {what}; pass a folder of PNG/JPEG/WebP/AVIF/HEIC images")
    if mode not in ("auto", "photos", "prepared"):
        raise ValueError(f"mode must be auto, photos or prepared, not {mode!r}")
    every, runs = _scan(folder)
    files = [p for p in every if p.suffix.lower() in IMAGE_SUFFIXES]
    ignored = [display_name(p, folder) for p in every  # render-dataset manifests are expected, not noise
               if p.suffix.lower() not in IMAGE_SUFFIXES and p.name != "manifest.json"]
    if not files:
        raise DataError(f"{folder} has no PNG/JPEG/WebP/AVIF/HEIC images"
                        + (f" (only {len(ignored)} other file(s), e.g. {ignored[0]})" if ignored else "")
                        + "; put training images there (e.g. made by `iggan-assets render-dataset`)")
    mode = _resolved_mode(files, mode)  # in the cache key: adding or removing a manifest changes how images read
    unify = mode == "photos" if unify is None else unify
    options = {"size": size, "unify": unify, "mode": mode}
    cache_path = _cache_dir() / f"{_cache_key(folder, files, options)}.npz" if cache else None
    cached = _read_cache(cache_path) if cache_path is not None and cache_path.is_file() else None
    images, report = cached if cached is not None else _load(folder, files, size, mode, unify)
    report.ignored = ignored
    report.runs = [display_name(run, folder) for run in runs]
    if cached is None and cache_path is not None and len(images):
        _write_cache(cache_path, images, report)
    for name in report.skipped:  # debug: the caller reports them once, from report.summary()
        log.debug("skipped %s: %s", name, report.reasons.get(name))
    if strict and report.skipped:
        raise DataError(f"--strict: {len(report.skipped)} unusable file(s) in {folder}: "
                        + "; ".join(f"{n} ({report.reasons.get(n)})" for n in report.skipped[:10])
                        + ". Remove or fix them, or drop --strict to skip them.")
    if len(images) == 0:
        raise DataError(f"{folder}: none of its {len(files)} image file(s) is usable: "
                        + "; ".join(f"{n} ({report.reasons.get(n)})" for n in report.skipped[:10])
                        + ". Add readable PNG/JPEG/WebP/AVIF/HEIC images of at least 16 px per side.")
    report.loaded = len(images)
    tensor = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
    return tensor, report


def _resolved_mode(files: list[Path], mode: str) -> str:
    """'auto' -> 'prepared' when every image lies in a render-dataset folder, else 'photos': in a folder that
    mixes renders and photos the renders are framed as photos too, so all images are framed alike."""
    from .render_dataset import is_render_folder

    if mode != "auto":
        return mode
    return "prepared" if all(is_render_folder(parent) for parent in {p.parent for p in files}) else "photos"


def _load(folder: Path, files: list[Path], size: int, mode: str, unify: bool) -> tuple[np.ndarray, LoadReport]:
    """Read `files` in a resolved mode ('prepared' or 'photos')."""
    report = LoadReport()
    report.framing = "camera" if mode == "prepared" else "object"
    arrays, masks = [], []
    for path in files:
        name = display_name(path, folder)
        prepared = mode == "prepared"
        try:
            arr, mask, warning = _read_one(path, size, prepared)
        except PhotoError as exc:
            report.skipped.append(name)
            report.reasons[name] = str(exc)
            continue
        if warning:
            report.warnings[name] = warning
        arrays.append(arr)
        masks.append(mask)
    if not arrays:
        return np.zeros((0, size, size), np.uint8), report
    images = np.stack(arrays)
    if unify:  # to the renders' level, not the photos' own mean: D compares them with G's renders
        images = unify_mean(images, np.stack(masks), RENDER_LEVEL)
        report.unified = True
    return np.round(images * 255).astype(np.uint8), report
