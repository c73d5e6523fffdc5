"""The sidebar panel: View3D > Sidebar (N) > IG-GAN."""
from __future__ import annotations

import bpy

from . import jobs
from .operators import LAST


class IGGAN_PT_panel(bpy.types.Panel):
    bl_idname = "IGGAN_PT_panel"
    bl_label = "IG-GAN Assets"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "IG-GAN"

    def draw(self, context):
        layout = self.layout
        s = context.scene.iggan
        busy = jobs.busy()

        col = layout.column(align=True)
        col.prop(s, "model")
        if s.model == "FILE":
            col.prop(s, "checkpoint", text="")
        col = layout.column(align=True)
        col.prop(s, "count")
        row = col.row(align=True)
        row.prop(s, "seed")
        row.operator("iggan.new_seed", text="", icon="FILE_REFRESH")

        box = layout.box()
        box.label(text="Mesh", icon="MESH_DATA")
        col = box.column(align=True)
        col.prop(s, "threshold", slider=True)
        col.prop(s, "smoothing")
        col.prop(s, "faces")
        col.prop(s, "lods")
        col.prop(s, "size_m")
        col.prop(s, "size_by")
        col.prop(s, "max_tilt")
        col.prop(s, "level_base")
        col.prop(s, "distinct")
        col.prop(s, "uv_atlas")
        col.prop(s, "ambient_occlusion")
        box.prop(s, "mirror")
        box.prop(s, "collision")
        if s.collision != "NONE":
            box.prop(s, "collision_hulls")
        box.prop(s, "colours")
        box.prop(s, "palette" if s.colours == "PALETTE" else "color")
        box.prop(s, "frame")
        box.prop(s, "seats")

        col = layout.column()
        col.enabled = not busy
        op = col.operator("iggan.generate", icon="PLAY")
        op.run_async = True
        row = col.row(align=True)
        op = row.operator("iggan.variations", icon="MOD_ARRAY")
        op.run_async = True
        row.prop(s, "spread")
        box = col.box()
        box.prop(s, "match_image")
        row = box.row(align=True)
        op = row.operator("iggan.match_image", icon="IMAGE_REFERENCE")
        op.run_async = True
        row.prop(s, "match_count")
        row = box.row(align=True)
        row.prop(s, "match_texture")
        sub = row.row(align=True)
        sub.enabled = s.match_texture
        sub.prop(s, "match_delight")
        op = col.operator("iggan.export_selected", icon="EXPORT")
        op.run_async = True

        job = jobs.CURRENT
        if busy:
            box = layout.box()
            box.progress(factor=job.fraction, type="BAR", text=f"{job.done}/{job.total}  {job.message}")
            box.operator("iggan.cancel", icon="CANCEL")
        elif LAST.get("error"):
            box = layout.box()
            box.alert = True
            for i, line in enumerate(_wrap(LAST["error"], 38)):
                box.label(text=line, icon="ERROR" if i == 0 else "BLANK1")
        elif LAST.get("info"):
            layout.label(text=LAST["info"], icon="CHECKMARK")

        root = _active_asset(context)
        prefs = context.preferences.addons.get(__package__)
        show = getattr(getattr(prefs, "preferences", None), "show_stats", True)
        if root is not None and show:
            box = layout.box()
            box.label(text=root.get("iggan_name", root.name), icon="OBJECT_DATA")
            box.label(text=f"seed {root.get('iggan_seed', '?')}, latent {root.get('iggan_latent_index', '?')}, "
                           f"{root.get('iggan_triangles', '?')} triangles")
            if "iggan_match_iou" in root:
                box.label(text=f"fits {bpy.path.basename(root.get('iggan_photo', ''))}: outline IoU "
                               f"{root['iggan_match_iou']:.2f}, seen from {root.get('iggan_view_azimuth_deg', 0):.0f} deg")


def _active_asset(context):
    from .scene_build import asset_root
    return asset_root(getattr(context, "active_object", None))


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return (lines + [line])[:8] if line else lines[:8]
