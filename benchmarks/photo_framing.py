"""Does training on photos hand D a framing cue that no generator can take away?

`train --data PHOTOS` frames every photo as `photos.photo_image` does: the object's bounding box cropped,
scaled so its longer side is half the image, and centred. G's samples are rendered by a camera that frames
the voxel cube, not the object, so the object's box in them wanders in size and place from view to view. A
discriminator can tell the two framings apart even when the shapes are the same, and no 3D shape renders
with its box at exactly half the frame from every side, so G would chase a cue it cannot meet.

This trains fresh discriminators (disc_variety.train_d: the model's D, spectral norm, R1) on real chairs
only, so the shapes on both sides come from the same distribution and only the framing differs:
- real side ("the user's photos"): objects A rendered at --photo-size px, each render framed by
  photos.photo_image to the training size, as `train` frames a photo;
- fake side, objects B (disjoint from A), rendered by the training camera and then:
  - `camera`: as they are (what D compared photos with before the fix);
  - `framed`: framed as photos (iggan.framing.frame_like_photos, what `train` now does to G's renders when
    its data are photos), at the training size;
  - `framed at 2x`: rendered at twice the size, framed at it and area-halved;
  - `photos` (control): B through the same pipeline as A, the protocol's floor.
Held-out accuracy and AUC near 0.5 mean D cannot tell the framings apart.

    PYOPENGL_PLATFORM=osmesa python benchmarks/photo_framing.py .data/chairs_train32.npz
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from iggan.cameras import sample_views
from iggan.config import preset
from iggan.framing import frame_like_photos
from iggan.photos import photo_image
from iggan.render.reference import PyrenderRenderer
from iggan.render.voxel_mesh import surface_items

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disc_variety import accuracies, auc, scores, train_d  # noqa: E402  (sibling benchmark script)


def camera_renders(grids: np.ndarray, size: int, cfg, rng: torch.Generator, chunk: int = 64) -> torch.Tensor:
    """(N, R, R, R) binary grids -> (N, 1, size, size) reference renders at random training views."""
    renderer = PyrenderRenderer(size, cfg.views)
    out = []
    for i in range(0, len(grids), chunk):
        part = grids[i:i + chunk]
        views = sample_views(len(part), cfg.views, rng)
        out.append(torch.from_numpy(renderer.scene.render_batch(
            surface_items(part, views.azimuth.numpy(), views.elevation.numpy())))[:, None])
    return torch.cat(out)


def as_photos(renders: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 1, P, P) renders on black -> (N, 1, size, size) framed by photos.photo_image, each render given
    as an RGBA photo whose alpha is where the object is (a cut-out photo)."""
    out = []
    for image in renders[:, 0].numpy():
        gray = np.round(image * 255).astype(np.uint8)
        rgba = np.stack([gray, gray, gray, np.where(image > 0, 255, 0).astype(np.uint8)], -1)
        framed, _, _ = photo_image(Image.fromarray(rgba, "RGBA"), size)
        out.append(torch.from_numpy(framed))
    return torch.stack(out)[:, None]


def framed_at_double(renders: torch.Tensor) -> torch.Tensor:
    """(N, 1, 2S, 2S) renders -> (N, 1, S, S): framed as photos at 2S, then area-halved."""
    return F.avg_pool2d(frame_like_photos(renders), 2)


def probe_setup(args):
    """The fast preset at --size, the grids of args.real, the seeded generators, and
    ((split, objects A, objects B, images a side), ...) for "train" and "test": A (photos) and B (fakes) are
    disjoint halves, and within each the held-out images come from held-out objects."""
    cfg = preset("fast")
    cfg.model.image_size = args.size
    with np.load(args.real) as data:
        grids = np.asarray(data["voxels"]).astype(bool)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(grids))
    half = len(order) // 2
    a_train, a_test = np.array_split(order[:half], [int(half * 0.8)])
    b_train, b_test = np.array_split(order[half:], [int((len(order) - half) * 0.8)])
    splits = (("train", a_train, b_train, args.train), ("test", a_test, b_test, args.test))
    return cfg, grids, rng, torch.Generator().manual_seed(args.seed), splits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("real", help="real grids (.npz 'voxels', G's orientation, as train --data voxels: takes)")
    ap.add_argument("--size", type=int, default=64, help="training image size")
    ap.add_argument("--photo-size", type=int, default=256, help="size of the renders that stand for photos")
    ap.add_argument("--train", type=int, default=2000, help="images per side to train each D on")
    ap.add_argument("--test", type=int, default=600, help="held-out images per side")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sheet", help="PNG of held-out images: real photos, then each fake arm, a row each")
    args = ap.parse_args()

    cfg, grids, rng, trng, splits = probe_setup(args)
    t0 = time.perf_counter()
    sets: dict[str, dict[str, torch.Tensor]] = {}
    for split, a_ids, b_ids, n in splits:
        real = as_photos(camera_renders(grids[rng.choice(a_ids, n)], args.photo_size, cfg, trng), args.size)
        b = grids[rng.choice(b_ids, n)]
        double = camera_renders(b, 2 * args.size, cfg, trng)
        single = camera_renders(b, args.size, cfg, trng)  # other views of the same objects, rendered at S
        arms = {"camera": single, "framed": frame_like_photos(single), "framed at 2x": framed_at_double(double),
                "photos (control)": as_photos(camera_renders(b, args.photo_size, cfg, trng), args.size)}
        sets[split] = {"real": real, **arms}
    print(f"rendered in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    print(f"| fake side (objects B) | held-out accuracy | AUC |")
    print("|---|---:|---:|")
    for arm in ("camera", "framed", "framed at 2x", "photos (control)"):
        t1 = time.perf_counter()
        D = train_d(cfg, {"real_train": sets["train"]["real"], "fake_train": sets["train"][arm]},
                    0, args.steps, args.batch, args.seed)
        real_s, fake_s = scores(D, sets["test"]["real"]), scores(D, sets["test"][arm])
        accuracy, _ = accuracies(real_s, fake_s, 1)
        print(f"| {arm} | {accuracy:.3f} | {auc(real_s, fake_s):.3f} |  ({time.perf_counter() - t1:.0f} s)")
    if args.sheet:
        rows = [torch.cat(list(sets["test"][k][:10, 0]), 1) for k in
                ("real", "camera", "framed", "framed at 2x", "photos (control)")]
        Image.fromarray((torch.cat(rows, 0).clamp(0, 1) * 255).byte().numpy()).save(args.sheet)


if __name__ == "__main__":
    main()
