"""What `train`, `pretrain-renderer` and `demo` share: the reference renderer, the training data, the config's
command-line overrides, multi-GPU start-up, and one training run with its progress and reports."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from iggan.config import LVP_VIEWS, Config

from .devices import resolve_device
from .output_folder import make_output_folder

RENDERERS = ("pyrender", "none", "visual_hull", "absorption", "emission_absorption", "blender")
IMAGE_SIZES = ("32", "64", "128", "256")  # powers of two: D halves down to 4x4, the proxy folds S/4 depth


RUN_LOGS = ("config.json", "losses.jsonl")  # what a run writes before its first checkpoint
# What a run folder holds, by name: True for a folder, False for a file
RUN_LAYOUT = {"checkpoints": True, "samples": True, "tb": True, "config.json": False, "losses.jsonl": False}


def check_run_layout(out: Path) -> None:
    """Stop with what to do when a name the run writes to is taken by the other kind (a file named
    `checkpoints`, a folder named `config.json`), before any work rather than at the first write."""
    for name, is_folder in RUN_LAYOUT.items():
        path = out / name
        if path.exists() and path.is_dir() != is_folder:
            found, wanted = ("a file", "folder") if is_folder else ("a folder", "file")
            raise click.ClickException(f"{path} is {found}, where the run keeps its {name} {wanted}; move it "
                                       "away or choose another --out")

MAX_AUTO_RENDER_WORKERS = 15  # measured on a 16-core H100 box: 8 and 15 workers give the same step time


def resolve_render_workers(setting: int, device: str) -> int:
    """Worker processes for reference rendering: `setting` if >= 0, else (auto) one per CPU core but
    one, at most 15, split among the ranks of this host, when training on a GPU; 0 on a CPU, where
    the trainer itself needs the cores (BENCHMARKS.md, 2-core runs)."""
    if setting >= 0:
        return setting
    if not str(device).startswith("cuda"):
        return 0
    ranks_here = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, min(MAX_AUTO_RENDER_WORKERS, ((os.cpu_count() or 2) - 1) // ranks_here))


def reference_renderer(name: str, cfg: Config, device: str = "cpu"):
    from iggan.render.pool import PooledPyrenderRenderer
    from iggan.render.reference import NullRenderer, PyrenderRenderer

    from iggan.render.volume import VOLUME_RENDERERS, VolumeRenderer

    if name == "none":
        return NullRenderer(cfg.model.image_size, cfg.views)
    if name in VOLUME_RENDERERS:
        return VolumeRenderer(name, cfg.model.image_size)
    if name == "blender":  # EEVEE in one persistent Blender process (iggan/render/blender_eevee.py)
        from iggan.render.blender_eevee import BlenderRenderer, BlenderUnavailable
        renderer = BlenderRenderer(cfg.model.image_size, cfg.views)
        try:
            renderer.scene  # noqa: B018 (start Blender now, so a missing one fails before training)
        except (BlenderUnavailable, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from exc
        return renderer
    workers = resolve_render_workers(cfg.train.render_workers, device)
    if workers > 0:
        click.echo(f"reference rendering: {workers} worker processes", err=True)
        return PooledPyrenderRenderer(cfg.model.image_size, cfg.views, workers)
    renderer = PyrenderRenderer(cfg.model.image_size, cfg.views)
    try:
        renderer.scene  # noqa: B018 (create the GL context now, so set-up errors come before training)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    return renderer


def open_data(spec: str, cfg: Config, strict: bool = False, unify: bool | None = None, framing: str | None = None):
    """--data value -> an ImageSource (see iggan.data_sources). framing: 'camera' or 'object' sets
    cfg.train.framing so; 'auto' takes it from the data (photos 'object', renders 'camera'); None keeps cfg's
    (the preset's 'camera', or a resumed run's own)."""
    from iggan.data_sources import DataError, open_data_source

    try:
        source, report = open_data_source(spec, cfg, strict=strict, unify=unify)
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    if report.summary():
        click.echo("warning: " + report.summary(), err=True)
    own = cfg.train.real_renderer == "own"  # D's real images come from G's renderer
    # object: G's renders are framed as the photos were (iggan/framing.py; experimental, see --framing)
    cfg.train.framing = report.framing if framing == "auto" else framing or cfg.train.framing
    cfg.train.unify_intensity = report.unified or bool(unify)  # mesh:/voxels: sources are renders: never unified
    photos = cfg.train.framing == "object"
    click.echo(f"data: {report.loaded} {report.unit} from {spec}"
               + (f", drawn by the {cfg.train.renderer} renderer (--real-renderer own)" if own else "")
               + (", framed as photos (G's renders are framed the same way)" if photos else "")
               + (", read as photos; G's renders left as the camera drew them (--framing object would frame "
                  "them as the photos are; experimental)" if report.framing == "object" and not photos else "")
               + (", brightness levelled, G's renders too (--unify-intensity)" if cfg.train.unify_intensity else "")
               + (", each mirrored left-right with probability 1/2" if cfg.train.mirror_data else ""), err=True)
    if cfg.train.mirror_data:
        from iggan.mirrored_data import MirroredImages

        source = MirroredImages(source)
    return source


def apply_overrides(cfg: Config, steps, batch_size, seed, elevation, azimuth, lvp, no_dom, render_workers=None,
                     renderer=None, model=None, disc_on_proxy=False, freeze_proxy=False, image_size=None,
                     proxy_augment=None, proxy_warmup=None, augment_dom=None, g_renderer=None,
                     disc_spectral_norm=None, disc_views=None, r1_gamma=None, disc_minibatch_std=None,
                     disc_warmup=None, spread_weight=None, disc_channels=None, volume_weight=None,
                     coverage_weight=None, coverage_pool=None, symmetric=None, mirror_data=None,
                     faces_temperature=None, gen_upsample=None, fixed_threshold=None, real_renderer=None,
                     voxel_res=None) -> Config:
    if voxel_res is not None:
        cfg.model.voxel_res = int(voxel_res)
    if real_renderer is not None:
        cfg.train.real_renderer = real_renderer
    if fixed_threshold is not None:
        cfg.train.fixed_threshold = fixed_threshold
    if gen_upsample is not None:
        cfg.model.gen_upsample = gen_upsample
    if faces_temperature is not None:
        cfg.train.faces_temperature = faces_temperature
    if mirror_data is not None:
        cfg.train.mirror_data = mirror_data
    if symmetric is not None:
        cfg.model.symmetric = symmetric
    if coverage_weight is not None:
        cfg.train.coverage_weight = coverage_weight
    if coverage_pool is not None:
        cfg.train.coverage_pool = coverage_pool
    if volume_weight is not None:
        cfg.train.volume_weight = volume_weight
    if disc_channels is not None:
        cfg.model.disc_channels = disc_channels
    if spread_weight is not None:
        cfg.train.spread_weight = spread_weight
    if disc_warmup is not None:
        cfg.train.disc_warmup = disc_warmup
    if disc_minibatch_std is not None:
        cfg.model.disc_minibatch_std = disc_minibatch_std
    if r1_gamma is not None:
        cfg.train.r1_gamma = r1_gamma
    if disc_views is not None:
        cfg.model.disc_views = disc_views
    if disc_spectral_norm is not None:
        cfg.model.disc_spectral_norm = disc_spectral_norm
    if g_renderer is not None:
        cfg.train.g_renderer = g_renderer
    if augment_dom is not None:
        cfg.train.augment_dom = augment_dom
    if proxy_augment is not None:
        cfg.train.proxy_augment = proxy_augment
    if proxy_warmup is not None:
        cfg.train.proxy_warmup = proxy_warmup
    if image_size is not None:
        cfg.model.image_size = int(image_size)
    if renderer is not None:
        cfg.train.renderer = renderer
        cfg.model.voxel_channels = 2 if renderer == "emission_absorption" else 1
    if model is not None:
        cfg.model.kind = {"iggan": "voxel", "dcgan2d": "dcgan2d"}[model]
    cfg.train.disc_on_proxy = cfg.train.disc_on_proxy or disc_on_proxy
    cfg.train.freeze_proxy = cfg.train.freeze_proxy or freeze_proxy
    if render_workers is not None:
        cfg.train.render_workers = render_workers
    if steps is not None:
        cfg.train.steps = steps
    if batch_size is not None:
        cfg.train.batch_size = batch_size
    if seed is not None:
        cfg.train.seed = seed
    if lvp:
        cfg.views.azimuth, cfg.views.elevation = LVP_VIEWS.azimuth, LVP_VIEWS.elevation
    if elevation:
        cfg.views.elevation = tuple(elevation)
    if azimuth:
        cfg.views.azimuth = tuple(azimuth)
    if no_dom:
        cfg.train.use_dom = False
    return cfg


def init_distributed(device: str) -> str:
    """Join the torchrun process group when launched under it; returns this rank's device."""
    import torch
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return device
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local)
        dist.init_process_group("nccl")
        return f"cuda:{local}"
    dist.init_process_group("gloo")
    return device


def run_training(cfg: Config, data: str, out: Path, renderer: str, device: str, proxy: Path | None,
                 resume: bool, quiet: bool = False, time_limit_s: float | None = None,
                 profile: bool = False, strict: bool = False, unify: bool | None = None,
                 init_generator: str | None = None, init_discriminator: Path | None = None,
                 framing: str | None = None) -> Path:
    """Shared by `train` and `demo`. Returns the run folder."""
    import torch.distributed as dist
    from .progress import follow_step, progress_bar

    from iggan.checkpoint import CheckpointError, atomic_write_bytes, list_checkpoints
    from iggan.pretrain import adopt_proxy_architecture, bundled_proxy
    from iggan.trainer import GeneratorCollapsed, NonFiniteLoss, Trainer

    device = init_distributed(resolve_device(device))
    make_output_folder(out)
    check_run_layout(out)
    continuing = bool(list_checkpoints(out))
    if continuing and not resume:
        raise click.ClickException(f"{out} already holds a run; pass --resume to continue it or choose another --out")
    started = [name for name in RUN_LOGS if (out / name).exists()]
    if started and not resume:  # a run stopped before its first checkpoint: its logs are not to be mixed in
        raise click.ClickException(f"{out} already holds the start of a run ({', '.join(started)}, no checkpoint yet); "
                                   "pass --resume to start it again with its config, or choose another --out")
    if proxy is not None and continuing:
        click.echo("--proxy ignored: the run continues with its own proxy renderer", err=True)
        proxy = None
    elif proxy is not None:
        try:
            adopt_proxy_architecture(cfg, proxy)
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
    if proxy is None:
        proxy = bundled_proxy(cfg)
        # (--g-renderer faces never uses the proxy: nothing to warn about)
        if proxy is None and not resume and (renderer or cfg.train.renderer) == "pyrender" \
                and cfg.train.g_renderer != "faces":
            click.echo(f"warning: no pretrained proxy renderer is bundled for image_size {cfg.model.image_size}; "
                       "it starts untrained (for a better start run `iggan-assets pretrain-renderer --preset "
                       f"{cfg.preset} --image-size {cfg.model.image_size} --out runs/proxy_{cfg.model.image_size}` "
                       f"and pass --proxy runs/proxy_{cfg.model.image_size})", err=True)
    source = open_data(data, cfg, strict, unify, framing)
    reference = reference_renderer(renderer or cfg.train.renderer, cfg, device)
    try:
        trainer = Trainer(cfg, source, out, reference, device=device, proxy_init=proxy, time_phases=profile)
    except ValueError as exc:  # a damaged checkpoint (CheckpointError), or settings that do not fit the data
        raise click.ClickException(str(exc)) from exc
    if resume:
        try:
            resumed = trainer.resume()
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
        for warning in trainer.damaged_checkpoints:
            click.echo(f"warning: {warning}", err=True)
        if trainer.step >= cfg.train.steps:  # nothing to train: leave the run's config as it is
            if hasattr(reference, "close"):
                reference.close()
            of = f" of {cfg.train.steps}" if cfg.train.steps == trainer.step else ""
            raise click.ClickException(f"{out} is already at step {trainer.step}{of}; pass a larger --steps (above "
                                       f"{trainer.step}) to train further")
        click.echo(f"resumed at step {trainer.step}" if resumed else "no checkpoint yet: starting fresh", err=True)
        for flag, given in (("--init-generator", init_generator), ("--init-discriminator", init_discriminator)):
            if resumed and given:
                click.echo(f"{flag} ignored: the run continues from its own checkpoint", err=True)
    if init_generator and trainer.step == 0:
        from iggan.warm_start import warm_start_generator

        try:
            name = warm_start_generator(cfg, trainer.G_module, trainer.G_ema, init_generator)
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"generator initialised from {name} ({init_generator})", err=True)
    if init_discriminator and trainer.step == 0:
        from iggan.warm_start import warm_start_discriminator

        try:
            step = warm_start_discriminator(cfg, trainer.D_module, init_discriminator)
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"discriminator initialised from step {step} of {init_discriminator}", err=True)
    if trainer.rank == 0:
        atomic_write_bytes(out / "config.json", json.dumps(cfg.to_dict(), indent=2).encode())
    bar = progress_bar(total=cfg.train.steps, initial=trainer.step, disable=quiet or trainer.rank != 0, unit="step")

    def on_step(step, losses):
        follow_step(bar, step)
        if step % cfg.train.log_every == 0:
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})

    try:
        trainer.train(cfg.train.steps, on_step, time_limit_s)
    except (NonFiniteLoss, GeneratorCollapsed) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bar.close()
        if hasattr(reference, "close"):
            reference.close()
        if profile and trainer.rank == 0:
            report_times(trainer, out)
        if dist.is_initialized():
            dist.destroy_process_group()
    return out


def report_times(trainer, out: Path) -> None:
    """Print and save the per-phase step time breakdown (ms per step)."""
    from dataclasses import asdict

    from iggan.checkpoint import atomic_write_bytes

    times = asdict(trainer.times)
    n = max(1, times.pop("steps"))
    per_step = {k: 1000.0 * v / n for k, v in times.items()}
    total = sum(per_step.values())
    click.echo(f"step time over {n} steps: {total:.1f} ms = " + ", ".join(f"{k} {v:.1f}" for k, v in per_step.items()),
               err=True)
    atomic_write_bytes(out / "timings.json", json.dumps({"steps": n, "ms_per_step": per_step, "total_ms": total},
                                                        indent=2).encode())
