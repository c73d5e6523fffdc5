"""How well `--frame` finds a piece of furniture's frame, against artists' own material split.

Kenney's furniture models (CC0, ../shared/data/kenney-furniture) paint their seats with a wood or metal frame and a
carpet (upholstery) body as separate materials. Each such seat (chairs, sofas, benches, stools) is voxelised as
training voxelises meshes (iggan.voxelize, 32^3, +Y up); each surface voxel takes the material of the nearest surface
sample (frame: a material whose name starts with wood or metal; body: carpet), and asset_export.parts.frame_voxels
predicts the frame from the voxels alone. Printed per model and pooled: the truth's and the prediction's frame share
of the surface voxels, accuracy, the predicted frame's precision and recall, and its IoU; beside them the accuracy
of calling everything body (the share a rule must beat).

    .venv/bin/python benchmarks/frame_accuracy.py [--kenney ../shared/data/kenney-furniture] [--res 32]
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iggan.asset_export.parts import frame_voxels  # noqa: E402
from iggan.meshes import normalise_mesh  # noqa: E402
from iggan.voxelize import voxelize_mesh  # noqa: E402

FRAME_MATERIALS = ("wood", "metal")
BODY_MATERIALS = ("carpet",)
SEATS = re.compile(r"chair|sofa|bench|stool", re.I)


def labelled_mesh(path: Path):
    """A GLB -> (ObjectMesh normalised as for rendering, (F,) bool: each triangle's material is a frame one), or
    None when the model does not have both a frame and a body material."""
    scene = trimesh.load(str(path), force="scene", process=False)
    vertices, faces, frame, offset = [], [], [], 0
    kinds = set()
    for mesh in scene.dump(concatenate=False):
        name = str(getattr(getattr(mesh.visual, "material", None), "name", "") or "").lower()
        is_frame = name.startswith(FRAME_MATERIALS)
        kinds.add("frame" if is_frame else "body" if name.startswith(BODY_MATERIALS) else "other")
        vertices.append(np.asarray(mesh.vertices))
        faces.append(np.asarray(mesh.faces) + offset)
        frame.append(np.full(len(mesh.faces), is_frame))
        offset += len(mesh.vertices)
    if not {"frame", "body"} <= kinds:
        return None
    labels = np.concatenate(frame).astype(np.float32)
    # the label rides through normalisation as a face colour (it drops degenerate triangles)
    obj = normalise_mesh(np.concatenate(vertices), np.concatenate(faces), np.repeat(labels[:, None], 3, 1), "y",
                         str(path))
    return obj, obj.colors[::3, 0] > 0.5  # normalise_mesh keeps 3 vertices per triangle


def truth_and_prediction(obj, triangle_frame: np.ndarray, res: int):
    """(surface voxel truth, prediction): (N,) bool each, frame = True."""
    solid = voxelize_mesh(obj, res)
    surface = solid & ~ndimage.binary_erosion(solid, ndimage.generate_binary_structure(3, 1), border_value=0)
    cells = np.argwhere(surface)
    centres = (cells + 0.5) / res - 0.5
    tm = trimesh.Trimesh(obj.positions, np.asarray(obj.triangles).reshape(-1, 3), process=False)
    # the nearest of dense surface samples stands for the nearest triangle (trimesh's exact query needs rtree)
    points, face_index = trimesh.sample.sample_surface(tm, max(200_000, 50 * res * res), seed=0)
    _, nearest = cKDTree(points).query(centres)
    truth = triangle_frame[face_index[nearest]]
    predicted = frame_voxels(solid)[cells[:, 0], cells[:, 1], cells[:, 2]]
    return truth, predicted


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    both = (truth & predicted).sum()
    either = (truth | predicted).sum()
    return {"voxels": int(len(truth)), "truth_share": float(truth.mean()), "predicted_share": float(predicted.mean()),
            "accuracy": float((truth == predicted).mean()), "all_body_accuracy": float(1.0 - truth.mean()),
            "precision": float(both / predicted.sum()) if predicted.any() else float("nan"),
            "recall": float(both / truth.sum()) if truth.any() else float("nan"),
            "frame_iou": float(both / either) if either else 1.0}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kenney", type=Path, default=ROOT.parent / "shared" / "data" / "kenney-furniture")
    parser.add_argument("--res", type=int, default=32)
    args = parser.parse_args(argv)
    rows, pooled_truth, pooled_predicted = [], [], []
    for path in sorted(args.kenney.glob("*.glb")):
        if not SEATS.search(path.stem):  # what --frame is for; cabinets and baths paint doors and taps, not frames
            continue
        labelled = labelled_mesh(path)
        if labelled is None:
            continue
        truth, predicted = truth_and_prediction(*labelled, args.res)
        rows.append((path.stem, scores(truth, predicted)))
        pooled_truth.append(truth)
        pooled_predicted.append(predicted)
    if not rows:
        raise SystemExit(f"no models with both a frame (wood, metal) and a body (carpet) material in {args.kenney}")
    print("| model | surface voxels | frame share, truth | frame share, predicted | accuracy | all-body accuracy | "
          "precision | recall | frame IoU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in rows + [("pooled", scores(np.concatenate(pooled_truth), np.concatenate(pooled_predicted)))]:
        print(f"| {name} | {s['voxels']} | {s['truth_share']:.2f} | {s['predicted_share']:.2f} | {s['accuracy']:.2f} | "
              f"{s['all_body_accuracy']:.2f} | {s['precision']:.2f} | {s['recall']:.2f} | {s['frame_iou']:.2f} |")


if __name__ == "__main__":
    main()
