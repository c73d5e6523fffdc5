"""`iggan-assets blender build-extension`: the installable Blender extension zip.

The zip holds the add-on (blender_addon/), a vendored copy of asset_export/ (relative imports
only, so it works under any parent package) and of iggan/photos.py, the bundled generators, and the wheels Blender lacks
for one platform. Blender 4.2-5.0 ship Python 3.11 and numpy 1.26, so the wheels are cp311 builds
resolved against numpy 1.26 and numpy itself is left out."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import click

from .output_folder import make_output_folder

REPO = Path(__file__).resolve().parent.parent  # the repository, or site-packages/iggan when installed
ADDON_ID = "iggan_assets"
PYTHON_VERSION = "3.11"  # Blender 4.2 .. 5.0
BLENDER_NUMPY = "numpy==1.26.4"  # shipped by Blender 4.2 .. 5.0; a constraint, never bundled
REQUIREMENTS = ["scipy>=1.11", "scikit-image>=0.22", "trimesh>=4.0", "pygltflib>=1.16",
                "fast-simplification>=0.1.7", "pillow>=10", "xatlas>=0.0.9", "vhacdx>=0.1.1",
                "pillow-heif>=0.18",  # Match Image on an iPhone's HEIC photo (Blender's own loader reads none)
                "DracoPy>=2.0"]  # Export Selected's Draco compression
SHIPPED_BY_BLENDER = {"numpy", "requests", "certifi", "idna", "urllib3", "charset_normalizer", "zstandard"}
# Blender platform name -> pip --platform tags (newest first is not required; pip takes any match)
PLATFORMS = {
    "linux-x64": ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux1_x86_64",
                  "manylinux_2_5_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_13_0_arm64", "macosx_14_0_arm64"],
    "macos-x64": ["macosx_10_9_x86_64", "macosx_10_13_x86_64", "macosx_10_14_x86_64", "macosx_10_15_x86_64",
                  "macosx_11_0_x86_64", "macosx_12_0_x86_64"],
}
DEFAULT_CACHE = Path.home() / ".cache" / "iggan-assets" / "wheels"


class BuildError(click.ClickException):
    pass


def _sources() -> tuple[Path, Path, Path]:
    """(add-on folder, asset_export folder, bundled models folder) in the repo or the installed package."""
    for addon, export, models in ((REPO / "blender_addon", REPO / "asset_export", REPO / "iggan" / "bundled"),
                                  (REPO / "blender_addon", REPO / "asset_export", REPO / "bundled")):
        if (addon / "__init__.py").is_file() and (export / "__init__.py").is_file() and (models.parent / "photos.py").is_file():
            return addon, export, models
    raise BuildError(f"cannot find blender_addon/ and asset_export/ beside {REPO}; run from a checkout")


def _platform_here() -> str:
    import platform
    machine = platform.machine().lower()
    arm = machine in ("arm64", "aarch64")
    if sys.platform.startswith("linux") and not arm:
        return "linux-x64"
    if sys.platform == "win32":
        return "windows-x64"
    if sys.platform == "darwin":
        return "macos-arm64" if arm else "macos-x64"
    raise BuildError(f"no wheels are resolved for this platform ({sys.platform} {machine}); pass --platform")


def fetch_wheels(platform: str, cache: Path, offline: bool = False) -> list[Path]:
    """cp311 wheels of REQUIREMENTS and their dependencies for `platform`, as pip resolves them now (against
    Blender's numpy), kept in `cache`. Tries the cache alone first (no network); downloads only what is missing.
    pip resolves into an empty folder, so exactly its choice is bundled, never another version or an old
    requirement's wheel that lies in the cache."""
    import shutil
    import tempfile

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="iggan-wheels-") as resolved:
        base = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--python-version",
                PYTHON_VERSION, "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none",
                "-d", resolved]
        for tag in PLATFORMS[platform]:
            base += ["--platform", tag]
        base += [*REQUIREMENTS, BLENDER_NUMPY]
        local = subprocess.run(base + ["--no-index", "--find-links", str(cache)], capture_output=True, text=True)
        if local.returncode != 0:
            if offline:
                raise BuildError(f"--offline: the wheel cache {cache} lacks wheels for {platform}:\n"
                                 f"{local.stderr.strip()[-800:]}\nRun once without --offline to fill it.")
            net = subprocess.run(base + ["--find-links", str(cache)], capture_output=True, text=True)
            if net.returncode != 0:
                raise BuildError(f"pip could not fetch the wheels for {platform}:\n{net.stderr.strip()[-1500:]}\n"
                                 "Check the network, or fill the cache with --wheels DIR from a machine that has it.")
        for whl in Path(resolved).glob("*.whl"):
            if not (cache / whl.name).is_file():
                shutil.copy2(whl, cache / whl.name)
        chosen = [cache / whl.name for whl in Path(resolved).glob("*.whl")]
    return _select(chosen, platform)


def _select(wheels: list[Path], platform: str) -> list[Path]:
    """The wheels Blender lacks (numpy & co. dropped), one per distribution (the newest if pip gave two), each
    fitting the platform."""
    tags = set(PLATFORMS[platform])
    best: dict[str, tuple] = {}
    for whl in wheels:
        parts = whl.name[:-4].split("-")
        dist, version, py, abi, plat = parts[0].lower().replace("-", "_"), parts[1], parts[-3], parts[-2], parts[-1]
        if dist in SHIPPED_BY_BLENDER:
            continue
        if plat != "any" and not tags & set(plat.split(".")):
            continue
        if not any(p in ("py3", "py2.py3", "cp311") or p.startswith("cp3") and abi == "abi3" for p in py.split(".")):
            continue
        key = tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.+]", version))
        if dist not in best or key > best[dist][0]:
            best[dist] = (key, whl)
    return sorted(w for _, w in best.values())


def manifest_text(template: str, platform: str, wheels: list[Path], version: str) -> str:
    template = re.sub(r"\A(#.*\n)+", "# Written by iggan-assets blender build-extension.\n", template)
    text = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', template)
    wheel_lines = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    extra = f'platforms = ["{platform}"]\nwheels = [\n{wheel_lines},\n]\n'
    return text.replace("\n[permissions]", "\n" + extra + "\n[permissions]", 1)


def build_extension(out: Path, platform: str, cache: Path = DEFAULT_CACHE, offline: bool = False,
                    models: tuple[str, ...] | None = None) -> Path:
    """Write <out>/iggan_assets-<version>-<platform>.zip; returns its path."""
    from iggan.sampling import generator_stems

    addon, export, bundled = _sources()
    unknown = sorted(set(models or ()) - set(generator_stems(bundled)))
    if unknown:  # checked before the wheels are fetched: a typo would otherwise ship an extension with no model
        raise click.BadParameter(f"unknown model {unknown[0]!r}: the bundled generators are "
                                 f"{', '.join(generator_stems(bundled))}", param_hint="--model")
    wheels = fetch_wheels(platform, cache / platform, offline)
    template = (addon / "blender_manifest.toml").read_text()
    version = re.search(r'(?m)^version = "(.*)"$', template).group(1)
    out.mkdir(parents=True, exist_ok=True)
    zpath = out / f"{ADDON_ID}-{version}-{platform.replace('-', '_')}.zip"
    tmp = zpath.with_name(f".{zpath.name}.tmp")
    skip = re.compile(r"(__pycache__|\.pyc$|^\.)")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("blender_manifest.toml", manifest_text(template, platform, wheels, version))
        for f in sorted(addon.glob("*.py")):
            z.write(f, f.name)
        z.write(bundled.parent / "photos.py", "photos.py")  # torch-free; Match Image reads photos as the CLI does
        for f in sorted(export.rglob("*.py")):
            if not skip.search(f.name):
                z.write(f, f"asset_export/{f.relative_to(export).as_posix()}")
        for name, stem in generator_stems(bundled).items():  # the panel samples generators only
            if models and name not in models:
                continue
            z.write(stem.with_suffix(".json"), f"models/{name}.json")
            z.write(stem.with_suffix(".safetensors"), f"models/{name}.safetensors", zipfile.ZIP_STORED)
        for w in wheels:
            z.write(w, f"wheels/{w.name}", zipfile.ZIP_STORED)  # wheels are zips already
    tmp.replace(zpath)
    return zpath


@click.group("blender")
def blender():
    """Blender extension tools."""


@blender.command("build-extension")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the zip(s).")
@click.option("--platform", "platforms", multiple=True, type=click.Choice([*PLATFORMS, "all"]),
              help="Blender platform(s) to build for (default: this machine's). One zip each.")
@click.option("--wheels", "cache", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CACHE,
              show_default=True, help="Wheel cache (per platform subfolder); filled by pip on first use.")
@click.option("--offline", is_flag=True, help="Use only the wheel cache, never the network.")
@click.option("--model", "models", multiple=True,
              help="Bundle only these generators (default: every bundled generator; the proxy and evaluate's "
                   "network are never packed).")
def build_extension_cmd(out, platforms, cache, offline, models):
    """Write the installable extension zip: Edit > Preferences > Get Extensions > Install from Disk."""
    names = list(PLATFORMS) if "all" in platforms else (list(platforms) or [_platform_here()])
    make_output_folder(out)
    for name in names:
        path = build_extension(out, name, cache, offline, tuple(models) or None)
        click.echo(f"{path} ({path.stat().st_size / 2**20:.1f} MiB, {name})")


@blender.command("fbx")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the .fbx files (default: beside each input).")
@click.option("--overwrite", is_flag=True, help="Replace existing .fbx files.")
def fbx_cmd(inputs, out_dir, overwrite):
    """Convert GLB or .gltf files (or those in a `generate --split` folder) to FBX for Unity and other
    FBX-first engines, with Blender's own importer and exporter: node names (_LOD<k>, UCX_), metres,
    +Y up and UVs carry over, and an asset with LODs becomes an FBX LOD group (Unreal's "Import Mesh LODs");
    glTF's occlusion map does not (FBX has no slot for it).

    Example: iggan-assets blender fbx chairs.glb   (writes chairs.fbx beside it)"""
    from iggan.fbx import FbxError, convert_to_fbx, plan_fbx

    try:
        if out_dir is not None:
            make_output_folder(out_dir, "--out-dir")
        pairs = plan_fbx(list(inputs), out_dir, overwrite)
        results = convert_to_fbx(pairs)
    except FbxError as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        objects, groups = r["objects"], r.get("lod_groups", [])
        grouped = f", {len(groups)} LOD groups" if groups else ""
        click.echo(f"{r['fbx']} ({len(objects)} meshes, {sum(objects.values())} triangles{grouped})")
