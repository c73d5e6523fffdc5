"""The optional photo texture of `match --texture`: the photo's own colours painted onto the matched shape.

A match knows the view from which the shape fits the photo's outline (iggan/matching.py), so every point
of the shape's surface has a place in the photo. Per texel of each LOD's UV atlas:
1. project its surface point into the photo: the camera of the match's view gives a pixel of the traced
   silhouette, and the two framings (the silhouette's and the photo mask's bounding boxes, as matching
   compares them) carry that pixel into the photo;
2. it is *seen* when its normal faces the camera, no voxel lies between it and the camera, and it lands
   inside the photo's object mask, shrunk a little so the backdrop at the outline does not bleed in;
   a seen texel takes the photo's colour there (with several photos of one object, from the photo
   that faces it most squarely);
3. every texel no photo sees (the far side, an undercut, a part the photo's outline lacks) takes the
   colour of its mirror point where the shape is mirror-symmetric and that point is seen (the hidden
   side of a chair from its seen side), else of the nearest seen surface point in 3D that faces the same
   way, else, on a thin part, of its seen opposite face (the back of a chair's back rest from its front),
   else of the nearest point already coloured that faces the same way, or failing that the nearest at all.
The photo's lighting comes with its colours; what it cannot show is guessed, as the shape itself is.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from .colour_space import linear_to_srgb, srgb_to_linear
from .mesh import MeshData
from .occlusion import fill_gutter, texel_samples
from .silhouette import camera_rotations, ray_voxel_matrix, silhouettes
from .surface import voxel_index_coords

TEXTURE_SIZE = 512  # colour map of LOD0, halved per LOD down to 64
TRACE_SIZE = 128  # px at which matching frames a silhouette (iggan.matching: 2 x REFINE_SIZE)
MIN_FACING = 0.15  # cosine between normal and the direction to the camera below which a texel is not seen
SHRINK = 0.02  # the photo's mask is eroded by this share of the object's longer side
LIFT_VOXELS = 0.75  # visibility rays start this far out along the normal (the smoothed surface is within half a voxel)
STEP_VOXELS = 0.5
NEIGHBOURS = 32  # seen points searched for one facing the same way as a hidden one
THIN_VOXELS = 3.0  # a part at most this thick lends a hidden face the colour of its seen opposite face
DELIGHT_CLASSES = 4  # flat albedo colours the delighting fit allows
DELIGHT_SAME_COLOUR = 0.03  # linear chromaticities closer than this are one albedo colour
DELIGHT_OUTLIER = 1.5  # a seen point this many times darker or brighter than the fitted light is not trusted
# A highlight adds white: its chromaticity lies between a colour's and grey, further toward grey the brighter it
# is. A paler material (pink beside red) lies there too, but at one place whatever its shading.
HIGHLIGHT_LINE = 0.01  # chromaticity within this of the line from a colour to grey
HIGHLIGHT_CORRELATION = 0.6  # correlation of the way toward grey with log luminance within a class
MIRROR_IOU = 0.6  # a shape at least this symmetric (IoU with its reflection) lends seen colours to hidden mirror points


@dataclass
class PhotoView:
    """A photo and the view from which the matched shape fits it.

    rgb (H, W, 3) float in [0, 1] and mask (H, W) in [0, 1] as matching masked it (photos.object_mask,
    holes kept open); azimuth, elevation in radians; the camera of the model (fov_deg, distance)."""

    rgb: np.ndarray
    mask: np.ndarray
    azimuth: float
    elevation: float
    fov_deg: float
    distance: float
    delight: bool = False  # divide out the photo's lighting, fitted over the normals it sees (delight())


def _rotation(azimuth: float, elevation: float) -> np.ndarray:
    """Camera-to-world rotation (3, 3) of a view (radians), the tracer's."""
    return camera_rotations(np.array([azimuth]), np.array([elevation]))[0].astype(np.float64)


def project(points: np.ndarray, view: PhotoView, size: int) -> tuple[np.ndarray, np.ndarray]:
    """World points (N, 3) in the grid's cube [-0.5, 0.5]^3 -> (x, y) (N,) pixel coordinates of an image of
    `size` px from the view, pixel edges at integers (row 0 at the top), as the tracer's rays run."""
    rot = _rotation(view.azimuth, view.elevation)
    cam = (np.asarray(points, np.float64) - rot[:, 2] * view.distance) @ rot  # camera frame, looking down -z
    half = math.tan(math.radians(view.fov_deg) / 2)
    depth = np.maximum(-cam[:, 2], 1e-9)
    x = (cam[:, 0] / depth / half + 1) / 2 * size
    y = (1 - cam[:, 1] / depth / half) / 2 * size
    return x, y


def _box(mask: np.ndarray) -> tuple[float, float, float]:
    """(centre x, centre y, longer side) of the pixels > 0.5, in pixel-edge coordinates."""
    ys, xs = np.nonzero(mask > 0.5)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return (x0 + x1) / 2, (y0 + y1) / 2, float(max(x1 - x0, y1 - y0))


def silhouette(matched: np.ndarray, view: PhotoView, size: int = TRACE_SIZE) -> np.ndarray:
    """The matched binary grid (R, R, R) seen from the view: (size, size) bool, the matcher's exact rays."""
    matrix = ray_voxel_matrix(np.array([view.azimuth], np.float32), np.array([view.elevation], np.float32),
                              matched.shape[0], size, fov_deg=view.fov_deg, distance=view.distance)
    return silhouettes(matrix, np.asarray(matched, bool)[None], size)[0, 0]


@dataclass
class Framing:
    """Where a photo's pixels lie for the matched shape, as matching compared them: the traced
    silhouette's box (centre, longer side) at TRACE_SIZE px, the photo mask's box, and the mask eroded by
    SHRINK of the object's size (so the backdrop at the outline does not bleed in)."""

    silhouette_centre: tuple[float, float]
    silhouette_side: float
    photo_centre: tuple[float, float]
    photo_side: float
    inside: np.ndarray  # (H, W) bool

    @classmethod
    def of(cls, view: PhotoView, matched: np.ndarray) -> "Framing | None":
        """matched: the (R, R, R) bool grid whose outline was fitted; None when the silhouette or the
        photo's mask is empty (nothing lines up)."""
        sil = silhouette(matched, view)
        if not sil.any() or not (view.mask > 0.5).any():
            return None
        sx, sy, s_side = _box(sil)
        px, py, p_side = _box(view.mask)
        inside = ndimage.binary_erosion(view.mask > 0.5, iterations=max(1, round(SHRINK * p_side)))
        return cls((sx, sy), s_side, (px, py), p_side, inside)


def photo_colours(points: np.ndarray, normals: np.ndarray, solid: np.ndarray, view: PhotoView,
                  framing: Framing | None) -> tuple[np.ndarray, np.ndarray]:
    """Colours of surface points from one photo: (rgb (N, 3), facing (N,)), facing 0 where the photo does
    not see the point. points (N, 3) in the grid's cube, unit normals (N, 3); solid (X, Y, Z) bool, the
    exported shape (for visibility); framing: Framing.of(view, matched grid)."""
    n = len(points)
    rgb, facing = np.zeros((n, 3)), np.zeros(n)
    if n == 0 or framing is None:
        return rgb, facing
    (sx, sy), (px, py) = framing.silhouette_centre, framing.photo_centre
    x, y = project(points, view, TRACE_SIZE)
    scale = framing.photo_side / framing.silhouette_side
    u, v = px + (x - sx) * scale, py + (y - sy) * scale  # photo pixel-edge coordinates
    rot = _rotation(view.azimuth, view.elevation)
    to_camera = rot[:, 2] * view.distance - points
    to_camera /= np.linalg.norm(to_camera, axis=1, keepdims=True)
    cosine = np.einsum("nd,nd->n", normals, to_camera)
    on_photo = ndimage.map_coordinates(framing.inside.astype(np.float32), [v - 0.5, u - 0.5], order=0, cval=0.0) > 0.5
    seen = (cosine > MIN_FACING) & on_photo
    seen[seen] = _unblocked(points[seen], normals[seen], to_camera[seen], solid)
    for c in range(3):
        rgb[:, c] = ndimage.map_coordinates(view.rgb[..., c], [v - 0.5, u - 0.5], order=1, mode="nearest")
    facing[seen] = cosine[seen]
    return rgb, facing


def _unblocked(points: np.ndarray, normals: np.ndarray, directions: np.ndarray, solid: np.ndarray,
               chunk: int = 8192) -> np.ndarray:
    """Whether the ray from each point (lifted along its normal) towards the camera leaves the grid
    without entering a solid voxel: (N,) bool. Points and directions in the grid's cube."""
    res = float(max(solid.shape))
    padded = np.pad(np.asarray(solid, bool), 1)
    dims = np.asarray(padded.shape)
    steps = np.arange(1, int(2 * res / STEP_VOXELS) + 1) * STEP_VOXELS  # voxels: past any grid
    out = np.empty(len(points), bool)
    for start in range(0, len(points), chunk):
        p = voxel_index_coords(points[start:start + chunk], solid.shape) + LIFT_VOXELS * normals[start:start + chunk]
        d = directions[start:start + chunk]
        samples = p[:, None] + steps[None, :, None] * d[:, None] + 1.5  # +1 padding, +0.5 nearest voxel
        cell = np.clip(np.floor(samples).astype(np.int64), 0, dims - 1)
        out[start:start + chunk] = ~padded[cell[..., 0], cell[..., 1], cell[..., 2]].any(axis=1)
    return out


def bake_photo_textures(lods: list[MeshData], solid: np.ndarray, to_cube, views: list[PhotoView],
                        matched: np.ndarray) -> list[np.ndarray]:
    """One (S, S, 3) uint8 sRGB colour map per LOD over its UVs (S from texture_sizes), rows top-down as
    glTF reads them.

    to_cube maps (N, 3) mesh coordinates (metres) to the grid's cube [-0.5, 0.5]^3; solid is the exported
    (X, Y, Z) bool grid, matched the (R, R, R) bool grid whose outline was fitted to the photos. What
    depends only on the photos and the shape (their framings, the mirror plane) is found once for all LODs."""
    framings = [Framing.of(view, matched) for view in views]
    mirror = _mirror_plane(solid)
    return [_bake(mesh, size, solid, to_cube, views, framings, mirror)
            for mesh, size in zip(lods, texture_sizes(len(lods)))]


def _bake(mesh: MeshData, size: int, solid: np.ndarray, to_cube, views: list[PhotoView],
          framings: list[Framing | None], mirror) -> np.ndarray:
    """One LOD's colour map: seen texels from the photo facing them most squarely, hidden ones from
    _unseen_colours, texels outside every chart from the nearest covered one (fill_gutter)."""
    rows, cols, points, normals = texel_samples(mesh, size)
    image = np.zeros((size, size, 3))
    if len(rows):
        cube = to_cube(points)
        best_rgb, best = np.zeros((len(cube), 3)), np.zeros(len(cube))
        for view, framing in zip(views, framings):
            rgb, facing = photo_colours(cube, normals, solid, view, framing)
            if view.delight:
                rgb, lit_as_fitted = delight(rgb, normals, facing > 0)
                facing = np.where(lit_as_fitted, facing, 0.0)  # a shadow or highlight: filled as if unseen
            better = facing > best
            best_rgb[better], best[better] = rgb[better], facing[better]
        seen = best > 0
        if seen.any() and not seen.all():
            best_rgb[~seen] = _unseen_colours(cube, normals, seen, best_rgb, solid, mirror)
        elif not seen.any():  # nothing lines up (a degenerate match): the photo object's mean colour
            view = views[0]
            weight = view.mask > 0.5
            best_rgb[:] = view.rgb[weight].mean(axis=0) if weight.any() else 0.8
        image[rows, cols] = best_rgb
        image = fill_gutter(image, rows, cols)
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def _unseen_colours(cube: np.ndarray, normals: np.ndarray, seen: np.ndarray, rgb: np.ndarray,
                    solid: np.ndarray, mirror: tuple[int, float] | None) -> np.ndarray:
    """Colours for the texels no photo sees, (U, 3): where the shape is mirror-symmetric there, the colour
    of the mirrored point (a chair's hidden left side from its seen right side); elsewhere that of the
    nearest seen surface point that faces the same way (a hidden seat top from the seen seat top rather than
    the back rest above it), else on a thin part that of its seen opposite face (_through_colours), else that
    of the nearest point already coloured that faces the same way (_nearest_facing_alike)."""
    tree = cKDTree(cube[seen])
    todo = np.flatnonzero(~seen)
    out = np.zeros((len(todo), 3))
    if mirror is not None:  # _mirror_plane(solid)
        dim, centre = mirror
        point, normal = cube[todo].copy(), normals[todo].copy()
        point[:, dim], normal[:, dim] = 2 * centre - point[:, dim], -normal[:, dim]
        distance, j = tree.query(point)
        partner = np.einsum("nd,nd->n", normal, normals[seen][j])
        ok = (distance < 1.0 / max(solid.shape)) & (partner > 0.5)  # a seen surface within a voxel, facing alike
        out[ok] = rgb[seen][j[ok]]
        rest = ~ok
    else:
        rest = np.ones(len(todo), bool)
    if rest.any():  # the nearest seen point that faces the same way, among the nearest NEIGHBOURS
        picked, alike = _nearest_alike(tree, cube[todo[rest]], normals[todo[rest]], normals[seen], rgb[seen])
        out[rest] = picked
        left = np.flatnonzero(rest)[~alike]
        if len(left):  # no seen point nearby faces its way: the other face of a thin part, if seen
            behind, ok = _through_colours(cube[todo[left]], normals[todo[left]], tree, normals[seen], rgb[seen],
                                          solid)
            out[left[ok]] = behind[ok]
            last = left[~ok]
            if len(last):  # else the nearest point already coloured (seen or filled) that faces the same way,
                # which carries a thin part's back on down where the part meets a thick one
                done = np.ones(len(todo), bool)
                done[last] = False
                have = np.concatenate([np.flatnonzero(seen), todo[done]])
                colours = np.concatenate([rgb[seen], out[done]])
                out[last] = _nearest_facing_alike(cube[have], normals[have], colours, cube[todo[last]],
                                                  normals[todo[last]])
    return out


def _facing(normals: np.ndarray) -> np.ndarray:
    """(N,) 0..5: which way a normal mostly faces (its largest component's axis, times 2, plus 1 if positive)."""
    axis = np.abs(normals).argmax(axis=1)
    return 2 * axis + (normals[np.arange(len(normals)), axis] > 0)


def _nearest_facing_alike(points: np.ndarray, normals: np.ndarray, colours: np.ndarray, queries: np.ndarray,
                          query_normals: np.ndarray) -> np.ndarray:
    """(Q, 3): per query the colour of the nearest of `points` that faces the same way (_facing), at any
    distance; of the nearest at all where none does."""
    out = colours[cKDTree(points).query(queries)[1]]
    facing, query_facing = _facing(normals), _facing(query_normals)
    for f in np.unique(query_facing):
        mine, theirs = query_facing == f, facing == f
        if theirs.any():
            out[mine] = colours[theirs][cKDTree(points[theirs]).query(queries[mine])[1]]
    return out


def _nearest_alike(tree: cKDTree, points: np.ndarray, normals: np.ndarray, tree_normals: np.ndarray,
                   tree_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colours (N, 3), alike (N,) bool): per point the colour of the nearest of the tree's points, among its
    NEIGHBOURS nearest, whose normal is within 60 degrees of the point's; where none is, the nearest's."""
    k = min(NEIGHBOURS, tree.n)
    _, j = tree.query(points, k=k)
    j = j.reshape(len(j), k)
    alike = np.einsum("nd,nkd->nk", normals, tree_normals[j]) > 0.5
    pick = np.where(alike.any(axis=1), alike.argmax(axis=1), 0)
    return tree_rgb[j[np.arange(len(j)), pick]], alike.any(axis=1)


def _through_colours(points: np.ndarray, normals: np.ndarray, tree: cKDTree, seen_normals: np.ndarray,
                     seen_rgb: np.ndarray, solid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For hidden points, the colour of the opposite face of the part they lie on when it is at most
    THIN_VOXELS thick there and seen (the back of a chair's back rest from its front): (colours (N, 3),
    found (N,) bool). From each point a ray goes in along -normal through solid voxels; where it leaves
    them, the nearest seen point within a voxel and facing the other way lends its colour."""
    res = max(solid.shape)
    padded = np.pad(np.asarray(solid, bool), 1)
    dims = np.asarray(padded.shape)
    depth = np.arange(1, int(THIN_VOXELS / STEP_VOXELS) + 2) * STEP_VOXELS  # voxels, one step past the limit
    inside = voxel_index_coords(points, solid.shape)[:, None] - depth[None, :, None] * normals[:, None]
    cell = np.clip(np.floor(inside + 1.5).astype(np.int64), 0, dims - 1)  # +1 padding, +0.5 nearest voxel
    solid_along = padded[cell[..., 0], cell[..., 1], cell[..., 2]]  # (N, D)
    # out again after having been in: the first empty sample past a solid one, within the limit
    entered = np.maximum.accumulate(solid_along, axis=1)
    left = entered & ~solid_along
    left[:, -1] = False
    found = left.any(axis=1)
    exit_depth = depth[left.argmax(axis=1)] - STEP_VOXELS / 2  # about where the far face is
    far = points - (exit_depth / res)[:, None] * normals
    distance, j = tree.query(far)
    facing_back = np.einsum("nd,nd->n", normals, seen_normals[j]) < -0.85  # not a fillet where parts meet
    ok = found & (distance < 1.0 / res) & facing_back
    return seen_rgb[j], ok


def _mirror_plane(solid: np.ndarray) -> tuple[int, float] | None:
    """(axis, plane position in the grid's cube) of the x or z plane the shape is most symmetric about,
    or None when it is not symmetric enough (IoU with its reflection below MIRROR_IOU)."""
    from .symmetry import MIRROR_AXES, best_mirror_plane

    best = None
    for dim in MIRROR_AXES.values():
        found = best_mirror_plane(np.asarray(solid, np.float32), dim)
        if found is not None and found[1] >= MIRROR_IOU and (best is None or found[1] > best[2]):
            best = (dim, found[0], found[1])
    if best is None:
        return None
    dim, twice_index, _ = best
    res = max(solid.shape)  # voxel index -> cube coordinate, as surface.voxel_index_coords inverts it
    return dim, (twice_index / 2 + 0.5) / res - 0.5 * solid.shape[dim] / res


def _sh9(n: np.ndarray) -> np.ndarray:
    """The 9 real spherical harmonics up to order 2 at unit normals (N, 3): (N, 9). Lambertian shading
    under distant lights is within a few percent of a linear combination of them (Ramamoorthi and
    Hanrahan 2001)."""
    x, y, z = n[:, 0], n[:, 1], n[:, 2]
    return np.stack([np.ones_like(x), x, y, z, x * y, y * z, x * z, x * x - y * y, 3 * z * z - 1], axis=1)


def delight(rgb: np.ndarray, normals: np.ndarray, seen: np.ndarray,
            iterations: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The photo's lighting divided out of the colours of the seen points: (N, 3) sRGB -> ((N, 3) sRGB,
    (N,) bool lit as fitted).

    Shading is one function of the surface normal (9 spherical harmonics: distant lights and ambient, no
    shadows) and albedo a few flat colours (k-means on linear chromaticity); the two are fitted in turn to
    the seen points' linear luminance. Each colour is divided by its shading, normalised so that the
    median seen point keeps its brightness. A seen point whose luminance is off the fit by more than a
    factor DELIGHT_OUTLIER (a cast shadow) or in a class of highlights on another colour (_highlights, which
    the fit leaves out) is not lit as fitted: the caller fills it as unseen.
    Unseen points come back as they were, and lit as fitted."""
    out = np.array(rgb, dtype=np.float64, copy=True)
    fitted = np.ones(len(out), bool)
    if seen.sum() < 50:
        return out, fitted
    from scipy.cluster.vq import kmeans2

    linear = srgb_to_linear(out[seen])
    lum = linear @ np.array([0.2126, 0.7152, 0.0722]) + 1e-4
    chroma = linear / np.maximum(linear.sum(axis=1, keepdims=True), 1e-4)
    k = int(min(DELIGHT_CLASSES, max(1, seen.sum() // 200)))
    with warnings.catch_warnings():  # a one-colour object leaves clusters empty: harmless here
        warnings.simplefilter("ignore")
        centres, label = kmeans2(chroma, k, seed=np.random.default_rng(0), minit="++")
    # clusters of nearly one chromaticity are one colour: split by noise they would soak up the shading
    for a in range(k):
        for c in range(a):
            if np.abs(centres[a] - centres[c]).max() < DELIGHT_SAME_COLOUR:
                label[label == a] = c
                centres[a] = centres[c]
    highlight = _highlights(chroma, lum, centres, label)  # relabels them with their colour's class
    basis = _sh9(normals[seen])
    albedo = np.array([np.median(lum[label == c]) if (label == c).any() else 1.0 for c in range(k)])
    use = ~highlight  # the white a highlight adds is no Lambertian shading: kept out of the fit
    ridge = 1e-3 * use.sum() * np.eye(basis.shape[1])
    ridge[0, 0] = 0.0  # the constant term is free
    for _ in range(iterations):
        coef = np.linalg.solve(basis[use].T @ basis[use] + ridge, basis[use].T @ (lum / albedo[label])[use])
        shading = basis @ coef
        shading = np.maximum(shading, 0.25 * np.median(shading))  # a face fitted as black would blow up
        albedo = np.array([np.median((lum / shading)[use & (label == c)]) if (use & (label == c)).any() else 1.0
                           for c in range(k)])
    out[seen] = linear_to_srgb(linear / (shading / np.median(shading))[:, None])
    off = np.abs(np.log(lum / (albedo[label] * shading)))
    fitted[np.flatnonzero(seen)[(off > math.log(DELIGHT_OUTLIER)) | highlight]] = False
    return out, fitted


def _highlights(chroma: np.ndarray, lum: np.ndarray, centres: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(N,) bool: the points of classes that are highlights on another class's colour. A class is one when
    its chromaticities lie on the line from that colour toward grey and, within the class, the further
    toward grey a point lies the brighter it is (added white; a paler material is pale at every shading).
    Such classes are relabelled in place with the colour's class. chroma (N, 3), lum (N,), centres (K, 3),
    label (N,) int."""
    grey = np.full(3, 1.0 / 3.0)
    highlight = np.zeros(len(label), bool)
    classes = list(np.unique(label))
    for h in classes:
        inside = label == h
        if inside.sum() < 10:
            continue
        best = None
        for b in classes:
            toward = grey - centres[b]
            if b == h or toward @ toward < 1e-6:  # a grey class has no line toward grey
                continue
            way = (chroma[inside] - centres[b]) @ toward / (toward @ toward)
            off_line = np.linalg.norm(chroma[inside] - centres[b] - way[:, None] * toward, axis=1)
            if not (np.median(off_line) < HIGHLIGHT_LINE and 0.1 < np.median(way) <= 1.05
                    and np.median(lum[inside]) > np.median(lum[label == b]) and way.std() > 1e-3):
                continue
            if np.corrcoef(way, np.log(lum[inside]))[0, 1] > HIGHLIGHT_CORRELATION:
                if best is None or np.median(off_line) < best[0]:
                    best = (np.median(off_line), b)
        if best is not None:
            highlight |= inside
            label[inside] = best[1]
    return highlight


def texture_sizes(lods: int) -> list[int]:
    """Colour map size per LOD: TEXTURE_SIZE halved per LOD, at least 64."""
    return [max(64, TEXTURE_SIZE >> k) for k in range(lods)]
