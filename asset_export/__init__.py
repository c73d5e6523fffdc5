"""Voxel grids -> game-ready glTF (numpy, scipy, scikit-image, trimesh, pygltflib; no torch).

    from iggan.asset_export import ExportSettings, grid_to_asset, export_grids
    export_grids(grids, "chairs.glb", ExportSettings(faces=3000, lods=3), up="z")

Only relative imports inside this folder: the Blender extension vendors it under another name.
"""
from __future__ import annotations

from . import colour_space, palettes
from .bundle import Outputs, place_assets, plan_outputs, write_bundle
from .collision import collision_node_name
from .seats import seat_node_name
from .distinct import DEFAULT_MIN_DISTANCE, DISTINCT_RETRIES, DistinctSet
from .errors import BrokenError, EmptyGridError, ExportError, FullGridError, TipsOverError, TooFlatError
from .gltf import PlacedAsset, build_glb
from .mesh import MeshData
from .pipeline import STAGES, Asset, grid_to_asset
from .settings import ExportSettings

__all__ = [
    "Asset", "BrokenError", "DEFAULT_MIN_DISTANCE", "DISTINCT_RETRIES", "DistinctSet", "EmptyGridError", "ExportError",
    "ExportSettings", "FullGridError", "MeshData", "Outputs",
    "PlacedAsset", "STAGES", "TipsOverError", "TooFlatError", "build_glb", "collision_node_name", "export_grids",
    "grid_to_asset", "colour_space", "palettes", "place_assets", "plan_outputs", "seat_node_name", "write_bundle",
]


def export_grids(grids, out, settings: ExportSettings | None = None, names: list[str] | None = None,
                 up: str = "y", layout: str = "grid", split: bool = False, overwrite: bool = False,
                 preview: int = 2, meta: dict | None = None) -> dict:
    """Export (N, X, Y, Z) occupancy grids to `out`; returns the manifest. Raises ExportError
    (naming the grid) if a grid gives no valid mesh; nothing is written then. `preview`: views per asset
    in the preview sheet beside `out` (0 = no sheet; 2, the command line's `--preview-sides` default)."""
    settings = settings or ExportSettings()
    outputs = plan_outputs(out, split, overwrite, preview)
    names = names or [f"asset_{i}" for i in range(len(grids))]
    assets = []
    for name, grid in zip(names, grids):
        try:
            assets.append(grid_to_asset(grid, settings, up=up))
        except ExportError as exc:
            raise type(exc)(f"{name}: {exc}") from exc
    placed = place_assets(names, assets, [{} for _ in assets], layout)
    return write_bundle(placed, outputs, settings, meta or {}, overwrite=overwrite, preview=preview)
