"""Train the FID/KID feature network (`iggan/bundled/eval_classifier.*`) on reference renders of
real objects of many classes, and report its accuracy on held-out OBJECTS.

The paper retrained Inception on renders of 21 ShapeNet classes because ImageNet features fit
renders badly; ImageNet weights cannot be downloaded here anyway. We do the same at small scale:

- objects: Kenney Furniture Kit (64 GLB, CC0), the Sweet Home 3D catalogs (~820 OBJ, CC0/CC-BY,
  /usr/share/sweethome3d/furniture) and ModelNet10 chairs grids 0..788 (grids 789..888 are the
  evaluation hold-out and are never used here);
- classes: by object name (chair, sofa, table, bed, ...), else by Sweet Home 3D category; classes
  with fewer than MIN_OBJECTS objects are dropped;
- split: 20% of each class's objects are held out (all their views), so the accuracy is on
  objects the network never saw;
- views: azimuth 0..360, elevation -30..60 (covers both chair and sofa training views), 64^2 gray,
  rendered with the reference scene exactly like the training data; per class about
  IMAGES_PER_CLASS images (views per object = that / objects, clamped to 2..40).

Usage:
  .venv/bin/python benchmarks/train_eval_classifier.py            # render (cached) + train + ship
  .venv/bin/python benchmarks/train_eval_classifier.py --epochs 8 --workers 2
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KENNEY = ROOT.parent / "shared" / "data" / "kenney-furniture"
MODELNET = ROOT.parent / "shared" / "data" / "modelnet10-chairs-32.npz"
SH3D = Path("/usr/share/sweethome3d/furniture")
CACHE = ROOT / ".data" / "eval_classifier"
MODELNET_TRAIN = slice(0, 789)  # 789..888 are the evaluation hold-out
MODELNET_OBJECTS = 160  # ModelNet chairs used (drawn from 0..788): keeps 'chair' from dominating
IMAGES_PER_CLASS = 1400
RESUME_VIEWS = 12
MIN_OBJECTS = 6
SIZE = 64

# (class, regex on the object name); first match wins, so order matters ("Bedside table" is a table,
# Kenney "cabinetBed" a cabinet, "Convertible sofa" a sofa).
NAME_RULES = [
    ("sofa", r"sofa|couch|loungesofa|loungedesignsofa|futon couch|ottoman"),
    ("stool", r"stool|puff"),
    ("bench", r"bench"),
    ("chair", r"chair|seat|armchair"),
    ("cabinet", r"cabinet|wardrobe|cupboard|dresser|drawers|chest|bookcase|shelves|shelf|locker|vanity"),
    ("table", r"table|desk"),
    ("bed", r"\bbed|bed\b|^bed|crib|mattress|futon|hammock"),
    ("toilet", r"toilet|urinal|bidet|potty"),
    ("bath_sink", r"bath|washbasin|sink|basin|lavatory|jacuzzi|shower stall"),
    ("lamp", r"lamp|light|lantern|chandelier|candle"),
    ("plant", r"plant|tree|ficus|cactus|bamboo|yucca|orchid|tulip|lil(y|ies)|flower|bush|hedge|pine|palm|"
              r"maple|acacia|cypress|poplar|beech|bonsai|spathiphyllum|succulent"),
    ("appliance", r"oven|fridge|refrigerator|stove|washing|dryer|microwave|cooker|freezer|boiler|heater|radiator|"
                  r"\btv\b|television|screen|printer|imac|laptop|ibook|speaker|stereo|piano|fireplace"),
    ("kitchenware", r"cup|glass|bottle|plate|bowl|mug|pan|pot|kettle|knife|fork|spoon|jar|teapot|creamer|tray"),
]
CATEGORY_CLASSES = {"Vehicles": "vehicle", "Characters": "character", "Doors and windows": "door_window"}


def classify(name: str, category: str = "") -> str | None:
    """Object name (and Sweet Home 3D category) -> class, or None (not used)."""
    if category in CATEGORY_CLASSES:
        return CATEGORY_CLASSES[category]
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()  # Kenney camelCase -> words
    for cls, pattern in NAME_RULES:
        if re.search(pattern, spaced):
            return cls
    return None


def gather_objects(seed: int = 0):
    """-> list of (ObjectRef, class, source) for every usable object."""
    from iggan.meshes import list_objects

    out = []
    if KENNEY.is_dir():
        out += [(r, classify(r.name), "kenney") for r in list_objects(KENNEY)]
    if SH3D.is_dir():
        out += [(r, classify(r.name, r.category), "sh3d") for r in list_objects(SH3D)]
    if MODELNET.is_file():
        mn = list_objects(MODELNET)[MODELNET_TRAIN]
        pick = np.random.default_rng(seed).choice(len(mn), min(MODELNET_OBJECTS, len(mn)), replace=False)
        out += [(mn[i], "chair", "modelnet") for i in sorted(pick)]
    out = [o for o in out if o[1] is not None]
    counts = Counter(c for _, c, _ in out)
    return [o for o in out if counts[o[1]] >= MIN_OBJECTS]


def plan(objects, seed: int = 0):
    """Split objects per class (20% held out) and choose views. -> (jobs, meta per job)."""
    from iggan.render_dataset import ObjectJob

    rng = np.random.default_rng(seed)
    by_class = defaultdict(list)
    for ref, cls, src in objects:
        by_class[cls].append((ref, src))
    jobs, meta = [], []
    for cls in sorted(by_class):
        items = by_class[cls]
        order = rng.permutation(len(items))
        n_test = max(1, round(0.2 * len(items)))
        views = int(np.clip(math.ceil(IMAGES_PER_CLASS / len(items)), 2, 40))
        for rank, i in enumerate(order):
            ref, src = items[i]
            az = rng.uniform(0.0, 360.0, views)
            el = rng.uniform(-30.0, 60.0, views)
            jobs.append(ObjectJob(len(jobs), ref, [(float(a), float(e)) for a, e in zip(az, el)]))
            meta.append({"class": cls, "source": src, "split": "test" if rank < n_test else "train"})
    return jobs, meta


def render(workers: int, seed: int = 0) -> Path:
    """Render (once; cached under .data/eval_classifier) and write labels.json."""
    from iggan.render_dataset import RenderOptions, file_stem, render_dataset

    labels = CACHE / "labels.json"
    if labels.is_file():
        return labels
    CACHE.mkdir(parents=True, exist_ok=True)
    jobs, meta = plan(gather_objects(seed), seed)
    # Resumable: objects whose images are all on disk are not rendered again. Objects still to do
    # get at most RESUME_VIEWS views (a prefix of the planned ones): heavy Sweet Home 3D meshes
    # (characters, plants, vehicles) cost ~0.3 s per view in software GL on the 2-core box.
    done_jobs = [j for j in jobs if all((CACHE / f"{file_stem(j)}_{v:02d}.png").is_file() for v in range(len(j.views)))]
    todo = [j for j in jobs if j not in done_jobs]
    if done_jobs:
        for j in todo:
            j.views = j.views[:RESUME_VIEWS]
    print(f"rendering {sum(len(j.views) for j in todo)} images of {len(todo)} objects "
          f"({len(done_jobs)} objects already rendered)", file=sys.stderr)
    opts = RenderOptions(size=SIZE, workers=workers, seed=seed)
    t0 = time.perf_counter()

    def progress(i, n, name):
        if i % 50 == 0 or i == n:
            print(f"  {i}/{n} objects, {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)

    summary = render_dataset(todo, CACHE, opts, "eval-classifier", progress)
    skipped = {s["object"] for s in summary.skipped}
    entries = []
    for job, m in zip(jobs, meta):
        if job.ref.label in skipped:
            continue
        stem = file_stem(job)
        entries.append({**m, "object": job.ref.label, "name": job.ref.name,
                        "files": [f"{stem}_{v:02d}.png" for v in range(len(job.views))]})
    labels.write_text(json.dumps({"objects": entries, "skipped": summary.skipped,
                                  "seconds": summary.seconds}, indent=1))
    print(f"rendered {summary.images} images in {summary.seconds:.0f}s; skipped {len(summary.skipped)}",
          file=sys.stderr)
    return labels


def load_split(labels: Path):
    """-> (x_train uint8 (N,S,S), y_train, x_test, y_test, classes, objects per split)."""
    from PIL import Image

    data = json.loads(labels.read_text())
    classes = sorted({o["class"] for o in data["objects"]})
    idx = {c: i for i, c in enumerate(classes)}
    xs = {"train": [], "test": []}
    ys = {"train": [], "test": []}
    objs = {"train": Counter(), "test": Counter()}
    for o in data["objects"]:
        for f in o["files"]:
            p = labels.parent / f
            if p.is_file():
                xs[o["split"]].append(np.asarray(Image.open(p).convert("L")))
                ys[o["split"]].append(idx[o["class"]])
        objs[o["split"]][o["class"]] += 1
    return (np.stack(xs["train"]), np.array(ys["train"]), np.stack(xs["test"]), np.array(ys["test"]),
            classes, objs, data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="render processes")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--render-only", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "iggan" / "bundled" / "eval_classifier")
    args = ap.parse_args()
    labels = render(args.workers)
    if args.render_only:
        return
    from iggan.eval.train_classifier import train_and_save

    x_tr, y_tr, x_te, y_te, classes, objs, data = load_split(labels)
    print(f"train {len(x_tr)} images ({sum(objs['train'].values())} objects), test {len(x_te)} images "
          f"({sum(objs['test'].values())} objects), {len(classes)} classes", file=sys.stderr)
    sources = Counter(o["source"] for o in data["objects"])
    description = (
        f"{len(x_tr) + len(x_te)} 64x64 gray reference renders (iggan/render/scene.py lighting; azimuth 0..360, "
        f"elevation -30..60) of {sum(sources.values())} objects: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        + f" (ModelNet10 chairs {MODELNET_OBJECTS} drawn from grids 0..788; the evaluation hold-out 789..888 is never "
        f"used). Classes by object name, else Sweet Home 3D category. Held-out split: 20% of each class's objects "
        f"({sum(objs['test'].values())} objects, {len(x_te)} images).")
    train_and_save(x_tr, y_tr, x_te, y_te, classes, args.out, epochs=args.epochs, batch_size=args.batch_size,
                   threads=args.threads, description=description,
                   per_class_objects={c: [objs["train"][c], objs["test"][c]] for c in classes})


if __name__ == "__main__":
    main()
