"""Image "data floor" for FID/KID: split the objects of render-dataset folders in two halves (by
object, seeded) and score one half's renders against the other's. A generator cannot be expected
to beat this at the same image counts; report it beside the model's FID/KID.

  .venv/bin/python benchmarks/image_floor.py .data/sofas64/sh3d .data/sofas64/kenney
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iggan.eval.classifier import extract_features, load_classifier  # noqa: E402
from iggan.eval.image_metrics import fid, kid  # noqa: E402


def object_images(folders: list[Path]) -> list[list[Path]]:
    """One list of image paths per object, from each folder's manifest.json."""
    out = []
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        out += [[folder / img["file"] for img in obj["images"]] for obj in manifest["objects"]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    objects = object_images(args.folders)
    order = np.random.default_rng(args.seed).permutation(len(objects))
    halves = [order[: len(order) // 2], order[len(order) // 2:]]
    net, _ = load_classifier()
    feats = []
    for half in halves:
        files = [p for i in half for p in objects[i]]
        images = np.stack([np.asarray(Image.open(p).convert("L").resize((64, 64)), np.float32) / 255.0 for p in files])
        feats.append(extract_features(net, images))
    k, s = kid(feats[0], feats[1])
    print(json.dumps({"objects": [len(h) for h in halves], "images": [len(f) for f in feats], "fid": fid(*feats),
                      "kid": k, "kid_std": s}, indent=1))


if __name__ == "__main__":
    main()
