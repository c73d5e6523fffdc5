"""Import a script of benchmarks/ or scripts/ as a module, so tests can call its functions."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = ROOT / "scripts"


def _load(path: Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_benchmark(name: str):
    """benchmarks/<name>.py as a fresh module (its main() is not run)."""
    return _load(BENCHMARKS / f"{name}.py", f"bench_{name}")


def load_script(name: str):
    """scripts/<name>.py as a fresh module (its main() is not run)."""
    return _load(SCRIPTS / f"{name}.py", f"script_{name}")
