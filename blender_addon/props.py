"""Panel settings (one PropertyGroup on the scene). Names follow the CLI's options."""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, FloatVectorProperty, IntProperty, StringProperty

_ITEMS: list = []  # Blender needs the enum item strings kept alive
# '//' paths (relative to the .blend) are read with bpy.path.abspath; Blender 4.5+ wants them declared, else it
# warns on each one and its file browser stores absolute paths (4.2-4.4 have no such option)
RELATIVE_OK = ({"PATH_SUPPORTS_BLEND_RELATIVE"} if "is_path_supports_blend_relative" in
               bpy.types.Property.bl_rna.properties else set())


def _model_items(self, context):
    from .engine import bundled_models
    items = [(name, name.capitalize(), f"Bundled generator '{name}'") for name in bundled_models()]
    items.append(("FILE", "Checkpoint file...", "A .safetensors generator checkpoint (with its .json) "
                  "written by iggan-assets train"))
    if items != _ITEMS:  # else keep last draw's strings: Blender may still point at them
        _ITEMS[:] = items
    return _ITEMS


class IGGAN_PG_settings(bpy.types.PropertyGroup):
    model: EnumProperty(name="Model", items=_model_items, description="Bundled generator or a checkpoint file")
    checkpoint: StringProperty(name="Checkpoint", subtype="FILE_PATH", options=RELATIVE_OK,
                               description="Generator checkpoint (.safetensors with its .json beside it)")
    count: IntProperty(name="Count", default=3, min=1, max=256, description="Assets per Generate / Variations")
    seed: IntProperty(name="Seed", default=0, min=0, description="Latent seed: the same seed gives the same shapes")
    threshold: FloatProperty(name="Threshold", default=0.5, min=0.01, max=0.99,
                             description="Occupancy at or above this is solid")
    smoothing: IntProperty(name="Smoothing", default=50, min=0, max=1000,
                           description="Fairing passes that take the voxel stair steps off slanted faces "
                                       "(0 = blocky voxel steps)")
    faces: IntProperty(name="Triangles", default=5000, min=12, max=200000, description="Triangle budget of LOD0")
    lods: IntProperty(name="LODs", default=1, min=1, max=6, description="Levels of detail, each half the triangles")
    collision: EnumProperty(name="Collision", default="NONE", description="Convex collision hull", items=[
        ("NONE", "None", "No collision hull"),
        ("GODOT", "Godot", "Hull children named <name>-convcolonly (with Hulls above 1: <name>_hull<k>-convcolonly)"),
        ("UNREAL", "Unreal", "Hull children named UCX_<LOD0 mesh>_NN (00, 01, ...), as Unreal pairs them")])
    collision_hulls: IntProperty(name="Hulls", default=1, min=1, max=32,
                                 description="1: one convex hull around the shape; more: up to this many convex "
                                 "parts (V-HACD, about 0.5 s a shape) that leave the space between legs free")
    mirror: EnumProperty(name="Mirror", default="NONE", description="Make each shape mirror-symmetric "
                         "(parts with no counterpart go; one-sided designs lose a part)", items=[
        ("NONE", "None", "Keep the shape as generated"),
        ("X", "X", "Symmetric left-right about the X axis (chairs)"),
        ("Z", "Z", "Symmetric about the Z axis"),
        ("AUTO", "Auto", "Whichever axis the shape is already more symmetric about")])
    size_m: FloatProperty(name="Size", default=0.0, min=0.0, max=10000.0, soft_max=10.0, unit="LENGTH",
                          description="Size in metres, measured as Size of says (0 = the model's own, e.g. 0.86 m "
                          "tall chairs and 0.84 m tall sofas; else 0.001 to 10000 m)")
    size_by: EnumProperty(name="Size of", default="MODEL", description="What Size measures", items=[
        ("MODEL", "Model's", "As the model card says (height for the bundled chairs and sofas), else the "
         "largest extent"),
        ("LARGEST", "Largest extent", "The largest bounding-box extent"),
        ("HEIGHT", "Height", "The height: a long sofa comes out longer than a loveseat, as real ones do")])
    max_tilt: FloatProperty(name="Max tilt", default=0.0, min=0.0, max=180.0, precision=0,
                            description="Resample a shape that, stood on a floor, would topple more than this many "
                            "degrees (0 = the model's own, 10 for the bundled chairs and sofas; 180 = keep all)")
    level_base: BoolProperty(name="Level base", default=True,
                             description="Trim the bottom of a shape that rocks (a drip, a rounded belly, uneven "
                             "legs) until it stands level, at most as much as the model allows (a tenth of its size "
                             "for the bundled chairs and sofas)")
    distinct: BoolProperty(name="Distinct", default=False,
                           description="Resample a shape too like one already made in this batch (the model's "
                           "distance: the closest quarter of real pairs for the bundled chairs and sofas), as "
                           "`iggan-assets generate --distinct`; for Variations too (a small Spread then cannot "
                           "give distinct ones). Slower, and rarer shapes are more often broken")
    uv_atlas: BoolProperty(name="UV atlas", default=False,
                           description="Give every LOD a non-overlapping UV map for lightmaps and texture "
                           "painting (xatlas; about 0.3 s a shape)")
    ambient_occlusion: BoolProperty(name="Ambient occlusion", default=False,
                                    description="Bake ambient occlusion over the UV map (turns UV atlas on): "
                                    "shown in the material, and written as the GLB's occlusion map by Export "
                                    "Selected (about 1 s a shape)")
    spread: FloatProperty(name="Spread", default=0.35, min=0.01, max=5.0,
                          description="How far variations stray from the selected asset's latent")
    match_image: StringProperty(name="Image", subtype="FILE_PATH", options=RELATIVE_OK,
                                description="A photo or render of one object for Match Image (a cut-out PNG, or a "
                                "plain background; any view). Blank: the selected reference image")
    match_count: IntProperty(name="Fits", default=1, min=1, max=8,
                             description="How many of the best-fitting shapes Match Image brings in, best first")
    match_texture: BoolProperty(name="Paint", default=False,
                                description="Paint each matched shape with the image's colours (a 512 px colour map "
                                "over a UV map): what the image shows from the view found; hidden sides from their "
                                "mirror side or the nearest seen surface")
    match_delight: BoolProperty(name="Delight", default=False,
                                description="With Paint: divide the image's lighting out of its colours (shading "
                                "fitted as a function of the surface normal), so the scene's lights shade the shape "
                                "themselves. Experimental, as `match --delight`")
    colours: EnumProperty(name="Colours", default="ONE", description="How the assets are coloured", items=[
        ("ONE", "One colour", "Every asset in Colour"),
        ("PALETTE", "Palette", "A colour per asset, dealt in order from Palette, one material per colour (as "
         "iggan-assets generate --palette)")])
    color: FloatVectorProperty(name="Colour", subtype="COLOR", size=3, default=(0.8, 0.8, 0.8), min=0.0, max=1.0,
                               description="Base colour of the material (metallic 0)")
    seats: BoolProperty(name="Seats", default=False,
                        description="An empty at each sitting place on the seat (one per 0.55 m along a sofa), its -Y "
                        "facing away from the back (+Z, glTF's forward, once exported), as `iggan-assets generate "
                        "--seats`")
    frame: EnumProperty(name="Frame", default="NONE", description="A material of its own on the thin parts (legs, "
                        "rails, an office chair's base, a sofa's feet), as `iggan-assets generate --frame`", items=[
        ("NONE", "Same", "The frame in the asset's colour, one material"),
        ("WOOD", "Wood", "Dark wood"),
        ("OAK", "Oak", "Light wood"),
        ("BLACK", "Black", "Black paint"),
        ("WHITE", "White", "White paint"),
        ("METAL", "Metal", "Brushed steel (metallic)"),
        ("BRASS", "Brass", "Brass (metallic)")])
    palette: StringProperty(name="Palette", default="furniture",
                            description="'furniture' (woods, paints and fabrics) or hex colours such as "
                            "'#5c4033 #b98b5a #2c3e5c', dealt to the assets of each batch in order")

    def model_ref(self) -> str:
        return bpy.path.abspath(self.checkpoint) if self.model == "FILE" else self.model

    def export_settings(self, model_ref: str | None = None) -> dict:
        """ExportSettings fields; size 0 and max tilt 0 take the model card's, the least height over width
        is the card's, and the base is levelled as the card says unless Level base is off (as
        `iggan-assets generate --level-base 0`)."""
        from .engine import get_generator, model_defaults
        defaults = model_defaults(get_generator(model_ref or self.model_ref()))
        size = self.size_m if self.size_m > 0 else defaults["size_m"]
        size_by = defaults["size_by"] if self.size_by == "MODEL" else self.size_by.lower()
        tilt = self.max_tilt if self.max_tilt > 0 else defaults["max_tilt_deg"]
        level = defaults["level_base"] if self.level_base else 0.0
        return dict(threshold=self.threshold, max_tilt_deg=tilt, min_height_ratio=defaults["min_height_ratio"],
                    max_loose_share=defaults["max_loose_share"],
                    level_base=level,
                    smooth_iterations=self.smoothing, faces=self.faces,
                    lods=self.lods,
                    collision=None if self.collision == "NONE" else self.collision.lower(),
                    collision_hulls=self.collision_hulls if self.collision != "NONE" else 1,
                    size_m=size, size_by=size_by, yaw_deg=defaults["yaw_deg"],
                    mirror=None if self.mirror == "NONE" else self.mirror.lower(),
                    uv=self.uv_atlas or self.ambient_occlusion,
                    ao=self.ambient_occlusion,
                    base_color=(*self.color, 1.0),
                    palette=self.palette_colours(),
                    frame=None if self.frame == "NONE" else self.frame.lower(), seats=self.seats)

    def palette_colours(self):
        """Palette's linear RGBA colours with Colours set to Palette, else None. Raises ValueError (shown in the
        panel) naming a word that is not a colour."""
        if self.colours != "PALETTE":
            return None
        from .engine import ae
        try:
            return ae.palettes.palette_colours(self.palette)
        except ValueError as exc:
            raise ValueError(f"Palette: {exc}") from None

    def request_options(self, model_ref: str | None = None) -> dict:
        """engine.Request fields beyond the export settings: Distinct's distance and resamples."""
        if not self.distinct:
            return {}
        from .engine import distinct_options
        return distinct_options(model_ref or self.model_ref())


class IGGAN_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    default_export_dir: StringProperty(name="Export folder", subtype="DIR_PATH",
                                       description="Folder the Export dialog opens in (blank: the .blend's folder)")
    show_stats: BoolProperty(name="Show triangle counts", default=True,
                             description="Show the active asset's triangles and seed in the panel")

    def draw(self, context):
        self.layout.prop(self, "default_export_dir")
        self.layout.prop(self, "show_stats")
