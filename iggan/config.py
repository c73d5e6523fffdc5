"""Configuration as nested dataclasses.

A run is fully described by one `Config`; checkpoints store it as JSON so a model can be
rebuilt from the checkpoint alone. `Config.from_dict` rejects unknown keys so a typo in a
config file is an error, not a silently ignored setting, and values of the wrong type or out of
range (`iggan.config_checks`) so an edited one fails at once with its name.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Any

from .config_checks import checked_value


@dataclass
class ModelConfig:
    voxel_res: int = 64  # generator output is voxel_res^3 occupancy (paper: 64)
    z_dim: int = 200  # latent size of the 3D-GAN layout
    gen_channels: int = 512  # channels after the first transposed conv; halved per upsampling
    # How G doubles its grid: "transposed" (the 3D-GAN's stride-2 transposed convolutions, as every bundled
    # model) or "resize" (nearest-neighbour doubling + a 3^3 convolution, free of the parity pattern)
    gen_upsample: str = "transposed"
    image_size: int = 128  # rendered images are image_size^2
    disc_channels: int = 64  # first DCGAN layer; doubled per downsampling
    # Spectral normalisation on every D layer (with R1 on top). False = plain convolutions with R1
    # only, a D free to grow sharper; `train --init-discriminator` bakes a normalised D into one.
    disc_spectral_norm: bool = True
    # Views of one shape D judges at once, stacked as channels: the first from the view distribution,
    # each next a quarter turn further in azimuth. 1 = the paper (one view). More needs the faces path
    # and a voxel-grid data source (the real shapes are rendered from the same several sides).
    disc_views: int = 1
    # Minibatch standard deviation (Karras et al. 2018, ProGAN): before D's last layer, each group of
    # this many consecutive images gets one more feature, the spread of its members' features, so D can
    # tell a batch of near-duplicates from real variety. 0 = off (the paper's D).
    disc_minibatch_std: int = 0
    proxy_channels: int = 32  # width of the RenderNet-style proxy renderer
    # The proxy poses the voxels into a pose_size^3 volume (2x frame); 0 = min(image_size, 2 * voxel_res):
    # at 2 * voxel_res every voxel already gets a sample, so posing finer only costs 3D convolutions
    # (measured: BENCHMARKS.md); smaller volumes are upsampled in 2D to the image size.
    proxy_pose_size: int = 0
    # Initial mean occupancy of G: a mostly empty grid renders as sparse specks, not as a solid
    # noise cube that neither the proxy can imitate nor D can be fooled by.
    initial_occupancy: float = 0.1
    # "voxel": a 3D generator (IG-GAN and the differentiable-renderer baselines);
    # "dcgan2d": the paper's 2D DCGAN baseline, which generates images directly.
    kind: str = "voxel"
    voxel_channels: int = 1  # 2 for emission-absorption: (density, emission)
    # G's output made left-right symmetric by construction: the mean of the grid and its mirror image
    # about the middle x plane (x -> R - 1 - x). Real chairs are (IoU 0.99 with their mirror image), and
    # single unposed views cannot teach it (the bundled chairs: 0.70), so it narrows what images leave open.
    symmetric: bool = False

    @property
    def pose_size(self) -> int:
        """Side of the proxy renderer's posed volume (see proxy_pose_size)."""
        return self.proxy_pose_size or min(self.image_size, 2 * self.voxel_res)


@dataclass
class ViewConfig:
    """Viewpoint distribution, in degrees. Paper: chairs -30..60, couches 15..60."""

    azimuth: tuple[float, float] = (0.0, 360.0)
    elevation: tuple[float, float] = (-30.0, 60.0)
    camera_distance: float = 3.0  # camera distance from the object centre, in grid half-widths*2
    # The image spans [-1, 1] (the 2x frame around the [-0.5, 0.5]^3 object) at the centre plane.
    fov_deg: float = 2.0 * math.degrees(math.atan(1.0 / 3.0))


@dataclass
class TrainConfig:
    batch_size: int = 64
    steps: int = 20000
    lr_g: float = 2e-4  # paper: Adam 2e-4 for G and D
    lr_d: float = 2e-4
    lr_proxy: float = 2e-5  # paper: the proxy learns 10x slower
    betas: tuple[float, float] = (0.5, 0.999)
    dom_weight: float = 100.0  # lambda of discriminator output matching (paper: 100)
    dom_thresholds: int = 2  # binarisations per sample used to estimate E[log D(R_d(x_d))]
    use_dom: bool = True  # False = the paper's "no DOM" ablation (proxy trained with L2 only)
    # The renderer G is trained through: "pyrender" = IG-GAN (reference renderer + proxy); a
    # differentiable baseline ("visual_hull", "absorption", "emission_absorption") trains G directly.
    renderer: str = "pyrender"
    # Where a differentiable baseline's real images come from: "reference" (the data as given, e.g. Pyrender
    # renders: every method on the same images, as benchmarks/compare.py runs them) or "own" (the baseline
    # renderer's own images of the data's voxel grids at fresh views: the paper trains each baseline on data
    # made with its own renderer). "own" needs renderer visual_hull or absorption and voxels:FILE.npz data.
    real_renderer: str = "reference"
    disc_on_proxy: bool = False  # ablation: D sees proxy renders of x_c instead of reference renders
    freeze_proxy: bool = False  # ablation: the pretrained proxy is not trained further
    # Perturbed copies (iggan/proxy_augment.py) of this many binarised samples are rendered each step
    # and join the proxy's L2 term, so it is also right one local move away from G's samples.
    proxy_augment: int = 0
    # The copies also join DOM as differences (losses.move_dom_loss): the proxy learns how D's verdict
    # changes with a local move, the thing G's gradient relies on (benchmarks/proxy_gradient.py: without
    # it, the proxy gets the sign of D's response to a voxel flip right 57% of the time). Needs
    # proxy_augment > 0.
    augment_dom: bool = False
    # The first this many steps of a run train only the proxy (G and D frozen), so a newly swapped-in
    # proxy (train --proxy with --init-generator/--init-discriminator) catches up with G before G
    # follows its gradients; a proxy far from G's shapes otherwise sends G the wrong way.
    proxy_warmup: int = 0
    # The first this many steps of a run train D (and the proxy) but not G, so a fresh D next to a
    # trained G (train --init-generator without --init-discriminator) learns what to judge before G
    # follows its gradients; a random D's verdicts otherwise pull a good G away (session 8: selection
    # 1-NNA 0.70 -> 0.84 in the first 3,300 steps after a fresh D, 15,000 steps to recover).
    disc_warmup: int = 0
    # The renderer G's gradient comes through in IG-GAN mode: "proxy" (the paper: the learned proxy
    # renderer, trained with L2 + DOM) or "faces" (render/voxel_faces.py: the reference renderer's exact
    # differentiable twin, of a soft binarisation of G's output; the proxy is then not used or
    # trained). Only for the Pyrender reference, whose voxel drawing it reproduces.
    g_renderer: str = "proxy"
    faces_temperature: float = 0.05  # width of that soft step: opacity = sigmoid((x_c - t) / this)
    # Experimental: binarise at this one threshold instead of random ones, both where D judges G's samples
    # and in G's soft faces path (None: the paper's random thresholds). A G whose rendered shape changes with
    # the threshold can show D a spread of part widths; at one threshold it cannot.
    fixed_threshold: float | None = None
    pipeline_render: bool = True  # render the next batch while this one trains (one step stale)
    # Weight of nn_spread (losses.py) in G's loss: pushes each sample of a batch away from its nearest
    # other one, against a G that gathers on common shapes (0 = off, the paper).
    spread_weight: float = 0.0
    # Weight of G's mean occupancy (as rendered) in G's loss: among shapes the images allow, prefer the one
    # with the least volume. Thickness hardly shows in renders, and image training alone makes parts thick
    # (BENCHMARKS.md, session 17); D resists the penalty wherever a voxel is visible (0 = off, the paper).
    volume_weight: float = 0.0
    # Weight of the coverage term (coverage.py, IMLE) in G's loss, on the faces path: each real image pulls
    # the nearest render of a pool of coverage_pool samples (searched over a fixed grid of views) towards
    # itself, so that G makes the kinds of object a one-image D never asks for (0 = off, the paper).
    coverage_weight: float = 0.0
    coverage_pool: int = 64
    # Mirror each real image (voxel grids for the render workers: along x, before rendering) left-right with
    # probability 1/2 (mirrored_data.py): more one-sided designs from a small set (off, as in the paper).
    mirror_data: bool = False
    # How D sees G's renders (iggan/framing.py): "camera" (as drawn, the voxel cube framed) or "object" (each
    # object's box centred, half the image wide, as photos are framed; experimental: `train --framing object`,
    # with which G scattered specks from scratch, BENCHMARKS.md session 54). Set by `train --framing`.
    framing: str = "camera"
    # Level each image's mean brightness on the object, real and G's alike, before D sees it (framing.level_brightness),
    # so a dark material or an exposure is no cue. `train` turns it on for photos (--unify-intensity).
    unify_intensity: bool = False
    r1_gamma: float = 1.0  # R1 penalty on real images: keeps D from winning outright in the first steps
    ema_decay: float = 0.999  # EMA of generator weights, used for sampling and export
    sample_every: int = 500
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 10
    seed: int = 0
    # Reference-render worker processes; 0 = in the training process; -1 = auto: one per CPU core but
    # one (at most 15, shared among the ranks of a host) when training on a GPU, none on a CPU.
    render_workers: int = -1
    # A collapse: G has emitted empty grids (mean occupancy below collapse_occupancy, and not back above
    # 3x it since: trainer.EMPTY_UNTIL) for collapse_patience steps in a row (0 = never checked). No
    # checkpoint is written while samples are empty, so the kept ones predate it. Training then goes back
    # to the newest one with all learning rates halved, collapse_recoveries times in a run (counted down
    # in the saved config), then stops.
    collapse_patience: int = 200
    collapse_occupancy: float = 1e-3
    collapse_recoveries: int = 2


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    views: ViewConfig = field(default_factory=ViewConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    preset: str = "paper"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Build from a dict as `to_dict` makes (missing keys take their defaults). Raises ValueError naming
        the key for an unknown key, a wrong type or a value out of range ("train.steps must be an integer
        >= 1, not 'abc'")."""
        return _build(cls, data, "")


def _build(cls, data: dict[str, Any], where: str):
    """Build dataclass `cls` from `data`, recursing into nested dataclasses; unknown keys and values of the
    wrong type raise. where: the dotted name of `data` ('' for the whole config, 'train', ...)."""
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'the config'} must be a mapping (a JSON object), not {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"unknown keys {unknown} in {where or 'the config'}; valid keys are {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        default = getattr(cls(), name) if _constructible(cls) else None
        key = f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, key)
        else:
            kwargs[name] = checked_value(value, hints[name], key)
    return cls(**kwargs)


def _constructible(cls) -> bool:
    return all(
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        for f in dataclasses.fields(cls)
    )


def preset(name: str) -> Config:
    """Named configurations. `tiny` runs on a 2-core CPU in seconds; `paper` is the paper's scale."""
    if name == "paper":
        return Config(preset="paper")
    if name == "fast":  # 32^3 voxels, 64^2 images: trains on one GPU in minutes
        return Config(
            model=ModelConfig(voxel_res=32, gen_channels=256, image_size=64, disc_channels=32, proxy_channels=32),
            train=TrainConfig(batch_size=64, sample_every=250, checkpoint_every=500),
            preset="fast",
        )
    if name == "tiny":  # smoke tests and the CPU demo
        return Config(
            model=ModelConfig(voxel_res=16, z_dim=32, gen_channels=32, image_size=32, disc_channels=16, proxy_channels=8),
            train=TrainConfig(batch_size=8, steps=200, sample_every=50, checkpoint_every=50, log_every=5),
            preset="tiny",
        )
    raise ValueError(f"unknown preset {name!r}; choose one of tiny, fast, paper")


PRESETS = ("tiny", "fast", "paper")
LVP_VIEWS = ViewConfig(azimuth=(-60.0, 60.0), elevation=(15.0, 60.0))  # the paper's limited view points
