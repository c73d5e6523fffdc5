"""scripts/check_device_wheel.py: a carried project wheel older than the tree is caught before training."""
from pathlib import Path

from benchmark_scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def _script():
    return load_script("check_device_wheel")


def _tree(root: Path) -> dict:
    """A project shaped like ours: cli/ ships as pkg.cli."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.setuptools]\npackage-dir = { "pkg" = "pkg", "pkg.cli" = "cli" }\n'
        'packages = ["pkg", "pkg.models", "pkg.cli"]\n')
    for rel, text in {"pkg/__init__.py": "", "pkg/train.py": "steps = 1\n", "pkg/models/gen.py": "g = 1\n",
                      "cli/main.py": "opts = ['--data']\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return _script().package_sources(root / "pyproject.toml")


def _install(sources: dict, site: Path) -> None:
    for pkg, folder in sources.items():
        for src in folder.glob("*.py"):
            dst = site / Path(*pkg.split(".")) / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())


def test_package_dir_mapping_is_followed(tmp_path):
    sources = _tree(tmp_path)
    assert sources == {"pkg": tmp_path / "pkg", "pkg.models": tmp_path / "pkg" / "models",
                       "pkg.cli": tmp_path / "cli"}


def test_fresh_wheel_passes_and_edits_or_new_files_are_named(tmp_path):
    sources = _tree(tmp_path / "tree")
    site = tmp_path / "site"
    _install(sources, site)
    stale_files = _script().stale_files
    assert stale_files(sources, site) == []
    (tmp_path / "tree" / "cli" / "main.py").write_text("opts = ['--data', '--mirror-data']\n")
    (tmp_path / "tree" / "pkg" / "mirrored.py").write_text("")
    assert sorted(stale_files(sources, site)) == ["pkg/cli/main.py", "pkg/mirrored.py"]


def test_this_repo_maps_every_shipped_package_to_a_folder():
    sources = _script().package_sources(ROOT / "pyproject.toml")
    assert sources["iggan.cli"].name == "cli" and sources["iggan.asset_export"].name == "asset_export"
    assert all(folder.is_dir() for folder in sources.values())
    assert sum(len(list(folder.glob("*.py"))) for folder in sources.values()) > 50


def test_a_module_evaluate_imports_late_is_named_when_missing():
    script = _script()
    assert script.missing_modules({"json": "json-wheel", "no_such_module_52": "no-such-wheel"}) == ["no-such-wheel"]
    assert script.missing_modules(script.LATE_IMPORTS) == []  # the dev box has them (pyproject's dependencies)


def test_main_refuses_before_training_when_a_late_import_is_missing(monkeypatch, capsys):
    script = _script()
    monkeypatch.setattr(script, "LATE_IMPORTS", {"no_such_module_52": "no-such-wheel"})
    assert script.main() == 1
    err = capsys.readouterr().err
    assert "lacks no-such-wheel" in err and "pip download" in err and "-d .whl no-such-wheel` and carry .whl" in err
