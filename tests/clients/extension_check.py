"""Run with a Python that has bpy (.venv-blender), with BLENDER_USER_RESOURCES pointing at an empty
temporary folder:  python extension_check.py EXTENSION.zip OUT.json [PHOTO.png]

Installs the extension zip with bpy.ops.extensions.package_install_files(enable_on_install=True),
checks the panel and operators, runs iggan.generate(count=3, seed=0) (synchronous, as in background
mode), drives the threaded path (worker + queue drained on the main thread, with Cancel), exports
the selection, then uninstalls. Writes what it measured to OUT.json; the pytest side asserts."""
import json
import sys
import time
import traceback

import bpy
from mathutils import Vector

zip_path, out_path = sys.argv[1], sys.argv[2]
report = {"steps": []}


def step(name, **kw):
    report["steps"].append(name)
    report.update(kw)


def select_only_new(before):
    """The generated assets not among the object names `before`, left to right, selected alone."""
    made = sorted((o for o in bpy.data.objects if o.name not in before and "iggan_grid" in o), key=lambda o: o.location.x)
    for o in bpy.context.view_layer.objects:
        o.select_set(o in made)
    return made


try:
    t0 = time.perf_counter()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    repo = "user_default"
    if repo not in [r.module for r in bpy.context.preferences.extensions.repos]:
        repo = bpy.context.preferences.extensions.repos[0].module
    res = bpy.ops.extensions.package_install_files(filepath=zip_path, repo=repo, enable_on_install=True)
    pkg = f"bl_ext.{repo}.iggan_assets"
    import os
    install_dir = os.path.dirname(sys.modules[pkg].__file__) if pkg in sys.modules else None
    step("install", install_result=sorted(res), install_s=time.perf_counter() - t0,
         enabled=pkg in bpy.context.preferences.addons.keys(), package=pkg, install_dir=install_dir)

    panel = getattr(bpy.types, "IGGAN_PT_panel", None)
    step("registered", panel=panel is not None,
         panel_space=getattr(panel, "bl_space_type", None), panel_region=getattr(panel, "bl_region_type", None),
         panel_category=getattr(panel, "bl_category", None),
         operators=sorted(op for op in dir(bpy.ops.iggan)),
         scene_settings=hasattr(bpy.types.Scene, "iggan"))

    t1 = time.perf_counter()
    res = bpy.ops.iggan.generate(count=3, seed=0)
    objs = [o for o in bpy.data.objects if "iggan_grid" in o]
    colls = [c.name for c in bpy.data.collections if any(o.name in c.objects for o in objs)]
    meshes = []
    for o in objs:
        ws = [o.matrix_world @ v.co for v in o.data.vertices]
        lo = [min(v[i] for v in ws) for i in range(3)]
        hi = [max(v[i] for v in ws) for i in range(3)]
        mat = o.data.materials[0] if o.data.materials else None
        bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None) if mat else None
        meshes.append({"name": o.name, "type": o.type, "faces": len(o.data.polygons), "lo": list(lo), "hi": list(hi),
                       "location": list(o.location), "material": mat.name if mat else None,
                       "metallic": bsdf.inputs["Metallic"].default_value if bsdf else None,
                       "seed": o.get("iggan_seed"), "latent_index": o.get("iggan_latent_index"),
                       "y_extent_grid": None})
    step("generate", generate_result=sorted(res), generate_s=time.perf_counter() - t1, meshes=meshes,
         collections=colls)

    # the threaded path: Job.start() is what the panel's button uses; timers do not fire while a
    # script runs, so pump the main-thread drain here exactly as the timer would.
    from importlib import import_module
    jobs = import_module(pkg + ".jobs")
    engine = import_module(pkg + ".engine")
    scene_build = import_module(pkg + ".scene_build")
    settings = bpy.context.scene.iggan.export_settings("chairs")
    coll = scene_build.new_collection(bpy.context.scene, "threaded")
    placer = scene_build.Placer(coll, scene_build.material("m", (0.8, 0.8, 0.8, 1), 0.8), None)
    import threading
    main = threading.get_ident()
    built_on = []

    def on_message(kind, payload):
        built_on.append(threading.get_ident())
        placer.add(payload, settings)

    req = engine.Request("generate", "chairs", 40, 5, settings)
    job = jobs.Job("generate", lambda emit, cancelled: engine.run(req, emit, cancelled), on_message).start()
    t2 = time.perf_counter()
    while job.running and time.perf_counter() - t2 < 60:
        job.drain()
        if len(placer.objects) >= 2 and not job.cancel_event.is_set():
            job.cancel()
        time.sleep(0.02)
    job.drain()
    bpy.app.timers.unregister(job.timer) if bpy.app.timers.is_registered(job.timer) else None
    step("threaded", threaded_state=job.state, threaded_made=len(placer.objects), threaded_message=job.message,
         built_on_main=all(t == main for t in built_on), worker_alive=job.thread.is_alive())

    # the panel's Mirror reaches the exporter's settings
    bpy.context.scene.iggan.mirror = "X"
    step("mirror", mirror_setting=bpy.context.scene.iggan.export_settings("chairs")["mirror"],
         mirror_default=settings["mirror"])
    bpy.context.scene.iggan.mirror = "NONE"
    # Max tilt: 0 takes the card's 10 degrees; a value of its own overrides it
    bpy.context.scene.iggan.max_tilt = 25.0
    step("max_tilt", tilt_setting=bpy.context.scene.iggan.export_settings("chairs")["max_tilt_deg"],
         tilt_default=settings["max_tilt_deg"], flat_default=settings["min_height_ratio"])
    bpy.context.scene.iggan.max_tilt = 0.0
    # Level base: on takes the card's fraction, off keeps bases as sampled
    bpy.context.scene.iggan.level_base = False
    step("level_base", level_off=bpy.context.scene.iggan.export_settings("chairs")["level_base"],
         level_default=settings["level_base"])
    bpy.context.scene.iggan.level_base = True
    # Distinct: off asks nothing more; on takes the card's distance and generate --distinct's resamples
    distinct_off = bpy.context.scene.iggan.request_options("chairs")
    bpy.context.scene.iggan.distinct = True
    before = {o.name for o in bpy.data.objects}
    res = bpy.ops.iggan.generate(count=3, seed=0)
    step("distinct", distinct_off=distinct_off, distinct_on=bpy.context.scene.iggan.request_options("chairs"),
         distinct_result=sorted(res),
         distinct_made=len([o for o in bpy.data.objects if o.name not in before and "iggan_grid" in o]))
    bpy.context.scene.iggan.distinct = False
    # Collision with Hulls 6: each asset gets its convex parts as wire children named for Godot
    before = {o.name for o in bpy.data.objects}
    bpy.context.scene.iggan.collision = "GODOT"
    bpy.context.scene.iggan.collision_hulls = 6
    res = bpy.ops.iggan.generate(count=1, seed=5)
    hulls = sorted(o.name for o in bpy.data.objects if o.name not in before and o.name.endswith("-convcolonly"))
    step("hulls", hulls_result=sorted(res), hulls=hulls,
         hulls_parent=sorted({bpy.data.objects[h].parent["iggan_name"] for h in hulls}),
         hulls_wire=all(bpy.data.objects[h].display_type == "WIRE" for h in hulls))
    bpy.context.scene.iggan.collision = "NONE"
    bpy.context.scene.iggan.collision_hulls = 1
    # UV atlas: off by default (the generated meshes above have no UV map); on, each asset gets one
    before = {o.name for o in bpy.data.objects}
    bpy.context.scene.iggan.uv_atlas = True
    uv_setting = bpy.context.scene.iggan.export_settings("chairs")["uv"]
    res = bpy.ops.iggan.generate(count=1, seed=3)
    made = [o for o in bpy.data.objects if o.name not in before and "iggan_grid" in o]
    uvs = [list(d.uv) for o in made for layer in o.data.uv_layers for d in layer.data]
    step("uv_atlas", uv_result=sorted(res), uv_setting=uv_setting, uv_default=settings["uv"],
         uv_layers_default=[len(bpy.data.objects[m["name"]].data.uv_layers) for m in meshes],
         uv_layers=[len(o.data.uv_layers) for o in made], uv_loops=len(uvs),
         uv_loops_expected=sum(len(o.data.loops) for o in made),
         uv_range=[min(min(u) for u in uvs), max(max(u) for u in uvs)] if uvs else None)
    bpy.context.scene.iggan.uv_atlas = False
    # Ambient occlusion: each LOD's material multiplies its base colour by the baked map
    before = {o.name for o in bpy.data.objects}
    bpy.context.scene.iggan.ambient_occlusion = True
    ao_setting = bpy.context.scene.iggan.export_settings("chairs")
    res = bpy.ops.iggan.generate(count=1, seed=4)
    made = [o for o in bpy.data.objects if o.name not in before and "iggan_grid" in o]
    maps = []
    for o in made:
        mat = o.data.materials[0]
        tex = next((n for n in mat.node_tree.nodes if n.type == "TEX_IMAGE"), None)
        bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
        px = list(tex.image.pixels)[0::4] if tex else []
        maps.append({"material": mat.name, "size": list(tex.image.size) if tex else None,
                     "min": min(px) if px else None, "max": max(px) if px else None,
                     "base_linked": bsdf.inputs["Base Color"].is_linked, "uv_layers": len(o.data.uv_layers)})
    # the map must sit on the surface as in the GLB: sample the Blender image at each corner's Blender UV
    # and the exporter's map at the same corner's glTF UV (v flipped) from a fresh export of the same grid
    import numpy as np
    obj = made[0]
    asset = engine.ae.grid_to_asset(engine.unpack_grid(obj["iggan_grid"]), engine.export_settings(ao_setting))
    size = asset.occlusion[0].shape[0]
    tex = next(n for n in obj.data.materials[0].node_tree.nodes if n.type == "TEX_IMAGE")
    pixels = np.array(tex.image.pixels[:]).reshape(size, size, 4)[..., 0]  # rows bottom-up
    uv_b = np.array([d.uv[:] for d in obj.data.uv_layers[0].data])
    loops = np.array([lp.vertex_index for lp in obj.data.loops])
    lod0 = asset.lods[0]
    uv_g = lod0.uvs[lod0.faces.ravel()]  # the same corners in the same order (make_mesh keeps them)
    col = np.clip((uv_b[:, 0] * size).astype(int), 0, size - 1)
    in_blender = pixels[np.clip((uv_b[:, 1] * size).astype(int), 0, size - 1), col]
    in_glb = asset.occlusion[0][np.clip((uv_g[:, 1] * size).astype(int), 0, size - 1), col] / 255.0
    mismatch = float(np.mean(np.abs(in_blender - in_glb)))
    swapped = float(np.mean(np.abs(pixels[::-1][np.clip((uv_b[:, 1] * size).astype(int), 0, size - 1), col] - in_glb)))
    step("ao_placement", ao_mismatch=mismatch, ao_mismatch_if_unflipped=swapped,
         ao_same_corners=bool(np.array_equal(loops, lod0.faces.ravel())))
    step("ambient_occlusion", ao_result=sorted(res), ao_setting=[ao_setting["ao"], ao_setting["uv"]], ao_maps=maps,
         ao_default_materials=sorted({bpy.data.objects[m["name"]].data.materials[0].name for m in meshes}))
    bpy.context.scene.iggan.ambient_occlusion = False

    # Colours: Palette deals its colours to each batch in order, one material per colour, and Export Selected
    # writes each asset in the colour it was made in, whatever the panel says by then
    bpy.context.scene.iggan.colours = "PALETTE"
    bpy.context.scene.iggan.palette = "#ff0000 #0000ff"
    before = {o.name for o in bpy.data.objects}
    res = bpy.ops.iggan.generate(count=3, seed=6)
    made = select_only_new(before)
    bpy.context.scene.iggan.palette = "#00ff00"
    palette_glb = out_path.replace(".json", ".palette.glb")
    res_export = bpy.ops.iggan.export_selected(filepath=palette_glb)
    draco_glb = out_path.replace(".json", ".draco.glb")
    res_draco = bpy.ops.iggan.export_selected(filepath=draco_glb, draco=True, thumbnails=48)
    variants_glb = out_path.replace(".json", ".variants.glb")
    res_variants = bpy.ops.iggan.export_selected(filepath=variants_glb, variants=True)
    for o in made[1:]:  # one asset, one colour: nothing to vary
        o.select_set(False)
    try:
        bpy.ops.iggan.export_selected(filepath=out_path.replace(".json", ".one.glb"), variants=True)
        one_colour = None
    except RuntimeError as exc:
        one_colour = str(exc)
    bpy.context.scene.iggan.palette = "#ff0000 wood"
    try:
        bpy.ops.iggan.generate(count=1, seed=0)
        bad = None
    except RuntimeError as exc:
        bad = str(exc)
    step("palette", palette_result=sorted(res), palette_names=[o["iggan_name"] for o in made],
         palette_materials=[o.data.materials[0].name for o in made],
         palette_colours=[list(o.data.materials[0].diffuse_color) for o in made],
         palette_recorded=[list(o["iggan_base_color"]) for o in made], palette_export=sorted(res_export),
         palette_glb=palette_glb, palette_error=bad, draco_export=sorted(res_draco), draco_glb=draco_glb,
         variants_export=sorted(res_variants), variants_glb=variants_glb, variants_one_colour=one_colour)
    bpy.context.scene.iggan.colours = "ONE"
    bpy.context.scene.iggan.palette = "furniture"

    # Frame: the legs get a second material slot in the finish, and Export Selected writes it as a second primitive
    bpy.context.scene.iggan.frame = "METAL"
    before = {o.name for o in bpy.data.objects}
    res = bpy.ops.iggan.generate(count=2, seed=0)
    made = select_only_new(before)
    bpy.context.scene.iggan.frame = "NONE"  # Export Selected writes each asset's frame as it was made
    frame_glb = out_path.replace(".json", ".frame.glb")
    res_export = bpy.ops.iggan.export_selected(filepath=frame_glb)
    slots = []
    for o in made:
        counts = [0] * len(o.data.materials)
        for poly in o.data.polygons:
            counts[poly.material_index] += 1
        slots.append({"names": [m.name for m in o.data.materials], "metallic": [m.metallic for m in o.data.materials],
                      "triangles": counts, "name": o["iggan_name"]})
    # made without a frame, then exported with the panel's Frame set: stays one material, as it was made
    before = {o.name for o in bpy.data.objects}
    bpy.ops.iggan.generate(count=1, seed=1)
    select_only_new(before)
    bpy.context.scene.iggan.frame = "WOOD"
    plain_glb = out_path.replace(".json", ".plain.glb")
    res_plain = bpy.ops.iggan.export_selected(filepath=plain_glb)
    step("frame", frame_result=sorted(res), frame_export=sorted(res_export), frame_glb=frame_glb, frame_slots=slots,
         frame_plain_export=sorted(res_plain), frame_plain_glb=plain_glb)
    bpy.context.scene.iggan.frame = "NONE"

    # Seats: an empty at the chair's sitting place, facing forward, and Export Selected writes it as a glTF node
    bpy.context.scene.iggan.seats = True
    before = {o.name for o in bpy.data.objects}
    res = bpy.ops.iggan.generate(count=1, seed=0)
    made = select_only_new(before)
    seats_glb = out_path.replace(".json", ".seats.glb")
    res_export = bpy.ops.iggan.export_selected(filepath=seats_glb)
    anchors = {c.name: {"type": c.type, "local": list(c.location),
                        "forward": list(c.matrix_world.to_3x3() @ Vector((0.0, -1.0, 0.0)))}
               for o in made for c in o.children if c.type == "EMPTY"}
    step("seats", seats_result=sorted(res), seats_export=sorted(res_export), seats_glb=seats_glb, seats_anchors=anchors,
         seats_asset=made[0]["iggan_name"])
    bpy.context.scene.iggan.seats = False

    # Export Selected of a chair, a sofa and the same chair made again: each meshed with its own model's card
    # (the sofa 0.84 m tall and turned to face +Z), the repeated name made unique, the report naming the .glb written
    before = {o.name for o in bpy.data.objects}
    bpy.ops.iggan.generate(count=1, seed=0)
    bpy.context.scene.iggan.model = "sofas"
    bpy.ops.iggan.generate(count=1, seed=0)
    bpy.context.scene.iggan.model = "chairs"
    bpy.ops.iggan.generate(count=1, seed=0)
    mixed = select_only_new(before)
    mixed_path = out_path.replace(".json", ".mixed.gltf")
    res_mixed = bpy.ops.iggan.export_selected(filepath=mixed_path)
    step("mixed", mixed_result=sorted(res_mixed), mixed_made=[[o["iggan_name"], o["iggan_model"]] for o in mixed],
         mixed_info=import_module(pkg + ".operators").LAST.get("info"), mixed_path=mixed_path)

    # an error reaches the operator's report and the panel state
    bpy.context.scene.iggan.model = "FILE"
    bpy.context.scene.iggan.checkpoint = "/nonexistent/model.safetensors"
    try:
        bpy.ops.iggan.generate(count=1, seed=0)
        err = None
    except RuntimeError as exc:  # bpy.ops raises RuntimeError carrying the ERROR report
        err = str(exc)
    ops = import_module(pkg + ".operators")
    step("error", error_report=err, panel_error=ops.LAST.get("error"))
    bpy.context.scene.iggan.model = "chairs"

    # variations of the selected asset, then export the selection
    first = bpy.data.objects[meshes[0]["name"]]
    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    first.select_set(True)
    bpy.context.view_layer.objects.active = first
    res = bpy.ops.iggan.variations(count=2)
    var = [o.name for o in bpy.data.objects if "iggan_variation" in o]
    step("variations", variations_result=sorted(res), variations=var)
    glb = out_path.replace(".json", ".glb")
    for name in [m["name"] for m in meshes]:
        bpy.data.objects[name].select_set(True)
    res = bpy.ops.iggan.export_selected(filepath=glb)
    step("export", export_result=sorted(res), export_path=glb)

    # Match Image on a reference image selected in the viewport, as a user drops one in
    if len(sys.argv) > 3:
        img = bpy.data.images.load(sys.argv[3])
        ref = bpy.data.objects.new("reference", None)
        ref.empty_display_type = "IMAGE"
        ref.data = img
        bpy.context.scene.collection.objects.link(ref)
        for o in bpy.context.view_layer.objects:
            o.select_set(False)
        ref.select_set(True)
        bpy.context.view_layer.objects.active = ref
        t2 = time.perf_counter()
        res = bpy.ops.iggan.match_image(count=2)
        matched = [{"name": o.name, "latent_index": o.get("iggan_latent_index"), "seed": o.get("iggan_seed"),
                    "iou": o.get("iggan_match_iou"), "azimuth": o.get("iggan_view_azimuth_deg"),
                    "photo": o.get("iggan_photo"), "collection": o.users_collection[0].name}
                   for o in bpy.data.objects if "iggan_match_iou" in o]
        cache = bpy.utils.extension_path_user(pkg, path="outline_cache")
        step("match", match_result=sorted(res), match_s=time.perf_counter() - t2, matched=matched,
             match_cache=sorted(os.listdir(cache)) if os.path.isdir(cache) else None, match_info=ops.LAST.get("info"))
        collections_before = sorted(c.name for c in bpy.data.collections)
        try:
            bpy.ops.iggan.match_image(filepath="/nonexistent/chair.png")
            err = None
        except RuntimeError as exc:  # an operator that reports an error raises in background mode
            err = str(exc)
        step("match_error", match_error_report=err, match_panel_error=ops.LAST.get("error"),
             match_error_collections_added=sorted(set(c.name for c in bpy.data.collections) - set(collections_before)))
        # two reference images selected: one shape fitted to both, as pictures of one object
        twin = bpy.data.objects.new("reference twin", None)
        twin.empty_display_type = "IMAGE"
        twin.data = img
        bpy.context.scene.collection.objects.link(twin)
        twin.select_set(True)
        ref.select_set(True)
        bpy.context.view_layer.objects.active = ref
        before = {o.name for o in bpy.data.objects}
        res = bpy.ops.iggan.match_image(count=1)
        new = [bpy.data.objects[n] for n in {o.name for o in bpy.data.objects} - before if "iggan_match_iou" in bpy.data.objects[n]]
        step("match_two", two_result=sorted(res), two_matched=[(o.get("iggan_latent_index"), o.get("iggan_photo_count"))
                                                               for o in new])
        twin.select_set(False)
        # an image with no file (pasted from the clipboard): its pixels are matched
        pasted = bpy.data.images.new("pasted", img.size[0], img.size[1], alpha=True)
        pasted.pixels.foreach_set(list(img.pixels))
        ref.data = pasted
        before = {o.name for o in bpy.data.objects}
        res = bpy.ops.iggan.match_image(count=1)
        new = [bpy.data.objects[n] for n in {o.name for o in bpy.data.objects} - before if "iggan_match_iou" in bpy.data.objects[n]]
        step("match_pasted", pasted_result=sorted(res), pasted_file=pasted.filepath,
             pasted_matched=[(o.get("iggan_latent_index"), o.get("iggan_match_iou")) for o in new])
        # an iPhone's HEIC photo, chosen as a file (Blender's own image loader reads no HEIC): the bundled
        # pillow-heif wheel reads it
        if len(sys.argv) > 4:
            before = {o.name for o in bpy.data.objects}
            res = bpy.ops.iggan.match_image(filepath=sys.argv[4], count=1)
            new = [bpy.data.objects[n] for n in {o.name for o in bpy.data.objects} - before
                   if "iggan_match_iou" in bpy.data.objects[n]]
            step("match_heic", heic_result=sorted(res), heic_error=ops.LAST.get("error"),
                 heic_matched=[(o.get("iggan_latent_index"), o.get("iggan_match_iou")) for o in new])
        # Paint: the same image tinted orange, matched with the panel's Paint on: the shape's material shows
        # a colour map in the image's colours
        rgba = np.array(img.pixels[:], np.float32).reshape(img.size[1], img.size[0], 4)
        rgba[..., 1] *= 0.6
        rgba[..., 2] *= 0.3
        tinted = bpy.data.images.new("tinted", img.size[0], img.size[1], alpha=True)
        tinted.pixels.foreach_set(rgba.ravel())
        ref.data = tinted
        bpy.context.scene.iggan.match_texture = True
        before = {o.name for o in bpy.data.objects}
        res = bpy.ops.iggan.match_image(count=1)
        bpy.context.scene.iggan.match_texture = False
        new = [bpy.data.objects[n] for n in {o.name for o in bpy.data.objects} - before if "iggan_match_iou" in bpy.data.objects[n]]
        nodes = new[0].active_material.node_tree.nodes if new else []
        maps = [n.image for n in nodes if n.type == "TEX_IMAGE" and n.image and n.image.colorspace_settings.name == "sRGB"]
        painted = np.array(maps[0].pixels[:], np.float32).reshape(-1, 4)[:, :3] if maps else np.zeros((1, 3))
        lit = rgba[..., :3][rgba[..., :3].max(axis=2) > 0.02]
        step("match_paint", paint_result=sorted(res), paint_maps=[list(m.size) for m in maps],
             paint_median=np.median(painted, axis=0).tolist(), paint_photo_median=np.median(lit, axis=0).tolist(),
             paint_uv_layers=len(new[0].data.uv_layers) if new else 0)

    # uninstall
    res = bpy.ops.extensions.package_uninstall(repo_index=[r.module for r in
                                               bpy.context.preferences.extensions.repos].index(repo),
                                               pkg_id="iggan_assets")
    step("uninstall", uninstall_result=sorted(res), enabled_after=pkg in bpy.context.preferences.addons.keys(),
         panel_after=hasattr(bpy.types, "IGGAN_PT_panel"), scene_settings_after=hasattr(bpy.types.Scene, "iggan"),
         modules_after=sorted(m for m in sys.modules if m.startswith(pkg)),
         install_dir_exists_after=bool(install_dir) and os.path.exists(install_dir))
except Exception:
    report["exception"] = traceback.format_exc()
with open(out_path, "w") as f:
    json.dump(report, f, indent=1, default=str)
