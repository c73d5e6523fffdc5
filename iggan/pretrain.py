"""Pretrain the proxy renderer R_phi on a generic set (random cubes and table-like boxes) so that
IG-GAN training starts from a renderer that already imitates the reference renderer."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from . import checkpoint as ckpt
from .cameras import sample_views
from .config import Config
from .losses import image_l2
from .models.neural_renderer import NeuralRenderer
from .render.protocol import Renderer
from .shapes import random_shapes

PROXY_NAME = "proxy"  # pretrain_proxy writes <out>/proxy.safetensors + proxy.json


def pretrain_proxy(
    cfg: Config,
    reference: Renderer,
    out: Path,
    steps: int,
    kinds: tuple[str, ...] = ("cubes", "tables"),
    device: str = "cpu",
    on_step: Callable[[int, float], None] | None = None,
    grids: torch.Tensor | None = None,
    grids_label: str = "in-domain grids",
) -> Path:
    """Train R_phi with L2 to the reference renders of random shapes; writes <out>/proxy pair.

    grids: optional (N, 1, R, R, R) binary in-domain shapes (the paper's "in-domain" pretraining
    ablation), or a generator's own samples, used instead of random cubes/tables; resampled to
    cfg.model.voxel_res. grids_label names them in the checkpoint's JSON.

    Returns the checkpoint stem.
    """
    gen = torch.Generator().manual_seed(cfg.train.seed)
    torch.manual_seed(cfg.train.seed)
    proxy = NeuralRenderer(cfg.model).to(device)
    opt = torch.optim.Adam(proxy.parameters(), lr=1e-4, betas=cfg.train.betas)  # faster than 2e-5: nothing to track
    b, res = cfg.train.batch_size, cfg.model.voxel_res
    loss = torch.zeros(())
    if grids is not None and grids.shape[-1] != res:
        grids = (torch.nn.functional.interpolate(grids.float(), size=(res,) * 3, mode="trilinear") > 0.5).float()
    pool = grids
    for step in range(1, steps + 1):
        if pool is not None:
            grids = pool[torch.randint(len(pool), (b,), generator=gen)].to(device)
        else:
            grids = random_shapes(b, res, gen, kinds).to(device)
        views = sample_views(b, cfg.views, gen).to(device)
        target = reference(grids, views)
        loss = image_l2(proxy(grids, views), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, loss.item())
    stem = Path(out) / PROXY_NAME
    ckpt.save_pair(stem, ckpt.state_dict_tensors("proxy", proxy),
                   {"kind": "proxy", "config": cfg.to_dict(), "steps": steps,
                    "shapes": grids_label if pool is not None else list(kinds),
                    "final_l2": loss.item()})
    return stem


def bundled_proxy(cfg: Config) -> Path | None:
    """The shipped pretrained proxy whose architecture matches cfg, if any."""
    folder = Path(__file__).parent / "bundled"
    for meta in sorted(folder.glob("proxy*.json")):
        try:
            _, m = ckpt.load_pair(meta)
            mc = ckpt.config_from_meta(m, meta).model
        except ckpt.CheckpointError:
            continue
        if (mc.image_size, mc.pose_size, mc.proxy_channels) == (cfg.model.image_size, cfg.model.pose_size,
                                                                cfg.model.proxy_channels):
            return meta.with_suffix("")
    return None


def adopt_proxy_architecture(cfg: Config, proxy: Path) -> None:
    """Build the run's proxy as the pretrained one was built: its width and posed-volume size come
    from the proxy checkpoint (a `pretrain-renderer` output or a training checkpoint), so a wider
    proxy needs only `pretrain-renderer --proxy-channels N` and `train --proxy`.

    Raises CheckpointError when the proxy cannot serve this run (another image size or voxel grid).
    """
    _, meta = ckpt.load_pair(proxy)
    theirs = ckpt.config_from_meta(meta, proxy).model
    for field, fix in (("image_size", "--image-size"), ("voxel_res", "--preset")):
        if getattr(theirs, field) != getattr(cfg.model, field):
            raise ckpt.CheckpointError(
                f"the proxy {proxy} was trained for {field} {getattr(theirs, field)}, this run uses "
                f"{getattr(cfg.model, field)}; pretrain one with `iggan-assets pretrain-renderer {fix} "
                f"{getattr(cfg.model, field) if field == 'image_size' else cfg.preset}`")
    cfg.model.proxy_channels = theirs.proxy_channels
    cfg.model.proxy_pose_size = theirs.proxy_pose_size
