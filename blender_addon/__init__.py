"""IG-GAN Assets: a Blender 4.2+ extension. View3D > Sidebar > IG-GAN generates game-ready assets
from a generator learned from 2D images, lays them out in a new collection and exports GLBs.

The generator runs as a numpy forward pass in a worker thread (no torch, no subprocess); meshing
is the vendored asset_export package (the same code as the `iggan-assets` CLI). bpy is touched
only on the main thread."""
from __future__ import annotations

try:
    import bpy
except ImportError:  # outside Blender (tests, the iggan package): engine.py etc. stay importable
    bpy = None

if bpy is not None:
    from . import jobs
    from .operators import OPERATORS
    from .panel import IGGAN_PT_panel
    from .props import IGGAN_AP_preferences, IGGAN_PG_settings

    classes = (IGGAN_PG_settings, IGGAN_AP_preferences, *OPERATORS, IGGAN_PT_panel)

    def register():
        for cls in classes:
            bpy.utils.register_class(cls)
        bpy.types.Scene.iggan = bpy.props.PointerProperty(type=IGGAN_PG_settings)

    def unregister():
        jobs.shutdown()
        del bpy.types.Scene.iggan
        for cls in reversed(classes):
            bpy.utils.unregister_class(cls)
