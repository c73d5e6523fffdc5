"""The mesh type passed between stages."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MeshData:
    """A triangle mesh.

    vertices: (V, 3) float32 positions; normals: (V, 3) float32 unit vertex normals (or None
    before the normals stage); faces: (F, 3) uint32 vertex indices, counter-clockwise seen from
    outside (glTF's front face); uvs: (V, 2) float32 texture coordinates in [0, 1] (TEXCOORD_0),
    or None unless the `uv` stage ran.
    """

    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray | None = None
    uvs: np.ndarray | None = None

    @property
    def n_faces(self) -> int:
        return int(len(self.faces))

    def bounds(self) -> np.ndarray:
        """(2, 3): per-axis min and max of the vertices."""
        return np.stack([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    def translated(self, offset) -> "MeshData":
        return MeshData(self.vertices + np.asarray(offset, np.float32), self.faces, self.normals, self.uvs)
