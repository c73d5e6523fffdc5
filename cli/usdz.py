"""`iggan-assets usdz`: GLB files -> USDZ (iggan/usdz.py), for AR Quick Look, Reality Composer, Omniverse
and Unreal's USD stage."""
from __future__ import annotations

from pathlib import Path

import click

from .output_folder import make_output_folder


@click.command("usdz")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the .usdz files (default: beside each input).")
@click.option("--overwrite", is_flag=True, help="Replace existing .usdz files.")
def usdz(inputs, out_dir, overwrite):
    """Convert GLB or .gltf files (or those in a `generate --split` folder) to USDZ with Pixar's USD library:
    +Y up in metres, UsdPreviewSurface materials with the --ao occlusion map, an asset's LODs as one mesh
    with a `LOD` variant set (LOD0 shown), collision hulls as unrendered guide meshes with UsdPhysics
    convex-hull colliders, and each asset's model, seed and latent index as customData.

    Example: iggan-assets usdz chairs.glb   (writes chairs.usdz beside it)"""
    from iggan.usdz import UsdzError, convert_to_usdz, plan_usdz

    try:
        if out_dir is not None:
            make_output_folder(out_dir, "--out-dir")
        results = convert_to_usdz(plan_usdz(list(inputs), out_dir, overwrite))
    except UsdzError as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        shown = sum(n for path, n in r["meshes"].items() if "{LOD=" not in path or "{LOD=0}" in path)
        hulls = f", {len(r['collisions'])} collision hulls" if r["collisions"] else ""
        click.echo(f"{r['usdz']} ({r['assets']} assets, {shown} triangles at LOD0{hulls})")
