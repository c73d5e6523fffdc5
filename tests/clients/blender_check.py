"""Import a GLB with Blender's own glTF importer (PyPI `bpy`, headless) and print what it made as
JSON: per object its type, parent, world bounding box (Blender is Z-up: glTF +Y becomes +Z), triangles,
UV layers, metallic, its material slots (name, metallic, triangles) and its material under each glTF material
variant; and the file's variants.

    python-with-bpy tests/clients/blender_check.py FILE.glb [--render OUT.png]

--render draws the imported scene with Cycles on the CPU (for the README screenshot).
"""
import json
import math
import re
import sys

import bpy
from mathutils import Vector


def main(argv):
    path = argv[0]
    render = argv[argv.index("--render") + 1] if "--render" in argv else None
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.import_scene.gltf(filepath=path)
    out = {"import": sorted(result), "objects": {}}
    for ob in bpy.data.objects:
        entry = {"type": ob.type, "parent": ob.parent.name if ob.parent else None}
        if ob.type == "EMPTY":  # world location, and where the glTF node's +Z (Blender's -Y after import) points
            entry["location"] = list(ob.matrix_world.translation)
            entry["forward"] = list(ob.matrix_world.to_3x3() @ Vector((0.0, -1.0, 0.0)))
        if ob.type == "MESH":
            corners = [ob.matrix_world @ Vector(c) for c in ob.bound_box]
            entry["min"] = [min(c[i] for c in corners) for i in range(3)]
            entry["max"] = [max(c[i] for c in corners) for i in range(3)]
            entry["triangles"] = sum(len(p.vertices) - 2 for p in ob.data.polygons)
            entry["uv_layers"] = len(ob.data.uv_layers)
            # every material slot (a `--frame` mesh has two: body, frame) with its metallic and triangles
            slots = [0] * max(1, len(ob.material_slots))
            for poly in ob.data.polygons:
                slots[poly.material_index] += len(poly.vertices) - 2
            entry["slots"] = [{"material": s.material.name if s.material else None,
                               "metallic": _metallic(s.material), "triangles": n}
                              for s, n in zip(ob.material_slots, slots)]
            mat = ob.active_material
            if mat is not None and mat.use_nodes:
                bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
                if bsdf is not None:
                    entry["metallic"] = bsdf.inputs["Metallic"].default_value
            # KHR_materials_variants: the importer keeps each variant's material on the mesh (and registers the
            # property only once a file with variants was imported)
            entry["variant_materials"] = {v.variant.variant_idx: m.material.name
                                          for m in getattr(ob.data, "gltf2_variant_mesh_data", ()) if m.material
                                          for v in m.variants}
        out["objects"][ob.name] = entry
    out["variants"] = [v.name for v in getattr(bpy.context.scene, "gltf2_KHR_materials_variants_variants", ())]
    if render:
        _render(render)
    print("BLENDER_JSON " + json.dumps(out))


def _metallic(mat):
    """The Principled BSDF's metallic of a material, or None."""
    if mat is None or not mat.node_tree:
        return None
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    return None if bsdf is None else bsdf.inputs["Metallic"].default_value


def _render(png):
    scene = bpy.context.scene
    # what an engine shows: LOD0 only, no collision hulls
    meshes = [o for o in scene.objects if o.type == "MESH" and "colonly" not in o.name
              and not o.name.startswith("UCX_") and not re.search(r"_LOD[1-9]$", o.name)]
    for o in scene.objects:
        if o.type == "MESH" and o not in meshes:
            o.hide_render = True
    lo = Vector([min((o.matrix_world @ Vector(c))[i] for o in meshes for c in o.bound_box) for i in range(3)])
    hi = Vector([max((o.matrix_world @ Vector(c))[i] for o in meshes for c in o.bound_box) for i in range(3)])
    centre, radius = (lo + hi) / 2, (hi - lo).length / 2
    cam_data = bpy.data.cameras.new("cam")
    cam = bpy.data.objects.new("cam", cam_data)
    scene.collection.objects.link(cam)
    az, el = math.radians(35), math.radians(25)
    dist = radius / math.sin(math.radians(cam_data.angle * 90 / math.pi)) * 1.1
    cam.location = centre + Vector((math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el))) * dist
    cam.rotation_euler = (centre - cam.location).to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 3.0
    sun.rotation_euler = (math.radians(50), 0, math.radians(30))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs[0].default_value = (0.9, 0.9, 0.92, 1)
    world.node_tree.nodes["Background"].inputs[1].default_value = 0.35
    scene.world = world
    # a floor so the base pivot is visible
    bpy.ops.mesh.primitive_plane_add(size=radius * 6, location=(centre.x, centre.y, 0))
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 24
    scene.render.resolution_x, scene.render.resolution_y = 800, 600
    scene.render.filepath = png
    bpy.ops.render.render(write_still=True)


if __name__ == "__main__":
    main(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:])
