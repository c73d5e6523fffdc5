"""GLB -> FBX for engines that import FBX first (Unity; Unreal also takes glTF): Blender's own glTF
importer and FBX exporter, run in a Blender subprocess (fbx_worker.py; blender_process.py finds it).

Node names carry over, so Unity's `_LOD<k>` suffixes and Unreal's `UCX_` hulls keep their meaning, and an
asset with LODs becomes an FBX LOD group (its hulls beside it); sizes stay in metres, +Y up. What FBX's material has no slot for (glTF's occlusion map from --ao,
metallic-roughness) is left out; the base colour and UVs carry over.

    pairs = plan_fbx([Path("chairs.glb")], out_dir=None, overwrite=False)   # [(chairs.glb, chairs.fbx)]
    results = convert_to_fbx(pairs)                                         # [{"fbx": ..., "objects": ...}]
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from . import glb_inputs
from .glb_inputs import ConversionError
from .blender_process import BlenderUnavailable, find_blender, script_command

WORKER = Path(__file__).with_name("fbx_worker.py")
TIMEOUT_S_PER_FILE = 120.0  # Blender's start is ~1 s; a 50-chair GLB converts in under 2 s


class FbxError(ConversionError):
    """A conversion that cannot go ahead or failed; the message says what to do."""


def check_glb(path: Path) -> None:
    """Raise FbxError unless `path` is a whole binary glTF 2 file (glb_inputs.check_glb)."""
    glb_inputs.check_glb(path, FbxError)


def plan_fbx(inputs: list[Path], out_dir: Path | None, overwrite: bool) -> list[tuple[Path, Path]]:
    """(glb, fbx) pairs: each input GLB, or each *.glb in an input folder, to a .fbx of the same name
    beside it or in out_dir. Raises FbxError before any work if an input is missing or not a whole GLB,
    a target exists (without overwrite) or cannot be written, or two inputs would share a target."""
    return glb_inputs.plan_outputs(inputs, out_dir, overwrite, ".fbx", FbxError)


def convert_to_fbx(pairs: list[tuple[Path, Path]]) -> list[dict]:
    """Convert each (glb, fbx) pair in one Blender process. Each FBX is written under its own name in a hidden
    folder beside its target and renamed over it only once Blender has finished it, so an existing file is
    either kept or replaced whole. Returns per pair {"glb", "fbx", "objects": {node name: triangles}};
    raises FbxError naming every file Blender refused (the others are still written)."""
    try:
        prefix = find_blender("the FBX converter")
    except BlenderUnavailable as exc:
        raise FbxError(str(exc)) from exc
    # each FBX is written under its own name (its textures are filed under it) in a hidden folder beside it
    jobs = [[str(glb.resolve()), str(glb_inputs.temporary_named_alike(fbx).resolve())] for glb, fbx in pairs]
    try:
        proc = subprocess.run(script_command(prefix, WORKER, json.dumps(jobs)), capture_output=True, text=True,
                              timeout=30 + TIMEOUT_S_PER_FILE * len(pairs))
        replies = {}
        for line in proc.stdout.splitlines():
            if line.startswith("IGGAN_FBX "):
                reply = json.loads(line[len("IGGAN_FBX "):])
                replies[reply["glb"]] = reply
        results, failed = [], []
        for (glb, fbx), (glb_abs, tmp) in zip(pairs, jobs):
            reply = replies.get(glb_abs)
            if reply is None or "error" in reply or not Path(tmp).is_file():
                why = reply["error"] if reply and "error" in reply else _tail(proc)
                failed.append(f"{glb}: {why}")
                continue
            if not sum(reply.get("objects", {}).values()):  # an FBX of empty meshes is no conversion
                failed.append(f"{glb}: Blender read no triangles from it (its mesh data could not be decoded)")
                continue
            try:
                os.replace(tmp, fbx)
            except OSError as exc:
                failed.append(f"{glb}: cannot move the new FBX to {fbx} ({exc.strerror or exc})")
                continue
            results.append({**reply, "glb": str(glb), "fbx": str(fbx)})
    except subprocess.TimeoutExpired as exc:
        raise FbxError(f"Blender took longer than {exc.timeout:.0f} s; convert fewer files at once") from exc
    finally:
        for _, tmp in jobs:
            shutil.rmtree(Path(tmp).parent, ignore_errors=True)
    if failed:
        raise FbxError("Blender could not convert " + "; ".join(failed)
                       + ". Check that each GLB loads (e.g. in Blender) or make it again with `generate`")
    return results


def _tail(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()]
    return f"Blender exited with code {proc.returncode}" + (f" ({lines[-1].strip()})" if lines else "")
