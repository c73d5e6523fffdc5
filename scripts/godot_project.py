"""Open GLBs in the Godot game engine, headless: a throw-away Godot 3 project, its editor's glTF import
under Xvfb, then a GDScript run on the imported scenes. Used by tests/test_clients.py (the Godot
import test) and, as a script, to draw a GLB in Godot for the docs:

    python scripts/godot_project.py chairs.glb docs/images/godot_chairs.png

Needs `godot3`, `xvfb-run` and `xauth` (Debian: apt-get install godot3 xvfb xauth; scripts/setup.sh test).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def missing() -> str | None:
    """Why Godot cannot run here, or None."""
    for tool, package in (("godot3", "godot3"), ("xvfb-run", "xvfb"), ("xauth", "xauth")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed: `apt-get install {package}` (bash scripts/setup.sh test)"
    return None


def make_project(folder: Path, glbs: list[Path], scripts: list[Path]) -> dict:
    """A Godot project in `folder` holding the GLBs and GDScripts; returns the environment to run Godot
    in (its settings and caches go under the folder, so nothing is left behind)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.godot").write_text('config_version=4\n\n[application]\nconfig/name="iggan-check"\n')
    for path in [*glbs, *scripts]:
        shutil.copy(path, folder / Path(path).name)
    return {**os.environ, **{k: str(folder / ".xdg") for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}}


def import_assets(project: Path, env: dict, timeout: float = 120.0) -> None:
    """Run Godot's editor on `project` until its glTF importer has written every GLB's scene. Godot
    3.2's editor under Xvfb does not quit by itself after an import (--quit hangs or crashes at exit),
    so it is stopped once each import's checksum file, written after the scene, is there."""
    wanted = len(list(project.glob("*.glb")))
    with open(project / "import.log", "w") as log:
        proc = subprocess.Popen(["xvfb-run", "-a", "godot3", "--path", str(project), "--editor", "--quit"],
                                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                if len(list(project.glob(".import/*.glb-*.md5"))) >= wanted:
                    time.sleep(1.0)  # the .import file is written just after the checksum
                    break
                time.sleep(0.25)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def run_script(project: Path, env: dict, script: str, size: str = "1280x720",
               timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run a SceneTree GDScript of the project in a window of `size` on a virtual screen."""
    return subprocess.run(["xvfb-run", "-a", "-s", f"-screen 0 {size}x24", "godot3", "--path", str(project),
                           "--resolution", size, "--script", script],
                          capture_output=True, text=True, timeout=timeout, env=env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("glb", type=Path)
    ap.add_argument("out", type=Path, help="PNG to write")
    args = ap.parse_args()
    reason = missing()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copy(args.glb, project / "set.glb")
        env = make_project(project, [], [HERE / "godot_shot.gd"])
        import_assets(project, env)
        out = run_script(project, env, "godot_shot.gd")
        shot = project / "godot_shot.png"
        if not shot.is_file():
            sys.exit(f"Godot wrote no picture:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}")
        shutil.copyfile(shot, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
