"""Runs INSIDE Blender (a Python with bpy, for its FBX parser): reads an FBX file's node tree as the FBX
SDK sees it, independent of Blender's importer, and writes JSON: for each model its node type (the model's
own, or its NodeAttribute's where it has one: "LodGroup", "Null", "Mesh"), its parent model (null for the
scene root) and its children in file order (an LOD group's levels go by that order).

    .venv-blender/bin/python tests/clients/fbx_node_tree.py chairs.fbx tree.json
"""
import json
import sys

import bpy  # noqa: F401  (puts Blender's bundled add-ons, io_scene_fbx among them, on the path)
from io_scene_fbx import parse_fbx

path, out = sys.argv[-2], sys.argv[-1]
root, _version = parse_fbx.parse(path)


def child(elem, name):
    return next(e for e in elem.elems if e.id == name)


def label(prop) -> str:  # "chair_0\x00\x01Model" -> "chair_0"
    return prop.split(b"\x00\x01")[0].decode()


models, attributes = {}, {}
for e in child(root, b"Objects").elems:
    if e.id == b"Model":
        models[e.props[0]] = {"name": label(e.props[1]), "type": e.props[2].decode()}
    elif e.id == b"NodeAttribute":
        attributes[e.props[0]] = e.props[2].decode()
tree = {m["name"]: {"type": m["type"], "parent": None, "children": []} for m in models.values()}
for c in child(root, b"Connections").elems:
    if c.props[0] != b"OO":
        continue
    src, dst = c.props[1], c.props[2]
    if src in attributes and dst in models:
        tree[models[dst]["name"]]["type"] = attributes[src]
    elif src in models and (dst in models or dst == 0):
        name = models[src]["name"]
        if dst:
            tree[name]["parent"] = models[dst]["name"]
            tree[models[dst]["name"]]["children"].append(name)
with open(out, "w") as fh:
    json.dump(tree, fh, indent=1)
