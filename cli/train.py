"""`iggan-assets train`: IG-GAN (or a baseline) on a folder of images or rendered voxel grids."""
from __future__ import annotations

import json
from pathlib import Path

import click

from iggan.checkpoint import list_checkpoints
from iggan.config import PRESETS, preset

from .training_run import IMAGE_SIZES, RENDERERS, apply_overrides, check_run_layout, run_training


@click.command()
@click.option("--data", required=True,
              help="Folder of training images (PNG/JPEG/WebP/AVIF/HEIC; a render-dataset folder is read as it is, "
                   "others as photos: masked, cropped, centred, and G's renders are then framed the same way before D "
                   "sees them; a folder holding both reads all as photos; images:DIR reads them as they are, e.g. "
                   "renders made elsewhere, photos:DIR as photos), or mesh:PATH / voxels:FILE.npz for fresh "
                   "views every step, optionally followed by ?KEY=VALUE options joined with &: filter=REGEX, "
                   "exclude=REGEX, category=REGEX (Sweet Home 3D), up=y|z, slice=START:STOP (e.g. "
                   "\"mesh:DIR?filter=^chair.+&exclude=stool\"; '+' stays '+', %XX is decoded).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Run folder.")
@click.option("--preset", "preset_name", type=click.Choice(PRESETS), default="fast", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), help="Total steps (default: the preset's).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--seed", type=int)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its newest checkpoint.")
@click.option("--renderer", type=click.Choice(RENDERERS), default=None,
              help="pyrender (IG-GAN, the default); a differentiable baseline (visual_hull, absorption, "
              "emission_absorption) that trains G directly; 'none' renders black images (to measure cost).")
@click.option("--real-renderer", type=click.Choice(["reference", "own"]), default=None,
              help="For --renderer visual_hull or absorption: 'own' trains on the baseline renderer's own images of "
              "the --data voxels:FILE.npz grids at fresh views, as the paper trained its baselines; 'reference' (the "
              "default) on the data's reference renders, the images IG-GAN sees.")
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
              "threshold (the proxy is then not used; on Pyrender images it learns faster per step, with lower "
              "coverage: BENCHMARKS.md, session 50). Default: the config's, proxy.")
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
@click.option("--unify-intensity/--no-unify-intensity", "unify", default=None,
              help="Level each image's mean brightness on the object, the data's and G's renders' alike, before D "
              "sees it, so a dark material or a photo's exposure is no cue (G's renders are always one grey). "
              "Default: on for photos, off for renders.")
@click.option("--framing", type=click.Choice(["camera", "object", "auto"]), default=None,
              help="How D sees G's renders (default: camera, or the run's own with --resume): camera, as the "
              "camera drew them. object (experimental): framed as "
              "photos are, each object's box centred and half the image wide, which takes the framing cue away "
              "from D on photos, but G did worse with it in both H100 A/Bs (from scratch it scattered specks; "
              "BENCHMARKS.md, session 54); auto: object for photos, camera for renders.")
@click.option("--time-limit", type=click.FloatRange(min=1), help="Stop after this many seconds with a checkpoint "
              "(for chunked runs; continue with --resume).")
@click.option("--profile", is_flag=True, help="Time each phase of the step (G, D, proxy, reference renders).")
@click.option("--image-size", type=click.Choice(IMAGE_SIZES), default=None,
              help="Training image size in pixels (default: the preset's: tiny 32, fast 64, paper 128). Images "
              "are resized to it; D and the proxy renderer are built for it.")
@click.option("--voxel-res", type=click.Choice(["16", "32", "64", "128"]), default=None,
              help="G's grid side (default: the preset's: tiny 16, fast 32, paper 64). With --init-generator, that "
              "generator's resolution (scripts/grow_generator.py doubles a trained one).")
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
          render_workers, real_renderer,
          strict, unify, framing, time_limit, profile, image_size, voxel_res,
          init_generator, init_discriminator, device):
    """Train IG-GAN on a folder of unposed images of one object class."""
    check_run_layout(out)  # before run_config reads the folder
    check_data_options(data)  # before the run folder is made
    cfg = run_config(out) if resume else None
    if cfg is not None:
        refuse_architecture_changes(out, cfg.model, image_size=image_size, voxel_res=voxel_res,
                                    disc_minibatch_std=disc_minibatch_std,
                                    disc_channels=disc_channels, gen_upsample=gen_upsample, symmetric=symmetric,
                                    disc_views=disc_views, disc_spectral_norm=disc_spectral_norm)
    else:
        cfg = preset(preset_name)
    cfg = apply_overrides(cfg, steps, batch_size, seed, elevation, azimuth, lvp, no_dom, render_workers,
                           None if renderer == "none" else renderer, model_kind, disc_on_proxy, freeze_proxy,
                           image_size, proxy_augment, proxy_warmup, augment_dom, g_renderer, disc_spectral_norm,
                           disc_views, r1_gamma, disc_minibatch_std, disc_warmup, spread_weight, disc_channels,
                           volume_weight, coverage_weight, coverage_pool, symmetric, mirror_data,
                           faces_temperature, gen_upsample, fixed_threshold, real_renderer, voxel_res)
    if cfg.train.augment_dom and not (cfg.train.proxy_augment and cfg.train.use_dom):
        raise click.ClickException("--augment-dom is DOM on samples and their perturbed copies: add "
                                   "--proxy-augment N (e.g. 32) and leave out --no-dom, or drop --augment-dom")
    if cfg.train.g_renderer == "faces" and (cfg.train.augment_dom or cfg.train.proxy_augment
                                            or cfg.train.renderer != "pyrender" or cfg.model.kind != "voxel"):
        raise click.ClickException("--g-renderer faces trains G through the Pyrender reference's differentiable "
                                   "twin, with no proxy: use it with the default --renderer pyrender and --model "
                                   "iggan, without --augment-dom and with --proxy-augment 0")
    run_training(cfg, data, out, renderer, device, proxy_checkpoint(proxy) if proxy else None, resume,
                 time_limit_s=time_limit, profile=profile, strict=strict, unify=unify, init_generator=init_generator,
                 init_discriminator=init_discriminator, framing=framing)
    kept = list_checkpoints(out)  # the newest may predate the last step (G's samples empty at the end)
    newest = f"newest step {kept[-1][0]}" if kept else "none written"
    click.echo(f"done: checkpoints in {out / 'checkpoints'} ({newest}), sample sheets in {out / 'samples'}")


def check_data_options(data: str) -> None:
    """Refuse a --data mesh:/voxels: spec with an unknown option or a bad regex before any folder is made."""
    from iggan.data_sources import DataError, check_spec

    try:
        check_spec(data)
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc


def proxy_checkpoint(path: Path) -> Path:
    """--proxy as a checkpoint: a file of the pair, or a folder holding one pair such as `pretrain-renderer --out`
    writes (proxy.safetensors + proxy.json)."""
    from iggan.pretrain import PROXY_NAME

    if not path.is_dir():
        return path
    pairs = sorted({p.with_suffix("") for p in path.glob("*.json") if p.with_suffix(".safetensors").is_file()})
    if len(pairs) == 1:
        return pairs[0]
    held = f"holds {len(pairs)} checkpoint pairs" if pairs else "holds no checkpoint pair"
    raise click.ClickException(f"--proxy {path} is a folder and {held}; pass the proxy's .safetensors file, e.g. "
                               f"{path / PROXY_NAME}.safetensors as `pretrain-renderer --out {path}` writes it")


def run_config(out: Path):
    """The Config of the run in `out` to resume: its config.json, or where that is missing (lost, or deleted by
    hand) the config stored in its newest checkpoint that reads whole; None for a folder with neither."""
    from iggan.checkpoint import CheckpointError, config_from_meta, list_checkpoints, load_newest

    saved = out / "config.json"
    try:
        if saved.is_file():
            try:
                return config_from_meta({"config": json.loads(saved.read_text())}, saved)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise click.ClickException(f"{saved} is not valid JSON ({exc}); fix the file, or move it aside to take "
                                           "the config from the run's newest checkpoint") from exc
        if not list_checkpoints(out):
            return None
        stem, _, meta, _ = load_newest(out)
        cfg = config_from_meta(meta, stem)
    except CheckpointError as exc:  # names the file and what is wrong with it
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{saved} is missing: the run's config comes from its checkpoint {stem.name}", err=True)
    return cfg


def refuse_architecture_changes(out: Path, model, **given) -> None:
    """--resume continues a run's networks, so options that would change their shape are refused, each with how to
    start a new run from this one instead. model: the run's ModelConfig; given: the options as passed (None: not
    passed)."""
    def was(flag: bool) -> str:
        return "with" if flag else "without"

    warm = f"--init-generator {out} --init-discriminator {out}"
    checks = {  # option: (the value it asks for, the run's, what the run was trained with, how to start anew)
        "image_size": (None if given["image_size"] is None else int(given["image_size"]), model.image_size,
                       f"at --image-size {model.image_size}",
                       f"--image-size {given['image_size']} --init-generator {out}"),
        "voxel_res": (None if given["voxel_res"] is None else int(given["voxel_res"]), model.voxel_res,
                      f"at --voxel-res {model.voxel_res}",
                      f"--voxel-res {given['voxel_res']} --init-generator G, G a generator of that resolution "
                      "(scripts/grow_generator.py doubles this run's)"),
        "disc_minibatch_std": (None if given["disc_minibatch_std"] is None else bool(given["disc_minibatch_std"]),
                               bool(model.disc_minibatch_std), f"{was(model.disc_minibatch_std)} D's minibatch-std "
                               "feature", warm),
        "disc_channels": (given["disc_channels"], model.disc_channels, f"with a D of width {model.disc_channels}",
                          f"--init-generator {out} --disc-channels {given['disc_channels']} --disc-warmup 500"),
        "gen_upsample": (given["gen_upsample"], model.gen_upsample, f"with G's upsampling {model.gen_upsample!r}",
                         f"--gen-upsample {given['gen_upsample']}"),
        "symmetric": (given["symmetric"], model.symmetric, f"{was(model.symmetric)} a symmetric G", warm),
        "disc_views": (given["disc_views"], model.disc_views, f"with a D of {model.disc_views} view(s)",
                       f"{warm} --disc-views {given['disc_views']}"),
        "disc_spectral_norm": (given["disc_spectral_norm"], model.disc_spectral_norm,
                               f"{was(model.disc_spectral_norm)} spectral normalisation in D", warm),
    }
    for asked, trained, how, restart in checks.values():
        if asked is not None and asked != trained:
            raise click.ClickException(f"{out} was trained {how}; a run cannot change it. Start a new --out with "
                                       f"{restart}")
