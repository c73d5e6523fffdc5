"""The optional `uv` stage: a non-overlapping UV atlas (TEXCOORD_0) per LOD, made by xatlas.

Engines bake lightmaps and painters bake textures into a UV layout where no two triangles share a
texel, which is what an atlas gives; a box projection would overlap. Charts are cut along seams, so
the vertices on a seam are duplicated (same position and normal, two UVs). The mesh checks run on the
welded mesh before this stage.
"""
from __future__ import annotations

import numpy as np

from .errors import ExportError
from .mesh import MeshData

ATLAS_RESOLUTION = 1024  # texels per side the charts are packed for, when no map is baked (lightmaps, painting)
CHART_PADDING = 2  # texels between charts, so bilinear lookups and mip 1 do not bleed across seams


def unwrap(mesh: MeshData, resolution: int = ATLAS_RESOLUTION) -> MeshData:
    """MeshData (V vertices) -> MeshData (V' >= V vertices) with uvs (V', 2) in [0, 1], the same
    triangles in the same order, and positions and normals copied from the vertex each one came from.

    The charts are packed CHART_PADDING texels apart at `resolution` texels per side: pass the size of the
    smallest map that will be baked over the atlas, since padding packed for 1,024 texels is an eighth of a
    texel in a 64 px map, where neighbouring charts then share texels and bleed into each other."""
    try:
        import xatlas  # lazy: the Blender extension vendors this package without xatlas
    except ImportError as exc:
        raise ExportError("UV unwrapping needs the xatlas package: pip install xatlas") from exc
    atlas = xatlas.Atlas()
    atlas.add_mesh(np.ascontiguousarray(mesh.vertices, np.float32), np.ascontiguousarray(mesh.faces, np.uint32))
    pack = xatlas.PackOptions()
    pack.resolution, pack.padding = int(resolution), CHART_PADDING
    atlas.generate(xatlas.ChartOptions(), pack)
    vmap, faces, uvs = atlas[0]
    if len(faces) != mesh.n_faces or not np.all(np.isfinite(uvs)):
        raise ExportError(f"UV unwrapping failed on a mesh of {mesh.n_faces} triangles; export it without --uv")
    normals = None if mesh.normals is None else mesh.normals[vmap]
    return MeshData(mesh.vertices[vmap], faces.astype(np.uint32), normals, uvs.astype(np.float32))


def atlas_resolutions(n_lods: int, *map_sizes: list[int]) -> list[int]:
    """Per LOD, the resolution to pack its atlas for: the smallest of the maps baked over it (each list in
    map_sizes gives one map's size per LOD, e.g. the occlusion maps' [256, 128, 64]), or ATLAS_RESOLUTION."""
    return [min([ATLAS_RESOLUTION] + [sizes[k] for sizes in map_sizes]) for k in range(n_lods)]
