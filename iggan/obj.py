"""GLB -> Wavefront OBJ + MTL, for tools that read nothing newer: sculpting and paint programs (ZBrush, Substance
Painter, Mudbox), slicers and old pipelines. No extra dependency: trimesh writes it.

OBJ holds meshes, normals, UVs and a colour per material, and nothing of what makes the GLB game-ready beyond
that: no LOD switching, no collision flags, no occlusion maps. So an OBJ holds each asset's LOD0 only, as one
object named after the asset (`o chair_3_s0`), in metres, +Y up, placed as the GLB places it, and its material
(`matte`: the base colour as glTF stores it, and the roughness) in a `.mtl` beside it; options whose results OBJ cannot hold (--lods
above 1, --collision, --ao, match --texture) are refused before any work (check_obj_contents). Both files are
written to temporary files and renamed when whole.

    convert_to_obj([(Path("tmp.glb"), Path("chairs.obj"))])   # chairs.obj + chairs.mtl
"""
from __future__ import annotations

import re
from pathlib import Path

from .asset_export.atomic import atomic_write
from .asset_export.material_names import is_frame_material
from .glb_inputs import ConversionError


LOD_NAME = re.compile(r"^(?P<base>.+)_LOD(?P<level>\d+)$")  # an asset's LOD nodes; with one LOD, the asset's name


class ObjError(ConversionError):
    """An OBJ conversion that cannot go ahead or failed; the message says what to do."""


def mtl_path(obj: Path) -> Path:
    """The material library written beside an OBJ: chairs.obj -> chairs.mtl."""
    return Path(obj).with_suffix(".mtl")


def check_obj_contents(lods: int = 1, collision: str | None = None, ao: bool = False, texture: bool = False) -> None:
    """Raise ObjError naming the options whose results an OBJ file cannot hold."""
    refused = [flag for flag, asked in (("--lods above 1", lods and lods > 1), ("--collision", collision),
                                        ("--ao", ao), ("--texture", texture)) if asked]
    if refused:
        listed = " and ".join([", ".join(refused[:-1]), refused[-1]] if len(refused) > 1 else refused)
        raise ObjError(f"an .obj holds each asset's LOD0 mesh and colour only, so {listed} cannot go "
                       "into it: drop them, or write a .glb, which keeps LODs, collision hulls and maps (an .fbx keeps LODs "
                       "and hulls, not the --ao map)")


def matte(pbr):
    """glTF's PBR material (metallic 0) as MTL terms that importers read back as the same matte surface: Kd the
    base colour, no ambient term (Ka 0: an old fixed-function light a PBR surface does not have), Ks 0.5
    (Blender's dielectric default) and Ns from the roughness as Blender's importer inverts it (roughness =
    1 - sqrt(Ns / 1000)). trimesh's own conversion writes Ka / Ks 0.4 and Ns 1 (roughness 0.97)."""
    from trimesh.visual.material import SimpleMaterial

    from .asset_export.settings import ExportSettings

    rough = getattr(pbr, "roughnessFactor", None)
    rough = ExportSettings.roughness if rough is None else float(rough)
    return SimpleMaterial(name=getattr(pbr, "name", None), diffuse=getattr(pbr, "baseColorFactor", None),
                          ambient=[0, 0, 0, 255], specular=[128, 128, 128, 255],
                          glossiness=1000.0 * (1.0 - rough) ** 2)


def obj_text(glb: Path, mtl_name: str) -> tuple[str, bytes]:
    """(OBJ text, MTL bytes) of a GLB written by this package: each asset's LOD0 node (`<name>_LOD0`, or `<name>`
    when it has one LOD) with its material, named `<name>`. A mesh of several primitives (`--frame`: the body, then
    the frame) stays one object whose faces switch material (`usemtl`); a metallic material gets MTL's PBR
    metallic term (`Pm`), which Blender's importer reads."""
    import trimesh

    try:
        scene = trimesh.load(str(glb), force="scene", process=False)
    except Exception as exc:  # noqa: BLE001  (trimesh raises many types for a malformed file)
        raise ObjError(f"cannot read {glb}: {exc}") from exc
    parents = {child: parent for parent, child in scene.graph.transforms.edge_data}
    names = _node_names(glb)
    by_asset: dict[str, list] = {}
    metallic: dict[str, float] = {}
    for node in scene.graph.nodes_geometry:
        transform, geometry = scene.graph[node]
        # trimesh reads each primitive of a mesh of several as a child node of the glTF node
        owner = node if node in names or parents.get(node) not in names else parents[node]
        lod = LOD_NAME.match(owner)
        if lod and lod["level"] != "0":
            continue
        mesh = scene.geometry[geometry].copy(include_cache=True)  # the cache holds the GLB's normals
        mesh.apply_transform(transform)
        pbr = mesh.visual.material
        if float(getattr(pbr, "metallicFactor", 0.0) or 0.0) > 0.0:
            metallic[str(pbr.name)] = float(pbr.metallicFactor)
        mesh.visual.material = matte(pbr)
        by_asset.setdefault(lod["base"] if lod else owner, []).append(mesh)
    if not by_asset:
        raise ObjError(f"{glb} has no meshes to write")
    named = _placed_scene()
    extra_objects = []
    for name in sorted(by_asset):
        # the body first, then the frame (material `*_frame_<finish>`)
        parts = sorted(by_asset[name], key=lambda m: is_frame_material(m.visual.material.name))
        for k, mesh in enumerate(parts):
            geom_name = name if k == 0 else f"{name}__part{k}"
            extra_objects += [geom_name] if k else []
            named.add_geometry(mesh, geom_name=geom_name, node_name=geom_name)
    text, files = trimesh.exchange.obj.export_obj(named, include_normals=True, include_color=True,
                                                  include_texture=True, return_texture=True, mtl_name=mtl_name,
                                                  header="written by iggan-assets: metres, +Y up, LOD0 only")
    extra = sorted(set(files) - {mtl_name})
    if extra:  # a colour map; check_obj_contents refuses what would make one
        raise ObjError(f"{glb} has texture maps ({', '.join(extra)}), which this OBJ export does not write")
    # a later primitive's faces join the object before them: OBJ's vertex indices are global, so dropping its
    # `o` line leaves one object whose faces switch material at its `usemtl`
    dropped = {f"o {n}" for n in extra_objects}
    text = "\n".join(line for line in text.split("\n") if line not in dropped)
    return _shared_positions(text), _with_metallic(files[mtl_name], metallic)


def _shared_positions(text: str) -> str:
    """OBJ text in which each object writes a position once. The GLB keeps copies of a vertex (same position and
    normal) where its UV seams and a frame's border cut the surface; trimesh writes them as `v` lines of their own,
    and importers (Blender, ZBrush, slicers) then see the closed surface open along every seam (a `--uv` chair:
    1,702 open edges in Blender). OBJ indexes positions, UVs and normals apart, so the copies' faces share one `v`
    and keep their own `vt` and `vn`. Vertices at one position with different normals (where a voxel surface's parts
    touch at an edge) stay apart, as the GLB keeps them."""
    lines = text.split("\n")
    positions = [line for line in lines if line.startswith("v ")]
    normals = [line for line in lines if line.startswith("vn ")]
    if len(normals) != len(positions):  # trimesh writes a normal per vertex; without them copies cannot be told
        return text
    first: dict[tuple, int] = {}
    new_index: list[int] = []
    out, obj, k = [], None, 0
    for line in lines:
        if line.startswith("o "):
            obj = line
        elif line.startswith("v "):
            key = (obj, line, normals[k])
            k += 1
            if key in first:
                new_index.append(first[key])
                continue
            first[key] = len(first) + 1
            new_index.append(first[key])
        elif line.startswith("f "):
            corners = [c.split("/") for c in line.split()[1:]]
            line = "f " + " ".join("/".join([str(new_index[int(c[0]) - 1]), *c[1:]]) for c in corners)
        out.append(line)
    return "\n".join(out)


def _placed_scene():
    """An empty trimesh.Scene whose dump() (what export_obj writes) hands over its meshes as they are. Scene.dump
    copies each mesh without its cache, which holds the GLB's normals, and trimesh then writes normals of its own:
    angle-weighted rather than the GLB's area-weighted ones, and different on each copy of a vertex at a UV seam or
    a frame's border, a crease along every seam. The meshes added to it must already be placed."""
    import trimesh

    class Placed(trimesh.Scene):
        def dump(self, concatenate: bool = False):
            meshes = []
            for node in self.graph.nodes_geometry:
                name = self.graph[node][1]
                self.geometry[name].metadata["name"] = name  # export_obj's `o` line
                meshes.append(self.geometry[name])
            return meshes

    return Placed()


def _node_names(glb: Path) -> set[str]:
    """The glTF node names of a GLB written by this package."""
    from .asset_export.glb_file import read_glb

    try:
        doc, _ = read_glb(Path(glb).read_bytes(), "convert it to OBJ")
    except Exception as exc:  # noqa: BLE001  (an ExportError or OSError, said the same way)
        raise ObjError(f"cannot read {glb}: {exc}") from exc
    return {node.get("name", "") for node in doc.get("nodes", [])}


def _with_metallic(mtl: bytes, metallic: dict[str, float]) -> bytes:
    """MTL bytes with `Pm <metallic>` after each named metallic material's `newmtl` line."""
    if not metallic:
        return mtl
    lines = []
    for line in mtl.decode().split("\n"):
        lines.append(line)
        if line.startswith("newmtl ") and line[7:].strip() in metallic:
            lines.append(f"Pm {metallic[line[7:].strip()]:.8f}")
    return "\n".join(lines).encode()


def convert_to_obj(pairs: list[tuple[Path, Path]]) -> None:
    """Write each (glb, obj) pair as the OBJ and its MTL beside it. Raises ObjError naming every file that failed
    (the others are still written)."""
    failed = []
    for glb, obj in pairs:
        obj = Path(obj)
        try:
            text, mtl = obj_text(Path(glb), mtl_path(obj).name)
            atomic_write(mtl_path(obj), mtl, overwrite=True)  # the caller checked both paths before any work
            atomic_write(obj, text.encode(), overwrite=True)
        except ObjError as exc:
            failed.append(f"{glb}: {exc}")
    if failed:
        raise ObjError("could not convert " + "; ".join(failed))
