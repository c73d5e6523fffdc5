"""Runs INSIDE Blender (a Python with bpy, e.g. .venv-blender/bin/python this_file.py JOBS, or
blender -b --python this_file.py -- JOBS): converts GLB files to FBX with Blender's own importer and
exporter. JOBS is JSON, a list of [glb_path, fbx_path] pairs. For each pair the scene is emptied, the GLB
imported and the FBX written, and one JSON line goes to stdout:
{"glb": ..., "fbx": ..., "objects": {name: triangles}}, or {"glb": ..., "error": ...} if Blender refused it.

Axes and units follow what Unity and Unreal expect from Blender: +Y up and -Z forward, metres as 1 unit
with the scale applied to the data ("FBX All"), and the axis change baked into the meshes, so objects
import unrotated at scale 1. Normals are written as the GLB has them (no smoothing groups).

An asset with LODs (children `<name>_LOD0`, `<name>_LOD1`, ...) becomes an FBX LOD group, the node type
Unreal's "Import Mesh LODs" and Unity read as one mesh with LOD levels: every child of such a group is a level,
so the asset's other children (collision hulls, seat anchors) move beside it, where Unreal's
`UCX_<LOD0 name>_NN` matching still finds the hulls."""
import json
import re
import sys

import bpy


def _jobs() -> list:
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    return json.loads(args[0])


def group_lods() -> list[str]:
    """Mark every empty with two or more `<its name>_LOD<k>` children as an FBX LodGroup (Blender's FBX
    exporter writes an empty's `fbx_type` custom property as its node type) and move its other children to
    its parent, keeping where they are in the world. Returns the names of the groups."""
    groups = []
    for empty in [o for o in bpy.data.objects if o.type == "EMPTY"]:
        level = re.compile(re.escape(empty.name) + r"_LOD\d+")
        lods = [c for c in empty.children if level.fullmatch(c.name)]
        if len(lods) < 2:
            continue
        for child in [c for c in empty.children if c not in lods]:
            world = child.matrix_world.copy()
            child.parent = empty.parent
            child.matrix_world = world
        empty["fbx_type"] = "LodGroup"
        groups.append(empty.name)
    return groups


def convert(glb: str, fbx: str) -> dict:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=glb)
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    if not meshes:
        return {"glb": glb, "error": "it holds no meshes"}
    for o in meshes:  # engines name imported meshes after the FBX geometry: the node's name, not "<name>.001"
        if o.data.users == 1:
            o.data.name = o.name
    for image in bpy.data.images:  # a glTF's images come packed without a path, and the FBX exporter would
        if image.packed_file and not image.filepath:  # file them as "textures/packed/<name>", with no suffix
            suffix = {"JPEG": ".jpg"}.get(image.file_format, ".png")
            image.filepath_raw = "//" + bpy.path.clean_name(image.name) + suffix
    groups = group_lods()
    bpy.ops.export_scene.fbx(filepath=fbx, use_selection=False, object_types={"EMPTY", "MESH"},
                             apply_scale_options="FBX_SCALE_ALL", axis_forward="-Z", axis_up="Y",
                             bake_space_transform=True, mesh_smooth_type="OFF", use_triangles=True,
                             add_leaf_bones=False, bake_anim=False, path_mode="COPY", embed_textures=True)
    objects = {o.name: sum(len(p.vertices) - 2 for p in o.data.polygons) for o in meshes}
    return {"glb": glb, "fbx": fbx, "objects": objects, "lod_groups": groups}


def main() -> None:
    for glb, fbx in _jobs():
        try:
            result = convert(glb, fbx)
        except Exception as exc:  # noqa: BLE001  (Blender raises RuntimeError with the importer's message)
            result = {"glb": glb, "error": str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)}
        print("IGGAN_FBX " + json.dumps(result), flush=True)


main()
