"""Blender objects from exported assets (main thread only). The asset is +Y up in metres with its
pivot at the base centre (glTF convention); Blender is +Z up, so (x, y, z) -> (x, -z, y), exactly
the conversion Blender's glTF importer applies. The root object carries LOD0 and the asset's
custom properties (model, seed, latent index, the occupancy grid for re-export); extra LODs and
the collision hull are child objects named as in the exported GLB."""
from __future__ import annotations

import bpy
import numpy as np

from .engine import ae, pack_grid

GAP_M = 0.25  # space between assets laid out side by side along +X


def y_up_to_z_up(v: np.ndarray) -> np.ndarray:
    return np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1).astype(np.float32)


def make_mesh(name: str, mesh) -> bpy.types.Mesh:
    verts = y_up_to_z_up(mesh.vertices)
    faces = np.asarray(mesh.faces, np.int32)
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(verts))
    me.vertices.foreach_set("co", verts.ravel())
    me.loops.add(faces.size)
    me.loops.foreach_set("vertex_index", faces.ravel())
    me.polygons.add(len(faces))
    me.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    me.update(calc_edges=True)
    me.polygons.foreach_set("use_smooth", np.ones(len(faces), bool))
    if mesh.uvs is not None:  # per corner; v flipped as Blender's glTF importer does (glTF's v runs down)
        corner_uvs = mesh.uvs[faces.ravel()].astype(np.float32)
        corner_uvs[:, 1] = 1.0 - corner_uvs[:, 1]
        me.uv_layers.new(name="UVMap").data.foreach_set("uv", corner_uvs.ravel())
    if mesh.normals is not None:  # the exporter's explicit unit normals, as in the GLB
        me.normals_split_custom_set_from_vertices(y_up_to_z_up(mesh.normals))
    me.validate(clean_customdata=False)
    return me


def material(name: str, base_color, roughness: float, metallic: float = 0.0) -> bpy.types.Material:
    """A Principled BSDF like the GLB's: base colour (linear), metallic (0 but for a metal frame), the export
    roughness. One made earlier with these values, unedited, is reused: a second Generate shares IGGAN_chairs
    rather than adding IGGAN_chairs.001."""
    same = _unchanged_material(name, base_color, roughness, metallic)
    if same is not None:
        return same
    mat = bpy.data.materials.new(name)
    if mat.node_tree is None:
        mat.use_nodes = True
    bsdf = next((n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = tuple(base_color)
        bsdf.inputs["Metallic"].default_value = metallic
        bsdf.inputs["Roughness"].default_value = roughness
    mat.diffuse_color = tuple(base_color)
    mat.metallic, mat.roughness = metallic, roughness
    return mat


def _unchanged_material(name: str, base_color, roughness: float, metallic: float) -> bpy.types.Material | None:
    """A local material named `name` (or name.001, ...) whose node tree is still material()'s two nodes with
    these values, else None; a material the user has edited is left to them."""
    want = (*tuple(base_color), metallic, roughness)
    for mat in bpy.data.materials:
        if mat.library is not None or (mat.name != name and mat.name.rpartition(".")[0] != name):
            continue
        nodes = mat.node_tree.nodes if mat.node_tree else ()
        bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
        if bsdf is None or len(nodes) != 2 or any(i.is_linked for i in bsdf.inputs):
            continue
        have = (*bsdf.inputs["Base Color"].default_value, bsdf.inputs["Metallic"].default_value,
                bsdf.inputs["Roughness"].default_value)
        if len(have) == len(want) and all(abs(a - b) < 1e-6 for a, b in zip(have, want)):
            return mat
    return None


def colour_hex(rgba) -> str:
    """Linear RGBA -> its sRGB hex without '#' ('5c4033'), for material names a person can read: the exporter's
    (asset_export/material_names.py), so the scene's names match the GLB's."""
    return ae.material_names.colour_hex(rgba)


def _image(name: str, pixels: np.ndarray, colour_space: str) -> bpy.types.Image:
    """A packed Blender image of (S, S) grey or (S, S, 3) RGB uint8 rows top-down as glTF reads them
    (Blender's images run bottom-up, hence the flip)."""
    size = pixels.shape[0]
    image = bpy.data.images.new(name, size, size, alpha=False)
    image.colorspace_settings.name = colour_space  # first: setting it afterwards clears the pixels
    rgb = pixels[::-1].astype(np.float32) / 255.0
    rgb = np.repeat(rgb[..., None], 3, axis=2) if rgb.ndim == 2 else rgb
    image.pixels.foreach_set(np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,), np.float32)], axis=2).ravel())
    image.pack()  # saved inside the .blend
    return image


def mapped_material(base: bpy.types.Material, name: str, occlusion: np.ndarray | None,
                    colour: np.ndarray | None) -> bpy.types.Material:
    """A copy of `base` showing the asset's maps as an engine shows the GLB's: the colour map (Match
    Image's Paint, sRGB) as the base colour, else the base colour; times the baked occlusion map, if any.
    occlusion: (S, S) uint8; colour: (S, S, 3) uint8; rows top-down as glTF reads them."""
    mat = base.copy()
    mat.name = name
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = next((n for n in nodes if n.type == "BSDF_PRINCIPLED"), None)
    if bsdf is None:
        return mat
    albedo = None
    if colour is not None:
        tex = nodes.new("ShaderNodeTexImage")
        tex.image = _image(f"{name}_colour", colour, "sRGB")
        albedo = tex.outputs["Color"]
    if occlusion is not None:
        tex = nodes.new("ShaderNodeTexImage")
        tex.image = _image(f"{name}_occlusion", occlusion, "Non-Color")
        tint = nodes.new("ShaderNodeVectorMath")
        tint.operation = "MULTIPLY"
        links.new(tex.outputs["Color"], tint.inputs[0])
        if albedo is not None:
            links.new(albedo, tint.inputs[1])
        else:
            tint.inputs[1].default_value = tuple(bsdf.inputs["Base Color"].default_value)[:3]
        albedo = tint.outputs[0]
    if albedo is not None:
        links.new(albedo, bsdf.inputs["Base Color"])
    return mat


class Placer:
    """Lays assets side by side along +X as they arrive, in one collection; given the scene, in a row behind (+Y)
    its earlier IG-GAN assets. Every asset gets `mat`, or with a
    palette (linear RGBA colours, as ExportSettings.palette) the colour of its place in the batch, dealt in
    order as `generate --palette` deals them, one material per colour."""

    def __init__(self, collection: bpy.types.Collection, mat: bpy.types.Material, collision_style: str | None,
                 palette=None, scene: bpy.types.Scene | None = None):
        self.collection, self.material, self.style = collection, mat, collision_style
        # a row of its own behind the scene's earlier assets (+Y), not on top of the last batch at the origin
        self.row_edge = assets_back_y(scene) if scene is not None else None
        self.palette = [tuple(c) for c in palette] if palette else None
        self._palette_materials: dict[tuple, bpy.types.Material] = {}
        self._frame_materials: dict[str, bpy.types.Material] = {}
        self.cursor = 0.0
        self.objects: list[bpy.types.Object] = []

    def _material_at(self, index: int) -> bpy.types.Material:
        """The material of the index-th asset of the batch."""
        if not self.palette:
            return self.material
        colour = self.palette[index % len(self.palette)]
        if colour not in self._palette_materials:
            self._palette_materials[colour] = material(f"{self.material.name}_{colour_hex(colour)}", colour,
                                                       self.material.roughness)
        return self._palette_materials[colour]

    def _frame_material(self, frame: str | None) -> bpy.types.Material | None:
        """The material of --frame's finish (one per finish, shared by the batch), or None."""
        if frame is None:
            return None
        if frame not in self._frame_materials:
            colour, roughness, metallic = ae.palettes.frame_finish(frame, self.material.roughness)
            self._frame_materials[frame] = material(f"IGGAN_frame_{frame.lstrip('#')}", colour, roughness, metallic)
        return self._frame_materials[frame]

    def _object(self, name: str, mesh, base: bpy.types.Material, occlusion: np.ndarray | None = None,
                colour: np.ndarray | None = None, frame_faces: np.ndarray | None = None,
                frame: bpy.types.Material | None = None) -> bpy.types.Object:
        """An object of `mesh` in `base`; with frame_faces (F,) bool, those faces in the second slot, `frame`."""
        me = make_mesh(name, mesh)
        me.materials.append(base if occlusion is None and colour is None else
                            mapped_material(base, f"{name}_surface", occlusion, colour))
        if frame is not None and frame_faces is not None and frame_faces.any():
            me.materials.append(frame if occlusion is None else
                                mapped_material(frame, f"{name}_frame", occlusion, None))
            me.polygons.foreach_set("material_index", np.asarray(frame_faces, np.int32))
        obj = bpy.data.objects.new(name, me)
        self.collection.objects.link(obj)
        return obj

    def add(self, made, settings: dict) -> bpy.types.Object:
        asset = made.asset
        width = float(asset.report["size_m"][0])
        x = self.cursor + width / 2 if self.objects else 0.0
        self.cursor = x + width / 2 + GAP_M
        maps = asset.occlusion or [None] * len(asset.lods)
        colours = asset.colour or [None] * len(asset.lods)
        base = self._material_at(len(self.objects))
        frame = self._frame_material(settings.get("frame"))
        frames = asset.frame or [None] * len(asset.lods)
        root = self._object(made.name, asset.lods[0], base, maps[0], colours[0], frames[0], frame)
        depth = float(asset.report["size_m"][2])  # glTF's z extent is Blender's y
        root.location = (x, 0.0 if self.row_edge is None else self.row_edge + GAP_M + depth / 2, 0.0)
        for k, lod in enumerate(asset.lods[1:], start=1):
            child = self._object(f"{made.name}_LOD{k}", lod, base, maps[k], colours[k], frames[k], frame)
            child.parent = root
            child.hide_set(True)
            child.hide_render = True
        hulls = asset.collision or []
        for k, mesh in enumerate(hulls):
            hull = self._object(ae.collision_node_name(made.name, self.style or "godot", k, len(hulls)), mesh, base)
            hull.parent = root
            hull.display_type = "WIRE"
            hull.hide_render = True
        places = asset.seats or []
        for k, place in enumerate(places):  # sitting places: empties whose -Y (glTF's +Z once exported) faces forward
            anchor = bpy.data.objects.new(ae.seat_node_name(made.name, k, len(places)), None)
            anchor.empty_display_type, anchor.empty_display_size = "ARROWS", 0.15
            self.collection.objects.link(anchor)
            anchor.parent = root
            anchor.location = tuple(y_up_to_z_up(np.asarray(place.position, np.float64)[None])[0])
            if place.facing is not None:  # turn -Y to the facing: the glTF yaw, about Blender's +Z
                anchor.rotation_euler = (0.0, 0.0, float(np.arctan2(place.facing[0], place.facing[2])))
        root["iggan_grid"] = pack_grid(made.grid)
        root["iggan_name"] = made.name
        root["iggan_base_color"] = list(base.diffuse_color)  # linear RGBA: Export Selected writes this colour
        root["iggan_frame"] = settings.get("frame") or "none"  # and this frame finish
        for key, value in made.extras.items():
            if isinstance(value, (int, float, str)):
                root[f"iggan_{key}"] = value
        root["iggan_triangles"] = int(asset.report["triangles"][0])
        self.objects.append(root)
        return root


def new_collection(scene: bpy.types.Scene, name: str) -> bpy.types.Collection:
    coll = bpy.data.collections.new(name)
    scene.collection.children.link(coll)
    return coll


def assets_back_y(scene: bpy.types.Scene) -> float | None:
    """The largest world y of the scene's IG-GAN meshes (their back), or None when it has none."""
    from mathutils import Vector
    ys = [(o.matrix_world @ Vector(c)).y for o in scene.objects if o.type == "MESH" and asset_root(o) is not None
          for c in o.bound_box]
    return max(ys) if ys else None


def asset_root(obj: bpy.types.Object | None) -> bpy.types.Object | None:
    """The generated asset an object belongs to (itself, or the parent of a LOD / hull)."""
    while obj is not None:
        if "iggan_grid" in obj:
            return obj
        obj = obj.parent
    return None
