"""How many LOD meshes of a GLB come apart: per LOD level, the meshes whose triangles form more than one body
joined by shared edges, and of those the ones still in more than one body when a shared corner also joins (so
parts that only touch at a vertex count as one). Positions are welded first: the exporter splits vertices at
non-manifold edges (make_edge_manifold), which is where low LODs come apart.

    python benchmarks/lod_bodies.py lods6.glb     # after: iggan-assets generate --n 50 --lods 6 --out lods6.glb
"""
from __future__ import annotations

import argparse
from collections import Counter

import trimesh

from iggan.asset_export.check import body_labels


def lod_level(name: str) -> int | None:
    head, sep, tail = name.rpartition("_LOD")
    return int(tail) if sep and tail.isdigit() and not head.startswith("UCX_") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("glb")
    args = parser.parse_args()
    scene = trimesh.load(args.glb, force="scene", process=False)
    meshes, by_edge, by_corner, triangles = Counter(), Counter(), Counter(), Counter()
    for name, geometry in scene.geometry.items():
        level = lod_level(name)
        if level is None:
            continue
        welded = trimesh.Trimesh(geometry.vertices, geometry.faces, process=True)  # merges equal positions
        meshes[level] += 1
        triangles[level] += len(welded.faces)
        by_edge[level] += len(welded.split(only_watertight=False)) > 1
        by_corner[level] += body_labels(welded.faces, len(welded.vertices))[0] > 1
    print("| LOD | meshes | mean triangles | in > 1 body (shared edges) | in > 1 body (shared corners too) |")
    print("|---:|---:|---:|---:|---:|")
    for level in sorted(meshes):
        print(f"| {level} | {meshes[level]} | {triangles[level] / meshes[level]:.0f} | {by_edge[level]} | "
              f"{by_corner[level]} |")


if __name__ == "__main__":
    main()
