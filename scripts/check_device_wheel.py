"""Refuse to train on the device with a stale project wheel.

On the GPU machine `iggan` is imported from the wheel carried in `.whl` (it is the only place
`iggan.cli` exists), not from the working tree, so a wheel built before the last code change runs the
old code without a word: session 28 met `No such option '--mirror-data'`, and a changed default
would not even fail. Run from the repo root after `source .gl/activate.sh`:

    python3 -P scripts/check_device_wheel.py      # exit 1, naming the files, if the wheel is stale

It also refuses when a module that `evaluate` and `generate` import late is missing: the device's Python lacks
fast-simplification, and session 52's three 1,500-step arms trained for 7 minutes and then failed in `evaluate`
without it, bringing nothing back.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

REBUILD = ".venv/bin/pip wheel --no-deps --no-build-isolation -w .whl ."
# Imported inside functions (so training runs without them), but `evaluate` (its shape metrics export every
# sample) and `generate` need them: module -> the wheel to add to .whl.
LATE_IMPORTS = {"fast_simplification": "fast-simplification"}
DOWNLOAD = ("python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "
            "--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl")


def package_sources(pyproject: Path) -> dict[str, Path]:
    """Each package the wheel holds (pyproject's setuptools `packages`) -> its folder in the tree,
    following `package-dir` (cli/ is shipped as iggan.cli, asset_export/ as iggan.asset_export, ...)."""
    setup = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]
    dirs = setup.get("package-dir", {})
    out = {}
    for pkg in setup["packages"]:
        parts = pkg.split(".")
        for i in range(len(parts), 0, -1):  # the longest mapped prefix decides
            prefix = ".".join(parts[:i])
            if prefix in dirs:
                out[pkg] = pyproject.parent / dirs[prefix] / Path(*parts[i:])
                break
        else:
            out[pkg] = pyproject.parent / Path(*parts)
    return out


def stale_files(sources: dict[str, Path], site: Path) -> list[str]:
    """Module paths (posix, as installed under `site`) of the tree's .py files that the installed
    packages lack or hold with other bytes."""
    out = []
    for pkg, folder in sorted(sources.items()):
        for src in sorted(folder.glob("*.py")):
            rel = Path(*pkg.split(".")) / src.name
            dst = site / rel
            if not dst.is_file() or dst.read_bytes() != src.read_bytes():
                out.append(rel.as_posix())
    return out


def missing_modules(modules: dict[str, str]) -> list[str]:
    """The wheels (values) of the modules (keys) this Python cannot find."""
    import importlib.util
    return [wheel for module, wheel in modules.items() if importlib.util.find_spec(module) is None]


def main() -> int:
    import iggan

    missing = missing_modules(LATE_IMPORTS)
    if missing:
        print(f"this Python lacks {', '.join(missing)}, which evaluate and generate import after training has run: "
              f"add the wheel here with `{DOWNLOAD} {' '.join(missing)}` and carry .whl again.", file=sys.stderr)
        return 1

    installed = Path(iggan.__file__).resolve().parent
    if installed == Path("iggan").resolve():
        return 0  # running from the tree itself: nothing can be stale
    stale = stale_files(package_sources(Path("pyproject.toml")), installed.parent)
    if stale:
        print(f"the carried project wheel ({installed}) is older than the working tree: {len(stale)} file(s) "
              f"differ, e.g. {', '.join(stale[:3])}. Rebuild it here with `{REBUILD}` and carry .whl again.",
              file=sys.stderr)
        return 1
    print(f"project wheel matches the tree ({installed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
