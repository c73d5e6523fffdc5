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

    def subset(self, face_mask: np.ndarray) -> "MeshData":
        """The faces where face_mask (F,) is True, with only the vertices they use (renumbered)."""
        faces = self.faces[np.asarray(face_mask, bool)]
        used, inverse = np.unique(faces.ravel(), return_inverse=True)
        pick = (lambda a: None if a is None else a[used])
        return MeshData(self.vertices[used], inverse.reshape(-1, 3).astype(self.faces.dtype), pick(self.normals),
                        pick(self.uvs))

    def translated(self, offset) -> "MeshData":
        return MeshData(self.vertices + np.asarray(offset, np.float32), self.faces, self.normals, self.uvs)
