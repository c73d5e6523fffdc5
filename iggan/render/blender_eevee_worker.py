"""Runs INSIDE Blender (a Python with bpy, e.g. .venv-blender/bin/python this_file.py, or
`blender -b --factory-startup --python this_file.py --`). Imports only bpy and numpy: the training
interpreter (torch, pyrender) need not be Blender's Python 3.11.

Protocol (iggan/render/blender_eevee.py is the other end): settings as JSON in argv[-1]; then one
request per stdin line, a path to an .npz holding, for each of N images, positions_i (V, 3),
normals_i (V, 3), triangles_i (F, 3) and arrays azimuth, elevation (radians); the worker writes
image_i.png (8-bit RGBA) beside it and answers one JSON line {"ok": n} or {"error": msg} on the
protocol pipe (the original stdout; Blender's own prints are moved to stderr).

The scene mirrors iggan/render/scene.py: perspective camera (yfov, distance), two sun lights at
camera pose @ LIGHT_OFFSETS, strength = Pyrender intensity (Blender's sun gives albedo * S / pi
* cos, as Pyrender's Lambert term does), ambient = a uniform world, grey Principled BSDF with
metallic 0 and roughness 1, no shadows, 'Standard' view transform (sRGB), black background."""
import json
import math
import os
import sys
import traceback

import numpy as np

proto = os.fdopen(os.dup(1), "w", buffering=1)  # keep the real stdout for answers
os.dup2(2, 1)  # Blender's C-level prints ("Saved: ...") go to stderr
sys.stdout = sys.stderr

import bpy  # noqa: E402

cfg = json.loads(sys.argv[-1])
S = int(cfg["image_size"])


def matrix(m):
    from mathutils import Matrix
    return Matrix([list(map(float, row)) for row in m])


def camera_pose(az, el, d):
    ca, sa, ce, se = math.cos(az), math.sin(az), math.cos(-el), math.sin(-el)
    ry = np.array([[ca, 0, sa], [0, 1, 0], [-sa, 0, ca]])
    rx = np.array([[1, 0, 0], [0, ce, -se], [0, se, ce]])
    pose = np.eye(4)
    pose[:3, :3] = ry @ rx
    pose[:3, 3] = pose[:3, :3] @ np.array([0.0, 0.0, d])
    return pose


def setup():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    sc = bpy.context.scene
    for engine in ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):  # 4.2-4.4 call EEVEE Next the latter
        try:
            sc.render.engine = engine
            break
        except TypeError:
            continue
    ee = sc.eevee
    ee.taa_render_samples = int(cfg.get("samples", 1))
    for name, value in (("use_shadows", False), ("use_raytracing", False), ("use_gtao", False),
                        ("use_bloom", False)):
        if hasattr(ee, name):
            setattr(ee, name, value)
    sc.view_settings.view_transform = "Standard"
    sc.view_settings.look = "None"
    sc.render.film_transparent = True
    sc.render.resolution_x = sc.render.resolution_y = S
    sc.render.resolution_percentage = 100
    sc.render.image_settings.file_format = "PNG"
    sc.render.image_settings.color_mode = "RGBA"
    sc.render.image_settings.color_depth = "8"
    world = bpy.data.worlds.new("ambient")
    sc.world = world
    if world.node_tree is None:
        world.use_nodes = True
    bg = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
    a = float(cfg["ambient"])
    bg.inputs["Color"].default_value = (a, a, a, 1.0)
    bg.inputs["Strength"].default_value = 1.0
    cam_data = bpy.data.cameras.new("camera")
    cam_data.sensor_fit = "VERTICAL"
    cam_data.angle_y = math.radians(cfg["fov_deg"])
    cam_data.clip_start, cam_data.clip_end = 0.1, 20.0
    cam = bpy.data.objects.new("camera", cam_data)
    sc.collection.objects.link(cam)
    sc.camera = cam
    lights = []
    for i in range(len(cfg["light_offsets"])):
        ld = bpy.data.lights.new(f"sun{i}", "SUN")
        ld.energy = float(cfg["light_intensity"])
        ld.angle = 0.0
        ld.use_shadow = False
        obj = bpy.data.objects.new(f"sun{i}", ld)
        sc.collection.objects.link(obj)
        lights.append(obj)
    mat = bpy.data.materials.new("grey")
    if mat.node_tree is None:
        mat.use_nodes = True
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = tuple(cfg["base_color"])
    bsdf.inputs["Metallic"].default_value = 0.0
    bsdf.inputs["Roughness"].default_value = 1.0
    obj = bpy.data.objects.new("object", bpy.data.meshes.new("empty"))
    sc.collection.objects.link(obj)
    return sc, cam, lights, mat, obj


def set_mesh(obj, mat, pos, nrm, tris):
    old = obj.data
    me = bpy.data.meshes.new("object")
    if len(tris):
        me.vertices.add(len(pos))
        me.vertices.foreach_set("co", np.asarray(pos, np.float32).ravel())
        me.loops.add(tris.size)
        me.loops.foreach_set("vertex_index", np.asarray(tris, np.int32).ravel())
        me.polygons.add(len(tris))
        me.polygons.foreach_set("loop_start", np.arange(0, tris.size, 3, dtype=np.int32))
        me.update()
        # the voxel surface has one vertex per face corner and per-face normals: flat shading = the same
        me.materials.append(mat)
    obj.data = me
    bpy.data.meshes.remove(old)


def main():
    sc, cam, lights, mat, obj = setup()
    offsets = [np.array(o) for o in cfg["light_offsets"]]
    proto.write(json.dumps({"ready": bpy.app.version_string}) + "\n")
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        if path == "quit":
            break
        try:
            data = np.load(path)
            folder = os.path.dirname(path)
            n = len(data["azimuth"])
            for i in range(n):
                set_mesh(obj, mat, data[f"positions_{i}"], data[f"normals_{i}"], data[f"triangles_{i}"])
                pose = camera_pose(float(data["azimuth"][i]), float(data["elevation"][i]), cfg["distance"])
                cam.matrix_world = matrix(pose)
                for light, off in zip(lights, offsets):
                    light.matrix_world = matrix(pose @ off)
                sc.render.filepath = os.path.join(folder, f"image_{i}.png")
                bpy.ops.render.render(write_still=True)
            proto.write(json.dumps({"ok": n}) + "\n")
        except Exception as exc:  # answer, never die silently: the parent is waiting
            traceback.print_exc()
            proto.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")


main()
