"""Does a LOD's occlusion map mix its UV charts, and how far is the occlusion an engine shows on each LOD from
LOD0's? Per GLB written with `--lods 3 --ao` (maps 256 / 128 / 64 px), two measures:

- *charts mixed*: the share of a map's covered texels that two charts (triangles joined by shared UV vertices)
  both reach within one texel, so a bilinear lookup blends one chart's bake into another's;
- *shown vs LOD0*: at 4,000 random surface points of LOD k, the map sampled bilinearly at the point's UV (at mip
  level 0, 1 or 2: 2x2 box averages, what an engine reads at a distance) against LOD0's 256 px map at the nearest
  of 60,000 LOD0 surface points that faces the same way; the mean absolute difference and the share over 0.25.

    python benchmarks/ao_bleed.py before.glb after.glb
"""
from __future__ import annotations

import argparse
import io

import numpy as np
import pygltflib
import trimesh
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def occlusion_maps(path: str) -> dict[str, np.ndarray]:
    """Mesh name -> (S, S) float occlusion map in [0, 1], from images named '<mesh>_occlusion'."""
    gltf = pygltflib.GLTF2().load(path)
    blob = gltf.binary_blob()
    maps = {}
    for image in gltf.images:
        view = gltf.bufferViews[image.bufferView]
        start = view.byteOffset or 0
        data = Image.open(io.BytesIO(blob[start:start + view.byteLength])).convert("L")
        maps[image.name.removesuffix("_occlusion")] = np.asarray(data, np.float64) / 255
    return maps


def charts_mixed(uvs: np.ndarray, faces: np.ndarray, size: int) -> tuple[float, float]:
    """uvs (V, 2) in [0, 1], faces (F, 3), a size x size map -> (share of its covered texels that two charts,
    triangles joined by shared UV vertices, both reach within one texel; share of the map covered)."""
    uvs, faces = np.asarray(uvs, np.float64), np.asarray(faces)
    n = len(uvs)
    edges = coo_matrix((np.ones(2 * len(faces)), (np.r_[faces[:, 0], faces[:, 1]], np.r_[faces[:, 1], faces[:, 2]])),
                       shape=(n, n))
    chart = connected_components(edges, directed=False)[1][faces[:, 0]]
    reach, covered = np.zeros((size, size), np.int32), np.zeros((size, size), bool)
    for c in np.unique(chart):
        image = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(image)
        for tri in faces[chart == c]:
            draw.polygon([tuple(p) for p in uvs[tri] * size], fill=1, outline=1)
        mask = np.asarray(image, bool)
        covered |= mask
        reach += ndimage.binary_dilation(mask, np.ones((3, 3), bool))
    return float(((reach > 1) & covered).sum() / max(1, covered.sum())), float(covered.mean())


def bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """image (H, W) sampled at uv (N, 2) as trimesh loads glTF UVs (v flipped: its v = 1 is image row 0)."""
    h, w = image.shape
    x, y = uv[:, 0] * w - 0.5, (1 - uv[:, 1]) * h - 0.5
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0

    def at(r, c):
        return image[np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)]
    return (at(y0, x0) * (1 - fx) * (1 - fy) + at(y0, x0 + 1) * fx * (1 - fy)
            + at(y0 + 1, x0) * (1 - fx) * fy + at(y0 + 1, x0 + 1) * fx * fy)


def surface_samples(mesh: trimesh.Trimesh, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n area-weighted points (n, 3), their UVs (n, 2) and face normals (n, 3)."""
    points, face = trimesh.sample.sample_surface(mesh, n, seed=seed)
    weights = trimesh.triangles.points_to_barycentric(mesh.triangles[face], points)
    uv = np.einsum("nk,nkd->nd", weights, np.asarray(mesh.visual.uv)[mesh.faces[face]])
    return points, uv, mesh.face_normals[face]


def mipmap(image: np.ndarray, level: int) -> np.ndarray:
    for _ in range(level):
        image = image.reshape(image.shape[0] // 2, 2, image.shape[1] // 2, 2).mean(axis=(1, 3))
    return image


def measure(path: str, lods: int = 3) -> dict:
    maps = occlusion_maps(path)
    scene = trimesh.load(path, force="scene", process=False)
    meshes = {k: v for k, v in scene.geometry.items() if k in maps}
    mixed, coverage = {k: [] for k in range(lods)}, {k: [] for k in range(lods)}
    diffs = {(k, mip): [] for k in range(1, lods) for mip in range(3)}
    for name in [k for k in meshes if k.endswith("_LOD0")]:
        base = name.removesuffix("_LOD0")
        points0, uv0, normals0 = surface_samples(meshes[name], 60000, seed=2)
        reference = bilinear(maps[name], uv0)
        tree = cKDTree(points0)
        for k in range(lods):
            mesh = meshes[f"{base}_LOD{k}"]
            share, covered = charts_mixed(mesh.visual.uv, mesh.faces, maps[f"{base}_LOD{k}"].shape[0])
            mixed[k].append(share)
            coverage[k].append(covered)
            if k == 0:
                continue
            points, uv, normals = surface_samples(mesh, 4000, seed=1)
            distance, index = tree.query(points, k=16)
            facing = np.einsum("nkd,nd->nk", normals0[index], normals) > 0.5  # not the far side of a thin slab
            nearest = index[np.arange(len(index)), np.argmin(distance - 1e3 * facing, axis=1)]
            for mip in range(3):
                shown = bilinear(mipmap(maps[f"{base}_LOD{k}"], mip), uv)
                diffs[(k, mip)].append(np.abs(shown - reference[nearest]))
    return {"assets": len(mixed[0]), "mixed": {k: float(np.mean(v)) for k, v in mixed.items()},
            "mixed_max": {k: float(np.max(v)) for k, v in mixed.items()},
            "covered": {k: float(np.mean(v)) for k, v in coverage.items()},
            "diff": {key: (float(np.concatenate(v).mean()), float(np.mean(np.concatenate(v) > 0.25)))
                     for key, v in diffs.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("glbs", nargs="+")
    args = parser.parse_args()
    print("| GLB | assets | charts mixed: LOD0 / LOD1 / LOD2 (max) | maps covered | LOD1 shown vs LOD0, mip 0 / 1 / 2: mean (> 0.25) "
          "| LOD2 shown vs LOD0, mip 0 / 1 / 2 |")
    print("|---|---:|---|---|---|---|")
    for path in args.glbs:
        r = measure(path)
        mixed = " / ".join(f"{r['mixed'][k]:.1%} ({r['mixed_max'][k]:.1%})" for k in range(3))
        cells = [" / ".join(f"{r['diff'][(k, m)][0]:.4f} ({r['diff'][(k, m)][1]:.2%})" for m in range(3)) for k in (1, 2)]
        covered = " / ".join(f"{r['covered'][k]:.0%}" for k in range(3))
        print(f"| {path} | {r['assets']} | {mixed} | {covered} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
