"""Stage 8 to disk: the GLB file(s), manifest.json and preview sheet for a set of assets.

    out = chairs.glb           -> chairs.glb, chairs.manifest.json, chairs.preview.png
    out = chairs/ with split   -> chairs/<asset>.glb for each asset, chairs/manifest.json,
                                  chairs/preview.png

A caller that converts (the CLI's --format usdz / fbx, iggan/asset_formats.py) plans with another
`suffix` and hands write_bundle a `write_files` that turns the GLB bytes into that format.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .atomic import atomic_write, check_can_write, files_inside, named_in_manifest, remove_stale, removed_on_failure
from .draco import compress_glb
from .errors import ExportError
from .gltf import PlacedAsset, build_glb, variant_colours, variant_name
from .gltf_separate import buffer_path, images_named_by, textures_folder
from .layout import layout_positions
from .pipeline import Asset
from .preview import around_views, contact_sheet, png_bytes, sheet_tiles
from .settings import ExportSettings
from .thumbnails import frame_look, plan_thumbnails, thumbnail_pngs, thumbnails_named_by, write_thumbnails

MANIFEST_FORMAT = "iggan-assets/manifest@1"
DEFAULT_COLOR = ExportSettings().base_color  # the light grey the preview draws anyway
# what an asset file may be: the GLB, or what a caller makes of its bytes (iggan/asset_formats.py)
ASSET_SUFFIXES = (".glb", ".gltf", ".usdz", ".fbx", ".obj")


@dataclass
class Outputs:
    """The paths one export writes (asset GLBs of a split export are named after the assets)."""

    out: Path
    split: bool
    suffix: str = ".glb"  # of the asset file(s)

    @property
    def manifest(self) -> Path:
        return self.out / "manifest.json" if self.split else self.out.with_suffix(".manifest.json")

    @property
    def preview(self) -> Path:
        return self.out / "preview.png" if self.split else self.out.with_suffix(".preview.png")

    @property
    def thumbnails(self) -> Path:
        """The folder of the per-asset thumbnails: chairs.glb -> chairs_thumbnails/, a --split folder -> its
        thumbnails/ (beside, not among, the asset files an engine imports)."""
        return self.out / "thumbnails" if self.split else self.out.with_name(self.out.stem + "_thumbnails")

    def asset_file(self, name: str | None = None) -> Path:
        return self.out / f"{name}{self.suffix}" if self.split else self.out

    def fixed_paths(self, preview: bool) -> list[Path]:
        paths = [self.manifest] + ([self.preview] if preview else [])
        if self.split:
            return paths
        # a .gltf's buffer is a .bin beside it (gltf_separate.py), an .obj's materials a .mtl (iggan/obj.py)
        beside = {".gltf": [buffer_path(self.out)], ".obj": [self.out.with_suffix(".mtl")]}.get(self.suffix, [])
        return [self.out] + beside + paths


def plan_outputs(out: str | Path, split: bool, overwrite: bool, preview: bool = True,
                 suffix: str = ".glb", option: str = "--out") -> Outputs:
    """Check the output location before any work; raise ExportError with the reason if unusable.
    `suffix`: of the asset file(s) (".glb" unless the caller converts, see write_bundle); `option`: what the
    messages tell the user to change (the Blender extension's file dialog has no --out)."""
    out = Path(out)
    kind = suffix.lstrip(".").upper()
    if split:
        if out.suffix.lower() in ASSET_SUFFIXES:
            raise ExportError(f"with --split, --out is a folder for one {kind} per asset, not {out.name}")
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out} exists and is not a folder")
        if not out.exists():
            check_can_write(out, overwrite=False, option=option)  # its parent must exist and be writable
    elif out.suffix.lower() != suffix:
        raise ExportError(f"--out must end in {suffix} ({kind}), got {out.name}")
    outputs = Outputs(out, split, suffix)
    if not split and not overwrite:
        _refuse_sibling_format(outputs)
    if not split or out.exists():
        for path in outputs.fixed_paths(preview):
            check_can_write(path, overwrite, option=option)
    return outputs


def _refuse_sibling_format(outputs: Outputs) -> None:
    """chairs.usdz and chairs.glb would share chairs.manifest.json and chairs.preview.png: say so, and how
    to have both, rather than only that the manifest exists."""
    if not outputs.manifest.exists():
        return
    for suffix in ASSET_SUFFIXES:
        sibling = outputs.out.with_suffix(suffix)
        if suffix != outputs.suffix and sibling.exists():
            convert = {".usdz": f"`iggan-assets usdz {sibling.name}`",
                       ".fbx": f"`iggan-assets blender fbx {sibling.name}`"}.get(outputs.suffix)
            also = f", or make {outputs.out.name} from it with {convert}" if convert and suffix == ".glb" else ""
            raise ExportError(f"{outputs.manifest.name} belongs to {sibling.name}, and {outputs.out.name} would "
                              f"write the same manifest and preview; pick another --out name{also}, or pass "
                              f"--overwrite to replace them")


def place_assets(names: list[str], assets: list[Asset], extras: list[dict], layout: str) -> list[PlacedAsset]:
    """Assets with their node names and positions on the chosen layout."""
    footprints = np.array([[a.report["size_m"][0], a.report["size_m"][2]] for a in assets])
    positions = layout_positions(footprints, layout)
    return [PlacedAsset(n, a, tuple(float(x) for x in p), e) for n, a, p, e in zip(names, assets, positions, extras)]


def write_glb_files(files: list[tuple[Path, bytes]], overwrite: bool) -> None:
    """The default `write_files`: each (path, GLB bytes) written whole (atomic_write)."""
    for path, data in files:
        atomic_write(path, data, overwrite)


def collision_name_pattern(settings: ExportSettings) -> str | None:
    """How the manifest describes the hull nodes' names (collision.collision_node_name); None without hulls."""
    if settings.collision is None:
        return None
    if settings.collision == "unreal":  # paired with the node that holds LOD0
        return "UCX_<name>_LOD0_<NN>" if settings.lods > 1 else "UCX_<name>_<NN>"
    return "<name>-convcolonly" if settings.collision_hulls == 1 else "<name>_hull<k>-convcolonly"


def asset_files_named_by(manifest: Path, folder: Path) -> list[Path]:
    """The asset files of a --split folder that its existing manifest names ([] without a readable one). Only files
    of the kinds an export writes: a manifest naming notes.txt (edited, or come with a downloaded folder) must
    not make a replacing export delete it."""
    return [p for p in files_inside(folder, named_in_manifest(manifest, "file")) if p.suffix in ASSET_SUFFIXES]


def _companions(asset_files: list[Path]) -> list[Path]:
    """The files a format writes beside each asset file: a .gltf's .bin, an .obj's .mtl (images: textures_folder)."""
    return [buffer_path(p) if p.suffix == ".gltf" else p.with_suffix(".mtl") for p in asset_files
            if p.suffix in (".gltf", ".obj")]


def remove_stale_assets(stale: list[Path], written: list[Path]) -> None:
    """After a split export replaced a set (overwrite): delete the asset files the old manifest named and this
    one did not write again, with what each brought along (a .gltf's .bin and images, an .obj's .mtl), so an
    engine importing the folder finds only the new set."""
    keep = {Path(p).resolve() for p in written}
    for path in stale:
        if path.resolve() in keep:
            continue
        if path.suffix == ".gltf":
            remove_stale(textures_folder(path), images_named_by(path), [])
            buffer_path(path).unlink(missing_ok=True)
        elif path.suffix == ".obj":
            path.with_suffix(".mtl").unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def write_bundle(placed: list[PlacedAsset], outputs: Outputs, settings: ExportSettings, meta: dict,
                 overwrite: bool = False, preview: int = 1, timings: dict | None = None,
                 write_files: Callable[[list[tuple[Path, bytes]], bool], None] = write_glb_files) -> dict:
    """Write the asset file(s), the manifest and (optionally) the preview sheet. Returns the manifest.

    `preview`: views of each asset in the sheet, evenly around it (0 or False: no sheet; True: one).
    `write_files(files, overwrite)` writes [(asset file path, its GLB bytes)], all in one call so a
    converter can batch them; the manifest and sheet follow only once it has returned.

    `meta` (model name, command, ...) goes to the top of the manifest; each asset's entry joins
    its node extras (seed, latent index, ...) with its checks (triangles per LOD, bbox, ...).
    """
    if not placed:
        raise ExportError("no assets to write")
    if settings.palette or settings.base_color != DEFAULT_COLOR:
        # a palette's colours dealt by the asset's place in the whole set (so a --split file keeps its colour),
        # or --color's one: either is recorded per asset and shown on the preview sheet
        placed = [replace(p, color=settings.color_of(i)) for i, p in enumerate(placed)]
    # --frame's finishes dealt the same way; the manifest records each asset's by the name it was given
    frames = [settings.frame_of(i) for i in range(len(placed))]
    placed = [replace(p, frame=None if f is None else f[1]) for p, f in zip(placed, frames)]
    t0 = time.perf_counter()
    style = settings.collision or "godot"
    kw = dict(base_color=settings.base_color, roughness=settings.roughness, collision_style=style,
              variants=settings.palette if settings.variants else None)
    stale_assets: list[Path] = []
    if outputs.split:
        outputs.out.mkdir(parents=False, exist_ok=True)  # left if the export fails: an empty folder blocks no retry
        # in its own file each asset sits at the origin, and the manifest says so
        at_origin = [replace(p, translation=(0.0, 0.0, 0.0)) for p in placed]
        files = [(outputs.asset_file(p.name), build_glb([p], **kw)) for p in at_origin]
        entries = [(p, path.name) for p, (path, _) in zip(at_origin, files)]
        stale_assets = asset_files_named_by(outputs.manifest, outputs.out) if overwrite else []
    else:
        files = [(outputs.out, build_glb(placed, **kw))]
        entries = [(p, outputs.out.name) for p in placed]
    if settings.compress == "draco":
        files = [(path, compress_glb(data)) for path, data in files]
    icons = [p.name for p in placed] if settings.thumbnail_size else []
    thumbnails = plan_thumbnails(outputs.thumbnails, icons, overwrite) if icons else {}
    stale = thumbnails_named_by(outputs.manifest, outputs.thumbnails) if overwrite else []
    # a sheet of thousands of assets gets smaller tiles, then fewer views (preview.sheet_tiles)
    size, sides = sheet_tiles(len(placed), int(preview)) if preview else (0, 0)
    manifest = {
        "format": MANIFEST_FORMAT,
        **meta,
        "units": "metres",
        "up": "+Y",
        "pivot": "base centre (min y = 0, centred in x and z)",
        "lod_nodes": "<name>_LOD<k> children when lods > 1",
        "collision_nodes": collision_name_pattern(settings),
        "settings": settings.to_dict(),
        # KHR_materials_variants names, in the file's order (gltf.variant_name: the colours' sRGB hex)
        "material_variants": [variant_name(c) for c in variant_colours(settings.palette)]
        if settings.variants else None,
        "preview": outputs.preview.name if preview else None,
        "preview_sides": sides,
        "assets": [
            {"name": p.name, "file": fname, "translation_m": list(p.translation), **p.extras, **p.asset.report,
             **({"base_color": list(p.color)} if p.color else {}),
             **({"frame_finish": f[0]} if f is not None and f[1] is not None else {}),
             **({"thumbnail": thumbnails[p.name].relative_to(outputs.manifest.parent).as_posix()} if thumbnails else {})}
            for (p, fname), f in zip(entries, frames)
        ],
    }
    # every picture is drawn before the first file is written, and the manifest is written last: a failure or a
    # Ctrl-C in the slow part writes nothing, and one while writing removes what this export made
    # (removed_on_failure), so no GLB is left without its manifest for a retry to refuse to replace
    t1 = time.perf_counter()
    icon_pngs = thumbnail_pngs(placed, thumbnails, settings.thumbnail_size) if thumbnails else {}
    sheet = None
    if preview:
        # drawn one at a time as the sheet is filled: at 1,000 assets the tiles alone are about 150 MB
        tiles = (around_views(p.asset.lods[0], sides, size, colour=p.asset.colour[0] if p.asset.colour else None,
                              tint=p.color, **frame_look(p)) for p in placed)
        sheet = png_bytes(contact_sheet(tiles, [p.name for p in placed]), optimize=False)  # the same pixels, sooner
    t2 = time.perf_counter()
    made = [*(path for path, _ in files), *_companions([path for path, _ in files]), *icon_pngs, outputs.manifest,
            *([outputs.preview] if preview else [])]
    owned = [textures_folder(path) for path, _ in files if path.suffix == ".gltf"] + \
        ([outputs.thumbnails] if thumbnails else [])
    with removed_on_failure(made, owned):
        write_files(files, overwrite)
        if icon_pngs:
            write_thumbnails(icon_pngs, overwrite)
        if sheet is not None:
            atomic_write(outputs.preview, sheet, overwrite)
        atomic_write(outputs.manifest, (json.dumps(manifest, indent=2) + "\n").encode(), overwrite)
    remove_stale(outputs.thumbnails, stale, thumbnails.values())
    remove_stale_assets(stale_assets, [path for path, _ in files])
    if timings is not None:
        timings["write"] = timings.get("write", 0.0) + (t1 - t0) + (time.perf_counter() - t2)
        timings["preview"] = timings.get("preview", 0.0) + t2 - t1
    return manifest
