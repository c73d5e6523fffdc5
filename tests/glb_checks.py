"""Shared checks for exported GLBs: the Khronos validator (node) and the game-ready checklist
read back from the file with pygltflib and trimesh. Imported by the test modules."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR_JS = ROOT / "tests" / "clients" / "validate_gltf.mjs"


def validator_missing() -> str | None:
    """Why the Khronos validator cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (bash scripts/setup.sh test installs the npm clients)"
    if not (ROOT / "node_modules" / "gltf-validator").is_dir():
        return "npm package gltf-validator is missing: run `npm install` in the repository"
    return None


def validate(paths) -> list[dict]:
    """Validator reports for the files; skips the test when node or the validator is absent."""
    reason = validator_missing()
    if reason:
        pytest.skip(reason)
    out = subprocess.run(["node", str(VALIDATOR_JS), *map(str, paths)], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def assert_valid(paths) -> None:
    """0 errors and 0 warnings from the Khronos glTF-Validator for every file."""
    paths = list(paths)
    for path, report in zip(paths, validate(paths)):
        issues = report["issues"]
        msgs = [m for m in issues["messages"] if m["severity"] <= 1]
        assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, f"{path}: {msgs}"


def _accessor_array(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}[acc.componentType]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}[acc.type]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    return np.frombuffer(blob, dtype, acc.count * width, start).reshape(acc.count, width) if width > 1 else \
        np.frombuffer(blob, dtype, acc.count, start)


def read_meshes(path) -> dict[str, dict]:
    """node name -> {"positions", "normals", "uvs", "faces", "translation", "material", "parent", "materials",
    "primitive_faces"} for every node with a mesh, positions in the node's local frame, read with pygltflib
    (uvs: TEXCOORD_0 or None). A mesh of several primitives (`--frame`: body, then frame) is read as one: their
    vertices and faces joined in order, `material` the first one's, `materials` and `primitive_faces` each's."""
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()
    parent = {c: i for i, n in enumerate(gltf.nodes) for c in (n.children or [])}
    out = {}
    for i, node in enumerate(gltf.nodes):
        if node.mesh is None:
            continue
        parts = []
        for prim in gltf.meshes[node.mesh].primitives:
            pos = _accessor_array(gltf, blob, prim.attributes.POSITION)
            acc = gltf.accessors[prim.attributes.POSITION]
            assert acc.min is not None and acc.max is not None, "POSITION needs min/max"
            np.testing.assert_allclose(acc.min, pos.min(axis=0), atol=1e-6)
            np.testing.assert_allclose(acc.max, pos.max(axis=0), atol=1e-6)
            nrm = _accessor_array(gltf, blob, prim.attributes.NORMAL) if prim.attributes.NORMAL is not None else None
            uvs = _accessor_array(gltf, blob, prim.attributes.TEXCOORD_0) \
                if prim.attributes.TEXCOORD_0 is not None else None
            faces = _accessor_array(gltf, blob, prim.indices).reshape(-1, 3).astype(np.int64)
            parts.append((pos, nrm, uvs, faces, gltf.materials[prim.material]))
        offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
        join = (lambda k: None if parts[0][k] is None else np.concatenate([p[k] for p in parts]))
        out[node.name] = {"positions": join(0), "normals": join(1), "uvs": join(2),
                          "faces": np.concatenate([p[3] + o for p, o in zip(parts, offsets)]),
                          "translation": node.translation, "material": parts[0][4],
                          "materials": [p[4] for p in parts], "primitive_faces": [len(p[3]) for p in parts],
                          "parent": gltf.nodes[parent[i]].name if i in parent else None}
    return out


def join_seams(positions: np.ndarray, normals: np.ndarray, faces: np.ndarray):
    """Undo UV seams: vertices that share position and normal exactly (a seam's copies) become one.
    The vertices a voxel surface keeps apart where two parts touch at an edge share only the position,
    so they stay apart. (V', 3), (V', 3), (F, 3) -> (V, 3) positions, (V, 3) normals, (F, 3) faces."""
    keys = np.concatenate([positions, normals], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return positions[first], normals[first], inverse.ravel()[faces]


def assert_game_ready(path, size_m: float | None = None, size_by: str = "largest") -> dict[str, dict]:
    """The checklist on every visible mesh: metallic 0 (its body; a `--frame metal` primitive is metallic), unit
    normals, watertight and outward (trimesh;
    with UVs or a frame primitive, once the copies of a vertex are joined), UVs in [0, 1], no degenerate triangles,
    pivot at the base centre, +Y up (the largest extent, or with size_by "height" the height, is `size_m`)."""
    meshes = read_meshes(path)
    assert meshes, "no meshes"
    for name, m in meshes.items():
        pbr = m["material"].pbrMetallicRoughness
        assert pbr.metallicFactor == 0.0, f"{name}: metallicFactor {pbr.metallicFactor}"
        f = m["faces"]
        assert np.all((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])), f"{name}: degenerate"
        points, welded, normals = m["positions"], f, m["normals"]
        if m["uvs"] is not None:
            assert np.all(np.isfinite(m["uvs"])) and m["uvs"].min() >= 0 and m["uvs"].max() <= 1, f"{name}: UVs"
        # UV seams and the border between a body and a frame primitive split vertices: the surface must be
        # closed once they are joined
        if m["uvs"] is not None or len(m["primitive_faces"]) > 1:
            assert m["normals"] is not None, f"{name}: no normals"
            points, normals, welded = join_seams(m["positions"], m["normals"], f)
        tm = trimesh.Trimesh(points, welded, process=False)
        assert np.all(tm.area_faces > 0), f"{name}: zero-area triangles"
        assert tm.is_watertight and tm.is_winding_consistent, f"{name}: not watertight"
        assert tm.volume > 0, f"{name}: wound inward"
        if "-convcolonly" in name or name.startswith("UCX_"):
            assert tm.is_convex, f"{name}: collision hull not convex"
            continue
        assert m["normals"] is not None, f"{name}: no normals"
        np.testing.assert_allclose(np.linalg.norm(m["normals"], axis=1), 1.0, atol=1e-5)
        # outward: the vertex normals agree with the area-weighted sums of the adjacent (outward-wound) face
        # normals. Area-weighted as glTF viewers and the exporter compute them: at a saddle of a coarse LOD the
        # angle-weighted normals trimesh gives can point the other way (one such vertex of 75 once failed a
        # 99% check against trimesh's although the normals were right). Flipped normals give about 0.
        p, w = points.astype(np.float64), welded
        cross = np.cross(p[w[:, 1]] - p[w[:, 0]], p[w[:, 2]] - p[w[:, 0]])  # 2 * area * face normal
        summed = np.zeros_like(p)
        for k in range(3):
            np.add.at(summed, w[:, k], cross)
        agree = np.einsum("ij,ij->i", summed, normals)
        assert np.mean(agree > 0) > 0.99, f"{name}: normals point inward"
        lo, hi = m["positions"].min(axis=0), m["positions"].max(axis=0)
        if "_LOD" not in name or name.endswith("_LOD0"):
            assert abs(lo[1]) < 1e-5, f"{name}: min y = {lo[1]}, pivot must be at the base"
            np.testing.assert_allclose((lo + hi)[[0, 2]] / 2, 0.0, atol=1e-5, err_msg=f"{name}: not centred in x/z")
            if size_m is not None:
                size = (hi - lo).max() if size_by == "largest" else (hi - lo)[1]
                assert abs(size - size_m) < 1e-4 * size_m, f"{name}: {size_by} size {size} != {size_m}"
    return meshes


def load_trimesh_scene(path) -> trimesh.Scene:
    """trimesh as a client: the file loads as a scene with one geometry per mesh node."""
    scene = trimesh.load(str(path), force="scene")
    assert len(scene.geometry) > 0
    return scene


def with_views_past_the_buffer(glb: bytes) -> bytes:
    """The GLB with every buffer view's offset moved a gigabyte past its buffer: a header and JSON that read
    whole, over mesh data no reader can reach (what a damaged download or a buggy tool can leave)."""
    import struct
    json_length = struct.unpack("<I", glb[12:16])[0]
    doc = json.loads(glb[20:20 + json_length])
    for view in doc["bufferViews"]:
        view["byteOffset"] = view.get("byteOffset", 0) + 10**9
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    rest = glb[20 + json_length:]
    return (struct.pack("<III", 0x46546C67, 2, 20 + len(text) + len(rest)) + struct.pack("<II", len(text), 0x4E4F534A)
            + text + rest)
