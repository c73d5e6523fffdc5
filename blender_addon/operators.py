"""Operators (bl_idname under iggan.). From scripts and in background mode they run synchronously
(`bpy.ops.iggan.generate(count=3, seed=0)`); from the panel (run_async=True) the work runs in a
worker thread and a modal timer reports the outcome with self.report when it ends."""
from __future__ import annotations

import os
import random

from pathlib import Path

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from . import jobs

LAST: dict = {"error": None, "info": None}  # shown in the panel after a job ends


def _settings(context):
    return context.scene.iggan


def _can_async(context, run_async: bool) -> bool:
    return run_async and not bpy.app.background and context.window is not None


class _JobOperator:
    """Shared start / modal-report logic."""

    run_async: BoolProperty(name="Run in background thread", default=False, options={"HIDDEN", "SKIP_SAVE"})

    def _launch(self, context, make_job):
        """Build the job (errors go to the report and the panel), then run it sync or async."""
        try:
            job = make_job()
        except (ValueError, OSError) as exc:
            LAST.update(error=str(exc), info=None)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        LAST.update(error=None, info=None)
        if _can_async(context, self.run_async):
            job.start()
            self._job = job
            self._timer = context.window_manager.event_timer_add(0.2, window=context.window)
            context.window_manager.modal_handler_add(self)
            return {"RUNNING_MODAL"}
        job.run_sync()
        return self._finish(context, job)

    def modal(self, context, event):
        if event.type == "TIMER" and not self._job.running:
            context.window_manager.event_timer_remove(self._timer)
            return self._finish(context, self._job)
        return {"PASS_THROUGH"}

    def _finish(self, context, job: jobs.Job):
        placer = getattr(job, "placer", None)
        if job.state != "finished" and placer is not None and not placer.objects:
            # the collection and material were made before the job could fail; one per failed click is litter
            bpy.data.collections.remove(placer.collection)
            if placer.material.users == 0:
                bpy.data.materials.remove(placer.material)
        if job.state == "finished":
            LAST["info"] = self._summary(job)
            self.report({"INFO"}, LAST["info"])
            return {"FINISHED"}
        # assets made before a cancel or failure stay: FINISHED lets Blender push an undo step for them
        # (CANCELLED means "changed nothing", and Ctrl-Z would then also undo the step before)
        kept = {"FINISHED"} if placer is not None and placer.objects else {"CANCELLED"}
        if job.state == "cancelled":
            LAST["info"] = job.message
            self.report({"WARNING"}, job.message)
            return kept
        LAST["error"] = job.error
        self.report({"ERROR"}, job.error or "failed")
        return kept

    def _summary(self, job) -> str:
        return f"{job.label}: done in {job.seconds:.1f}s"


def _generate_job(context, kind: str, model: str, count: int, seed: int, index: int = 0,
                  image: str | None = None) -> jobs.Job:
    from . import engine
    from .scene_build import Placer, material, new_collection

    s = _settings(context)
    settings = s.export_settings(model)  # raises ModelError for a bad model, before anything starts
    extra = ({"image": image, "cache_dir": _outline_cache(), "texture": s.match_texture,
              "delight": s.match_texture and s.match_delight} if kind == "match"
             else s.request_options(model))
    request = engine.Request(kind, model, count, seed, settings, index=index, spread=s.spread, **extra)
    label = engine.safe_name(model if model in engine.bundled_models() else engine.get_generator(model).name)
    title = {"generate": f"IG-GAN {label} s{seed}", "variations": f"IG-GAN {label} s{seed} i{index} variations",
             "match": f"IG-GAN {label} match {engine.safe_name(bpy.path.display_name_from_filepath(_first(image)))}"}[kind]
    collection = new_collection(context.scene, title)
    placer = Placer(collection, material(f"IGGAN_{label}", settings["base_color"], 0.8), settings["collision"],
                    settings["palette"], scene=context.scene)

    def on_message(kind_, payload):
        if kind_ == "asset":
            placer.add(payload, settings)

    job = jobs.Job(kind, lambda emit, cancelled: engine.run(request, emit, cancelled), on_message)
    job.placer = placer
    return job


class IGGAN_OT_generate(_JobOperator, bpy.types.Operator):
    """Generate game-ready assets into a new collection, side by side"""

    bl_idname = "iggan.generate"
    bl_label = "Generate"
    bl_options = {"REGISTER", "UNDO"}

    count: IntProperty(name="Count", default=3, min=1, max=256)
    seed: IntProperty(name="Seed", default=0, min=0)

    def execute(self, context):
        if jobs.busy():
            self.report({"ERROR"}, "IG-GAN is still working; wait or press Cancel")
            return {"CANCELLED"}
        s = _settings(context)
        count = self.count if self.properties.is_property_set("count") else s.count
        seed = self.seed if self.properties.is_property_set("seed") else s.seed
        return self._launch(context, lambda: _generate_job(context, "generate", s.model_ref(), count, seed))

    def _summary(self, job):
        made = _counted(len(job.placer.objects), "asset")
        return f"Generated {made} in '{job.placer.collection.name}' ({job.seconds:.1f}s)"


class IGGAN_OT_variations(_JobOperator, bpy.types.Operator):
    """Generate shapes near the selected asset's latent (same model and seed)"""

    bl_idname = "iggan.variations"
    bl_label = "Variations"
    bl_options = {"REGISTER", "UNDO"}

    count: IntProperty(name="Count", default=3, min=1, max=256)

    @classmethod
    def poll(cls, context):
        from .scene_build import asset_root
        return asset_root(context.active_object) is not None and not jobs.busy()

    def execute(self, context):
        from .scene_build import asset_root
        root = asset_root(context.active_object)
        if root is None:
            self.report({"ERROR"}, "Select an asset made by IG-GAN first")
            return {"CANCELLED"}
        s = _settings(context)
        count = self.count if self.properties.is_property_set("count") else s.count
        return self._launch(context, lambda: _generate_job(
            context, "variations", str(root.get("iggan_model", s.model_ref())), count,
            int(root.get("iggan_seed", 0)), int(root.get("iggan_latent_index", 0))))

    def _summary(self, job):
        made = _counted(len(job.placer.objects), "variation")
        return f"Made {made} in '{job.placer.collection.name}' ({job.seconds:.1f}s)"


def _counted(n: int, noun: str) -> str:
    """'1 asset', '3 assets': the panel's reports."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _outline_cache() -> str | None:
    """The extension's user folder for traced outlines (kept across sessions), or None outside an extension."""
    try:
        return bpy.utils.extension_path_user(__package__, path="outline_cache", create=True)
    except (ValueError, AttributeError, OSError):
        return None


def _first(image) -> str:
    """The first of Match Image's pictures (one path, or a list for several pictures of one object)."""
    return (image if isinstance(image, str) else (image or [""])[0]) or ""


def _reference_image_path(obj) -> str | None:
    """The file of an image empty (a reference or background image in the viewport), else None. An image
    with no file on disk (pasted from the clipboard, packed in the .blend) is written to a PNG first."""
    image = getattr(obj, "data", None) if getattr(obj, "type", None) == "EMPTY" else None
    if not isinstance(image, bpy.types.Image):
        return None
    if image.filepath and image.packed_file is None:
        path = bpy.path.abspath(image.filepath, library=image.library)
        if os.path.isfile(path):
            return path
    w, h = image.size
    if w == 0 or h == 0:  # no pixels to read (a missing file): the engine says it is not found
        return bpy.path.abspath(image.filepath, library=image.library) if image.filepath else None
    return _image_to_png(image)


def _image_to_png(image) -> str:
    """An image datablock's pixels (Blender stores them bottom row first) -> a PNG in the temp folder."""
    import numpy as np
    from PIL import Image

    w, h = image.size
    pixels = np.empty(w * h * image.channels, np.float32)
    image.pixels.foreach_get(pixels)
    rows = pixels.reshape(h, w, image.channels)[::-1]
    if image.channels == 1:
        rows = np.repeat(rows, 3, axis=2)
    elif image.channels == 2:  # grey + alpha
        rows = np.concatenate([np.repeat(rows[..., :1], 3, axis=2), rows[..., 1:]], axis=2)
    from .engine import safe_name, scratch_folder
    # the file's stem names the matched asset
    path = os.path.join(scratch_folder(), f"{safe_name(os.path.splitext(image.name)[0])}.png")
    Image.fromarray((np.clip(rows, 0, 1) * 255 + 0.5).astype(np.uint8)).save(path)
    return path


class IGGAN_OT_match_image(_JobOperator, bpy.types.Operator):
    """Bring in the model's shapes whose outlines best fit an image of one object (a cut-out PNG or a
    photo on a plain background; any view): the panel's Image, else the selected reference image; with
    several reference images selected, one shape that fits them all as pictures of one object"""

    bl_idname = "iggan.match_image"
    bl_label = "Match Image"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="Image", subtype="FILE_PATH", options={"SKIP_SAVE"})
    count: IntProperty(name="Count", default=1, min=1, max=8, description="Best fits to bring in, best first")

    @classmethod
    def poll(cls, context):
        return not jobs.busy()

    def execute(self, context):
        s = _settings(context)
        if self.filepath or s.match_image:
            images = [bpy.path.abspath(self.filepath or s.match_image)]
        else:  # the active reference image first: it names the asset and gives the view shown
            chosen = [context.active_object] + [o for o in context.selected_objects if o is not context.active_object]
            images = [p for p in map(_reference_image_path, chosen) if p]
        if not images:
            self.report({"ERROR"}, "Choose an Image in the panel, or select a reference image in the viewport")
            return {"CANCELLED"}
        count = self.count if self.properties.is_property_set("count") else s.match_count
        image = images[0] if len(images) == 1 else images
        return self._launch(context, lambda: _generate_job(context, "match", s.model_ref(), count, 0, image=image))

    def _summary(self, job):
        best = job.placer.objects[0].get("iggan_match_iou") if job.placer.objects else None
        return (f"Matched {_counted(len(job.placer.objects), 'shape')} in '{job.placer.collection.name}' (outline IoU "
                f"{best}, {job.seconds:.1f}s)")


def _made_colours(roots, panel_colour) -> tuple | None:
    """Each asset's colour as it was made (a palette of one colour per asset, in order), for Export Selected;
    None when all are the panel's colour. Assets made before colours were recorded take the panel's."""
    colours = tuple(tuple(r["iggan_base_color"]) if "iggan_base_color" in r else tuple(panel_colour) for r in roots)
    if all(max(abs(a - b) for a, b in zip(c, panel_colour)) < 1e-6 for c in colours):
        return None
    return colours


def _made_frames(roots, panel_frame: str | None) -> str | None:
    """Each asset's frame finish as it was made, dealt in order (ExportSettings.frame: 'metal none wood'), for
    Export Selected; None when none has a frame. Assets made before frames were recorded take the panel's."""
    frames = [str(r.get("iggan_frame", panel_frame or "none")) for r in roots]
    return None if all(f == "none" for f in frames) else " ".join(frames)


def _unique(names: list[str]) -> list[str]:
    """The names with a repeat given _2, _3, ... (chair_0_s0, chair_0_s0_2), for Blender's own .001."""
    out: list[str] = []
    for name in names:
        candidate, k = name, 1
        while candidate in out:
            k += 1
            candidate = f"{name}_{k}"
        out.append(candidate)
    return out


class IGGAN_OT_export_selected(_JobOperator, bpy.types.Operator, ExportHelper):
    """Export the selected IG-GAN assets as one game-ready GLB (+ manifest and preview), through the
    same pipeline as iggan-assets export, with the panel's settings"""

    bl_idname = "iggan.export_selected"
    bl_label = "Export Selected"
    filename_ext = ".glb"
    filter_glob: StringProperty(default="*.glb", options={"HIDDEN"})
    draco: BoolProperty(name="Draco compression", default=False,
                        description="Store the meshes Draco-coded (KHR_draco_mesh_compression), about 8 times smaller "
                        "for the web, as `--compress draco`; readers need a Draco decoder (three.js, Babylon.js, "
                        "Blender do; Godot does not)")
    variants: BoolProperty(name="Colour variants", default=False,
                           description="Give every asset all the selected assets' colours as glTF material variants "
                           "(KHR_materials_variants), its own colour the default, as `--variants`: model-viewer, "
                           "Babylon.js and Blender switch between them. Needs assets made in two or more colours "
                           "(Colours: Palette)")
    thumbnails: IntProperty(name="Thumbnails (px)", default=0, min=0, max=2048,
                            description="Also write each asset's picture as a PNG icon of this many pixels with a "
                            "transparent background, in <name>_thumbnails/ beside the GLB, as `--thumbnails` "
                            "(0 = none; at least 16)")

    @classmethod
    def poll(cls, context):
        return not jobs.busy()

    def invoke(self, context, event):
        prefs = context.preferences.addons.get(__package__)
        folder = getattr(getattr(prefs, "preferences", None), "default_export_dir", "")
        if folder and not self.filepath:
            self.filepath = os.path.join(bpy.path.abspath(folder), "iggan_assets.glb")  # a typed folder has no /
        return ExportHelper.invoke(self, context, event)

    def execute(self, context):
        from . import engine
        from .scene_build import asset_root
        roots = []
        for obj in context.selected_objects:
            root = asset_root(obj)
            if root is not None and root not in roots:
                roots.append(root)
        if not roots:
            self.report({"ERROR"}, "Select one or more assets made by IG-GAN (Generate first)")
            return {"CANCELLED"}
        target = bpy.path.abspath(self.filepath)
        if not target.strip() or target.endswith(("/", "\\")) or os.path.isdir(target) \
                or Path(target).name.lower() == ".glb":  # with_suffix would write DIR.glb beside the folder, or fail
            self.report({"ERROR"}, "Choose a file name for the GLB (a folder alone is not one)")
            return {"CANCELLED"}
        if 0 < self.thumbnails < 16:  # the field allows 1-15, which the exporter refuses as "thumbnail_size"
            self.report({"ERROR"}, "Thumbnails (px): 0 for none, or 16 to 2048")
            return {"CANCELLED"}
        s = _settings(context)
        # each asset's colour as it was made; the panel's colour is export_settings' base_color
        made = _made_colours(roots, (*s.color, 1.0))
        if self.variants and len(set(made or ())) < 2:
            self.report({"ERROR"}, "Colour variants are the selected assets' colours: select assets made in two or "
                        "more colours (Colours: Palette), or turn Colour variants off")
            return {"CANCELLED"}
        # two assets of one name (the same seed generated twice) would share a node name and a hull's name
        names = _unique([str(r["iggan_name"]) for r in roots])
        items = [(name, engine.unpack_grid(r["iggan_grid"]),
                  {k[6:]: r[k] for k in r.keys() if k.startswith("iggan_") and k not in ("iggan_grid", "iggan_name",
                                                                                          "iggan_base_color",
                                                                                          "iggan_frame")})
                 for name, r in zip(names, roots)]
        frames = _made_frames(roots, None if s.frame == "NONE" else s.frame.lower())
        path = str(Path(target).with_suffix(".glb"))  # what export_glb writes
        self._path, self._count = path, len(items)

        def make_job():
            # each asset meshed with its own model's card (a sofa's size and quarter turn are not a chair's)
            by_model = {m: s.export_settings(m) for m in {str(r.get("iggan_model", s.model_ref())) for r in roots}}
            shared = {"palette": made, "frame": frames, "compress": "draco" if self.draco else None,
                      "thumbnail_size": self.thumbnails, "variants": self.variants}
            per_asset = [{**by_model[str(r.get("iggan_model", s.model_ref()))], **shared} for r in roots]
            return jobs.Job("export", lambda emit, cancelled: engine.export_glb(items, path, per_asset[0], emit,
                                                                               cancelled, per_asset),
                            lambda *_: None)

        return self._launch(context, make_job)

    def _summary(self, job):
        return f"Exported {_counted(self._count, 'asset')} to {self._path}"


class IGGAN_OT_new_seed(bpy.types.Operator):
    """Pick a new random seed"""

    bl_idname = "iggan.new_seed"
    bl_label = "New Seed"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        _settings(context).seed = random.randrange(0, 2**31 - 1)
        return {"FINISHED"}


class IGGAN_OT_cancel(bpy.types.Operator):
    """Stop the running IG-GAN job after the asset in progress"""

    bl_idname = "iggan.cancel"
    bl_label = "Cancel"

    def execute(self, context):
        if not jobs.cancel_current():
            self.report({"INFO"}, "Nothing to cancel")
            return {"CANCELLED"}
        self.report({"INFO"}, "Cancelling after the current asset")
        return {"FINISHED"}


OPERATORS = (IGGAN_OT_generate, IGGAN_OT_variations, IGGAN_OT_match_image, IGGAN_OT_export_selected, IGGAN_OT_new_seed,
             IGGAN_OT_cancel)
