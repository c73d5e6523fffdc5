"""GLB -> USDZ, for Apple's AR Quick Look and Reality Composer, NVIDIA Omniverse and Unreal's USD stage,
written with Pixar's own USD library (`usd-core`, module `pxr`); no Blender needed.

What the GLB means is kept in USD's own terms rather than as extra meshes a viewer would draw on top of
each other:
- an asset's `<name>_LOD<k>` nodes become one mesh prim `<name>/<name>` with a variant set `LOD` on the
  asset (variants `LOD0`, `LOD1`, ...; `LOD0` selected), so a USD viewer shows one chair, not all its LODs
  at once;
- collision hulls (Unreal's `UCX_<name>_NN`, Godot's `<name>-convcolonly`) become meshes with purpose
  `guide` (not rendered) and UsdPhysics' CollisionAPI with a convex-hull approximation;
- materials become UsdPreviewSurface (base colour, roughness, metallic, opacity) with `match --texture`'s
  colour map and the `--ao` occlusion map as UsdUVTextures; UVs become the `st` primvar, vertex normals
  `normals`;
- a mesh of several primitives (`--frame`: the body, then the frame in its own material) becomes one mesh with
  a GeomSubset per primitive, each bound to its material;
- the stage is +Y up in metres (ARKit's convention, the GLB's own), and each asset's extras (model, seed,
  latent index) are kept as its customData `iggan`.

Each USDZ is packaged in a temporary file beside its target and renamed over it when whole, so an existing
file is either kept or replaced whole.

    pairs = plan_usdz([Path("chairs.glb")], out_dir=None, overwrite=False)   # [(chairs.glb, chairs.usdz)]
    results = convert_to_usdz(pairs)                                         # [{"usdz": ..., "meshes": ...}]
"""
from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import glb_inputs
from .asset_export.material_names import is_frame_material
from .glb_inputs import ConversionError

LOD_NAME = re.compile(r"^(?P<base>.+)_LOD(?P<level>\d+)$")


class UsdzError(ConversionError):
    """A USDZ conversion that cannot go ahead or failed; the message says what to do."""


def _pxr():
    """The USD modules, or a UsdzError that says how to install them."""
    try:
        from pxr import Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt
    except ImportError as exc:
        raise UsdzError("USD export needs Pixar's USD library: `.venv/bin/pip install usd-core` "
                        "(scripts/setup.sh installs it)") from exc
    return Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt


def require_usd() -> None:
    """Raise UsdzError, saying how to install it, unless Pixar's USD library imports."""
    _pxr()


def is_collision_name(name: str) -> bool:
    """Whether a GLB node is a collision hull by the engines' naming (Unreal `UCX_`, Godot `-col...`)."""
    return name.startswith("UCX_") or name.endswith(("-convcolonly", "-colonly", "-convcol", "-col"))


def plan_usdz(inputs: list[Path], out_dir: Path | None, overwrite: bool) -> list[tuple[Path, Path]]:
    """(glb, usdz) pairs, checked before any work (glb_inputs.plan_outputs); raises UsdzError."""
    return glb_inputs.plan_outputs(inputs, out_dir, overwrite, ".usdz", UsdzError)


def convert_to_usdz(pairs: list[tuple[Path, Path]]) -> list[dict]:
    """Write each (glb, usdz) pair. Returns per pair write_usdz's dict; raises UsdzError naming every file that failed (the others are still written)."""
    _pxr()
    results, failed = [], []
    for glb, usdz in pairs:
        try:
            results.append(write_usdz(Path(glb), Path(usdz)))
        except UsdzError as exc:
            failed.append(f"{glb}: {exc}")
    if failed:
        raise UsdzError("could not convert " + "; ".join(failed))
    return results


@dataclass(eq=False)  # identity: nodes hold arrays
class _Node:
    """One GLB node: its name, matrix relative to its parent (4x4, column vectors), mesh, children and, for a mesh
    of several primitives, each one's geometry (`parts`, the body first; else [geometry])."""
    name: str
    matrix: np.ndarray
    geometry: str | None = None
    extras: dict = field(default_factory=dict)
    children: list["_Node"] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)


def _read_glb(glb: Path):
    """(trimesh scene, root nodes) of a GLB; UVs come with v flipped to USD's bottom-left origin."""
    import trimesh

    try:
        scene = trimesh.load(str(glb), force="scene", process=False)
    except Exception as exc:  # noqa: BLE001  (trimesh raises many types for a malformed file)
        why = str(exc) or (f"{type(exc).__name__} in trimesh's glTF reader: its data does not match what its JSON "
                           "describes")
        raise UsdzError(f"cannot read it as glTF ({why}); make it again with `generate`") from exc
    graph = scene.graph.transforms
    nodes: dict[str, _Node] = {}
    for (parent, child), data in graph.edge_data.items():
        nodes[child] = _Node(child, np.asarray(data.get("matrix", np.eye(4)), np.float64), data.get("geometry"),
                             dict(data.get("metadata") or {}))
    order = _node_order(glb)
    roots = []
    for (parent, child) in sorted(graph.edge_data, key=lambda e: order.get(e[1], len(order))):
        node = nodes[child]
        if node.geometry:
            node.parts.append(node.geometry)
        if parent != scene.graph.base_frame and child not in order and node.geometry and parent in order:
            # trimesh reads each primitive of a mesh of several as a child node of its own: fold it back
            nodes[parent].parts.append(node.geometry)
            continue
        (roots if parent == scene.graph.base_frame else nodes[parent].children).append(node)
    for node in nodes.values():  # the body first, a `--frame` primitive (material `*_frame_<finish>`) after it
        node.parts.sort(key=lambda g: is_frame_material(
            getattr(getattr(scene.geometry[g].visual, "material", None), "name", "")))
        node.geometry = node.geometry or (node.parts[0] if node.parts else None)
    if not any(n.geometry for n in nodes.values()):
        raise UsdzError("it holds no meshes; make it again with `generate`")
    return scene, roots


def _node_order(glb: Path) -> dict[str, int]:
    """Node name -> its index in the GLB's JSON chunk, so assets keep the order `generate` wrote them in
    (trimesh's graph does not keep it)."""
    import json
    import struct

    if Path(glb).suffix.lower() == ".gltf":
        document = json.loads(Path(glb).read_text(encoding="utf-8"))
    else:
        with open(glb, "rb") as fh:
            fh.seek(12)
            length, kind = struct.unpack("<II", fh.read(8))
            document = json.loads(fh.read(length)) if kind == 0x4E4F534A else {}  # "JSON"
    return {node.get("name", ""): i for i, node in enumerate(document.get("nodes", []))}


def write_usdz(glb: Path, usdz: Path) -> dict:
    """Convert one GLB to one USDZ at `usdz` (atomically). Returns {"glb", "usdz", "assets", "meshes":
    {drawn mesh prim path (with `{LOD=k}` for a variant): triangles}, "collisions": {hull path: triangles}}."""
    Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt = _pxr()
    scene, roots = _read_glb(glb)
    tmp_usdz = glb_inputs.temporary_beside(usdz)
    with tempfile.TemporaryDirectory(prefix="iggan_usdz_") as work:
        layer = Path(work) / f"{Tf.MakeValidIdentifier(usdz.stem)}.usdc"
        stage = Usd.Stage.CreateNew(str(layer))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        root = UsdGeom.Xform.Define(stage, Sdf.Path("/" + Tf.MakeValidIdentifier(usdz.stem)))
        stage.SetDefaultPrim(root.GetPrim())
        Usd.ModelAPI(root.GetPrim()).SetKind(Kind.Tokens.assembly if len(roots) > 1 else Kind.Tokens.component)
        writer = _StageWriter(stage, scene, Path(work), root.GetPath())
        for node in roots:
            prim = writer.node(root.GetPath(), node)
            if len(roots) > 1:
                Usd.ModelAPI(prim).SetKind(Kind.Tokens.component)
        stage.GetRootLayer().Save()
        try:
            # USD's own zip writer (uncompressed, 64-byte aligned), the root layer first as USDZ requires;
            # the textures keep the relative names the layer gives them.
            with Sdf.ZipFileWriter.CreateNew(str(tmp_usdz)) as package:
                package.AddFile(str(layer), layer.name)
                for texture in sorted(Path(work).glob("*.png")):
                    package.AddFile(str(texture), texture.name)
            os.replace(tmp_usdz, usdz)
        except OSError as exc:
            raise UsdzError(f"cannot write {usdz} ({exc.strerror or exc})") from exc
        finally:
            tmp_usdz.unlink(missing_ok=True)
    return {"glb": str(glb), "usdz": str(usdz), "assets": len(roots), "meshes": writer.meshes,
            "collisions": writer.collisions}


class _StageWriter:
    """Writes GLB nodes under a USD stage, sharing one Material per GLB material."""

    def __init__(self, stage, scene, work: Path, root_path):
        self.stage, self.scene, self.work = stage, scene, work
        self.looks = root_path.AppendChild("Looks")
        self.materials: dict[int, object] = {}
        self.images: dict[bytes, str] = {}  # PNG bytes -> the packed file that holds them
        self.meshes: dict[str, int] = {}  # drawn mesh prim path (`{LOD=k}` for a variant) -> triangles
        self.collisions: dict[str, int] = {}  # hull prim path -> triangles

    def node(self, parent_path, node: _Node):
        """Define `node` as an Xform under parent_path (its LOD children as one variant-set mesh, its
        collision children as guide meshes with physics collision) and return its prim."""
        Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt = _pxr()
        path = self._unique(parent_path.AppendChild(Tf.MakeValidIdentifier(node.name)))
        xform = UsdGeom.Xform.Define(self.stage, path)
        if np.allclose(node.matrix[:3, :3], np.eye(3)):
            if not np.allclose(node.matrix[:3, 3], 0.0):  # a plain offset, as `generate` lays assets out
                xform.AddTranslateOp().Set(Gf.Vec3d(*node.matrix[:3, 3].tolist()))
        else:
            xform.AddTransformOp().Set(Gf.Matrix4d(node.matrix.T.tolist()))  # USD: row vectors
        prim = xform.GetPrim()
        if node.extras:
            prim.SetCustomDataByKey("iggan", {str(k): v for k, v in node.extras.items()
                                              if isinstance(v, (str, int, float, bool))})
        lods = {}
        for child in node.children:
            match = LOD_NAME.match(child.name)
            if match and child.geometry and not child.children and np.allclose(child.matrix, np.eye(4)):
                lods[int(match["level"])] = child
        # The mesh prim carries the asset's name (Blender's importer folds an Xform with one mesh into an
        # object named after the mesh); every LOD variant defines the same prim, so its path is stable.
        mesh_path = path.AppendChild(path.name)
        if node.geometry:
            body = mesh_path if not lods else path.AppendChild(f"{path.name}_body")
            self.mesh(body, node.parts, self.meshes, str(body))
        if lods:
            variants = prim.GetVariantSets().AddVariantSet("LOD")
            for level in sorted(lods):
                variants.AddVariant(f"LOD{level}")
                variants.SetVariantSelection(f"LOD{level}")
                with variants.GetVariantEditContext():
                    self.mesh(mesh_path, lods[level].parts, self.meshes, f"{mesh_path}{{LOD={level}}}")
            variants.SetVariantSelection(f"LOD{min(lods)}")
        for child in node.children:
            if child in lods.values():
                continue
            if is_collision_name(child.name) and child.geometry and not child.children:
                self.collision(path, child)
            else:
                self.node(path, child)
        return prim

    def _unique(self, path):
        name, k = path.name, 1
        while self.stage.GetPrimAtPath(path):
            path = path.GetParentPath().AppendChild(f"{name}_{k}")
            k += 1
        return path

    def mesh(self, path, geometries, tally: dict[str, int], key: str, drawn: bool = True):
        """A UsdGeom.Mesh of GLB geometry `geometries` (one name, or a list: a mesh's primitives, joined with a
        GeomSubset each bound to its material) at `path` (triangles, st, extent; a drawn mesh also its vertex
        normals and material), its triangles counted in tally[key]."""
        Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt = _pxr()
        parts = [self.scene.geometry[g] for g in ([geometries] if isinstance(geometries, str) else geometries)]
        tri = parts[0] if len(parts) == 1 else _joined(parts)
        mesh = UsdGeom.Mesh.Define(self.stage, path)
        points = np.asarray(tri.vertices, np.float32)
        mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
        mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(tri.faces), 3, np.int32)))
        mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(tri.faces, np.int32).ravel()))
        mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)  # polygons as they are, not a subdivision cage
        mesh.CreateOrientationAttr(UsdGeom.Tokens.rightHanded)  # glTF's counter-clockwise front faces
        mesh.CreateDoubleSidedAttr(False)
        if len(points):
            mesh.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*points.min(0).tolist()), Gf.Vec3f(*points.max(0).tolist())]))
        if drawn:  # a drawn mesh keeps the GLB's normals; a hull has none to keep
            mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.asarray(tri.vertex_normals, np.float32)))
            mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
        uv = getattr(tri.visual, "uv", None)
        if uv is not None and len(uv) == len(points):
            st = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar("st", Sdf.ValueTypeNames.TexCoord2fArray,
                                                        UsdGeom.Tokens.vertex)
            st.Set(Vt.Vec2fArray.FromNumpy(np.asarray(uv, np.float32)))
        material = getattr(parts[0].visual, "material", None)
        colour = _base_colour(material)
        mesh.CreateDisplayColorAttr(Vt.Vec3fArray([Gf.Vec3f(*colour[:3])]))
        if drawn and material is not None:
            binding = UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim())
            if len(parts) == 1:
                binding.Bind(self.material(material))
            else:  # each primitive's faces, in order, as a subset bound to its material
                binding.SetMaterialBindSubsetsFamilyType(UsdGeom.Tokens.partition)
                start = 0
                for k, part in enumerate(parts):
                    faces = Vt.IntArray.FromNumpy(np.arange(start, start + len(part.faces), dtype=np.int32))
                    subset = binding.CreateMaterialBindSubset(f"part{k}", faces, UsdGeom.Tokens.face)
                    UsdShade.MaterialBindingAPI.Apply(subset.GetPrim()).Bind(
                        self.material(getattr(part.visual, "material", None)))
                    start += len(part.faces)
        tally[key] = int(len(tri.faces))
        return mesh

    def collision(self, parent_path, node: _Node) -> None:
        """A collision hull: a mesh with purpose guide (never drawn) and a convex-hull physics collider."""
        Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt = _pxr()
        path = self._unique(parent_path.AppendChild(Tf.MakeValidIdentifier(node.name)))
        mesh = self.mesh(path, node.geometry, self.collisions, str(path), drawn=False)
        mesh.CreatePurposeAttr(UsdGeom.Tokens.guide)
        UsdPhysics.CollisionAPI.Apply(mesh.GetPrim())
        UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr(UsdPhysics.Tokens.convexHull)

    def material(self, material):
        """One UsdPreviewSurface Material per GLB material (by identity), named as the GLB names it (made a valid,
        unique prim name), so an artist finds `chair_3_s0_LOD0_surface_e7e7e7` in Omniverse or Blender, not
        `Material_7`."""
        Gf, Kind, Sdf, Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, Vt = _pxr()
        if id(material) in self.materials:
            return self.materials[id(material)]
        given = str(getattr(material, "name", None) or "")
        path = self._unique(self.looks.AppendChild(Tf.MakeValidIdentifier(given) if given else "Material"))
        name = path.name
        look = UsdShade.Material.Define(self.stage, path)
        surface = UsdShade.Shader.Define(self.stage, look.GetPath().AppendChild("PreviewSurface"))
        surface.CreateIdAttr("UsdPreviewSurface")
        colour = _base_colour(material)
        surface.CreateInput("opacity", Sdf.ValueTypeNames.Float).Set(float(colour[3]))
        surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(_factor(material, "roughnessFactor", 1.0))
        surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(_factor(material, "metallicFactor", 0.0))
        reader = None

        def texture(image, role: str, colour_space: str):
            """A UsdUVTexture of `image` (a PIL image packed beside the layer) reading the st primvar."""
            nonlocal reader
            # beside the layer: the package keeps the path as is. A `--frame` mesh's body and frame materials
            # share one occlusion map in the GLB: pack it once
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            if buffer.getvalue() not in self.images:
                self.images[buffer.getvalue()] = f"{name}_{role}.png"
                (self.work / self.images[buffer.getvalue()]).write_bytes(buffer.getvalue())
            png = self.work / self.images[buffer.getvalue()]
            if reader is None:
                reader = UsdShade.Shader.Define(self.stage, look.GetPath().AppendChild("stReader"))
                reader.CreateIdAttr("UsdPrimvarReader_float2")
                reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
            shader = UsdShade.Shader.Define(self.stage, look.GetPath().AppendChild(f"{role.capitalize()}Texture"))
            shader.CreateIdAttr("UsdUVTexture")
            shader.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(png.name)
            shader.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(colour_space)
            shader.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
                reader.CreateOutput("result", Sdf.ValueTypeNames.Float2))
            return shader

        colour_map = getattr(material, "baseColorTexture", None)
        if colour_map is not None:  # glTF multiplies map and factor; a map is written with a white factor
            shader = texture(colour_map.convert("RGB"), "colour", "sRGB")
            shader.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(*colour[:3], 1.0))
            surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(
                shader.CreateOutput("rgb", Sdf.ValueTypeNames.Float3))
        else:
            surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*colour[:3]))
        occlusion = getattr(material, "occlusionTexture", None)
        if occlusion is not None:
            shader = texture(occlusion, "occlusion", "raw")  # data, not colour
            surface.CreateInput("occlusion", Sdf.ValueTypeNames.Float).ConnectToSource(
                shader.CreateOutput("r", Sdf.ValueTypeNames.Float))  # glTF keeps occlusion in red
        look.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
        self.materials[id(material)] = look
        return look


def _joined(parts):
    """One trimesh of several primitives' meshes, in order: their vertices, normals and UVs (when all have them)
    joined, faces renumbered."""
    import trimesh
    from trimesh.visual import TextureVisuals

    offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
    joined = trimesh.Trimesh(np.concatenate([p.vertices for p in parts]),
                             np.concatenate([np.asarray(p.faces) + o for p, o in zip(parts, offsets)]),
                             vertex_normals=np.concatenate([p.vertex_normals for p in parts]), process=False)
    uvs = [getattr(p.visual, "uv", None) for p in parts]
    if all(uv is not None and len(uv) == len(p.vertices) for uv, p in zip(uvs, parts)):
        joined.visual = TextureVisuals(uv=np.concatenate(uvs))
    return joined


def _base_colour(material) -> np.ndarray:
    """RGBA in 0..1 (trimesh gives glTF's base colour factor as uint8 0..255)."""
    factor = getattr(material, "baseColorFactor", None)
    if factor is None:
        return np.array([0.8, 0.8, 0.8, 1.0])
    factor = np.asarray(factor)
    return factor.astype(np.float64) / 255.0 if factor.dtype.kind in "ui" else factor.astype(np.float64)


def _factor(material, name: str, default: float) -> float:
    value = getattr(material, name, None)
    return float(default if value is None else value)
