"""README pictures of the Blender extension, made headless with PyPI bpy (no window, so no screenshot):

  iggan-assets blender build-extension --out build/ext
  BLENDER_USER_RESOURCES=$(mktemp -d) .venv-blender/bin/python scripts/blender_pictures.py build/ext/iggan_assets-*.zip docs/images

1. docs/images/blender_panel.png: the sidebar panel's layout, recorded from IGGAN_PT_panel.draw()
   by a fake `layout` that notes every row/column/box/prop/operator/label/progress call, then drawn
   with Pillow in Blender's dark-theme colours. Not a screenshot: widths and fonts are approximate.
2. docs/images/blender_scene.png: iggan.generate in a scene (chairs and sofas), rendered with EEVEE.
3. with a PHOTO argument, docs/images/blender_match.png: the photo beside what iggan.match_image(count=2)
   brought in, each rendered with EEVEE from the view the match found:

  PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/chair_photo.py 812 --out build/photo.png
  BLENDER_USER_RESOURCES=$(mktemp -d) .venv-blender/bin/python scripts/blender_pictures.py build/ext/iggan_assets-*.zip docs/images build/photo.png

4. with `paint` after PHOTO, docs/images/blender_paint.png instead: the same with the panel's Paint ticked, e.g. for
   PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/mesh_photo.py ../shared/data/kenney-furniture/chairModernCushion.glb --out build/cushion.png"""
import math
import sys

import bpy

zip_path, out_dir = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
pkg = "bl_ext.user_default.iggan_assets"
from importlib import import_module  # noqa: E402

from PIL import Image, ImageDraw, ImageFont  # noqa: E402  (the extension's bundled pillow wheel)

jobs, panel_mod = import_module(pkg + ".jobs"), import_module(pkg + ".panel")

# ---------------------------------------------------------------- generate assets (also used by 1.)
scene = bpy.context.scene
s = scene.iggan
s.model = "chairs"
s.colours = "PALETTE"  # the furniture palette: woods, paints and fabrics dealt to each batch
s.frame = "WOOD"  # the legs and bases in dark wood, a second material slot
bpy.ops.iggan.generate(count=4, seed=7)
chairs = [o for o in scene.objects if "iggan_grid" in o]
s.model = "sofas"
bpy.ops.iggan.generate(count=2, seed=3)
sofas = [o for o in scene.objects if "iggan_grid" in o and o not in chairs]
for o in sofas:  # a row behind the chairs, clear of them whatever their depth (sized by height, sofas run long)
    o.location.y += 0.6 + o.dimensions.y / 2
    o.location.x += 0.4
s.model = "chairs"
bpy.context.view_layer.objects.active = chairs[1]


# ---------------------------------------------------------------- 1. the panel layout
class Rec:
    def __init__(self, kind="column", parent=None, align=False):
        self.kind, self.items, self.alert, self.enabled, self.align = kind, [], False, True, align
        self.parent = parent
        self.scale_y = 1.0

    def _add(self, item):
        self.items.append(item)
        return item

    def row(self, align=False, **_):
        return self._add(Rec("row", self, align))

    def column(self, align=False, **_):
        return self._add(Rec("column", self, align))

    def box(self):
        return self._add(Rec("box", self))

    def split(self, **_):
        return self._add(Rec("row", self))

    def separator(self, **_):
        self._add(("sep",))

    def label(self, text="", icon="NONE"):
        self._add(("label", text, icon, self.alert))

    def prop(self, data, name, text=None, icon="NONE", slider=False, **_):
        rna = data.bl_rna.properties[name]
        value = getattr(data, name)
        if rna.type == "ENUM":
            value = next((i.name for i in rna.enum_items if i.identifier == value), str(value))
        elif rna.type == "FLOAT" and getattr(rna, "array_length", 0):
            value = tuple(round(v, 2) for v in value)
        elif rna.type == "FLOAT":
            value = f"{value:.2f}" + (" m" if rna.unit == "LENGTH" else "")
        self._add(("prop", rna.name if text is None else text, str(value), rna.type, slider))

    def operator(self, idname, text=None, icon="NONE", **_):
        mod, name = idname.split(".")
        label = text if text is not None else getattr(getattr(bpy.ops, mod), name).get_rna_type().name
        node, enabled = self, True  # a disabled column greys everything inside it, as in Blender
        while node is not None:
            enabled, node = enabled and node.enabled, node.parent
        self._add(("op", label, icon, enabled))
        return type("Props", (), {})()

    def progress(self, factor=0.0, type="BAR", text=""):
        self._add(("progress", factor, text))


class FakeJob:  # the panel while a Generate runs: 2 of 3 done
    running, done, total, message, fraction = True, 2, 3, "chair_1_s7", 2 / 3


root = Rec()
jobs.CURRENT = FakeJob()
try:
    panel_mod.IGGAN_PT_panel.draw(type("P", (), {"layout": root})(), bpy.context)
finally:
    jobs.CURRENT = None

W, PAD, H_ROW = 340, 10, 26
BG, PANEL, FIELD, TEXT, DIM, BLUE, BTN, ALERT = ((48, 48, 48), (61, 61, 61), (84, 84, 84), (230, 230, 230),
                                                (160, 160, 160), (71, 114, 179), (88, 88, 88), (160, 60, 60))
try:
    FONT = ImageFont.truetype("DejaVuSans.ttf", 13)
except OSError:
    FONT = ImageFont.load_default()
ICON = {"IMAGE_REFERENCE": "▣", "FILE_REFRESH": "⟳", "PLAY": "▶", "MOD_ARRAY": "▤", "EXPORT": "⇪", "CANCEL": "✕", "ERROR": "!",
        "CHECKMARK": "✓", "MESH_DATA": "△", "OBJECT_DATA": "◆"}


def height(node):
    if isinstance(node, tuple):
        return 8 if node[0] == "sep" else H_ROW
    if node.kind == "row":
        return max([height(i) for i in node.items] or [0])
    inner = sum(height(i) for i in node.items)
    return inner + (2 * PAD if node.kind == "box" else 0)


def draw(d, node, x, y, w):
    if isinstance(node, tuple):
        kind = node[0]
        r = (x, y + 2, x + w, y + H_ROW - 3)
        if kind == "label":
            icon = ICON.get(node[2], "")
            d.text((x + 4, y + 5), (icon + "  " if icon else "") + node[1], fill=(255, 140, 140) if node[3] else TEXT,
                   font=FONT)
        elif kind == "prop":
            _, name, value, typ, slider = node
            if typ == "STRING" and not name:
                d.rounded_rectangle(r, 4, fill=FIELD)
                d.text((x + 8, y + 5), "//chairs.safetensors", fill=DIM, font=FONT)
            elif typ == "BOOLEAN":  # Blender draws a checkbox, the name to its right
                box = (x + 6, y + 5, x + 6 + H_ROW - 11, y + H_ROW - 6)
                d.rounded_rectangle(box, 3, fill=BLUE if value == "True" else FIELD)
                if value == "True":
                    d.line([(box[0] + 3, (box[1] + box[3]) / 2), ((box[0] + box[2]) / 2 - 1, box[3] - 3),
                            (box[2] - 3, box[1] + 3)], fill=TEXT, width=2)
                d.text((box[2] + 8, y + 5), name, fill=TEXT, font=FONT)
            elif typ == "ENUM":
                d.text((x + 4, y + 5), name, fill=TEXT, font=FONT)
                rr = (x + w * 0.38, y + 2, x + w, y + H_ROW - 3)
                d.rounded_rectangle(rr, 4, fill=FIELD)
                d.text((rr[0] + 8, y + 5), value + "  ▾", fill=TEXT, font=FONT)
            elif value.startswith("("):
                d.text((x + 4, y + 5), name, fill=TEXT, font=FONT)
                d.rounded_rectangle((x + w * 0.38, y + 2, x + w, y + H_ROW - 3), 4, fill=(204, 204, 204))
            else:
                d.rounded_rectangle(r, 4, fill=FIELD)
                if slider:
                    d.rounded_rectangle((x, y + 2, x + w * float(value.split()[0]), y + H_ROW - 3), 4, fill=BLUE)
                d.text((x + 10, y + 5), name, fill=TEXT, font=FONT)
                tw = d.textlength(value, font=FONT)
                d.text((x + w - tw - 10, y + 5), value, fill=TEXT, font=FONT)
        elif kind == "op":
            d.rounded_rectangle(r, 4, fill=BTN if node[3] else (70, 70, 70))
            label = (ICON.get(node[2], "") + "  " + node[1]).strip()
            tw = d.textlength(label, font=FONT)
            d.text((x + (w - tw) / 2, y + 5), label, fill=TEXT if node[3] else DIM, font=FONT)
        elif kind == "progress":
            d.rounded_rectangle(r, 4, fill=FIELD)
            d.rounded_rectangle((x, y + 2, x + w * node[1], y + H_ROW - 3), 4, fill=BLUE)
            d.text((x + 10, y + 5), node[2], fill=TEXT, font=FONT)
        return
    if node.kind == "box":
        d.rounded_rectangle((x, y + 2, x + w, y + height(node) - 2), 6, outline=(40, 40, 40), fill=(56, 56, 56))
        x, y, w = x + PAD, y + PAD, w - 2 * PAD
    if node.kind == "row":
        # an icon-only operator (text="") takes a square; the rest share the width
        fixed = [i for i in node.items if isinstance(i, tuple) and i[0] == "op" and not i[1]]
        flex = len(node.items) - len(fixed)
        fw = (w - H_ROW * len(fixed) - 4 * (len(node.items) - 1)) / max(1, flex)
        cx = x
        for i in node.items:
            iw = H_ROW if i in fixed else fw
            draw(d, i, cx, y, iw)
            cx += iw + 4
        return
    for i in node.items:
        draw(d, i, x, y, w)
        y += height(i)


h = height(root) + 2 * PAD + 34
img = Image.new("RGB", (W + 40, h + 20), BG)
d = ImageDraw.Draw(img)
d.rectangle((10, 10, W + 30, h + 10), fill=PANEL)
d.text((22, 18), "▾  IG-GAN Assets", fill=TEXT, font=FONT)
d.text((W - 30, 18), "IG-GAN", fill=DIM, font=FONT)
draw(d, root, 10 + PAD, 44, W - 2 * PAD + 20)
img.save(f"{out_dir}/blender_panel.png")
print("panel", img.size)

# ---------------------------------------------------------------- 2. the scene, rendered
sc = bpy.context.scene
for engine in ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):
    try:
        sc.render.engine = engine
        break
    except TypeError:
        pass
sc.eevee.taa_render_samples = 16
sc.render.resolution_x, sc.render.resolution_y = 960, 480
sc.view_settings.view_transform = "AgX" if "AgX" in [i.identifier for i in
                                                      sc.view_settings.bl_rna.properties["view_transform"].enum_items] \
    else "Standard"
world = bpy.data.worlds.new("sky")
sc.world = world
if world.node_tree is None:
    world.use_nodes = True
bg = next(n for n in world.node_tree.nodes if n.type == "BACKGROUND")
bg.inputs["Color"].default_value = (0.35, 0.4, 0.5, 1)
bg.inputs["Strength"].default_value = 0.6
bpy.ops.mesh.primitive_plane_add(size=20, location=(1.5, 0.5, 0))
floor = bpy.context.active_object
fm = bpy.data.materials.new("floor")
if fm.node_tree is None:
    fm.use_nodes = True
next(n for n in fm.node_tree.nodes if n.type == "BSDF_PRINCIPLED").inputs["Base Color"].default_value = (0.5, 0.45, 0.4, 1)
floor.data.materials.append(fm)
# the assets keep the palette colours Generate dealt them
sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
sun.data.energy = 3.0
sun.rotation_euler = (math.radians(50), math.radians(10), math.radians(30))
sc.collection.objects.link(sun)
cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
sc.collection.objects.link(cam)
sc.camera = cam
cam.data.lens = 40
xs = [o.location.x for o in chairs + sofas]
cx = (min(xs) + max(xs)) / 2
cam.location = (cx, -4.2, 2.1)
cam.rotation_euler = (math.radians(68), 0, 0)
sc.render.filepath = f"{out_dir}/blender_scene.png"
bpy.ops.render.render(write_still=True)
print("scene rendered", [o.name for o in chairs + sofas])

# ---------------------------------------------------------------- 3. Match Image, rendered from the found views
if len(sys.argv) > 3:
    photo_path = sys.argv[3]
    paint = len(sys.argv) > 4 and sys.argv[4] == "paint"  # Paint ticked: docs/images/blender_paint.png
    sc.iggan.match_texture = paint
    for o in chairs + sofas:
        o.hide_render = True
    bpy.ops.iggan.match_image(filepath=photo_path, count=2)
    matched = [o for o in sc.objects if "iggan_match_iou" in o]
    sc.render.resolution_x = sc.render.resolution_y = 384
    tiles = []
    for o in matched:
        for other in matched:
            other.hide_render = other is not o
        if not paint:  # a painted match's base colour comes from its colour map
            o.data.materials[0].node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.75, 0.55, 0.35, 1)
        # the model's camera at azimuth a, elevation e looks from (sin a cos e, sin e, cos a cos e) in its +Y-up
        # frame, which is (sin a cos e, -cos a cos e, sin e) in Blender's +Z-up one
        a, e = math.radians(o["iggan_view_azimuth_deg"]), math.radians(o["iggan_view_elevation_deg"])
        centre = o.matrix_world @ (sum((v.co for v in o.data.vertices), o.data.vertices[0].co * 0) / len(o.data.vertices))
        direction = (math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e))
        dist = 2.6 * max(o.dimensions)
        cam.location = tuple(c + dist * d for c, d in zip(centre, direction))
        cam.rotation_euler = (math.pi / 2 - e, 0, a)  # a Blender camera looks down its -Z
        cam.data.lens = 50
        sc.render.filepath = f"{out_dir}/_match_{o.name}.png"
        bpy.ops.render.render(write_still=True)
        tiles.append((Image.open(sc.render.filepath).convert("RGB"), o))
    photo = Image.open(photo_path).convert("RGBA")
    side = 384
    sheet = Image.new("RGB", (side * (1 + len(tiles)), side + 28), BG)
    back = Image.new("RGBA", photo.size, (255, 255, 255, 255))
    sheet.paste(Image.alpha_composite(back, photo).convert("RGB").resize((side, side)), (0, 28))
    d = ImageDraw.Draw(sheet)
    d.text((8, 6), "photo (the reference image)", fill=TEXT, font=FONT)
    import os
    for k, (tile, o) in enumerate(tiles):
        sheet.paste(tile.resize((side, side)), (side * (k + 1), 28))
        d.text((side * (k + 1) + 8, 6), f"{o.name}: IoU {o['iggan_match_iou']:.2f}, seen from "
               f"{o['iggan_view_azimuth_deg']:.0f} deg", fill=TEXT, font=FONT)
        os.remove(f"{out_dir}/_match_{o.name}.png")
    sheet.save(f"{out_dir}/blender_paint.png" if paint else f"{out_dir}/blender_match.png")
    print("match", [(o.name, o["iggan_match_iou"], o["iggan_view_azimuth_deg"]) for o in matched])
