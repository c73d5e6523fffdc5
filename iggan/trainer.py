"""One trainer for IG-GAN: generator G, discriminator D, proxy renderer R_phi, reference renderer R_d.

Each step (updates 1:1:1, as in the paper), in this order:
  x_c = G(z);  x_d = [x_c > t] for K thresholds t ~ U[0, 1] per sample;  I_d = R_d(x_d)
  R_phi:  L2(R_phi(x_d), I_d) + lambda * (log D(R_phi(x_c)) - mean_K log D(I_d))^2
  D:      real images vs I_d (reference renders of binarised samples)
  G:      -log D(R_phi(G(z))), gradients through R_phi (R_d is never differentiated)
With pipelined rendering, x_c and I_d of step k+1 are made while step k trains (one G update old).

Each DDP-wrapped model is called with gradients once per step; elsewhere the raw module is used
(with its parameters frozen), so every all-reduce averages exactly the gradient of its own loss.
"""
from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from . import checkpoint as ckpt
from .cameras import Views, sample_views
from .config import Config
from .coverage import CoverageSearch, coverage_loss
from .framing import frame_like_photos, level_brightness
from .losses import d_loss, dom_loss, dom_rank_correlation, g_loss, image_l2, move_dom_loss, nn_spread, r1_penalty
from .models.dcgan2d import ImageGenerator
from .models.discriminator import Discriminator
from .models.generator import VoxelGenerator
from .models.neural_renderer import NeuralRenderer
from .image_sources import ImageSource
from .proxy_augment import perturb
from .render.protocol import Renderer, binarise, sample_thresholds
from .render.voxel_faces import VoxelFaceRenderer
from .sheets import save_grid

_log = logging.getLogger(__name__)

# Emptied samples count as recovered only once their occupancy is back above this many times
# train.collapse_occupancy. Seen on an H100: a 500-step run whose occupancy sat at 0.001-0.003 for its
# last 280 steps, crossing the 0.001 threshold both ways, so no 200-step stretch under it ever formed.
EMPTY_UNTIL = 3.0


class NonFiniteLoss(RuntimeError):
    """A loss became NaN or Inf; the trainer saved its state and stopped."""


class GeneratorCollapsed(RuntimeError):
    """G emitted empty grids for `collapse_patience` steps; stopped without overwriting checkpoints."""


@contextlib.contextmanager
def frozen(*modules: nn.Module):
    """Temporarily stop parameter gradients of `modules` (gradients still flow through them)."""
    params = [p for m in modules for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, f in zip(params, flags):
            p.requires_grad_(f)


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


def _logged_step(line: bytes) -> float:
    """The step of one losses.jsonl line; infinity for a line that is not an entry (a torn write)."""
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return math.inf


def _check(name: str, loss: torch.Tensor) -> None:
    if not torch.isfinite(loss):
        raise NonFiniteLoss(f"{name} loss is {loss.item()}")


@dataclass
class StepTimes:
    """Seconds spent per phase, summed over steps (synchronised with the GPU when timing)."""

    generate: float = 0.0
    reference: float = 0.0
    discriminator: float = 0.0
    proxy: float = 0.0
    generator: float = 0.0
    steps: int = 0


@dataclass
class Batch:
    """Inputs of one step, drawn ahead so their reference renders can be made in the background."""

    z: torch.Tensor  # (B, z_dim)
    views: Views  # B views
    real: torch.Tensor | None  # (B, 1, S, S); None until rendered when it comes with `pending`
    x_c: torch.Tensor | None  # (B, C, R, R, R) continuous grids (None for dcgan2d)
    x_d: torch.Tensor | None  # (B*K, 1, R, R, R) binarised grids (IG-GAN only)
    pending: object = None  # a handle whose .result() gives R_d(x_d), (B*K, 1, S, S)


class _Done:
    """A finished render, for renderers that have no background mode."""

    def __init__(self, images):
        self.images = images

    def result(self):
        return self.images


G_RENDERERS = ("proxy", "faces")

# Thresholds of G's soft binarisation on the faces path: away from 0 and 1, where a soft step would
# turn G's near-zero empty space into haze (sigmoid(-t / temperature) on every voxel of a ray).
FACES_THRESHOLDS = (0.3, 0.7)


def _check_disc_views(cfg: Config, data, faces: bool) -> int:
    """model.disc_views, once checked: several views of one shape need G's gradient through the faces
    twin (the proxy and DOM are built for single views) and real shapes to render from those sides."""
    v = cfg.model.disc_views
    if v < 1:
        raise ValueError(f"model.disc_views must be >= 1, got {v}")
    if v > 1 and not faces:
        raise ValueError("model.disc_views > 1 trains G through the faces twin: set train.g_renderer 'faces' "
                         "(CLI: --g-renderer faces)")
    grids = getattr(data, "grids", None)
    if v > 1 and (grids is None or tuple(grids.shape[1:]) != (cfg.model.voxel_res,) * 3):
        raise ValueError(f"model.disc_views > 1 shows D each real shape from {v} sides, so the data must be voxel "
                         f"grids of the generator's resolution ({cfg.model.voxel_res}^3; CLI: --data voxels:FILE.npz, "
                         "see `iggan-assets voxelize`), not a folder of single images")
    return v


def _check_real_renderer(cfg: Config, data, reference: Renderer, mode: str) -> bool:
    """Whether the real images are the training renderer's own renders of the data's voxel grids
    (train.real_renderer 'own', the paper's protocol for its differentiable baselines), once checked."""
    choice = cfg.train.real_renderer
    if choice not in ("reference", "own"):
        raise ValueError(f"train.real_renderer {choice!r}: choose 'reference' or 'own'")
    if choice == "reference":
        return False
    if mode != "direct" or getattr(reference, "channels", None) != 1:
        raise ValueError("train.real_renderer 'own' draws the real voxel grids with the baseline's own renderer: "
                         "use it with --renderer visual_hull or absorption (emission-absorption needs an emission "
                         "the data has no values for; IG-GAN and the 2D DCGAN have no renderer of their own)")
    if getattr(data, "grids", None) is None or not hasattr(data, "draw_grids"):
        raise ValueError("train.real_renderer 'own' renders the data's voxel grids: pass --data voxels:FILE.npz "
                         "(grids of one size), not images")
    return True


class Trainer:
    """Trains one of: IG-GAN (reference renderer + proxy), a differentiable-renderer baseline
    (G trained directly through the renderer), or the 2D DCGAN baseline (cfg.model.kind)."""

    def __init__(
        self,
        cfg: Config,
        data: ImageSource,
        run_dir: Path,
        reference: Renderer,
        device: str | torch.device = "cpu",
        proxy_init: Path | None = None,
        time_phases: bool = False,
    ):
        self.cfg, self.data, self.run_dir, self.reference = cfg, data, Path(run_dir), reference
        self.device = torch.device(device)
        self.time_phases = time_phases
        self.times = StepTimes()
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        t = cfg.train
        if t.augment_dom and not (t.proxy_augment and t.use_dom):
            raise ValueError("train.augment_dom is DOM on G's samples and their perturbed copies: it needs "
                             "train.proxy_augment > 0 and train.use_dom (CLI: --proxy-augment N, no --no-dom)")
        # "iggan": G -> binarise -> R_d, proxy R_phi carries gradients; "direct": G is trained
        # straight through a differentiable renderer or generates images itself (dcgan2d).
        self.mode = "direct" if (cfg.model.kind == "dcgan2d" or reference.differentiable) else "iggan"
        if not t.spread_weight >= 0 or (t.spread_weight > 0 and t.batch_size < 2):
            raise ValueError(f"train.spread_weight must be >= 0 and needs a batch of at least 2 samples; got "
                             f"{t.spread_weight} with batch_size {t.batch_size}")
        if not t.volume_weight >= 0 or (t.volume_weight > 0 and cfg.model.kind == "dcgan2d"):
            raise ValueError(f"train.volume_weight must be >= 0 and needs a 3D generator; got {t.volume_weight} "
                             f"for a {cfg.model.kind} model")
        if not t.coverage_weight >= 0 or (t.coverage_weight > 0 and (t.g_renderer != "faces" or t.coverage_pool < 1)):
            raise ValueError(f"train.coverage_weight must be >= 0 and needs train.g_renderer 'faces' (CLI: --g-renderer "
                             f"faces) and coverage_pool >= 1; got {t.coverage_weight} with {t.g_renderer!r}, pool "
                             f"{t.coverage_pool}")
        if t.framing == "object" and (t.coverage_weight > 0 or cfg.model.disc_views > 1):
            raise ValueError("train.framing 'object' (photos as --data) frames each image on its own: not with "
                             "train.coverage_weight or model.disc_views > 1, which compare unframed renders")
        if t.disc_warmup < 0 or t.proxy_warmup < 0:
            raise ValueError(f"train.disc_warmup ({t.disc_warmup}) and train.proxy_warmup ({t.proxy_warmup}) "
                             "count steps: 0 or more")
        if t.g_renderer not in G_RENDERERS:
            raise ValueError(f"train.g_renderer {t.g_renderer!r}: choose one of {G_RENDERERS}")
        if t.g_renderer == "faces" and not t.faces_temperature > 0:
            raise ValueError(f"train.faces_temperature must be > 0, got {t.faces_temperature}")
        if t.g_renderer == "faces" and (self.mode != "iggan" or t.augment_dom or t.proxy_augment):
            raise ValueError("train.g_renderer 'faces' replaces the proxy in IG-GAN mode (no proxy step, so "
                             "proxy_augment, augment_dom and proxy_warmup do not apply): not with a differentiable "
                             "or 2D baseline")
        # G's gradient path when it is not the proxy: the reference's exact differentiable twin
        self.faces = VoxelFaceRenderer(cfg.model.image_size, cfg.views) if t.g_renderer == "faces" else None
        self.coverage = CoverageSearch(cfg.views) if t.coverage_weight > 0 else None
        # Reference renders per sample and step: K for DOM's estimate, or the one D judges when there is
        # no proxy to train (faces), so no render is drawn that nothing uses.
        self.binarisations = 1 if self.faces is not None else t.dom_thresholds
        self.disc_views = _check_disc_views(cfg, data, self.faces is not None)
        self.own_real = _check_real_renderer(cfg, data, reference, self.mode)
        if cfg.model.disc_minibatch_std and t.batch_size % cfg.model.disc_minibatch_std:
            # D scores cat([real, fake]) in one forward: a group must not straddle the two halves
            raise ValueError(f"train.batch_size {t.batch_size} must be a multiple of model.disc_minibatch_std "
                             f"{cfg.model.disc_minibatch_std} (the group size of D's minibatch-std feature)")
        torch.manual_seed(t.seed)  # identical initial weights on every rank
        if cfg.model.kind == "dcgan2d":
            self.G = ImageGenerator(cfg.model).to(self.device)
        else:
            self.G = VoxelGenerator(cfg.model).to(self.device)
        self.D = Discriminator(cfg.model).to(self.device)
        self.R = NeuralRenderer(cfg.model).to(self.device) if self.mode == "iggan" else None
        if proxy_init is not None and self.R is not None:
            tensors, _ = ckpt.load_pair(proxy_init)
            ckpt.load_module("proxy", self.R, tensors, proxy_init)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=t.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=t.betas)
        self.opt_r = torch.optim.Adam(self.R.parameters(), lr=t.lr_proxy, betas=t.betas) if self.R else None
        if self.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            wrap = lambda m: nn.parallel.DistributedDataParallel(m, device_ids=ids)  # noqa: E731
            self.G, self.D = wrap(self.G), wrap(self.D)
            self.R = wrap(self.R) if self.R is not None else None
        # All randomness of the loop comes from this generator, so a resumed run is bit-identical.
        self.rng = torch.Generator().manual_seed(t.seed * 1000 + self.rank)
        self.step = 0
        self.sample_z = torch.randn(8, cfg.model.z_dim, generator=torch.Generator().manual_seed(12345))
        self._writer = None
        self.damaged_checkpoints: list[str] = []  # warnings from resume()
        self._resumed_at: int | None = None  # the step resume() went on from
        self._next: Batch | None = None  # the batch drawn ahead (pipelined rendering)

    @property
    def G_module(self) -> nn.Module:
        """G itself, without the DistributedDataParallel wrapper (for loading weights into it)."""
        return _unwrap(self.G)

    @property
    def D_module(self) -> nn.Module:
        """D itself, without the DistributedDataParallel wrapper (for loading weights into it)."""
        return _unwrap(self.D)

    def _modules(self) -> dict[str, nn.Module]:
        mods = {"generator": self.G, "discriminator": self.D}
        if self.R is not None:
            mods["proxy"] = self.R
        return {k: _unwrap(v) for k, v in mods.items()}

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"opt_g": self.opt_g, "opt_d": self.opt_d}
        if self.opt_r is not None:
            opts["opt_r"] = self.opt_r
        return opts

    # ------------------------------------------------------------------ one step
    def _phase(self, name: str, since: float) -> float:
        if not self.time_phases:
            return since
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        now = time.perf_counter()
        setattr(self.times, name, getattr(self.times, name) + now - since)
        return now

    def _draw(self) -> Batch:
        """Draw a step's inputs and start their reference renders (in the background if possible)."""
        B, K = self.cfg.train.batch_size, self.binarisations
        z = torch.randn(B, self.cfg.model.z_dim, generator=self.rng).to(self.device)
        views = sample_views(B, self.cfg.views, self.rng).to(self.device)
        thresholds = sample_thresholds(B * K, self.rng) if self.mode == "iggan" else None
        if thresholds is not None and self.cfg.train.fixed_threshold is not None:  # drawn all the same, so
            thresholds = torch.full_like(thresholds, self.cfg.train.fixed_threshold)  # the rng stream is unchanged
        submit = getattr(self.reference, "submit", None) if self.mode == "iggan" else None
        # Fresh views of real voxel grids at G's resolution go to the render workers with the fakes (one
        # job), so the "unlimited" dataset does not stall the loop; any other source renders its images
        # here (the same draw from self.rng either way, so resuming stays exact).
        grids = getattr(self.data, "grids", None)
        pooled = (submit is not None or self.disc_views > 1) and grids is not None \
            and tuple(grids.shape[1:]) == (self.cfg.model.voxel_res,) * 3
        drawn = self.data.draw_grids(B, self.rng) if pooled or self.own_real else None
        real = None if drawn is not None else self.data.sample(B, self.rng).to(self.device)
        if self.mode != "iggan":
            if self.own_real:  # the baseline's own renders of real shapes (the same draw as sample's)
                with torch.no_grad():
                    real = self.reference(drawn[0].to(self.device), drawn[1].to(self.device))
            return Batch(z, views, real, None, None)
        with torch.no_grad():
            x_c = _unwrap(self.G)(z)  # (B, 1, R, R, R) continuous occupancy
        x_d = binarise(x_c.repeat_interleave(K, dim=0), thresholds)  # (B*K, ...) binary
        views_k = views.repeat(K)
        if self.cfg.train.proxy_augment:  # (B*K + A, ...): perturbed copies after the binarisations
            x_d, views_k = self._augment(x_d, views_k)
        if drawn is not None:  # rendered after the B*K fakes; train_step splits them off
            grids, real_views = drawn
            x_all = torch.cat([x_d, grids.to(x_d.device, x_d.dtype)])
            views_all = Views.cat(views_k, real_views.to(x_d.device))
            if self.disc_views > 1:  # every grid, fake and real, from disc_views sides (sample-major)
                x_all, views_all = x_all.repeat_interleave(self.disc_views, 0), views_all.around(self.disc_views)
            pending = submit(x_all, views_all) if submit else _Done(self.reference(x_all, views_all))
            return Batch(z, views, None, x_c, x_d, pending)
        pending = submit(x_d, views_k) if submit else _Done(self.reference(x_d, views_k))
        return Batch(z, views, real, x_c, x_d, pending)

    def _augment(self, x_d: torch.Tensor, views_k: Views) -> tuple[torch.Tensor, Views]:
        """Append perturbed copies of the first A binarised grids, seen from the same views."""
        a = min(self.cfg.train.proxy_augment, len(x_d))
        moved = perturb(x_d[:a].cpu(), self.rng).to(x_d.device)
        return torch.cat([x_d, moved]), Views.cat(views_k, views_k[:a])

    def _drain_after(self, step: int, last: int) -> bool:
        """Steps after which nothing is drawn ahead: checkpoints and the end, so that every
        checkpoint holds the whole state and a resumed run repeats the uninterrupted one."""
        return step % self.cfg.train.checkpoint_every == 0 or step >= last

    def train_step(self, last_step: int | None = None) -> dict[str, float]:
        """One update of each model. Returns the scalar losses."""
        clock = time.perf_counter()
        batch = self._next or self._draw()
        self._next = None
        clock = self._phase("generate", clock)
        if self.mode == "iggan":
            ref = batch.pending.result()  # (B*K, 1, S, S), no gradient
            if batch.real is None:  # the real images were rendered in the same job, after the fakes
                n_fake = len(batch.x_d) * self.disc_views
                batch = replace(batch, real=ref[n_fake:])
                ref = ref[:n_fake]
            clock = self._phase("reference", clock)
            pipelined = self.cfg.train.pipeline_render and hasattr(self.reference, "submit")
            if pipelined and not self._drain_after(self.step + 1, last_step or self.cfg.train.steps):
                self._next = self._draw()  # rendered by the workers while this step trains
            losses = self._iggan_updates(batch, ref, clock)
        else:
            losses = self._direct_updates(batch, clock)
        if not self._generator_waits():
            self._update_ema()  # G did not move: the average must not drift towards it either
        self.times.steps += 1
        self.step += 1
        return losses

    def _generator_waits(self) -> bool:
        """Whether this step leaves G (and its EMA) alone: during the proxy's or D's warm-up."""
        t = self.cfg.train
        return self.step < t.disc_warmup or (self.mode == "iggan" and self.faces is None
                                              and self.step < t.proxy_warmup)

    def _as_data(self, images: torch.Tensor) -> torch.Tensor:
        """Renders of G's samples (N, C, S, S) as D sees them (train.framing): as drawn, or with "object"
        (experimental, for photos) each object's box centred and half the image wide (framing.py), so D
        cannot judge where the camera put them; then levelled as the real ones are (_as_seen).
        Differentiable in the pixels."""
        photos = self.cfg.train.framing == "object" and self.cfg.model.kind != "dcgan2d"  # a 2D G frames its own
        return self._as_seen(frame_like_photos(images) if photos else images)

    def _as_seen(self, images: torch.Tensor) -> torch.Tensor:
        """Any image D scores, real or G's: its mean object brightness levelled (train.unify_intensity), else as it is."""
        return level_brightness(images) if self.cfg.train.unify_intensity else images

    def _d_update(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """D: real vs fake images (one DDP forward), with the R1 penalty on the real ones."""
        t, B = self.cfg.train, len(real)
        real = self._as_seen(real)
        if t.r1_gamma > 0:
            real = real.detach().requires_grad_(True)
        logits = self.D(torch.cat([real, self._as_data(fake.detach())]))
        loss_d = d_loss(logits[:B], logits[B:])
        if t.r1_gamma > 0:
            loss_d = loss_d + 0.5 * t.r1_gamma * r1_penalty(logits[:B], real)
        _check("discriminator", loss_d)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        return loss_d

    def _g_update(self, fake_images: torch.Tensor, output: torch.Tensor,
                  coverage: torch.Tensor | None = None) -> dict[str, float]:
        """G: fool D on `fake_images`; with train.spread_weight > 0 also spread the batch's `output`
        (G's output as rendered: grids (B, C, R, R, R), or images for dcgan2d) apart; with
        train.volume_weight > 0 also shrink the grids' mean occupancy (channel 0); with a `coverage` loss
        (train.coverage_weight > 0) also pull renders towards the real images they are nearest to.
        Returns the logged losses."""
        with frozen(_unwrap(self.D)):
            loss_g = g_loss(_unwrap(self.D)(self._as_data(fake_images)))
        logged = {"loss_g": loss_g.item()}
        weight = self.cfg.train.spread_weight
        if weight > 0:
            spread = nn_spread(output)
            loss_g = loss_g - weight * spread
            logged["spread"] = spread.item()
        if self.cfg.train.volume_weight > 0:
            volume = output[:, :1].mean()
            loss_g = loss_g + self.cfg.train.volume_weight * volume
            logged["volume"] = volume.item()
        if coverage is not None:
            loss_g = loss_g + self.cfg.train.coverage_weight * coverage
            logged["coverage"] = coverage.item()
        _check("generator", loss_g)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        return logged

    def _iggan_updates(self, b: Batch, ref: torch.Tensor, clock: float) -> dict[str, float]:
        t, B, K = self.cfg.train, self.cfg.train.batch_size, self.cfg.train.dom_thresholds
        if self.faces is not None:
            return self._faces_updates(b, ref, clock)
        D, R = _unwrap(self.D), _unwrap(self.R)
        n = len(b.x_d)  # B*K binarisations, then any perturbed copies (proxy_augment) of the first ones
        views_k = b.views.repeat(K)
        views_k = Views.cat(views_k, views_k[: n - B * K])  # the copies are seen as their sources were

        # R_phi: imitate R_d on binary grids (L2) and match D's output on continuous grids (DOM).
        # It runs before D here so that the "D on proxy renders" ablation can use its output.
        pred = self.R(torch.cat([b.x_d, b.x_c]), Views.cat(views_k, b.views))
        loss_l2 = image_l2(pred[:n], ref)
        loss_move = 0.0  # DOM on the copies' changes (augment_dom), logged apart from DOM
        if t.use_dom:
            with frozen(D):
                proxy_logits = D(self._as_data(pred[n:]))
                with torch.no_grad():
                    ref_logits = D(self._as_data(ref[: B * K])).view(B, K)  # DOM's targets: G's own binarisations
            loss_dom = dom_loss(proxy_logits, ref_logits)
            fidelity = {"proxy_rank": dom_rank_correlation(proxy_logits, ref_logits)}
            if t.augment_dom:  # (checked at start-up: there are copies)
                loss_move, fidelity["move_rank"] = self._move_dom(pred, ref, ref_logits, n)
                fidelity["loss_move"] = loss_move.item()
        else:
            loss_dom = torch.zeros((), device=self.device)
            fidelity = {}  # D(reference) is not computed without DOM
        loss_r = loss_l2 + t.dom_weight * (loss_dom + loss_move)
        _check("proxy renderer", loss_r)
        if not t.freeze_proxy:
            self.opt_r.zero_grad(set_to_none=True)
            loss_r.backward()
            self.opt_r.step()
        clock = self._phase("proxy", clock)
        proxy_only = {"loss_l2": loss_l2.item(), "loss_dom": loss_dom.item(), **fidelity,
                      "occupancy": b.x_c.mean().item()}
        if self.step < t.proxy_warmup:  # G and D wait until the proxy has caught up with G
            return proxy_only

        # D: real images vs reference renders of binarised samples (one binarisation per sample).
        fake = pred[n:] if t.disc_on_proxy else ref[: B * K: K]
        loss_d = self._d_update(b.real, fake)
        clock = self._phase("discriminator", clock)
        if self._generator_waits():  # D's warm-up
            return {"loss_d": loss_d.item(), **proxy_only}

        # G: fool D through the proxy renderer (R_d is never differentiated).
        with frozen(R):
            grids = self.G(b.z)
            images = R(grids, b.views)
        logged_g = self._g_update(images, grids)
        self._phase("generator", clock)
        return {"loss_d": loss_d.item(), **logged_g, **proxy_only}

    def _faces_updates(self, b: Batch, ref: torch.Tensor, clock: float) -> dict[str, float]:
        """D as in IG-GAN; G through the face renderer of its output thresholded softly.

        Opacity a = sigmoid((x_c - t) / temperature) at a fresh threshold t per sample (uniform on
        FACES_THRESHOLDS, from a generator seeded by the step, so resuming stays exact): the image is
        nearly the reference render of that binarisation, which D judges, and the gradient reaches the
        voxels close to flipping. Two simpler choices failed (BENCHMARKS.md, session 11): a
        straight-through binarisation let occupancy run away, and x_c itself as opacity let G fool D
        with half-transparent plates that binarise full of holes."""
        t, B, V, S = self.cfg.train, self.cfg.train.batch_size, self.disc_views, self.cfg.model.image_size
        # (B, V, S, S): one binarisation per sample, its V views as channels (V = 1: the paper's D)
        loss_d = self._d_update(b.real.reshape(B, V, S, S), ref.reshape(B, V, S, S))
        clock = self._phase("discriminator", clock)
        if self._generator_waits():  # D's warm-up
            return {"loss_d": loss_d.item(), "occupancy": b.x_c.mean().item()}
        low, high = FACES_THRESHOLDS if t.fixed_threshold is None else (t.fixed_threshold, t.fixed_threshold)
        u = torch.rand(B, generator=torch.Generator().manual_seed(t.seed * 1_000_003 + self.step))
        thresholds = (low + (high - low) * u).to(self.device).view(-1, 1, 1, 1, 1)
        z, real = b.z, b.real.reshape(B, V, S, S)[:, :1]  # coverage: one view of each real object
        if self.coverage is not None:  # the samples nearest the real images join G's batch (one forward)
            chosen, chosen_views = self._coverage_search(real)
            z, thresholds = torch.cat([z, chosen]), thresholds.repeat(2, 1, 1, 1, 1)
        opacity = torch.sigmoid((self.G(z) - thresholds) / t.faces_temperature)
        coverage = None
        if self.coverage is not None:
            opacity, chosen_opacity = opacity.split(B)
            coverage = coverage_loss(self.coverage.render(chosen_opacity, chosen_views), real)
        images = self.faces(opacity.repeat_interleave(V, 0), b.views.around(V))  # (B*V, 1, S, S)
        logged_g = self._g_update(images.reshape(B, V, S, S), opacity, coverage)
        self._phase("generator", clock)
        return {"loss_d": loss_d.item(), **logged_g, "occupancy": b.x_c.mean().item()}

    @torch.no_grad()
    def _coverage_search(self, real: torch.Tensor) -> tuple[torch.Tensor, Views]:
        """For each real image (B, 1, S, S), one view of each object, the latent (B, z_dim) and grid view (B,)
        of the nearest render among a fresh pool of G's samples binarised at 0.5 (coverage.py). The real
        images' own views are not used."""
        t = self.cfg.train
        rng = torch.Generator().manual_seed(t.seed * 1_000_003 + self.step + 500_000_017)  # exact on resume
        z_pool = torch.randn(t.coverage_pool, self.cfg.model.z_dim, generator=rng).to(self.device)
        pool = (_unwrap(self.G)(z_pool) > 0.5).to(real.dtype)
        sample, view, _ = self.coverage.nearest(pool, real)
        return z_pool[sample], self.coverage.views_of(view)

    def _move_dom(self, pred: torch.Tensor, ref: torch.Tensor, ref_logits: torch.Tensor,
                  n: int) -> tuple[torch.Tensor, float]:
        """DOM on the change from each of the first A binarisations to its perturbed copy.

        pred, ref: (n, 1, S, S) proxy and reference renders of B*K binarisations then A copies;
        ref_logits: (B, K) D on the binarisations' reference renders. Returns the loss (gradient to
        the proxy only) and the rank correlation of the two changes (a log diagnostic).
        """
        B_K = ref_logits.numel()
        a = n - B_K
        D = _unwrap(self.D)
        with frozen(D):
            proxy_src, proxy_moved = D(self._as_data(torch.cat([pred[:a], pred[B_K:n]]))).flatten().split(a)
            with torch.no_grad():
                ref_moved = D(self._as_data(ref[B_K:n])).flatten()
        ref_src = ref_logits.flatten()[:a]  # sources are the first binarisations, in order
        loss = move_dom_loss(proxy_src, proxy_moved, ref_src, ref_moved)
        rank = dom_rank_correlation(proxy_moved - proxy_src, (ref_moved - ref_src)[:, None])
        return loss, rank

    def _direct_updates(self, b: Batch, clock: float) -> dict[str, float]:
        """Baselines: G's images come from a differentiable renderer (or G itself, dcgan2d)."""
        with torch.no_grad():
            G = _unwrap(self.G)
            fake = G(b.z) if self.cfg.model.kind == "dcgan2d" else self.reference(G(b.z), b.views)
        loss_d = self._d_update(b.real, fake)
        clock = self._phase("discriminator", clock)
        if self._generator_waits():  # D's warm-up
            return {"loss_d": loss_d.item(), "mean_image": fake.mean().item()}
        output = self.G(b.z)  # grids, or images for dcgan2d (the spread term then spreads the images)
        fake = output if self.cfg.model.kind == "dcgan2d" else self.reference(output, b.views)
        logged_g = self._g_update(fake, output)
        self._phase("generator", clock)
        return {"loss_d": loss_d.item(), **logged_g, "mean_image": fake.mean().item()}

    @torch.no_grad()
    def _update_ema(self) -> None:
        # Warm-up: early on the average follows G closely, so short runs are not judged by the init.
        decay = min(self.cfg.train.ema_decay, (1.0 + self.step) / (10.0 + self.step))
        for pe, p in zip(self.G_ema.parameters(), _unwrap(self.G).parameters()):
            pe.lerp_(p, 1.0 - decay)

    # ------------------------------------------------------------------ loop
    def train(self, steps: int, on_step: Callable[[int, dict[str, float]], None] | None = None,
              time_limit_s: float | None = None) -> None:
        """Run until `self.step == steps` (or time_limit_s passes: then checkpoint and return).

        Writes logs, sample sheets and checkpoints; stops on NaN/Inf with its state saved.
        """
        t = self.cfg.train
        start = time.monotonic()
        last = steps
        empty_steps = 0  # consecutive steps whose samples were (nearly) empty
        if self.step >= steps:
            return  # nothing to train (a finished run resumed): its checkpoint is already written
        while self.step < last:
            if time_limit_s is not None and last == steps and self._out_of_time(start, time_limit_s):
                # Finish the step already drawn ahead (if any) and stop after it, drained.
                last = self.step + (1 if self._next is not None else 0)
                if last == self.step:
                    break
            try:
                losses = self.train_step(last)
            except NonFiniteLoss as exc:
                path = self.save()
                raise NonFiniteLoss(
                    f"{exc} at step {self.step + 1}; training stopped and its state was saved to {path}. "
                    "Lower the learning rates or resume from an earlier checkpoint in "
                    f"{self.run_dir / 'checkpoints'}."
                ) from None
            if self.rank == 0:
                if self.step % t.log_every == 0:
                    self._log(losses)
                if self.step % t.sample_every == 0 or self.step == steps:
                    self.save_sample_sheet()
            empty_steps = empty_steps + 1 if self._samples_empty(losses, empty_steps > 0) else 0
            if t.collapse_patience and empty_steps >= t.collapse_patience:
                self._recover_from_collapse(empty_steps)  # or raise GeneratorCollapsed
                empty_steps = 0
                if last != steps:  # the time limit had already set the last step: stop here
                    last = self.step
                continue
            if self.step % t.checkpoint_every == 0 and self.step != last and empty_steps == 0:
                self.save()  # not while collapsing: keep the rotation's older, healthy checkpoints
            if on_step is not None:
                on_step(self.step, losses)
        self._save_final(empty_steps, stopped_early=last != steps)

    def _save_final(self, empty_steps: int, stopped_early: bool) -> None:
        """Checkpoint the state the loop stopped in, unless G's samples have been empty for the last
        `empty_steps` steps and a kept checkpoint predates that: it stays the newest, to resume from. A run
        with no checkpoint at all saves its empty state anyway (with a warning), since otherwise it could be
        neither looked at, evaluated nor resumed."""
        if not empty_steps:
            self.save()
            return
        why = "the time limit struck" if stopped_early else "training ended"
        kept = ckpt.list_checkpoints(self.run_dir)
        if kept:
            _log.warning("%s at step %d while G's samples had been empty for %d steps (%s): no checkpoint "
                         "written, so the newest is still step %d, from before they emptied; --resume continues "
                         "from it. Look at the sample sheets in %s.", why, self.step, empty_steps,
                         self._empty_means(), kept[-1][0], self.run_dir / "samples")
            return
        self.save()
        _log.warning("%s at step %d while G's samples had been empty for %d steps (%s), and the run had no "
                     "earlier checkpoint: saved this one anyway, but its shapes are (nearly) empty. Look at the sample "
                     "sheets in %s, and start again with another --seed.", why, self.step, empty_steps,
                     self._empty_means(), self.run_dir / "samples")

    def _empty_means(self) -> str:
        limit = self.cfg.train.collapse_occupancy
        return f"mean occupancy under {limit:g}, and not back above {EMPTY_UNTIL * limit:g} since"

    def _samples_empty(self, losses: dict[str, float], were_empty: bool) -> bool:
        """Whether this step's samples were (nearly) empty; the same on every rank (rank 0 decides).
        Samples become empty under collapse_occupancy and stop being so only above EMPTY_UNTIL times it, so
        a G whose occupancy hovers at the threshold counts as one empty stretch, not many short ones."""
        limit = self.cfg.train.collapse_occupancy * (EMPTY_UNTIL if were_empty else 1.0)
        empty = losses.get("occupancy", 1.0) < limit
        if self.world > 1:
            flag = torch.tensor([float(empty)])
            dist.broadcast(flag, 0)
            empty = bool(flag.item())
        return empty

    def _recover_from_collapse(self, empty_steps: int) -> None:
        """Reload the newest kept checkpoint (none is written while samples are empty, so it predates
        the collapse) and halve every learning rate; a resumed run is deterministic, so the same
        rates would lead back into the same collapse. Raises GeneratorCollapsed when none is left."""
        t = self.cfg.train
        found = ckpt.list_checkpoints(self.run_dir)
        if t.collapse_recoveries <= 0 or not found:
            self._raise_collapsed(empty_steps)
        if self._next is not None:  # the batch drawn ahead came from the collapsed G
            self._next.pending.result()
            self._next = None
        collapsed_at = self.step
        self.load(found[-1][1])
        # The steps after it are trained again: log them once, as a resume does (losses.jsonl and TensorBoard).
        self._drop_logs_after(self.step)
        if self._writer is not None:
            self._writer.close()
            self._writer = None  # reopened by _log with purge_step past this step
        self._resumed_at = self.step
        t.lr_g, t.lr_d, t.lr_proxy = t.lr_g / 2, t.lr_d / 2, t.lr_proxy / 2
        for opt, lr in ((self.opt_g, t.lr_g), (self.opt_d, t.lr_d), (self.opt_r, t.lr_proxy)):
            for group in (opt.param_groups if opt is not None else []):
                group["lr"] = lr
        t.collapse_recoveries -= 1
        if self.rank == 0:  # the CLI resumes from this file: keep the new rates and count there
            ckpt.atomic_write_bytes(self.run_dir / "config.json", json.dumps(self.cfg.to_dict(), indent=2).encode())
        _log.warning("generator collapsed to empty shapes at step %d; went back to step %d with learning rates "
                     "halved (G %.2g, D %.2g, proxy %.2g); %d recoveries left", collapsed_at, self.step,
                     t.lr_g, t.lr_d, t.lr_proxy, t.collapse_recoveries)

    def _raise_collapsed(self, empty_steps: int) -> None:
        kept = [step for step, _ in ckpt.list_checkpoints(self.run_dir)]
        what = (f"the generator collapsed to empty shapes ({self._empty_means()}) for the last {empty_steps} steps "
                f"(steps {self.step - empty_steps + 1}-{self.step}). Training stopped without writing a checkpoint")
        if not kept:
            raise GeneratorCollapsed(f"{what}, and the run has none from before the collapse. Look at the sample "
                                     f"sheets in {self.run_dir / 'samples'}, and start again with another --seed.")
        raise GeneratorCollapsed(
            f"{what}, so the kept ones (steps {kept}) in {self.run_dir / 'checkpoints'} predate the collapse. Look at "
            "the sample sheets, delete the checkpoints made after the shapes went wrong, and resume (--resume) from "
            "an earlier one, or start again with lower learning rates.")

    def _out_of_time(self, start: float, limit: float) -> bool:
        """Same answer on every rank (rank 0 decides), so DDP ranks stop at the same step."""
        over = torch.tensor([float(time.monotonic() - start > limit)])
        if self.world > 1:
            dist.broadcast(over, 0)
        return bool(over.item())

    def _log(self, losses: dict[str, float]) -> None:
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415 (slow import)

            resumed = self._resumed_at  # events past it are logged again: purge them
            self._writer = SummaryWriter(str(self.run_dir / "tb"),
                                         purge_step=None if resumed is None else resumed + 1)
        for k, v in losses.items():
            self._writer.add_scalar(k, v, self.step)
        self._writer.flush()
        with open(self.run_dir / "losses.jsonl", "a") as f:
            f.write(json.dumps({"step": self.step, **losses}) + "\n")

    @torch.no_grad()
    def sample_images(self, n_views: int = 4) -> np.ndarray:
        """Reference renders of EMA samples (threshold 0.5) from n_views azimuths: (8*n_views, S, S).
        The 2D DCGAN baseline shows its 8 images instead."""
        x = self.G_ema(self.sample_z.to(self.device))
        if self.cfg.model.kind == "dcgan2d":
            return x[:, 0].cpu().numpy()
        x = x[:, :1]  # occupancy (emission-absorption: the density channel)
        az = torch.arange(n_views, dtype=torch.float32) * (2 * math.pi / n_views) + math.radians(30)
        el = torch.full((n_views,), math.radians(25.0))
        views = Views(az.repeat(len(x)), el.repeat(len(x)))
        renderer = self.reference if self.mode == "iggan" else self._sheet_renderer()
        images = renderer((x > 0.5).float().repeat_interleave(n_views, dim=0), views)
        return images[:, 0].cpu().numpy()

    def _sheet_renderer(self):
        """Baselines train without Pyrender; their sheets still show reference renders of samples."""
        if getattr(self, "_sheet", None) is None:
            from .render.reference import PyrenderRenderer  # noqa: PLC0415

            self._sheet = PyrenderRenderer(self.cfg.model.image_size, self.cfg.views)
        return self._sheet

    def save_sample_sheet(self) -> Path:
        path = self.run_dir / "samples" / f"step_{self.step:08d}.png"
        save_grid(path, self.sample_images(), cols=8)
        return path

    # ------------------------------------------------------------------ checkpoints
    def _rng_states(self) -> dict[str, torch.Tensor]:
        state = self.rng.get_state()
        if self.world == 1:
            return {"rng.0": state}
        gathered = [torch.empty_like(state) for _ in range(self.world)]
        dist.all_gather_object(gathered, state)
        return {f"rng.{r}": s for r, s in enumerate(gathered)}

    def save(self) -> Path:
        """Write a checkpoint of everything the loop needs to continue bit-for-bit (rank 0 writes)."""
        rng = self._rng_states()
        stem = ckpt.checkpoint_stem(self.run_dir, self.step)
        if self.rank != 0:
            return stem
        tensors = {**rng}
        for name, module in self._modules().items():
            tensors.update(ckpt.state_dict_tensors(name, module))
        tensors.update(ckpt.state_dict_tensors("generator_ema", self.G_ema))
        meta = {"kind": "train", "step": self.step, "config": self.cfg.to_dict(), "world_size": self.world,
                "optimizers": {}}
        for name, opt in self._optimizers().items():
            tt, meta["optimizers"][name] = ckpt.optimizer_tensors(name, opt)
            tensors.update(tt)
        ckpt.save_pair(stem, tensors, meta)
        ckpt.prune_checkpoints(self.run_dir, self.cfg.train.keep_checkpoints)
        return stem

    def load(self, stem: Path) -> None:
        tensors, meta = ckpt.load_pair(stem)
        self._load_state(stem, tensors, meta)

    def _load_state(self, stem: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
        for name, module in self._modules().items():
            ckpt.load_module(name, module, tensors, stem)
        ckpt.load_module("generator_ema", self.G_ema, tensors, stem)
        for name, opt in self._optimizers().items():
            if "optimizers" in meta:  # a portable checkpoint has none: Adam restarts
                ckpt.load_optimizer(name, opt, tensors, meta["optimizers"][name])
        key = f"rng.{self.rank}"
        if key in tensors:
            self.rng.set_state(tensors[key])
        self.step = int(meta["step"])

    def resume(self) -> bool:
        """Load the newest checkpoint of the run that reads whole; False when there is none. Newer damaged ones
        (truncated by a crash, say) are moved aside by rank 0 (ckpt.move_aside: renamed, not deleted), each with
        a warning, so the run goes on from the one before; `damaged_checkpoints` holds those warnings.
        The logs drop what was logged past the step resumed from, which is logged again.
        Raises CheckpointError when no checkpoint reads."""
        self._resumed_at = 0
        if not ckpt.list_checkpoints(self.run_dir):
            self._drop_logs_after(0)
            return False
        stem, tensors, meta, damaged = ckpt.load_newest(self.run_dir)
        self._load_state(stem, tensors, meta)
        self.damaged_checkpoints = []
        for bad, reason in damaged:
            where = f"moved aside to {ckpt.move_aside(bad).name}.*" if self.rank == 0 else "skipped"
            self.damaged_checkpoints.append(f"checkpoint {bad.name} is damaged ({reason}); {where}, resuming from "
                                            f"step {self.step}")
        self._resumed_at = self.step
        self._drop_logs_after(self.step)
        return True

    def _drop_logs_after(self, step: int) -> None:
        """Remove losses.jsonl entries past `step` (logged before a crash, after the checkpoint resumed from), so
        no step is logged twice; rewritten atomically, and the torn last line of a killed write goes too.
        TensorBoard's events past it are purged when the writer opens (`_log`)."""
        path = self.run_dir / "losses.jsonl"
        if self.rank != 0 or not path.is_file():
            return
        lines = path.read_bytes().splitlines()
        kept = [line for line in lines if _logged_step(line) <= step]
        if len(kept) < len(lines):
            ckpt.atomic_write_bytes(path, b"".join(line + b"\n" for line in kept))
