"""The paper's "unlimited" dataset: an ImageSource that renders fresh random views of random objects
on every call (``train --data mesh:DIR`` or ``voxels:FILE.npz``).

`sample(n, generator)` draws the object indices and the views from the torch generator only, and
the reference scene's rendering is deterministic, so a resumed run sees exactly the same images.
The GL context is created on the first call, in the process that samples.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from .cameras import sample_views
from .config import ViewConfig
from .meshes import ObjectMesh, ObjectRef, SourceError, load_object
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

    def __len__(self) -> int:
        return len(self.meshes)

    @property
    def scene(self):
        if self._scene is None:
            from .render.scene import ReferenceScene

            self._scene = ReferenceScene(self.image_size, self.views)
        return self._scene

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, 1, S, S) float32 in [0, 1]: object i ~ U{0..N-1}, view ~ the view distribution."""
        idx = torch.randint(len(self.meshes), (n,), generator=generator).tolist()
        views = sample_views(n, self.views, generator)
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
