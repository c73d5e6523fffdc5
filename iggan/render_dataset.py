"""Render training images of real 3D objects with the reference scene (the lighting used in training).

`plan_dataset` fixes every object's views from the seed before any rendering, so the result does not
depend on the number of workers or their scheduling. `render_dataset` renders the plan in this
process or in worker processes (each with its own GL context, started with 'spawn', because a GL
context cannot cross a fork) and writes PNGs plus a `manifest.json`.

The paper's dataset sizes:
- ``protocol='500'``: 500 images, one view per object (500 objects drawn by the seed; with fewer
  objects the 500 views are spread as evenly as possible);
- ``protocol='full'``: every object once, and more views for small classes: ``max(views,
  ceil(min_images / objects))`` views per object;
- "unlimited" is not a folder: ``train --data mesh:DIR`` renders fresh views on the fly
  (`iggan.mesh_source`).
"""
from __future__ import annotations

import json
import math
import multiprocessing as mp
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .meshes import ObjectMesh, ObjectRef, SourceError, load_object

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "iggan-assets/render-dataset/1"


@dataclass
class RenderOptions:
    size: int = 64
    views: int = 1  # views per object
    azimuth: tuple[float, float] = (0.0, 360.0)  # degrees
    elevation: tuple[float, float] = (-30.0, 60.0)  # degrees
    color: str = "gray"  # 'gray' (training images) or 'rgb' (material colours, same lights)
    seed: int = 0
    limit: int | None = None  # at most this many objects, drawn by the seed
    protocol: str | None = None  # None, '500' or 'full'
    min_images: int = 2000  # 'full': at least this many images in all
    workers: int = 1
    renderer: str = "pyrender"  # or "blender": EEVEE, same camera and lights (iggan/render/blender_eevee.py)


@dataclass
class ObjectJob:
    number: int  # position in the plan (names the files)
    ref: ObjectRef
    views: list[tuple[float, float]]  # (azimuth, elevation) in degrees


@dataclass
class RenderSummary:
    images: int = 0
    objects: int = 0
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def plan_dataset(refs: list[ObjectRef], opts: RenderOptions) -> list[ObjectJob]:
    """Choose objects and views (degrees) deterministically from opts.seed."""
    if not refs:
        raise SourceError("no objects to render (check the source path, --filter and --category)")
    rng = np.random.default_rng(opts.seed)
    chosen = list(range(len(refs)))
    views = [opts.views] * len(refs)
    if opts.protocol == "500":
        total = 500
        if len(refs) >= total:
            chosen = sorted(rng.choice(len(refs), total, replace=False).tolist())
            views = [1] * total
        else:
            views = [total // len(refs) + (1 if i < total % len(refs) else 0) for i in range(len(refs))]
    elif opts.protocol == "full":
        per = max(opts.views, math.ceil(opts.min_images / len(refs)))
        views = [per] * len(refs)
    elif opts.protocol is not None:
        raise ValueError(f"unknown protocol {opts.protocol!r}; use '500' or 'full'")
    if opts.limit is not None and len(chosen) > opts.limit:
        keep = sorted(rng.choice(len(chosen), opts.limit, replace=False).tolist())
        chosen, views = [chosen[i] for i in keep], [views[i] for i in keep]
    jobs = []
    for number, (i, k) in enumerate(zip(chosen, views)):
        az = rng.uniform(opts.azimuth[0], opts.azimuth[1], k)
        el = rng.uniform(opts.elevation[0], opts.elevation[1], k)
        jobs.append(ObjectJob(number, refs[i], [(float(a), float(e)) for a, e in zip(az, el)]))
    return jobs


def render_view(scene, mesh: ObjectMesh, azimuth_deg: float, elevation_deg: float, rgb: bool = False) -> np.ndarray:
    """One image through the reference scene: (S, S) gray or (S, S, 3) RGB, float32 in [0, 1]."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    if not rgb:
        return scene.render(mesh.positions, mesh.normals, mesh.triangles, az, el)
    # Same camera, lights and material as the gray path; vertex colours multiply the base colour.
    item = (mesh.positions, mesh.normals, mesh.triangles, az, el, mesh.colors)
    return scene.render_batch([item], rgb=True)[0]


def file_stem(job: ObjectJob) -> str:
    safe = re.sub(r"[^A-Za-z0-9]+", "-", job.ref.name).strip("-")[:40] or "object"
    return f"{job.number:05d}_{safe}"


def image_name(job: ObjectJob, view: int) -> str:
    """The file name of one view's image, e.g. 00003_chair_01.png."""
    return f"{file_stem(job)}_{view:02d}.png"


def planned_files(jobs: list[ObjectJob]) -> list[str]:
    """Every image name `jobs` can write, known before rendering (so clashes are found before any work)."""
    return [image_name(job, v) for job in jobs for v in range(len(job.views))]


# ----------------------------------------------------------------------------- worker processes

_SCENE = None
_SETTINGS: dict = {}
_IN_PROCESS = threading.Lock()  # held while render_dataset draws in this process (workers=1) through _SCENE


def _init_worker(size: int, out: str, rgb: bool, renderer: str = "pyrender") -> None:
    global _SCENE
    from .config import ViewConfig
    from .render.scene import ReferenceScene

    if renderer == "blender":
        from .render.blender_eevee import EeveeScene
        _SCENE = EeveeScene(size, ViewConfig())
    else:
        _SCENE = ReferenceScene(size, ViewConfig())
    _SETTINGS.update(out=Path(out), rgb=rgb)


def _render_job(job: ObjectJob) -> dict:
    """Render one object's views into the output folder; returns its manifest entry."""
    from PIL import Image

    entry = {"object": job.ref.label, "name": job.ref.name, "category": job.ref.category, "kind": job.ref.kind,
             "up": job.ref.up}
    try:
        mesh = load_object(job.ref, color=_SETTINGS["rgb"])
    except SourceError as exc:
        return {**entry, "error": str(exc)}
    out, rgb, images = _SETTINGS["out"], _SETTINGS["rgb"], []
    for v, (az, el) in enumerate(job.views):
        img = render_view(_SCENE, mesh, az, el, rgb)
        name = image_name(job, v)
        tmp = out / f".{name}.tmp.png"
        Image.fromarray(np.round(img * 255).astype(np.uint8)).save(tmp, optimize=True)
        tmp.replace(out / name)
        images.append({"file": name, "azimuth_deg": round(az, 4), "elevation_deg": round(el, 4)})
    return {**entry, "images": images}


def render_dataset(jobs: list[ObjectJob], out: Path, opts: RenderOptions, source: str,
                   progress: Callable[[int, int, str], None] | None = None) -> RenderSummary:
    """Render `jobs` into `out` (PNGs + manifest.json). progress(done_objects, total_objects, message).
    When nothing could be rendered no manifest is written: an empty one would pass for a dataset."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary, entries = RenderSummary(), [None] * len(jobs)
    rgb = opts.color == "rgb"
    pool = None
    in_process = opts.workers <= 1
    if in_process:  # one call at a time renders through the module's scene: another thread's would replace it
        _IN_PROCESS.acquire()
    try:
        start = time.perf_counter()  # after any wait for the lock: images/s is this call's own speed
        if in_process:
            _init_worker(opts.size, str(out), rgb, opts.renderer)
            results = map(_render_job, jobs)
        else:
            # 'spawn': each worker starts clean and makes its own GL context (never fork a GL process).
            pool = mp.get_context("spawn").Pool(opts.workers, _init_worker, (opts.size, str(out), rgb, opts.renderer))
            results = pool.imap(_render_job, jobs, chunksize=1)
        for i, entry in enumerate(results):
            entries[i] = entry
            if "error" in entry:
                summary.skipped.append({"object": entry["object"], "error": entry["error"]})
            else:
                summary.objects += 1
                summary.images += len(entry["images"])
            if progress:
                progress(i + 1, len(jobs), entry["name"])
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if in_process:
            _IN_PROCESS.release()
    summary.seconds = time.perf_counter() - start
    if summary.images:
        write_manifest(out, source, opts, [e for e in entries if e and "error" not in e], summary)
    return summary


def write_manifest(out: Path, source: str, opts: RenderOptions, objects: list[dict], summary: RenderSummary) -> None:
    from .checkpoint import atomic_write_bytes

    options = asdict(opts)
    options.pop("workers")  # does not change the images
    manifest = {
        "format": MANIFEST_FORMAT,
        "source": source,
        "seed": opts.seed,
        "options": options,
        "conventions": "views in degrees; camera at distance 3 looking at the origin, +Y up, azimuth 0 looks "
                       "down -Z; objects normalised to [-0.5, 0.5]^3; lit by the reference scene's two "
                       "directional lights (iggan/render/scene.py)",
        "images": summary.images,
        "objects": objects,
        "skipped": summary.skipped,
    }
    atomic_write_bytes(out / MANIFEST, json.dumps(manifest, indent=1).encode())


def is_render_folder(folder: Path) -> bool:
    """True when `folder` holds a manifest.json written by render-dataset."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text()).get("format") == MANIFEST_FORMAT
    except (OSError, ValueError, AttributeError):
        return False
