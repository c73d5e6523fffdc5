"""Does the brightness of photographed objects hand D a cue that G cannot take away?

G's samples are drawn in one grey material under the reference lights, so their mean brightness on the object is
fixed by the renderer (about 0.73 for chairs at the default views). Real objects come in dark wood, black metal or
white paint and are photographed at any exposure. A discriminator can tell dark photos from G's renders by
brightness alone, and G can only answer by bending its shapes towards faces the lights leave dark.

As benchmarks/photo_framing.py, this trains fresh discriminators on real chairs only (objects A as cut-out photos,
objects B rendered by the training camera and framed as photos, what `train` does since session 53), now with each
photographed chair given a material between dark and light (its grey scaled by a gain drawn from --gain), and the
photos then:
- `as photographed`: as `train` reads them by default;
- `unified among themselves`: each photo's object mean set to the photos' common mean (photos.unify_mean, target
  None: `--unify-intensity` before session 53, as the paper did for its photo set);
- `unified to the renders`: each photo's object mean set to the reference renders' (photos.RENDER_LEVEL);
- `levelled, G's side too`: then framing.level_brightness on both sides, photos and G's renders (what
  `train --unify-intensity` does since session 53);
- `light grey (control)`: photos of the same chairs without the material, the framing benchmark's arm.
Held-out accuracy and AUC near the control's mean D cannot use the brightness.

    PYOPENGL_PLATFORM=osmesa python benchmarks/photo_brightness.py .data/chairs_train32.npz
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from iggan.framing import frame_like_photos, level_brightness
from iggan.photos import RENDER_LEVEL, unify_mean

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disc_variety import accuracies, auc, scores, train_d  # noqa: E402  (sibling benchmark script)
from photo_framing import as_photos, camera_renders, probe_setup  # noqa: E402


ARMS = ("as photographed", "unified among themselves", "unified to the renders", "levelled, G's side too",
        "light grey (control)")


def unified(photos: torch.Tensor, target: float | None) -> torch.Tensor:
    """(N, 1, S, S) photos on black -> each object's mean brightness set to `target` (None: their common mean)."""
    images = photos[:, 0].numpy()
    return torch.from_numpy(unify_mean(images, (images > 0).astype(np.float32), target))[:, None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("real", help="real grids (.npz 'voxels', G's orientation, as train --data voxels: takes)")
    ap.add_argument("--gain", type=float, nargs=2, default=(0.25, 1.0), help="range of the materials' grey scale")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--photo-size", type=int, default=256)
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--test", type=int, default=600)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    cfg, grids, rng, trng, splits = probe_setup(args)
    t0 = time.perf_counter()
    sets: dict[str, dict[str, torch.Tensor]] = {}
    for split, a_ids, b_ids, n in splits:
        renders = camera_renders(grids[rng.choice(a_ids, n)], args.photo_size, cfg, trng)
        grey = as_photos(renders, args.size)
        gains = torch.from_numpy(rng.uniform(*args.gain, n).astype(np.float32)).view(-1, 1, 1, 1)
        coloured = as_photos(renders * gains, args.size)  # a material, photographed
        fakes = frame_like_photos(camera_renders(grids[rng.choice(b_ids, n)], args.size, cfg, trng))
        sets[split] = {"fake": fakes, "as photographed": coloured, "unified among themselves": unified(coloured, None),
                       "unified to the renders": unified(coloured, RENDER_LEVEL), "light grey (control)": grey,
                       "levelled, G's side too": level_brightness(unified(coloured, RENDER_LEVEL)),
                       "fake levelled": level_brightness(fakes)}
    print(f"rendered in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    print("| photos (objects A) | object mean | held-out accuracy | AUC |")
    print("|---|---:|---:|---:|")
    for arm in ARMS:
        fake = "fake levelled" if arm == "levelled, G's side too" else "fake"
        t1 = time.perf_counter()
        D = train_d(cfg, {"real_train": sets["train"][arm], "fake_train": sets["train"][fake]},
                    0, args.steps, args.batch, args.seed)
        real_s, fake_s = scores(D, sets["test"][arm]), scores(D, sets["test"][fake])
        accuracy, _ = accuracies(real_s, fake_s, 1)
        images = sets["test"][arm]
        level = float(images[images > 0].mean())
        print(f"| {arm} | {level:.3f} | {accuracy:.3f} | {auc(real_s, fake_s):.3f} |  ({time.perf_counter() - t1:.0f} s)")
    fakes = sets["test"]["fake"]
    print(f"(G's side, framed renders of objects B: object mean {float(fakes[fakes > 0].mean()):.3f})")


if __name__ == "__main__":
    main()
