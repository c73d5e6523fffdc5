"""Which file format an exporting command writes (`--format`, or --out's suffix), and the converter behind it.

GLB is the exporter's own format; glTF is the same bytes as a JSON .gltf and a .bin beside it
(asset_export/gltf_separate.py). USDZ (iggan/usdz.py, Pixar's usd-core), FBX (iggan/fbx.py, Blender) and OBJ
(iggan/obj.py, trimesh; LOD0 only, with a .mtl) are made from the same GLB bytes: each GLB goes to a hidden temporary file beside its target, the converter
writes the target (itself through a temporary file and a rename) and the temporary GLB is removed, so a
failed conversion leaves an existing target as it was.

    fmt = format_for(Path("chairs.usdz"), split=False, given=None)   # "usdz"
    require_converter(fmt)                                            # before any sampling
    write_bundle(..., write_files=files_writer(fmt))
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .asset_export.atomic import check_can_write
from .asset_export.bundle import ASSET_SUFFIXES, write_glb_files
from .asset_export.gltf_separate import write_gltf_files
from .glb_inputs import ConversionError, temporary_beside

FORMATS = tuple(suffix.lstrip(".") for suffix in ASSET_SUFFIXES)  # glb, gltf, usdz, fbx, obj


class FormatError(ConversionError):
    """--out and --format do not agree, or the format's converter is missing; the message says what to do."""


def format_for(out: Path, split: bool, given: str | None) -> str:
    """The format to write: `given` (--format) if any, else --out's suffix for a single file, else GLB for a
    --split folder. Raises FormatError if a single --out's suffix names another format than `given`, or no
    format this package writes."""
    suffix = Path(out).suffix.lower().lstrip(".")
    if split:
        return given or "glb"
    if given is not None:
        if suffix != given:
            raise FormatError(f"--format {given} writes a .{given} file, but --out is {Path(out).name}; "
                              f"name it {Path(out).with_suffix('.' + given).name}")
        return given
    if suffix not in FORMATS:
        raise FormatError(f"--out must end in .glb (binary glTF), .gltf (with a .bin beside it), .usdz, .fbx or .obj, "
                          f"got {Path(out).name or repr(str(out))}")
    return suffix


def check_gltf_only(fmt: str, compress: str | None = None, variants: bool = False) -> None:
    """Raise FormatError if a glTF extension an option asks for cannot go into `fmt`: Draco (--compress) and
    material variants (--variants); the USDZ and FBX converters would drop them."""
    if compress is not None and fmt not in ("glb", "gltf"):
        raise FormatError(f"--compress {compress} compresses glTF meshes (.glb or .gltf); a .{fmt} file cannot "
                          f"hold them: drop --compress, or write a .glb")
    if variants and fmt not in ("glb", "gltf"):
        raise FormatError(f"--variants writes glTF material variants (KHR_materials_variants, .glb or .gltf); a "
                          f".{fmt} file cannot hold them: drop --variants, or write a .glb")


def check_format_contents(fmt: str, opts: dict) -> None:
    """Raise FormatError, before any work, if the export options (`opts`, by parameter name) ask for what `fmt`
    cannot hold: Draco and material variants outside glTF, LODs, hulls, maps and seat anchors in an OBJ, the
    occlusion map in an FBX, a frame material on a photo's colour map."""
    check_gltf_only(fmt, opts.get("compress"), bool(opts.get("variants")))
    if opts.get("frame") is not None and opts.get("texture"):
        raise FormatError("--texture paints every part with the photo's colours, so --frame would have nothing "
                          "to colour: drop one of them")
    if fmt == "fbx" and opts.get("ao"):  # Blender's FBX exporter has no slot for it, so the map would be dropped
        raise FormatError("an FBX material has no slot for the --ao occlusion map: drop --ao, or write a .glb, "
                          ".gltf or .usdz, which keep it")
    if fmt == "obj" and opts.get("seats"):
        raise FormatError("an OBJ has no empty nodes to hold --seats' anchors: write .glb, .gltf, .fbx or .usdz, "
                          "or drop --seats")
    if fmt == "obj":
        from .obj import ObjError, check_obj_contents
        try:
            check_obj_contents(opts.get("lods", 1), opts.get("collision"), bool(opts.get("ao")),
                               bool(opts.get("texture")))
        except ObjError as exc:
            raise FormatError(str(exc)) from exc


def require_converter(fmt: str) -> None:
    """Raise FormatError, before any slow work, if the converter `fmt` needs cannot run here."""
    if fmt == "usdz":
        from .usdz import UsdzError, require_usd
        try:
            require_usd()
        except UsdzError as exc:
            raise FormatError(str(exc)) from exc
    elif fmt == "fbx":
        from .blender_process import BlenderUnavailable, find_blender
        try:
            find_blender("--format fbx")
        except BlenderUnavailable as exc:
            raise FormatError(str(exc)) from exc


def files_writer(fmt: str) -> Callable[[list[tuple[Path, bytes]], bool], None]:
    """write_bundle's `write_files` for `fmt`: [(target path, GLB bytes)] -> the target files."""
    if fmt == "glb":
        return write_glb_files
    if fmt == "gltf":
        return write_gltf_files
    if fmt == "usdz":
        from .usdz import convert_to_usdz as convert
    elif fmt == "fbx":
        from .fbx import convert_to_fbx as convert
    elif fmt == "obj":
        from .obj import convert_to_obj as convert
    else:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")

    def write(files: list[tuple[Path, bytes]], overwrite: bool) -> None:
        for target, _ in files:
            check_can_write(target, overwrite)  # raises ExportError, as the GLB writer does
            if fmt == "obj":
                from .obj import mtl_path
                check_can_write(mtl_path(target), overwrite)
        pairs = [(temporary_beside(target.with_suffix(".glb")), target) for target, _ in files]
        try:
            for (glb, _), (_, data) in zip(pairs, files):
                glb.write_bytes(data)
            convert(pairs)  # all in one call: FBX starts Blender once for every file
        finally:
            for glb, _ in pairs:
                glb.unlink(missing_ok=True)

    return write
