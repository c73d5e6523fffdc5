"""Run with a Python that has bpy (.venv-blender), BLENDER_USER_RESOURCES an empty temporary folder:
    python extension_edges.py EXTENSION.zip OUT.json

The panel's edge cases after an install of the zip: a failure while building objects, a job stopped after
some assets, where a second batch lands, materials on repeated clicks, Export Selected without a file name,
'//' paths, the model list's strings, and undo (pushed explicitly: background mode pushes no operator undo
steps). Writes what it saw to OUT.json; tests/test_blender_addon.py asserts."""
import json
import os
import sys
import traceback
import warnings
from importlib import import_module

import bpy
from mathutils import Vector

zip_path, out_path = sys.argv[1], sys.argv[2]
report = {}


def names(coll):
    return sorted(x.name for x in coll)


def call(op, **kw):
    """The operator's result, or the error its report raised."""
    try:
        return sorted(op(**kw))
    except RuntimeError as exc:
        return f"error: {exc}"


def y_range(objs):
    ys = [(o.matrix_world @ Vector(c)).y for o in objs for c in o.bound_box]
    return [min(ys), max(ys)]


try:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
    pkg = "bl_ext.user_default.iggan_assets"
    jobs, operators, scene_build, props = (import_module(f"{pkg}.{m}") for m in ("jobs", "operators", "scene_build",
                                                                               "props"))
    s = bpy.context.scene.iggan

    # a failure placing the 2nd asset (main thread) must be the job's outcome, not "cancelled" or "done"
    add = scene_build.Placer.add
    for count in (2, 3):
        calls = []

        def failing_add(self, made, settings):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("placing failed")
            return add(self, made, settings)

        scene_build.Placer.add = failing_add
        report[f"place_fail_{count}"] = [call(bpy.ops.iggan.generate, count=count, seed=0), jobs.CURRENT.state,
                                        operators.LAST["error"]]
        scene_build.Placer.add = add
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)

    # Cancel after the first asset: it stays, and the operator says FINISHED so an undo step holds it
    def add_then_cancel(self, made, settings):
        obj = add(self, made, settings)
        jobs.cancel_current()
        return obj

    scene_build.Placer.add = add_then_cancel
    report["cancel_result"] = call(bpy.ops.iggan.generate, count=3, seed=0)
    report["cancel_kept"] = len([o for o in bpy.data.objects if "iggan_grid" in o])
    scene_build.Placer.add = add
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    for c in list(bpy.data.collections):
        bpy.data.collections.remove(c)
    for m in list(bpy.data.materials):
        bpy.data.materials.remove(m)

    # two Generates and a Variations: each batch a row of its own, one material while it is unedited
    call(bpy.ops.iggan.generate, count=2, seed=0)
    first = [o for o in bpy.data.objects if o.type == "MESH"]
    call(bpy.ops.iggan.generate, count=2, seed=7)
    second = [o for o in bpy.data.objects if o.type == "MESH" and o not in first]
    report["rows"] = [y_range(first), y_range(second)]
    report["rows_on_floor"] = [min((o.matrix_world @ Vector(c)).z for c in o.bound_box) for o in first + second]
    report["materials_two_runs"] = names(bpy.data.materials)
    bpy.context.view_layer.objects.active = first[0]
    call(bpy.ops.iggan.variations, count=1)
    third = [o for o in bpy.data.objects if o.type == "MESH" and o not in first + second]
    report["variations_row"] = y_range(third)
    report["variations_info"] = operators.LAST["info"]
    mat = bpy.data.materials["IGGAN_chairs"]
    next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED").inputs["Roughness"].default_value = 0.3
    call(bpy.ops.iggan.generate, count=1, seed=1)
    report["materials_after_edit"] = names(bpy.data.materials)
    report["generate_info"] = [operators.LAST["info"], operators._counted(2, "asset")]
    before = names(bpy.data.materials), names(bpy.data.collections)
    open(os.path.join(os.path.dirname(out_path), "not_an_image.png"), "w").write("text")
    report["match_bad_image"] = call(bpy.ops.iggan.match_image,
                                     filepath=os.path.join(os.path.dirname(out_path), "not_an_image.png"))
    report["match_bad_image_left"] = [names(bpy.data.materials) == before[0], names(bpy.data.collections) == before[1]]

    # Export Selected without a file name, or with a folder, says so and writes nothing beside the folder
    for o in bpy.context.view_layer.objects:
        o.select_set(o in first)
    folder = os.path.join(os.path.dirname(out_path), "exports")
    os.makedirs(folder)
    report["export_blank"] = call(bpy.ops.iggan.export_selected)
    report["export_folder"] = call(bpy.ops.iggan.export_selected, filepath=folder + os.sep)
    report["export_thumbnails_8"] = call(bpy.ops.iggan.export_selected, filepath=os.path.join(folder, "t.glb"),
                                         thumbnails=8)
    report["export_folder_wrote"] = os.path.exists(folder + ".glb") or os.listdir(folder) != []

    # '//' paths: declared relative-capable (Blender 4.5+), so no warning and the file browser may keep them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.checkpoint = "//models/g.safetensors"
        s.match_image = "//photos/chair.png"
    report["relative_warnings"] = [str(w.message) for w in caught]
    report["relative_flags"] = [s.bl_rna.properties[k].is_path_supports_blend_relative
                                for k in ("checkpoint", "match_image")]

    # the model list hands Blender the same strings on every draw while the models are the same
    a, b = list(props._model_items(None, None)), list(props._model_items(None, None))
    report["enum_same_strings"] = all(x[1] is y[1] and x[2] is y[2] for x, y in zip(a, b))

    # undo: pushed around Generate as the UI's operator call does; one step back removes just what it added
    bpy.ops.ed.undo_push(message="before")
    before = {k: names(getattr(bpy.data, k)) for k in ("objects", "meshes", "materials", "collections")}
    call(bpy.ops.iggan.generate, count=2, seed=3)
    bpy.ops.ed.undo_push(message="Generate")
    added = {k: len(getattr(bpy.data, k)) - len(before[k]) for k in before}
    bpy.ops.ed.undo()
    report["undo_added"] = added
    report["undo_same"] = {k: names(getattr(bpy.data, k)) == before[k] for k in before}
    # disabling the extension mid-job unregisters the job's timer (it used to stay, to drain and place later)
    import time
    job = jobs.Job("generate", lambda emit, cancelled: time.sleep(0.3), lambda *_: None).start()
    timer = getattr(job, "timer", None)
    report["timer_registered"] = timer is not None and bpy.app.timers.is_registered(timer)
    bpy.ops.preferences.addon_disable(module=pkg)
    report["timer_after_disable"] = timer is not None and bpy.app.timers.is_registered(timer)
except Exception:
    report["exception"] = traceback.format_exc()
with open(out_path, "w") as f:
    json.dump(report, f)
