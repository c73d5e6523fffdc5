"""Stage 7 (optional): a convex collision hull, or several (a convex decomposition), and the node names
engines look for."""
from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull

from .errors import ExportError
from .mesh import MeshData
from .surface import signed_volume

STYLES = ("godot", "unreal")


def _hull(points: np.ndarray) -> MeshData:
    hull = ConvexHull(points.astype(np.float64))
    used = np.unique(hull.simplices)
    remap = np.full(len(points), -1, np.int64)
    remap[used] = np.arange(len(used))
    verts = points[used].astype(np.float32)
    faces = remap[hull.simplices]
    # qhull's simplices are unordered; orient each triangle along its outward facet normal
    a, b, c = (points[hull.simplices[:, k]] for k in range(3))
    flip = np.einsum("ij,ij->i", np.cross(b - a, c - a), hull.equations[:, :3]) < 0
    faces[flip] = faces[flip][:, ::-1]
    return MeshData(verts, np.ascontiguousarray(faces, dtype=np.uint32))


def convex_hull(mesh: MeshData, max_vertices: int = 255) -> MeshData:
    """Convex hull of a mesh's vertices, with at most max_vertices vertices (PhysX, and so Unreal
    and Unity, cook convex hulls of up to 255 vertices). A bigger hull is decimated and re-hulled,
    which keeps it convex and closed and moves its surface inward by a hair."""
    try:
        hull = _hull(mesh.vertices)
    except Exception as exc:  # qhull: flat or degenerate point sets
        raise ExportError(f"no convex hull: {exc}") from exc
    if len(hull.vertices) > max_vertices:
        # a closed triangle mesh has F = 2V - 4 triangles
        target = max(8, 2 * max_vertices - 4)
        import fast_simplification  # here, not at the top: training imports the package without it
        v, _ = fast_simplification.simplify(hull.vertices.astype(np.float64), hull.faces.astype(np.int32),
                                            target_count=target)
        hull = _hull(np.asarray(v, np.float32))
        while len(hull.vertices) > max_vertices:  # rare: decimation overshoot
            keep = np.linspace(0, len(hull.vertices) - 1, max_vertices).astype(int)
            hull = _hull(hull.vertices[keep])
    if signed_volume(hull.vertices, hull.faces) <= 0:
        raise ExportError("convex hull is flat")
    return hull


# V-HACD voxelises the mesh at about this many voxels: 20,000 (~27^3 over a chair's box) fits its legs
# as tightly as 100,000 (parts' volume 1.58x the mesh's against 1.55x) in a third of the time
VHACD_RESOLUTION = 20_000


def convex_parts(mesh: MeshData, max_parts: int = 1, max_vertices: int = 255) -> list[MeshData]:
    """Collision hulls of a mesh: its one convex hull (max_parts 1), or an approximate convex
    decomposition into at most max_parts hulls by V-HACD (vhacdx, through trimesh), so the space
    between a chair's legs stays free. Each part is hulled again by convex_hull, so every hull is
    closed, outward-facing and within max_vertices; slivers that give no hull are dropped."""
    if max_parts == 1:
        return [convex_hull(mesh, max_vertices)]
    try:
        import trimesh.decomposition
        import vhacdx  # noqa: F401  (trimesh imports it only when called)
    except ImportError as exc:
        raise ExportError("a convex decomposition (more than one collision hull) needs the vhacdx package: "
                          "pip install vhacdx, or ask for one hull") from exc
    tm = trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)
    # asyncACD off: one thread, so the same mesh always gives the same hulls
    found = trimesh.decomposition.convex_decomposition(tm, maxConvexHulls=max_parts, resolution=VHACD_RESOLUTION,
                                                       asyncACD=False)
    parts = [np.asarray(part["vertices"], np.float32) for part in found]
    hulls = []
    for points in _grounded(parts, mesh.vertices):
        try:
            hulls.append(convex_hull(MeshData(points, np.zeros((0, 3), np.uint32)), max_vertices))
        except ExportError:  # a flat sliver
            continue
    if not hulls:
        raise ExportError("the convex decomposition gave no solid part; ask for one collision hull")
    return hulls


# V-HACD's parts sit up to a couple of centimetres inside the surface, so a foot's part can stop millimetres above the
# floor its foot stands on, and the parts then rest tilted: on 50 bundled chairs at 8 parts, one rocked 4.8 degrees
# and another 2 degrees, though every mesh stood upright. A floor contact (a vertex within FLOOR_CONTACT of the
# height of the lowest one) joins the part nearest to it, if that part comes within FLOOR_REACH of it.
FLOOR_CONTACT = 0.002  # of the mesh's height
FLOOR_REACH = 0.03  # of the mesh's height


def _grounded(parts: list[np.ndarray], vertices: np.ndarray) -> list[np.ndarray]:
    """The decomposition's parts ((P_i, 3) points each), each with the mesh's floor contacts nearest it added, so
    the parts stand on the floor wherever the mesh does. The added points are the mesh's own vertices, so a part
    stays within the mesh's convex hull."""
    height = float(np.ptp(vertices[:, 1])) or 1.0
    contacts = vertices[vertices[:, 1] <= vertices[:, 1].min() + FLOOR_CONTACT * height].astype(np.float64)
    outside = []  # (C,) how far each contact lies outside each part (0 inside), per part
    for points in parts:
        try:
            planes = ConvexHull(points.astype(np.float64)).equations
        except Exception:  # noqa: BLE001  (qhull: a flat part, which convex_hull drops anyway)
            outside.append(np.full(len(contacts), np.inf))
            continue
        outside.append(np.maximum(contacts @ planes[:, :3].T + planes[:, 3], 0.0).max(axis=1))
    if not parts or not len(contacts):
        return parts
    outside = np.stack(outside)
    nearest = np.argmin(outside, axis=0)
    reached = outside[nearest, np.arange(len(contacts))] <= FLOOR_REACH * height
    return [np.concatenate([points, contacts[reached & (nearest == k)].astype(np.float32)])
            for k, points in enumerate(parts)]


def collision_node_name(asset_name: str, style: str, index: int = 0, count: int = 1,
                        render_mesh: str | None = None) -> str:
    """Name of hull `index` of `count`. Godot's importer turns a node named '<x>-convcolonly' into a
    static body with a convex collision shape (no visible mesh), one per node. Unreal pairs each
    'UCX_<mesh name>_NN' with the static mesh built from the node named '<mesh name>' (the FBX importer looks the
    hulls up by the name of the node that holds the mesh; Interchange, FBX or glTF, by the mesh node's name, a LOD
    group's first child's): `render_mesh`, the LOD0 node `<asset>_LOD0` when the asset has LODs, since the asset's
    own node is then an empty that makes no static mesh. Defaults to the asset's name (one LOD)."""
    if style == "godot":
        return f"{asset_name}-convcolonly" if count == 1 else f"{asset_name}_hull{index}-convcolonly"
    if style == "unreal":
        return f"UCX_{render_mesh or asset_name}_{index:02d}"
    raise ValueError(f"collision style must be one of {STYLES}, got {style!r}")
