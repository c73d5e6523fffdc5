"""The paper's "unlimited" dataset: an ImageSource that renders fresh random views of random objects
on every call (``train --data mesh:DIR`` or ``voxels:FILE.npz``).

`sample(n, generator)` draws the object indices and the views from the torch generator only, and
the reference scene's rendering is deterministic, so a resumed run sees exactly the same images.
The GL context is created on the first call, in the process that samples.

A source of voxel grids only (``voxels:``) can also hand out the grids themselves (`draw_grids`), so
the trainer renders the real images in the same pooled job as the generator's samples instead of one
by one in the training process: fresh views cost a worker's time, not the GPU loop's.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from .cameras import Views, sample_views
from .config import ViewConfig
from .meshes import ObjectMesh, ObjectRef, SourceError, load_object, voxel_grid
from .render_dataset import render_view


class MeshImages:
    """Renders objects under `views` at `image_size`. All objects are loaded (normalised) up front."""

    def __init__(self, refs: list[ObjectRef], image_size: int, views: ViewConfig):
        self.refs, self.image_size = [], image_size
        self.views = dataclasses.replace(views)  # a snapshot: later edits to the config do not leak in
        self.meshes: list[ObjectMesh] = []
        self.skipped: list[str] = []
        self.errors: dict[str, str] = {}
        for ref in refs:
            try:
                self.meshes.append(load_object(ref))
                self.refs.append(ref)
            except SourceError as exc:
                self.skipped.append(ref.label)
                self.errors[ref.label] = str(exc)
        self._scene = None
        # (N, R, R, R) bool, +Y up, when every object is a grid of one size; else None.
        self.grids: torch.Tensor | None = None
        if self.refs and all(r.kind == "voxels" for r in self.refs):
            grids = [voxel_grid(r) for r in self.refs]
            if len({g.shape for g in grids}) == 1:
                self.grids = torch.from_numpy(np.stack(grids))

    def __len__(self) -> int:
        return len(self.meshes)

    @property
    def scene(self):
        if self._scene is None:
            from .render.scene import ReferenceScene

            self._scene = ReferenceScene(self.image_size, self.views)
        return self._scene

    def _draw(self, n: int, generator: torch.Generator) -> tuple[list[int], Views]:
        """Object i ~ U{0..N-1} and a view ~ the view distribution, n times (the only randomness)."""
        idx = torch.randint(len(self.meshes), (n,), generator=generator).tolist()
        return idx, sample_views(n, self.views, generator)

    def draw_grids(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, Views] | None:
        """The draw `sample` would make, as grids (n, 1, R, R, R) float32 and their views, for a
        renderer to draw; None when the source is not all voxel grids of one size."""
        if self.grids is None:
            return None
        idx, views = self._draw(n, generator)
        return self.grids[idx][:, None].float(), views

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, 1, S, S) float32 in [0, 1]: object i ~ U{0..N-1}, view ~ the view distribution."""
        idx, views = self._draw(n, generator)
        az, el = views.azimuth.tolist(), views.elevation.tolist()
        images = np.stack([
            render_view(self.scene, self.meshes[i], math.degrees(a), math.degrees(e))
            for i, a, e in zip(idx, az, el)
        ])
        return torch.from_numpy(images)[:, None]

    def close(self) -> None:
        if self._scene is not None:
            self._scene.close()
            self._scene = None
