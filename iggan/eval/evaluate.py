"""Evaluate a generator: reference renders of its samples vs the data images (FID, KID), and its
3D shapes vs reference shapes (MMD, COV, 1-NNA on yaw-minimised Chamfer distance).

Samples are binarised at 0.5 and rendered by the Pyrender reference renderer at views drawn from
the run's view distribution (the distribution its training data was rendered with), so FID/KID
compare like with like. Features come from the shipped classifier (`iggan.eval.classifier`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

from ..asset_export import ExportSettings
from ..cameras import sample_views
from ..framing import frame_like_photos, level_brightness
from .classifier import extract_features, load_classifier
from .image_metrics import fid, fid_is_reliable, kid
from .exported import exported_grids
from .models import EvalError, Subject, format_slice, load_grids
from .shape_metrics import shape_metrics

if TYPE_CHECKING:
    from ..images import LoadReport

Progress = Callable[[str], None]


@dataclass
class EvalOptions:
    samples: int = 1000  # generated images for FID/KID
    seed: int = 0
    max_data: int = 5000  # at most this many data images (drawn by the seed)
    reference_shapes: Path | None = None
    reference_slice: slice | None = None
    reference_up: str = "z"
    shape_samples: int | None = None  # generated shapes for the 3D metrics (default: as many as references)
    shape_repeats: int = 1  # independent generated sets (seeds seed, seed+1, ...): metrics are their mean
    points: int = 512
    yaw_angles: int = 12
    device: str = "cpu"
    sheet: Path | None = None  # save a sample sheet (PNG) of the first 32 renders here
    overwrite: bool = False  # replace an existing sheet
    elevation: tuple[float, float] | None = None  # override the run's elevation range (degrees)
    # score the shapes as `generate` ships them (eval/exported.py) under these settings (a card's checks); None: raw
    as_exported: ExportSettings | None = None


@dataclass
class EvalResult:
    metrics: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def render_samples(subject: Subject, n: int, seed: int, elevation=None) -> tuple[np.ndarray, np.ndarray]:
    """n reference renders at the subject's views -> (images (n, S, S) float32, grids or empty)."""
    if subject.kind == "images":
        return subject.sample_images(n, seed), np.zeros((0,))
    from ..render.reference import PyrenderRenderer

    views_cfg = subject.config.views
    if elevation is not None:
        views_cfg = type(views_cfg)(**{**views_cfg.__dict__, "elevation": tuple(elevation)})
    if subject.kind == "grids":
        base = subject.grids
        grids = base[np.arange(n) % len(base)]  # real shapes: cycle through them, fresh views each time
    else:
        grids = subject.sample_grids(n, seed) > 0.5
    views = sample_views(n, views_cfg, torch.Generator().manual_seed(seed + 7))
    try:
        renderer = PyrenderRenderer(subject.config.model.image_size, views_cfg)
        images = np.stack([renderer.render_grid(g, float(a), float(e))
                           for g, a, e in zip(grids, views.azimuth.numpy(), views.elevation.numpy())])
    except RuntimeError as exc:  # GL set-up
        raise EvalError(str(exc)) from exc
    return images, grids


def load_data_images(folder: Path, max_images: int, seed: int,
                     say: Progress | None = None) -> tuple[np.ndarray, LoadReport]:
    """Every image under `folder` (render-dataset folders as they are; photos framed and their brightness levelled,
    as `train` reads them) -> ((N, 64, 64) float32, the load report: its framing and whether it was levelled).
    `say` gets the report of skipped or ignored files, once."""
    from ..images import DataError, load_image_folder

    try:
        images, report = load_image_folder(folder, 64, unify=None)
    except DataError as exc:
        raise EvalError(str(exc)) from exc
    summary = report.summary()
    if summary and say is not None:
        say("warning: " + summary)
    images = images[:, 0].numpy()
    if len(images) > max_images:
        images = images[np.sort(np.random.default_rng(seed).choice(len(images), max_images, replace=False))]
    return images, report


def evaluate(subject: Subject, data: Path, opts: EvalOptions, progress: Progress | None = None) -> EvalResult:
    """FID/KID vs `data`, and 3D metrics vs opts.reference_shapes when given."""
    say = progress or (lambda msg: None)
    res = EvalResult()
    t0 = time.perf_counter()
    ref = reference_grids(subject, opts)  # a bad file or slice fails here, not after minutes of rendering
    net, meta = load_classifier()
    say(f"data images from {data}")
    real, report = load_data_images(Path(data), opts.max_data, opts.seed, say)
    if len(real) < 2:
        raise EvalError(f"{data}: FID needs at least 2 images, found {len(real)}")
    say(f"rendering {opts.samples} samples of {subject.name}")
    t1 = time.perf_counter()
    fake, _ = render_samples(subject, opts.samples, opts.seed, opts.elevation)
    res.info["render_seconds"] = round(time.perf_counter() - t1, 1)
    if report.framing == "object" and subject.kind != "images":  # photos: renders framed as they were (as in training)
        fake = frame_like_photos(torch.from_numpy(fake)[:, None])[:, 0].numpy()
    if report.unified:  # both sides levelled, as D sees them in training
        real, fake = (level_brightness(torch.from_numpy(x)[:, None])[:, 0].numpy() for x in (real, fake))
    if opts.sheet is not None:
        write_sheet(Path(opts.sheet), fake[:32], opts.overwrite)
    f_real = extract_features(net, real, device=opts.device)
    f_fake = extract_features(net, fake, device=opts.device)
    k_mean, k_std = kid(f_fake, f_real, seed=opts.seed)
    res.metrics.update({"fid": fid(f_fake, f_real), "kid": k_mean, "kid_std": k_std})
    note = fid_note(len(f_fake), len(f_real), f_fake.shape[1], capped=len(real) >= opts.max_data)
    if note:
        res.info["fid_note"] = note
    res.info.update({"model": subject.name, "kind": subject.kind, "generated_images": len(fake),
                     "data_images": len(real), "data": str(data), "framing": report.framing,
                     "brightness_levelled": report.unified,
                     "views": {"azimuth": list(subject.config.views.azimuth),
                               "elevation": list(opts.elevation or subject.config.views.elevation)},
                     "mean_intensity_generated": round(float(fake.mean()), 4),
                     "mean_intensity_data": round(float(real.mean()), 4),
                     "feature_net": {"classes": len(meta["classes"]), "heldout_accuracy": meta.get("heldout_accuracy")}})
    if opts.reference_shapes is not None:
        if ref is None:
            res.info["shape_metrics"] = "skipped: a 2D model has no 3D shapes"
        else:
            n = opts.shape_samples or len(ref)
            say(f"3D metrics: {n} shapes vs {len(ref)} reference shapes, {opts.shape_repeats} draw(s)")
            t2 = time.perf_counter()
            metrics, sm = repeated_shape_metrics(subject, ref, n, opts)
            res.metrics.update(metrics)
            res.info.update(sm)
            res.info["shape_seconds"] = round(time.perf_counter() - t2, 1)
            window = format_slice(opts.reference_slice)
            res.info["reference_shapes"] = f"{opts.reference_shapes}[{window}] up={opts.reference_up}"
    res.info["seconds"] = round(time.perf_counter() - t0, 1)
    return res


def fid_note(n_generated: int, n_data: int, dims: int, capped: bool = False) -> str | None:
    """Plain words when FID is unreliable at these sample sizes (None when it is fine). capped: --max-data
    left data images out."""
    if fid_is_reliable(n_generated, n_data, dims):
        return None
    data_fix = "raise --max-data" if capped else "add data images"
    short = [f"{n} {what} ({fix})" for n, what, fix in ((n_generated, "renders", "raise --samples"),
                                                       (n_data, "data images", data_fix)) if n <= dims]
    return (f"FID is unreliable here: it needs more images than the feature network's {dims} dimensions on each "
            f"side, and there are {' and '.join(short)}; KID has no such limit")


def write_sheet(path: Path, images: np.ndarray, overwrite: bool) -> None:
    """Save the sample sheet whole or not at all (a temporary file, then a rename), and never over an existing
    file unless `overwrite` (the CLI checked before the renders; this catches a file made since)."""
    from ..asset_export.atomic import atomic_write
    from ..asset_export.errors import ExportError
    from ..sheets import grid_png

    try:
        atomic_write(path, grid_png(images, cols=8), overwrite=overwrite)
    except (ExportError, OSError) as exc:
        raise EvalError(f"could not write --sheet {path}: {exc}") from exc


def reference_grids(subject: Subject, opts: EvalOptions) -> np.ndarray | None:
    """The reference shapes of the 3D metrics, loaded and checked before any slow work (None when none are asked
    for, or the subject is a 2D model with no shapes to score)."""
    if opts.reference_shapes is None or subject.kind == "images":
        return None
    ref = load_grids(opts.reference_shapes, opts.reference_slice, opts.reference_up, label="--reference-shapes")
    if len(ref) < 2:  # one reference: 1-NNA is 0 and COV 1 whatever the model makes
        raise EvalError(f"{opts.reference_shapes}[{format_slice(opts.reference_slice)}] holds {len(ref)} shape; "
                        "the 3D metrics need at least 2 reference shapes: widen --reference-slice")
    n = opts.shape_samples or len(ref)
    if subject.kind == "grids" and n > len(subject.grids):  # sample_grids would refuse after the renders
        raise EvalError(f"{subject.name} holds {len(subject.grids)} shapes; the 3D metrics want {n} "
                        f"(--shape-samples, else as many as the reference shapes): pass --shape-samples "
                        f"{len(subject.grids)} or fewer")
    return ref


SHAPE_KEYS = ("mmd_cd", "cov_cd", "1nna_cd")
# what explains 1-NNA: its two sides, whether G copies the references, and how thick each set's parts
# are; how ragged and how fragmented each set is, and how many of its shapes fall over (means over draws)
DIAGNOSTIC_KEYS = ("nn_home_generated", "nn_home_reference", "near_ratio", "copies_generated",
                   "thickness_generated", "thickness_reference", "spur_generated", "spur_reference",
                   "loose_generated", "loose_reference", "topple_generated", "topple_reference")


def repeated_shape_metrics(subject: Subject, ref: np.ndarray, n: int, opts: EvalOptions) -> tuple[dict, dict]:
    """MMD/COV/1-NNA of `shape_repeats` independent draws of n generated shapes (seeds seed, seed+1,
    ...) against the same references -> (metrics: the means, plus `<key>_std` over draws when there
    are several; info: each draw's values, and the generated and empty counts over all draws).

    With 100 shapes a side, one draw's 1-NNA moves by several points between seeds, so single
    figures cannot tell close models apart; the mean and std over draws can. A real-shapes subject
    returns the same grids every time, so its draws differ only in the surface points sampled.
    """
    per_draw = []
    for k in range(opts.shape_repeats):
        seed = opts.seed + k
        exported = {}
        if opts.as_exported is None:
            gen = subject.sample_grids(n, seed) > 0.5
        else:
            gen, exported = exported_grids(subject, n, seed, opts.as_exported)
        sm = {**shape_metrics(gen, ref, opts.points, opts.yaw_angles, seed, opts.device), **exported}
        per_draw.append(sm)
    metrics = {key: float(np.mean([d[key] for d in per_draw])) for key in SHAPE_KEYS}
    if len(per_draw) > 1:
        metrics.update({f"{key}_std": float(np.std([d[key] for d in per_draw])) for key in SHAPE_KEYS})
    metrics.update({key: float(np.mean([d[key] for d in per_draw])) for key in DIAGNOSTIC_KEYS})
    info = {k: v for k, v in per_draw[0].items() if k not in SHAPE_KEYS + DIAGNOSTIC_KEYS}
    for key in ("n_generated", "empty_generated"):  # over all draws
        info[key] = int(sum(d[key] for d in per_draw))
    if opts.as_exported is not None:  # over all draws: latents looked at, and why the refused ones were
        info["exported_tried"] = int(sum(d["exported_tried"] for d in per_draw))
        reasons = [r for d in per_draw for r in d["exported_refused"]]
        info["exported_refused"] = {r: int(sum(d["exported_refused"].get(r, 0) for d in per_draw)) for r in reasons}
    info["shape_draws"] = [{key: round(d[key], 5) for key in SHAPE_KEYS} for d in per_draw]
    return metrics, info

