"""`iggan-assets train`, `pretrain-renderer` and `demo`."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from iggan.config import LVP_VIEWS, PRESETS, Config, preset

from .devices import resolve_device
from .output_folder import make_output_folder

RENDERERS = ("pyrender", "none", "visual_hull", "absorption", "emission_absorption", "blender")
IMAGE_SIZES = ("32", "64", "128", "256")  # powers of two: D halves down to 4x4, the proxy folds S/4 depth


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


def _reference(name: str, cfg: Config, device: str = "cpu"):
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


def open_data(spec: str, cfg: Config, strict: bool = False, unify: bool = False):
    """--data value -> an ImageSource (see iggan.data_sources)."""
    from iggan.data_sources import DataError, open_data_source

    try:
        source, report = open_data_source(spec, cfg, strict=strict, unify=unify)
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    if report.summary():
        click.echo("warning: " + report.summary(), err=True)
    click.echo(f"data: {report.loaded} {report.unit} from {spec}"
               + (", each mirrored left-right with probability 1/2" if cfg.train.mirror_data else ""), err=True)
    if cfg.train.mirror_data:
        from iggan.mirrored_data import MirroredImages

        source = MirroredImages(source)
    return source


def _apply_overrides(cfg: Config, steps, batch_size, seed, elevation, azimuth, lvp, no_dom, render_workers=None,
                     renderer=None, model=None, disc_on_proxy=False, freeze_proxy=False, image_size=None,
                     proxy_augment=None, proxy_warmup=None, augment_dom=None, g_renderer=None,
                     disc_spectral_norm=None, disc_views=None, r1_gamma=None, disc_minibatch_std=None,
                     disc_warmup=None, spread_weight=None, disc_channels=None, volume_weight=None,
                     coverage_weight=None, coverage_pool=None, symmetric=None, mirror_data=None,
                     faces_temperature=None, gen_upsample=None, fixed_threshold=None) -> Config:
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


def _init_distributed(device: str) -> str:
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
                 profile: bool = False, strict: bool = False, unify: bool = False,
                 init_generator: str | None = None, init_discriminator: Path | None = None) -> Path:
    """Shared by `train` and `demo`. Returns the run folder."""
    import torch.distributed as dist
    from .progress import progress_bar

    from iggan.checkpoint import CheckpointError, atomic_write_bytes, list_checkpoints
    from iggan.pretrain import adopt_proxy_architecture, bundled_proxy
    from iggan.trainer import GeneratorCollapsed, NonFiniteLoss, Trainer

    device = _init_distributed(resolve_device(device))
    make_output_folder(out)
    continuing = bool(list_checkpoints(out))
    if continuing and not resume:
        raise click.ClickException(f"{out} already holds a run; pass --resume to continue it or choose another --out")
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
                       "it starts untrained (run `iggan-assets pretrain-renderer --preset "
                       f"{cfg.preset}` and pass --proxy for a better start)", err=True)
    source = open_data(data, cfg, strict, unify)
    reference = _reference(renderer or cfg.train.renderer, cfg, device)
    try:
        trainer = Trainer(cfg, source, out, reference, device=device, proxy_init=proxy, time_phases=profile)
    except ValueError as exc:  # a damaged checkpoint (CheckpointError), or settings that do not fit the data
        raise click.ClickException(str(exc)) from exc
    if resume:
        try:
            resumed = trainer.resume()
        except CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
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
        bar.update(1)
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
            _report_times(trainer, out)
        if dist.is_initialized():
            dist.destroy_process_group()
    return out


def _report_times(trainer, out: Path) -> None:
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


@click.command()
@click.option("--data", required=True, help="Folder of training images (PNG/JPEG/WebP/AVIF/HEIC).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--preset", "preset_name", type=click.Choice(PRESETS), default="fast", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), help="Total steps (default: the preset's).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--seed", type=int)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its newest checkpoint.")
@click.option("--renderer", type=click.Choice(RENDERERS), default=None,
              help="pyrender (IG-GAN, the default); a differentiable baseline (visual_hull, absorption, "
              "emission_absorption) that trains G directly; 'none' renders black images (to measure cost).")
@click.option("--model", "model_kind", type=click.Choice(["iggan", "dcgan2d"]), default=None,
              help="dcgan2d: the 2D DCGAN baseline (generates images, no 3D).")
@click.option("--disc-on-proxy", is_flag=True, help="Ablation: D sees proxy renders instead of reference renders.")
@click.option("--freeze-proxy", is_flag=True, help="Ablation: keep the pretrained proxy fixed.")
@click.option("--proxy", type=click.Path(exists=True, path_type=Path), help="Pretrained proxy renderer checkpoint.")
@click.option("--elevation", nargs=2, type=float, help="Elevation range in degrees, e.g. -30 60.")
@click.option("--azimuth", nargs=2, type=float, help="Azimuth range in degrees, e.g. 0 360.")
@click.option("--lvp", is_flag=True, help="The paper's limited view points: azimuth +-60, elevation 15..60.")
@click.option("--no-dom", is_flag=True, help="Ablation: train the proxy with L2 only.")
@click.option("--proxy-augment", type=click.IntRange(min=0), default=None,
              help="Also render perturbed copies (one voxel thinner/thicker, a part cut out) of this many "
              "binarised samples per step for the proxy's L2 term, so it stays right where G moves next "
              "(default: the config's, 0).")
@click.option("--augment-dom/--no-augment-dom", default=None,
              help="Experimental: also match how D's verdict changes from each sample to its perturbed copy "
              "(DOM on differences), so G's gradient through the proxy follows D. Needs --proxy-augment N "
              "(default: the config's, off).")
@click.option("--g-renderer", type=click.Choice(["proxy", "faces"]), default=None,
              help="What G's gradient comes through: 'proxy', the learned proxy renderer (the paper), or 'faces', "
              "the reference renderer's exact differentiable twin, of G's output binarised softly at a random "
              "threshold (the proxy is then not used). Default: the config's, proxy.")
@click.option("--faces-temperature", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Experimental, with --g-renderer faces: the width of the soft binarisation step, opacity = "
              "sigmoid((x - t) / this). Default: the config's, 0.05. Measured in session 29: 0.01 thickens G's parts "
              "as much as 0.05 does (BENCHMARKS.md).")
@click.option("--disc-spectral-norm/--no-disc-spectral-norm", default=None,
              help="Spectral normalisation on D's layers (default: the config's, on). Off: R1 alone keeps D in "
              "check; with --init-discriminator a normalised D is baked into a plain one that starts identical. "
              "A run cannot change it on --resume.")
@click.option("--r1-gamma", type=click.FloatRange(min=0), default=None,
              help="Weight of the R1 penalty on D's gradient at real images (default: the config's, 1.0; 0 = off). "
              "Lower lets D judge more sharply.")
@click.option("--disc-minibatch-std", type=click.IntRange(min=0), default=None, metavar="GROUP",
              help="Give D the spread of each group of GROUP images (minibatch standard deviation), so it can see "
              "a lack of variety (default: the config's, 0 = off; the batch size must be a multiple). With "
              "--init-discriminator the feature joins with zero weight. A run cannot change it on --resume.")
@click.option("--disc-channels", type=click.IntRange(min=4, max=512), default=None,
              help="Width of D's first layer, doubled per downsampling up to 512 (default: the config's; the fast "
              "preset's 32). A 128-wide D saw no more of the bundled chairs' gap (BENCHMARKS.md, session 17). A run "
              "cannot change it on --resume.")
@click.option("--disc-views", type=click.IntRange(min=1, max=4), default=None,
              help="Views of one shape D judges at once, a quarter turn apart (default: the config's, 1 as in the "
              "paper). More needs --g-renderer faces and --data voxels:FILE.npz; with --init-discriminator a one-view "
              "D is widened into one that starts as the same judge of the first view. A run cannot change it on --resume.")
@click.option("--proxy-warmup", type=click.IntRange(min=0), default=None,
              help="Train only the proxy renderer for this many first steps of the run (G and D frozen), "
              "e.g. after swapping in a new --proxy (default: the config's, 0).")
@click.option("--disc-warmup", type=click.IntRange(min=0), default=None,
              help="Train D (and the proxy) but not G for this many first steps of the run, so a fresh D beside a "
              "trained G (--init-generator without --init-discriminator) learns to judge before G follows it "
              "(default: the config's, 0).")
@click.option("--spread-weight", type=click.FloatRange(min=0), default=None,
              help="Also reward G for spreading each batch's samples apart (the mean log distance of each to its "
              "nearest other), against a G that keeps to common shapes and misses rare ones (default: the "
              "config's, 0 = off as in the paper).")
@click.option("--volume-weight", type=click.FloatRange(min=0), default=None,
              help="Also charge G for the mean occupancy of its shapes, so of the shapes the images allow it "
              "prefers the thinnest; D resists wherever a voxel shows. Measured from the bundled chairs: thinner "
              "parts, but holes and no better 1-NNA (default: the config's, 0 = off as in the paper).")
@click.option("--fixed-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              metavar="T", help="Experimental: binarise G's samples at this one threshold (e.g. 0.5, the export's) "
              "where D judges them and in G's faces path, instead of the paper's random thresholds (default: the "
              "config's, random). In the session-40 A/B it thickened G as much and left 1-NNA as it was "
              "(BENCHMARKS.md).")
@click.option("--gen-upsample", type=click.Choice(["transposed", "resize"]), default=None,
              help="Experimental: how G doubles its grid. 'transposed' (default, every bundled model): the 3D-GAN's "
              "stride-2 transposed convolutions, which snap parts to a 2-voxel lattice; 'resize': nearest-neighbour "
              "doubling and a 3^3 convolution. Not yet read by the Blender extension. A run cannot change it on --resume.")
@click.option("--symmetric/--no-symmetric", default=None,
              help="Make G's shapes left-right symmetric by construction (the mean of each grid and its mirror "
              "image along x), for classes whose objects are, such as chairs; not for one-sided designs such as "
              "L-shaped sofas. Measured from the bundled chairs: tidier chairs by eye, no better 1-NNA (default: the "
              "config's, off as in the paper). A run cannot change it on --resume.")
@click.option("--mirror-data/--no-mirror-data", default=None,
              help="Mirror each training image left-right with probability 1/2 (voxels: grids drawn by the render "
              "workers: each grid along x, before it is rendered), so a small set of one-sided designs, such as "
              "L-shaped sofas, gains their mirror images (default: the config's, off as in the paper). On the 27 "
              "training sofas it slowed their copying without a visible gain (BENCHMARKS.md, session 28).")
@click.option("--coverage-weight", type=click.FloatRange(min=0), default=None,
              help="Also pull G towards every real image (IMLE): each image's nearest render among a pool of G's "
              "samples seen from a grid of views is drawn towards it, so G makes the rarer kinds a one-image D does "
              "not ask for. Needs --g-renderer faces; the images' own views are not used. Measured from the bundled "
              "chairs: they already cover single images as real chairs do, and 1-NNA did not move (default: the "
              "config's, 0 = off as in the paper).")
@click.option("--coverage-pool", type=click.IntRange(min=1), default=None,
              help="Samples searched per step for --coverage-weight, each from 36 views (default: the config's, 64).")
@click.option("--render-workers", type=click.IntRange(min=0),
              help="Processes for reference rendering (0: in the training process). Default: the config's, "
              "which is auto: one per CPU core but one (at most 15) on a GPU, 0 on a CPU.")
@click.option("--strict", is_flag=True, help="Unreadable or unusable images are errors instead of being skipped.")
@click.option("--unify-intensity", "unify", is_flag=True,
              help="Equalise the mean object intensity of photos (as the paper did for its photo set).")
@click.option("--time-limit", type=click.FloatRange(min=1), help="Stop after this many seconds with a checkpoint "
              "(for chunked runs; continue with --resume).")
@click.option("--profile", is_flag=True, help="Time each phase of the step (G, D, proxy, reference renders).")
@click.option("--image-size", type=click.Choice(IMAGE_SIZES), default=None,
              help="Training image size in pixels (default: the preset's: tiny 32, fast 64, paper 128). Images "
              "are resized to it; D and the proxy renderer are built for it.")
@click.option("--init-generator", default=None, metavar="MODEL",
              help="Start G from this generator (bundled name, run folder or checkpoint) instead of random "
              "weights, e.g. to continue a model at a larger --image-size. Needs the same preset.")
@click.option("--init-discriminator", type=click.Path(exists=True, path_type=Path), default=None,
              metavar="CHECKPOINT", help="Start D from this training checkpoint (or run folder: its newest) "
              "instead of random weights, e.g. with a new --proxy; same --image-size and preset.")
@click.option("--device", default="auto", show_default=True)
def train(data, out, preset_name, steps, batch_size, seed, resume, renderer, model_kind, disc_on_proxy, freeze_proxy,
          proxy, elevation, azimuth, lvp, no_dom, proxy_augment, augment_dom, g_renderer, disc_spectral_norm,
          disc_channels, disc_views, r1_gamma, disc_minibatch_std, proxy_warmup, disc_warmup, spread_weight, volume_weight,
          coverage_weight, coverage_pool, fixed_threshold, gen_upsample, symmetric, mirror_data, faces_temperature,
          render_workers,
          strict, unify, time_limit, profile, image_size,
          init_generator, init_discriminator, device):
    """Train IG-GAN on a folder of unposed images of one object class."""
    from iggan.checkpoint import CheckpointError, config_from_meta

    saved = out / "config.json"
    if resume and saved.is_file():
        try:
            cfg = config_from_meta({"config": json.loads(saved.read_text())}, saved)
        except (CheckpointError, json.JSONDecodeError) as exc:
            raise click.ClickException(f"{saved}: {exc}") from exc
        if image_size is not None and int(image_size) != cfg.model.image_size:
            raise click.ClickException(
                f"{out} was trained at --image-size {cfg.model.image_size}; a run cannot change it. Start a new "
                f"--out with --image-size {image_size} --init-generator {out}")
        if disc_minibatch_std is not None and bool(disc_minibatch_std) != bool(cfg.model.disc_minibatch_std):
            raise click.ClickException(
                f"{out} was trained with{'' if cfg.model.disc_minibatch_std else 'out'} D's minibatch-std feature; a "
                f"run cannot change it. Start a new --out with --init-generator {out} --init-discriminator {out}")
        if disc_channels is not None and disc_channels != cfg.model.disc_channels:
            raise click.ClickException(
                f"{out} was trained with a D of width {cfg.model.disc_channels}; a run cannot change it. Start a new "
                f"--out with --init-generator {out} --disc-channels {disc_channels} --disc-warmup 500")
        if gen_upsample is not None and gen_upsample != cfg.model.gen_upsample:
            raise click.ClickException(
                f"{out} was trained with G's upsampling {cfg.model.gen_upsample!r}; a run cannot change it. Start a "
                f"new --out with --gen-upsample {gen_upsample}")
        if symmetric is not None and symmetric != cfg.model.symmetric:
            raise click.ClickException(
                f"{out} was trained with{'' if cfg.model.symmetric else 'out'} a symmetric G; a run cannot change "
                f"it. Start a new --out with --init-generator {out} --init-discriminator {out}")
        if disc_views is not None and disc_views != cfg.model.disc_views:
            raise click.ClickException(
                f"{out} was trained with a D of {cfg.model.disc_views} view(s); a run cannot change it. Start a new "
                f"--out with --init-generator {out} --init-discriminator {out} --disc-views {disc_views}")
        if disc_spectral_norm is not None and disc_spectral_norm != cfg.model.disc_spectral_norm:
            raise click.ClickException(
                f"{out} was trained with{'' if cfg.model.disc_spectral_norm else 'out'} spectral normalisation in D; "
                f"a run cannot change it. Start a new --out with --init-generator {out} --init-discriminator {out}")
    else:
        cfg = preset(preset_name)
    cfg = _apply_overrides(cfg, steps, batch_size, seed, elevation, azimuth, lvp, no_dom, render_workers,
                           None if renderer == "none" else renderer, model_kind, disc_on_proxy, freeze_proxy,
                           image_size, proxy_augment, proxy_warmup, augment_dom, g_renderer, disc_spectral_norm,
                           disc_views, r1_gamma, disc_minibatch_std, disc_warmup, spread_weight, disc_channels,
                           volume_weight, coverage_weight, coverage_pool, symmetric, mirror_data,
                           faces_temperature, gen_upsample, fixed_threshold)
    if cfg.train.augment_dom and not (cfg.train.proxy_augment and cfg.train.use_dom):
        raise click.ClickException("--augment-dom is DOM on samples and their perturbed copies: add "
                                   "--proxy-augment N (e.g. 32) and leave out --no-dom, or drop --augment-dom")
    if cfg.train.g_renderer == "faces" and (cfg.train.augment_dom or cfg.train.proxy_augment
                                            or cfg.train.renderer != "pyrender" or cfg.model.kind != "voxel"):
        raise click.ClickException("--g-renderer faces trains G through the Pyrender reference's differentiable "
                                   "twin, with no proxy: use it with the default --renderer pyrender and --model "
                                   "iggan, without --augment-dom and with --proxy-augment 0")
    run_training(cfg, data, out, renderer, device, proxy, resume, time_limit_s=time_limit, profile=profile,
                 strict=strict, unify=unify, init_generator=init_generator, init_discriminator=init_discriminator)
    click.echo(f"done: checkpoints in {out / 'checkpoints'}, sample sheets in {out / 'samples'}")


@click.command("pretrain-renderer")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--preset", "preset_name", type=click.Choice(PRESETS), default="fast", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--shapes", type=click.Choice(["cubes", "tables", "both"]), default="both", show_default=True)
@click.option("--shapes-from", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pretrain on these in-domain voxel grids (.npz, key 'voxels') instead of random shapes.")
@click.option("--shapes-slice", default=None, help="START:STOP of the --shapes-from grids (e.g. 0:789).")
@click.option("--shapes-up", type=click.Choice(["z", "y"]), default="z", show_default=True,
              help="Up axis of the --shapes-from grids (ModelNet: z).")
@click.option("--shapes-from-generator", default=None, metavar="MODEL",
              help="Pretrain on a generator's own samples (bundled name, run folder or checkpoint; binarised "
              "at 0.5), e.g. a new proxy for a trained G: no real 3D data involved.")
@click.option("--generator-samples", type=click.IntRange(min=1), default=1024, show_default=True,
              help="How many samples of --shapes-from-generator to draw.")
@click.option("--render-workers", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--image-size", type=click.Choice(IMAGE_SIZES), default=None,
              help="Image size in pixels (default: the preset's); pass the same to `train`.")
@click.option("--proxy-channels", type=click.IntRange(min=1), default=None,
              help="Width of the proxy renderer (default: the preset's; fast: 32). `train --proxy` builds the "
              "run's proxy to match.")
@click.option("--device", default="auto", show_default=True)
def pretrain_renderer(out, preset_name, steps, shapes, shapes_from, shapes_slice, shapes_up, shapes_from_generator,
                      generator_samples, render_workers, image_size, proxy_channels, device):
    """Pretrain the proxy neural renderer on random cubes and table-like boxes."""
    from .progress import progress_bar

    from iggan.pretrain import pretrain_proxy

    device = resolve_device(device)  # before any work: a missing GPU is a usage error
    cfg = preset(preset_name)
    cfg.train.render_workers = render_workers
    if image_size is not None:
        cfg.model.image_size = int(image_size)
    if proxy_channels is not None:
        cfg.model.proxy_channels = proxy_channels
    kinds = ("cubes", "tables") if shapes == "both" else (shapes,)

    def on_step(step, loss):
        bar.update(1)
        bar.set_postfix(l2=f"{loss:.4f}")

    if shapes_from is not None and shapes_from_generator is not None:
        raise click.ClickException("pass either --shapes-from or --shapes-from-generator, not both")
    grids = None
    if shapes_from is not None or shapes_from_generator is not None:
        import torch

        from iggan.eval.models import EvalError, load_grids, load_subject, parse_slice

        try:
            if shapes_from is not None:
                found = load_grids(shapes_from, parse_slice(shapes_slice), shapes_up)  # (N, R, R, R) bool
            else:
                subject = load_subject(shapes_from_generator)
                found = subject.sample_grids(generator_samples, seed=cfg.train.seed) >= 0.5
        except EvalError as exc:
            raise click.ClickException(str(exc)) from exc
        grids = torch.from_numpy(found).float()[:, None]  # (N, 1, R, R, R)
    make_output_folder(out)
    bar = progress_bar(total=steps, unit="step")
    reference = _reference("pyrender", cfg, device)
    try:
        label = "in-domain grids" if shapes_from_generator is None else \
            f"{generator_samples} samples of generator {shapes_from_generator}"
        stem = pretrain_proxy(cfg, reference, out, steps, kinds, device, on_step, grids, label)
    finally:
        bar.close()
        if hasattr(reference, "close"):
            reference.close()
    click.echo(f"proxy renderer written to {stem}.safetensors (+ .json)")


@click.command()
@click.option("--out", default="runs/demo", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--steps", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--images", type=click.IntRange(min=8), default=256, show_default=True)
def demo(out, steps, images):
    """A self-contained CPU demo: render random tables, then train the `tiny` preset on the renders."""
    import numpy as np
    import torch

    from iggan.cameras import sample_views
    from iggan.render.reference import PyrenderRenderer
    from iggan.sheets import save_grid
    from iggan.shapes import random_shapes

    cfg = preset("tiny")
    cfg.train.steps = steps
    make_output_folder(out)
    data = out / "data"
    if not any(data.glob("*.png")):
        from PIL import Image

        data.mkdir(parents=True, exist_ok=True)
        gen = torch.Generator().manual_seed(1)
        grids = random_shapes(images, cfg.model.voxel_res, gen, ("tables",))
        renders = PyrenderRenderer(cfg.model.image_size, cfg.views)(grids, sample_views(images, cfg.views, gen))
        for i, img in enumerate(renders[:, 0].numpy()):
            Image.fromarray((img * 255).astype(np.uint8)).save(data / f"table_{i:04d}.png")
        save_grid(out / "data_sheet.png", renders[:32, 0].numpy(), cols=8)
        click.echo(f"demo: rendered {images} training images of random tables into {data}", err=True)
    run_dir = out / "run"
    run_training(cfg, str(data), run_dir, "pyrender", "cpu", None, resume=(run_dir / "checkpoints").is_dir())
    sheets = sorted((run_dir / "samples").glob("*.png"))
    click.echo(f"demo done: training images {out / 'data_sheet.png'}, samples {sheets[-1] if sheets else '-'}")
