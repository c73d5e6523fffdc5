"""Finding a Blender to run a script in: the EEVEE renderer and the FBX converter use it.

Blender runs as a subprocess, so this interpreter need not be PyPI bpy's Python 3.11. It is found, in
order, from $IGGAN_BLENDER_PYTHON (a Python that imports bpy), .venv-blender/bin/python (made by
`bash scripts/setup.sh blender` or `test`), or a `blender` binary (4.2+) on PATH or in $IGGAN_BLENDER.

    prefix = find_blender("the FBX converter")
    subprocess.run([*prefix, "script.py", *(["--"] if len(prefix) > 1 else []), "arg"])
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOW_TO = ("Install it with `bash scripts/setup.sh blender` (makes .venv-blender with PyPI bpy 5.0.1, Python "
          "3.11), or set IGGAN_BLENDER_PYTHON to a Python that can `import bpy`, or IGGAN_BLENDER to a "
          "Blender 4.2+ binary.")


class BlenderUnavailable(RuntimeError):
    """No Blender could be started; the message says how to get one."""


def _python_has_bpy(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", "import bpy"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# Prefixes found so far, by the settings that choose one: `--format fbx` checks for Blender before
# sampling and the converter asks again after; each look starts a Python that imports bpy (about 1 s).
_FOUND: dict[tuple, list[str]] = {}


def find_blender(purpose: str = "this", hint: str = "") -> list[str]:
    """The command prefix that runs a script inside Blender: [python] or [blender, -b, ..., --python].
    purpose names what needs it and hint adds a way around it, both for the error message.
    A prefix found once is reused while the environment variables, PATH and .venv-blender are unchanged."""
    venv = REPO / ".venv-blender" / "bin" / "python"
    key = (os.environ.get("IGGAN_BLENDER_PYTHON"), os.environ.get("IGGAN_BLENDER"), os.environ.get("PATH"),
           venv.is_file())
    if key not in _FOUND:
        _FOUND[key] = _look_for_blender(purpose, hint, venv)
    return list(_FOUND[key])


def _look_for_blender(purpose: str, hint: str, venv: Path) -> list[str]:
    how_to = f"{HOW_TO} {hint}".strip()
    tried = []
    env_py = os.environ.get("IGGAN_BLENDER_PYTHON")
    if env_py:
        if _python_has_bpy(env_py):
            return [env_py]
        raise BlenderUnavailable(f"IGGAN_BLENDER_PYTHON={env_py} cannot `import bpy`. {how_to}")
    if venv.is_file():
        if _python_has_bpy(str(venv)):
            return [str(venv)]
        tried.append(f"{venv} (cannot import bpy)")
    else:
        tried.append(f"{venv} (missing)")
    binary = os.environ.get("IGGAN_BLENDER") or shutil.which("blender")
    if binary:
        version = _blender_version(binary)
        if version is not None and version >= (4, 2):
            return [binary, "-b", "--factory-startup", "--python-exit-code", "1", "--python"]
        tried.append(f"{binary} (version {version}, need 4.2+)")
    else:
        tried.append("blender on PATH (none)")
    raise BlenderUnavailable(f"no Blender for {purpose}; tried {', '.join(tried)}. {how_to}")


def script_command(prefix: list[str], script: Path, *args: str) -> list[str]:
    """argv that runs `script` with `args` in the Blender of `prefix` (a binary wants '--' before them)."""
    return [*prefix, str(script), *(["--"] if len(prefix) > 1 else []), *args]


def _blender_version(binary: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for tok in out.split():
        parts = tok.split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
    return None
