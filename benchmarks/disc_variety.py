"""Can a discriminator that sees a group's spread (minibatch-std) tell G's chairs from real ones
better than a per-image D can? A CPU probe of the coverage gap before GPU time is spent on it.

Session 12 found G's chairs closer to each other than real chairs are (1-NNA's generated side at
home 74%): a lack of variety, which a D judging one image at a time cannot see. This trains fresh
discriminators (the model's own D architecture, spectral norm, R1 as in training) to separate
Pyrender renders of real training chairs from renders of G's binarised samples, on fixed image sets
made once, and scores them on held-out images of other objects and other samples:

- per-image D: accuracy per image, and per group of G images by its mean logit (evidence pooled);
- minibatch-std D (group G): accuracy per group of G images of one kind.

`--views V` gives every D V views of each object a quarter turn apart (train --disc-views V), so
the table shows whether seeing several sides at once exposes what single views do not.

If the minibatch-std D beats the per-image D's pooled group accuracy, the groups carry a difference
in variety that single images do not; if not, the feature gives G nothing new to follow.

`--control thicken-up` replaces G's samples by real chairs grown one voxel upwards (seats and
armrests one voxel thicker; benchmarks/metric_sensitivity.py: 12 points of 1-NNA), so the table
shows what accuracy a 3D difference of that size reaches in the same protocol.

`--surface smooth` draws every grid as the export's smoothed mesh instead of its cubes (session 29):
with cubes, a one-voxel ripple and the stair steps of a slanted real panel draw alike; smoothed, the
steps become a plane and the ripple stays a wave, so the table shows whether G's ripples are then seen.

    PYOPENGL_PLATFORM=osmesa python benchmarks/disc_variety.py chairs .data/chairs_train32.npz \\
        --train 3000 --test 800 --steps 500 --batch 32 --group 4
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch

from iggan.cameras import sample_views
from iggan.eval.models import load_subject
from iggan.losses import d_loss, r1_penalty
from iggan.models.discriminator import Discriminator
from iggan.render.protocol import sample_thresholds
from iggan.render.reference import PyrenderRenderer
from iggan.asset_export.orient import vertex_normals
from iggan.asset_export.fairing import fair_surface
from iggan.asset_export.settings import ExportSettings
from iggan.asset_export.surface import surface_mesh
from iggan.render.voxel_mesh import surface_items

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lighting import LIGHTINGS, apply_lighting  # noqa: E402  (sibling benchmark script)
from visibility_gap import depth_images  # noqa: E402

DEPTH = "depth"  # not a lighting: orthographic depth maps instead of Pyrender images
SURFACES = ("cubes", "smooth")


def smooth_items(grids, azimuth, elevation, iterations: int = ExportSettings.smooth_iterations):
    """Like voxel_mesh.surface_items, but each grid drawn as the export's surface (marching cubes, then
    `iterations` fairing passes, smooth vertex normals) instead of its cubes, in the same world cube.
    (Taubin passes until session 41, when the export's smoothing changed; the session-21 figures used them.)
    With cubes a one-voxel ripple and the stair step of a slanted panel both draw as axis-aligned
    faces; smoothed, the step becomes a plane and the ripple a wave."""
    for grid, a, e in zip(grids, azimuth, elevation):
        if not grid.any():  # an empty sample draws nothing, as voxel_surface gives for it
            empty = np.zeros((0, 3), np.float32)
            yield empty, empty, np.zeros((0, 3), np.uint32), float(a), float(e)
            continue
        mesh = vertex_normals(fair_surface(surface_mesh(grid), grid.shape, iterations))
        yield mesh.vertices, mesh.normals, mesh.faces, float(a), float(e)


def render_set(grids: np.ndarray, renderer: PyrenderRenderer | None, cfg, rng: torch.Generator,
               views: int = 1, chunk: int = 64, rgb: bool = False, surface: str = "cubes") -> torch.Tensor:
    """(N, R, R, R) {0,1} grids in G's orientation -> (N, V * C, S, S) renders at random views, each
    followed by V - 1 more a quarter turn apart (what a D with model.disc_views = V judges); C = 3
    channels with `rgb`, else 1 (the reference images' red channel). renderer None: depth maps.
    surface: "cubes" (what training renders) or "smooth" (the export's mesh, smooth_items)."""
    out = []
    for i in range(0, len(grids), chunk):
        part = grids[i:i + chunk]
        sides = sample_views(len(part), cfg.views, rng).around(views)
        if renderer is None:  # depth maps: what no lighting can show better
            images = torch.from_numpy(depth_images(part.repeat(views, axis=0), sides, cfg.model.image_size))[:, None]
            out.append(images.reshape(len(part), -1, *images.shape[2:]))
            continue
        items = smooth_items if surface == "smooth" else surface_items
        images = renderer.scene.render_batch(
            items(part.repeat(views, axis=0), sides.azimuth.numpy(), sides.elevation.numpy()), rgb=rgb)
        images = torch.from_numpy(images if rgb else images[..., None]).permute(0, 3, 1, 2)  # sample-major
        out.append(images.reshape(len(part), -1, *images.shape[2:]))
    return torch.cat(out)


def make_sets(args, subject, cfg) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Real renders of held-apart objects and fake renders of separate sample draws, train and test;
    and (test,) the index in `args.real` of each held-out real render's object."""
    rng = np.random.default_rng(args.seed)
    trng = torch.Generator().manual_seed(args.seed)
    with np.load(args.real) as data:
        real = np.asarray(data["voxels"]).astype(bool)
    order = rng.permutation(len(real))
    n_test_objects = int(round(len(real) * args.test_objects))
    test_ids, train_ids = order[:n_test_objects], order[n_test_objects:]
    renderer = None
    if args.lighting != DEPTH:
        renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
        apply_lighting(renderer.scene, args.lighting)
    rgb = args.lighting == "rgb"  # three channels, one per light
    sets, drawn = {}, {}
    for split, ids, n, seed in (("train", train_ids, args.train, args.seed + 1),
                                ("test", test_ids, args.test, args.seed + 2)):
        drawn[split] = rng.choice(ids, n)
        sets[f"real_{split}"] = render_set(real[drawn[split]], renderer, cfg, trng, args.views, rgb=rgb,
                                           surface=args.surface)
        if args.control == "thicken-up":  # other draws of the same objects, one voxel thicker upwards (+Y)
            chosen = real[rng.choice(ids, n)]
            grown = np.roll(chosen, 1, axis=2)
            grown[:, :, 0] = False  # no wrap-around: the top layer does not reappear at the bottom
            binary = chosen | grown
        else:
            occupancy = torch.from_numpy(subject.sample_grids(n, seed))
            binary = (occupancy > sample_thresholds(n, trng).view(-1, 1, 1, 1)).numpy()  # as D sees them in training
        sets[f"fake_{split}"] = render_set(binary, renderer, cfg, trng, args.views, rgb=rgb, surface=args.surface)
    return sets, drawn["test"]


def train_d(cfg, sets, group: int, steps: int, batch: int, seed: int, device: str = "cpu",
            plain: bool = False) -> Discriminator:
    """A fresh D (minibatch-std group `group`, 0 = per image; as many views per object as the sets
    hold) trained on the fixed train sets (kept on the CPU; each step's batch moves to `device`).

    plain: a classifier rather than a GAN's D: no spectral norm, no R1, and each batch mirrored left
    to right at random (a mirrored render is a render of the mirrored chair), so that its held-out
    accuracy bounds what D's regularisation, rather than the images, hides."""
    torch.manual_seed(seed)
    model_cfg = dataclasses.replace(cfg.model, disc_minibatch_std=group,
                                    disc_spectral_norm=cfg.model.disc_spectral_norm and not plain)
    D = Discriminator(model_cfg, in_channels=sets["real_train"].shape[1]).to(device)  # views x colours
    opt = torch.optim.Adam(D.parameters(), lr=cfg.train.lr_d, betas=cfg.train.betas)
    g = torch.Generator().manual_seed(seed)
    real, fake = sets["real_train"], sets["fake_train"]
    r1_gamma = 0.0 if plain else cfg.train.r1_gamma
    for _ in range(steps):
        r = real[torch.randint(len(real), (batch,), generator=g)].to(device)
        f = fake[torch.randint(len(fake), (batch,), generator=g)].to(device)
        if plain:
            flip = (torch.rand(2 * batch, generator=g) < 0.5).to(device)[:, None, None, None]
            both = torch.cat([r, f])
            r, f = torch.where(flip, both.flip(-1), both).split(batch)
        r.requires_grad_(r1_gamma > 0)
        logits = D(torch.cat([r, f]))
        loss = d_loss(logits[:batch], logits[batch:])
        if r1_gamma > 0:
            loss = loss + 0.5 * r1_gamma * r1_penalty(logits[:batch], r)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return D.eval()


@torch.no_grad()
def scores(D: Discriminator, images: torch.Tensor) -> torch.Tensor:
    """Logits (N,) on the CPU of images of one kind, in batches of 64 (a minibatch-std D groups
    consecutive ones)."""
    device = next(D.parameters()).device
    return torch.cat([D(images[i:i + 64].to(device)).cpu() for i in range(0, len(images), 64)])


def accuracies(real: torch.Tensor, fake: torch.Tensor, group: int) -> tuple[float, float]:
    """(per-image accuracy, accuracy of the groups' mean logits); real should score > 0."""
    per_image = 0.5 * ((real > 0).float().mean() + (fake <= 0).float().mean())
    rg = real[: len(real) // group * group].view(-1, group).mean(1)
    fg = fake[: len(fake) // group * group].view(-1, group).mean(1)
    return float(per_image), float(0.5 * ((rg > 0).float().mean() + (fg <= 0).float().mean()))


def auc(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Probability that a held-out real image outscores a fake one (0.5: no separation)."""
    return float((real[:, None] > fake[None, :]).float().mean() + 0.5 * (real[:, None] == fake[None, :]).float().mean())


def save_sheet(sets: dict[str, torch.Tensor], path: str, n: int = 8) -> None:
    """A PNG of the first n held-out real renders (top row) and fake ones (bottom row), first channel."""
    from PIL import Image

    rows = [torch.cat(list(sets[k][:n, 0]), dim=1) for k in ("real_test", "fake_test")]
    Image.fromarray((torch.cat(rows, dim=0).clamp(0, 1) * 255).byte().numpy()).save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="generator: bundled name, run folder or checkpoint")
    ap.add_argument("real", help="training grids (.npz, 'voxels', G's orientation: what train --data voxels: takes)")
    ap.add_argument("--train", type=int, default=3000, help="images per side to train on")
    ap.add_argument("--test", type=int, default=800, help="held-out images per side")
    ap.add_argument("--test-objects", type=float, default=0.2, help="share of real objects kept for testing")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--batch", type=int, default=32, help="images per side per step")
    ap.add_argument("--group", type=int, default=4,
                    help="minibatch-std group size, and the pooling group of the table (0: per-image D only, pooled in 4s)")
    ap.add_argument("--seeds", type=int, default=1, help="D initialisations per variant")
    ap.add_argument("--image-size", type=int, default=None, help="render and judge at this size (default: the model's)")
    ap.add_argument("--disc-channels", type=int, default=None,
                    help="width of D's first layer, doubled per downsampling (default: the model's, 32)")
    ap.add_argument("--skip-per-image", action="store_true", help="train only the minibatch-std D")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="where G samples and D trains (e.g. cuda)")
    ap.add_argument("--views", type=int, default=1,
                    help="views of each object D judges at once, a quarter turn apart (train --disc-views)")
    ap.add_argument("--save-logits", default=None, metavar="FILE.npz",
                    help="save the first D's held-out logits and each real one's object index in REAL")
    ap.add_argument("--control", choices=["thicken-up"], default=None,
                    help="fakes are real chairs made one voxel thicker upwards instead of G's samples")
    ap.add_argument("--lighting", choices=LIGHTINGS + (DEPTH,), default="reference",
                    help="how the images are lit (benchmarks/lighting.py): as trained, RGB lights, or with shadows; "
                         "or depth: orthographic depth maps, the most any shading could show")
    ap.add_argument("--surface", choices=SURFACES, default="cubes",
                    help="draw each grid as its cubes (as trained) or as the export's smoothed surface, where a "
                         "slanted panel is flat and G's one-voxel ripples stay waves")
    ap.add_argument("--save-images", default=None, metavar="FILE.png",
                    help="save a sheet of the first 8 held-out renders of each side (real top, fake below)")
    ap.add_argument("--plain", action="store_true",
                    help="judge with a plain classifier: no spectral norm, no R1, random mirroring")
    args = ap.parse_args()
    pool = args.group or 4
    t0 = time.perf_counter()
    subject = load_subject(args.model, device=args.device)
    cfg = subject.config
    if args.image_size:  # e.g. 256: would a D at a higher resolution see more?
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, image_size=args.image_size))
    if args.disc_channels:  # would a wider D see more?
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, disc_channels=args.disc_channels))
    sets, real_test_ids = make_sets(args, subject, cfg)
    if args.save_images:
        save_sheet(sets, args.save_images)
    print(f"rendered {sum(v.shape[0] for v in sets.values()) * args.views} images at {cfg.model.image_size} px "
          f"in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for seed in range(args.seeds):
        variants = (args.group,) if args.skip_per_image else (0, args.group) if args.group else (0,)
        for group in variants:
            t1 = time.perf_counter()
            D = train_d(cfg, sets, group, args.steps, args.batch, args.seed + 100 + seed, args.device, args.plain)
            real, fake = scores(D, sets["real_test"]), scores(D, sets["fake_test"])
            train_real = scores(D, sets["real_train"][: args.test])
            train_fake = scores(D, sets["fake_train"][: args.test])
            img, grp = accuracies(real, fake, pool)
            _, grp_train = accuracies(train_real, train_fake, pool)
            rows.append((group, seed, img, grp, grp_train, auc(real, fake), time.perf_counter() - t1))
            if args.save_logits and seed == 0 and group == variants[0]:
                # which real objects D finds most unlike G's: benchmarks/coverage_logits.py
                np.savez(args.save_logits, real_ids=real_test_ids, real_logits=real.numpy(),
                         fake_logits=fake.numpy())
            print(f"group {group} seed {seed}: done in {rows[-1][-1]:.0f} s", flush=True)
    what = "real chairs thickened 1 voxel upwards" if args.control else args.model
    print(f"\n{what} vs {args.real}: {args.train} train / {args.test} held-out objects per side, "
          f"{args.views} view(s) each, {args.lighting} lighting, {args.surface} surface, "
          f"{'plain classifier' if args.plain else 'D'} width {cfg.model.disc_channels}, "
          f"{args.steps} steps of {args.batch}+{args.batch}")
    print("| D | seed | held-out accuracy per image | held-out accuracy per group of "
          f"{pool} | same on train images | held-out AUC of single logits | train s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for group, seed, img, grp, grp_train, gap, secs in rows:
        name = f"minibatch-std, group {group}" if group else "per image (groups: mean logit)"
        shown_img = f"{img:.3f}" if not group else "-"  # a group D's single-image score is not defined
        print(f"| {name} | {seed} | {shown_img} | {grp:.3f} | {grp_train:.3f} | {gap:.3f} | {secs:.0f} |")
    print(f"wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
