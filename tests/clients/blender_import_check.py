"""Runs INSIDE Blender (a Python with bpy): imports an FBX or a USDZ with Blender's own importer (USD's with
its defaults: guide-purpose prims such as collision hulls are not imported) and writes what it holds as
JSON: for each object its type, parent, world origin and bounds (Blender's +Z up); for an empty, where its local
+Z points (the glTF node's forward: these importers keep Y-up local axes under a turned root); for a mesh, its
triangles, UV layers and materials (with metallic and triangles each).

    .venv-blender/bin/python tests/clients/blender_import_check.py chairs.fbx report.json
"""
import json
import sys

import bpy
from mathutils import Vector

path, out = sys.argv[-2], sys.argv[-1]
bpy.ops.wm.read_factory_settings(use_empty=True)
if path.lower().endswith(".fbx"):
    bpy.ops.import_scene.fbx(filepath=path)
else:
    bpy.ops.wm.usd_import(filepath=path)
objects = {}
for o in bpy.data.objects:
    entry = {"type": o.type, "parent": o.parent.name if o.parent else None,
             "origin": list(o.matrix_world.translation)}
    if o.type == "EMPTY":  # where the glTF node's +Z points: these importers keep Y-up local axes under a root turn
        entry["forward"] = list(o.matrix_world.to_3x3().normalized() @ Vector((0, 0, 1)))
    if o.type == "MESH":
        points = [o.matrix_world @ v.co for v in o.data.vertices]
        entry["lo"] = [min(p[i] for p in points) for i in range(3)]
        entry["hi"] = [max(p[i] for p in points) for i in range(3)]
        entry["triangles"] = sum(len(p.vertices) - 2 for p in o.data.polygons)
        entry["uv_layers"] = len(o.data.uv_layers)
        entry["materials"] = [m.name for m in o.data.materials if m]
        entry["metallic"] = [m.metallic for m in o.data.materials if m]
        counts = [0] * max(1, len(o.data.materials))
        for poly in o.data.polygons:
            counts[poly.material_index] += len(poly.vertices) - 2
        entry["material_triangles"] = counts
    objects[o.name] = entry
with open(out, "w") as fh:
    json.dump(objects, fh)
