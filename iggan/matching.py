"""Find the generator's shape that looks most like one photo (or render) of an object.

The generator was trained on unposed images, so a photo says neither the latent nor the view.
Matching is a search on silhouettes, which survive any lighting, camera make and material:
1. pool: sample `pool` latents once, binarise them at the export threshold and trace their
   silhouettes from a grid of views along the exact rays of `render/voxel_faces.py` (as a sparse
   ray-voxel matrix, shared with the Blender extension's torch-free matcher);
2. compare: bring every silhouette and the photo's mask to one framing (bounding box centred,
   its longer side `FILL` of the frame, as `photos.photo_image` frames a photo) and score each
   (latent, view) by IoU with the mask;
3. refine: the best few (latent, view) pairs try the neighbouring views, then their latents are
   optimised by Adam through a soft silhouette (sigmoid step at the threshold), staying on the
   sphere of their starting norm so they remain typical latents of N(0, I);
4. rank the refined latents by the IoU of their binarised shape's exact silhouette.

The result is a shape from the model's distribution that fits the photo's outline, not a
reconstruction: what the photo does not show comes from the model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# one definition of the pool and its view grid, shared with the Blender extension's torch-free matcher
from .asset_export.photo_texture import PhotoView
from .asset_export.silhouette import ray_voxel_matrix
from .asset_export.silhouette import silhouettes as traced_silhouettes
from .blender_addon.outline_match import POOL_SEED, SEARCH_ELEVATIONS_DEG, SEARCH_SIZE, SEARCH_YAWS
from .blender_addon.outline_match import photo_view as outline_photo_view
from .blender_addon.outline_match import search_views as search_views_np
from .cameras import Views
from .framing import frame_like_photos
from .match_pool_cache import load_pool, pool_key, save_pool
from .photos import FILL, photo_image
from .render.voxel_faces import VoxelFaceRenderer
from .sampling import LoadedModel, latents

REFINE_SIZE = 64  # px of the refined silhouettes (the pool's are SEARCH_SIZE: coarse, the pool is big)
SOFT_STEP = 0.05  # width of the soft binarisation while refining (as `--faces-temperature`'s default)
REFINE_LR = 0.02  # Adam on latents whose entries are about 1
CHECK_EVERY = 10  # refinement steps between exact IoU checks
POOL_BATCH = 32  # pool shapes drawn per generator call


@dataclass
class Match:
    """One candidate shape for a photo: its latent (z_dim,), the view it fits best (radians) and
    the IoU of its binarised silhouette with the photo's mask there (0..1; with several photos of one
    object, the first photo's view, the mean IoU, and every photo's view in photo_views)."""

    z: np.ndarray
    azimuth: float
    elevation: float
    iou: float
    photo_views: tuple[tuple[float, float], ...] = ()


def framed(silhouettes: torch.Tensor, size: int, fill: float = FILL) -> torch.Tensor:
    """Reframe silhouettes as photos.photo_image frames a photo's mask: (N, S, S) in [0, 1] ->
    (N, size, size), the bounding box (pixels > 0.5) centred with its longer side fill * size.
    Differentiable in the pixel values (the box itself is not); an empty silhouette stays empty."""
    return frame_like_photos(silhouettes[:, None], size, fill, level=0.5)[:, 0]


def iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Soft IoU of masks (..., H, W) in [0, 1] -> (...)."""
    inter = torch.minimum(a, b).flatten(-2).sum(-1)
    union = torch.maximum(a, b).flatten(-2).sum(-1)
    return inter / union.clamp_min(1e-6)


def search_views() -> Views:
    """The coarse grid of views: SEARCH_YAWS azimuths x SEARCH_ELEVATIONS_DEG, (V,) radians."""
    azimuth, elevation = search_views_np()
    return Views(torch.from_numpy(azimuth), torch.from_numpy(elevation))


def soft_silhouette(voxels: torch.Tensor, traced) -> torch.Tensor:
    """Coverage of soft grids (B, R^3) in [0, 1] along traced rays (B, P, M), one view per grid ->
    (B, P): 1 - the light that passes every voxel. Differentiable."""
    flat, inside, _ = traced
    alpha = voxels.gather(1, flat.flatten(1)).view_as(flat) * inside
    return 1 - torch.exp(torch.log1p(-alpha.clamp(max=1 - 1e-6)).sum(-1))


class ShapeMatcher:
    """Match photos to a loaded generator's shapes (see the module docstring). The pool is rendered
    once, on first use, and shared by every photo."""

    def __init__(self, model: LoadedModel, threshold: float = 0.5, pool: int = 512, refine: int = 4,
                 steps: int = 40, seed: int = POOL_SEED):
        self.model, self.threshold = model, threshold
        self.pool_size, self.refine_count, self.steps, self.seed = pool, refine, steps, seed
        self.generator = model.generator
        for p in self.generator.parameters():  # only z is optimised; no gradients for the weights
            p.requires_grad_(False)
        self.device = next(self.generator.parameters()).device
        self.z_dim = model.config.model.z_dim
        self.res = model.config.model.voxel_res
        self.views = search_views()
        self._pool = None  # (latents (K, z_dim), framed silhouettes (K, V, S, S))

    def _shapes(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, z_dim) -> occupancy (B, R^3) in [0, 1]."""
        return self.generator(z)[:, 0].reshape(len(z), -1).float()

    @torch.no_grad()
    def pool(self, progress=None):
        """(latents (K, z_dim), framed silhouettes (K, V, S, S) fp16), made on first use. The binary
        silhouettes come from the disk cache when this generator's pool was drawn before."""
        if self._pool is None:
            z = torch.from_numpy(latents(self.seed, self.pool_size, self.z_dim)).to(self.device)
            shape = (self.pool_size, len(self.views), SEARCH_SIZE * SEARCH_SIZE)
            key = pool_key(self.generator, {"pool": self.pool_size, "seed": self.seed, "threshold": self.threshold,
                                            "size": SEARCH_SIZE, "yaws": SEARCH_YAWS,
                                            "elevations": SEARCH_ELEVATIONS_DEG, "views": repr(self.model.config.views)})
            binary = load_pool(key, shape)
            if binary is None:
                # the voxel ray caster's rays as a sparse ray-voxel matrix: one product per batch, far
                # cheaper than gathering every ray's voxels (the Blender extension's tracer, torch-free)
                cam = self.model.config.views
                matrix = ray_voxel_matrix(self.views.azimuth.numpy(), self.views.elevation.numpy(), self.res,
                                          SEARCH_SIZE, fov_deg=cam.fov_deg, distance=cam.camera_distance)
                parts = []
                for i, zb in enumerate(z.split(POOL_BATCH)):
                    grids = (self._shapes(zb) >= self.threshold).cpu().numpy().reshape(len(zb), *(self.res,) * 3)
                    parts.append(torch.from_numpy(traced_silhouettes(matrix, grids, SEARCH_SIZE)).flatten(2))
                    if progress:
                        progress(min((i + 1) * POOL_BATCH, len(z)), len(z))
                binary = torch.cat(parts)
                save_pool(key, binary)
            elif progress:
                progress(len(z), len(z))
            k, v = shape[:2]
            sil = binary.to(self.device).view(k * v, SEARCH_SIZE, SEARCH_SIZE)
            framed_all = torch.cat([framed(part.float(), SEARCH_SIZE).to(torch.float16) for part in sil.split(4096)])
            self._pool = (z, framed_all.view(k, v, SEARCH_SIZE, SEARCH_SIZE))
        return self._pool

    def photo_mask(self, img) -> tuple[np.ndarray, str | None]:
        """A PIL image (photo or render; alpha or a plain background) -> (mask (REFINE_SIZE, REFINE_SIZE)
        framed for matching, the masking warning of photos.photo_image or None). Raises
        photos.PhotoError for an unusable image."""
        _, mask, warning = photo_image(img, 2 * REFINE_SIZE, fill_holes=False)
        return F.avg_pool2d(torch.from_numpy(mask)[None], 2)[0].numpy(), warning  # box found at 2x: sub-pixel

    def match_image(self, img, keep: int = 4) -> tuple[list[Match], str | None]:
        """One photo -> (matches as `match`, the masking warning or None); see photo_mask."""
        mask, warning = self.photo_mask(img)
        return self.match(mask, keep), warning

    def _coarse_scores(self, mask: np.ndarray) -> torch.Tensor:
        """IoU of every pool shape from every grid view with the mask: (K, V)."""
        _, sil_pool = self.pool()
        target = torch.from_numpy(np.ascontiguousarray(mask, np.float32)).to(self.device)
        coarse = F.interpolate(target[None, None], size=(SEARCH_SIZE, SEARCH_SIZE), mode="area")[0, 0]
        return torch.cat([iou(part.float(), coarse) for part in sil_pool.split(64)])

    def best_views(self, mask: np.ndarray, pool_indices: np.ndarray) -> Views:
        """The grid view from which each given pool shape best fits the mask, (len(pool_indices),)."""
        best = self._coarse_scores(mask)[torch.as_tensor(pool_indices)].argmax(1)
        return self.views[best]

    def match(self, masks: np.ndarray, keep: int = 4) -> list[Match]:
        """masks (REFINE_SIZE, REFINE_SIZE), or (P, REFINE_SIZE, REFINE_SIZE) for P photos of one object,
        framed as `photo_mask` frames them -> the best `keep` matches, best first (distinct latents). With
        several photos a shape is scored by its mean IoU over them, each from its own best view; a
        Match's azimuth and elevation are the first photo's view, `photo_views` all of them."""
        z_pool, _ = self.pool()
        masks = np.asarray(masks, np.float32)
        masks = masks[None] if masks.ndim == 2 else masks
        per_photo = torch.stack([self._coarse_scores(m) for m in masks])  # (P, K, V)
        best_view = per_photo.argmax(2)  # (P, K)
        order = per_photo.max(2).values.mean(0).argsort(descending=True)[:max(self.refine_count, keep)]
        targets = torch.from_numpy(np.ascontiguousarray(masks)).to(self.device)
        refined = self._refine(z_pool[order], [self.views[v[order]] for v in best_view], targets)
        refined.sort(key=lambda m: -m.iou)
        return refined[:keep]

    def _traced(self, views: Views):
        renderer = VoxelFaceRenderer(2 * REFINE_SIZE, self.model.config.views)
        return renderer.segments(views, self.res, self.device, torch.float32)

    def _exact_iou(self, z: torch.Tensor, traced, targets: torch.Tensor) -> torch.Tensor:
        """IoU of the binarised shapes of z (B, z_dim), each seen along its traced view, with targets
        (B, S, S) or one (S, S)."""
        with torch.no_grad():
            solid = (self._shapes(z) >= self.threshold).float()
            sil = framed_at_half(soft_silhouette(solid, traced))
        return iou(sil, targets)

    def _pick_views(self, z: torch.Tensor, views: Views, target: torch.Tensor):
        """Candidates z (B, z_dim) at grid views (B,) for one target (S, S): each takes the best of its view
        and four neighbours (half a grid step in azimuth or elevation). Returns (traced rays of the picked
        views, batched as one view per candidate; the picked Views (B,); their binary IoU (B,))."""
        half_az, half_el = math.pi / SEARCH_YAWS, math.radians(7.5)
        offsets = torch.tensor([(0.0, 0.0), (-half_az, 0.0), (half_az, 0.0), (0.0, -half_el), (0.0, half_el)])
        n = len(offsets)
        picked, first_iou, az, el = [], [], [], []
        for i in range(len(z)):  # one candidate at a time: tracing many views at 2 x REFINE_SIZE takes memory
            near = Views(views.azimuth[i] + offsets[:, 0], views.elevation[i] + offsets[:, 1])
            traced_near = self._traced(near)
            scores = self._exact_iou(z[i:i + 1].expand(n, -1), traced_near, target)
            k = int(scores.argmax())
            picked.append(tuple(t[k:k + 1] for t in traced_near))
            first_iou.append(scores[k])
            az.append(near.azimuth[k])
            el.append(near.elevation[k])
        traced = tuple(torch.cat(parts) for parts in zip(*picked))
        return traced, Views(torch.stack(az), torch.stack(el)), torch.stack(first_iou)

    def _refine(self, z0: torch.Tensor, views: list[Views], targets: torch.Tensor) -> list[Match]:
        """Candidates z0 (B, z_dim), their grid views for each of P photos (P lists of (B,)) and the photos'
        masks (P, S, S): views picked per photo (`_pick_views`), then `steps` Adam steps on all latents at
        once, each on its sphere, against the mean IoU over the photos. Returns a Match per candidate
        (its best binary shape)."""
        b, p = len(z0), len(targets)
        picks = [self._pick_views(z0, v, t) for v, t in zip(views, targets)]
        traced = tuple(torch.cat(parts) for parts in zip(*[pk[0] for pk in picks]))  # photo-major (P * B, ...)
        target_rows = targets.repeat_interleave(b, 0)  # (P * B, S, S)
        radius = z0.norm(dim=1, keepdim=True)
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=REFINE_LR)
        best_z, best_iou = z0.clone(), torch.stack([pk[2] for pk in picks]).mean(0)

        def exact_mean(zz):
            return self._exact_iou(zz.repeat(p, 1), traced, target_rows).view(p, b).mean(0)

        for step in range(self.steps):
            soft = torch.sigmoid((self._shapes(z) - self.threshold) / SOFT_STEP).repeat(p, 1)
            loss = (1 - iou(framed_at_half(soft_silhouette(soft, traced)), target_rows)).sum() / p  # candidates independent
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                z.mul_(radius / z.norm(dim=1, keepdim=True))
            if (step + 1) % CHECK_EVERY == 0 or step + 1 == self.steps:  # the soft loss is a guide; keep the best binary shape
                exact = exact_mean(z.detach())
                better = exact > best_iou
                best_z[better], best_iou = z.detach()[better], torch.maximum(exact, best_iou)
        return [Match(best_z[i].cpu().numpy().astype(np.float32), float(picks[0][1].azimuth[i]),
                      float(picks[0][1].elevation[i]), float(best_iou[i]),
                      tuple((float(pk[1].azimuth[i]), float(pk[1].elevation[i])) for pk in picks)) for i in range(b)]


@torch.no_grad()
def framed_silhouettes(solid: torch.Tensor, views: Views, view_config, size: int = REFINE_SIZE) -> torch.Tensor:
    """Binary grids (B, R, R, R), grid b seen from view b (B,) -> framed silhouettes (B, size, size),
    framed as `ShapeMatcher.match_image` frames a photo (at twice the size, then averaged)."""
    b, r = solid.shape[0], solid.shape[1]
    traced = VoxelFaceRenderer(2 * size, view_config).segments(views, r, solid.device, torch.float32)
    return framed_at_half(soft_silhouette(solid.reshape(b, -1).float(), traced))


def framed_at_half(silhouettes: torch.Tensor) -> torch.Tensor:
    """Flat silhouettes (B, (2S)^2) -> framed at 2S, then averaged down to (B, S, S): the box is found
    at twice the resolution, as match_image frames a photo's mask."""
    b, s2 = silhouettes.shape[0], math.isqrt(silhouettes.shape[1])
    return F.avg_pool2d(framed(silhouettes.view(b, s2, s2), s2)[:, None], 2)[:, 0]


def photo_view(img, azimuth: float, elevation: float, view_config) -> PhotoView:
    """A PIL photo and the view (radians) from which a match fits it -> the PhotoView that paints the
    match (`match --texture`), with the model's camera (view_config: config.ViewConfig)."""
    return outline_photo_view(img, azimuth, elevation, view_config.fov_deg, view_config.camera_distance)
