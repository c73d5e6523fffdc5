"""Photo textures (asset_export/photo_texture.py, `match --texture`): a photo of a painted voxel chair, drawn
here by an independent ray caster (first solid voxel along each pixel's ray), is painted back onto the
exported mesh. Every texel's colour is checked against the paint of the voxel under its surface point."""
import math

import numpy as np
import pytest
from PIL import Image

from iggan.asset_export import ExportSettings
from iggan.asset_export.photo_texture import Framing, PhotoView, photo_colours, project, silhouette
from iggan.asset_export.pipeline import grid_to_asset
from iggan.asset_export.surface import voxel_index_coords

RES = 16


def _view(img, azimuth, elevation, fov_deg, distance):
    from iggan.config import ViewConfig
    from iggan.matching import photo_view
    return photo_view(img, azimuth, elevation, ViewConfig(fov_deg=fov_deg, camera_distance=distance))

FOV, DISTANCE = 2 * math.degrees(math.atan(1 / 3)), 3.0
# paint: left half of the seat red, right half green, back blue, legs yellow (left and right differ, so a
# mirrored projection fails)
RED, GREEN, BLUE, YELLOW = (0.85, 0.15, 0.1), (0.1, 0.7, 0.2), (0.15, 0.25, 0.9), (0.9, 0.8, 0.1)


def _chair() -> tuple[np.ndarray, np.ndarray]:
    """(grid (R, R, R) float, paint (R, R, R, 3)): a seat, a back rest on +z... and four legs."""
    g = np.zeros((RES,) * 3, np.float32)
    paint = np.zeros((RES,) * 3 + (3,))
    g[3:13, 6:8, 3:13] = 1  # seat
    paint[3:8, 6:8, 3:13], paint[8:13, 6:8, 3:13] = RED, GREEN
    g[3:13, 8:15, 11:13] = 1  # back
    paint[3:13, 8:15, 11:13] = BLUE
    for x in (3, 11):
        for z in (3, 11):
            g[x:x + 2, 0:6, z:z + 2] = 1  # legs
            paint[x:x + 2, 0:6, z:z + 2] = YELLOW
    return g, paint


def _photo(grid: np.ndarray, paint: np.ndarray, azimuth: float, elevation: float, size: int = 240) -> Image.Image:
    """A picture of the painted grid from the view: each pixel takes the paint of the first solid voxel
    along its ray (steps of 1/8 voxel), on a white backdrop, then padded off-centre as a photo would be."""
    half = math.tan(math.radians(FOV) / 2)
    ca, sa, ce, se = math.cos(azimuth), math.sin(azimuth), math.cos(-elevation), math.sin(-elevation)
    rot = np.array([[ca, 0, sa], [0, 1, 0], [-sa, 0, ca]]) @ np.array([[1, 0, 0], [0, ce, -se], [0, se, ce]])
    u = ((np.arange(size) + 0.5) / size * 2 - 1) * half
    y, x = np.meshgrid(-u, u, indexing="ij")
    dirs = np.stack([x, y, -np.ones_like(x)], -1).reshape(-1, 3) @ rot.T
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    origin = rot[:, 2] * DISTANCE
    image = np.ones((size * size, 3))
    todo = np.ones(size * size, bool)
    for t in np.arange(DISTANCE - 1.0, DISTANCE + 1.0, 1 / (8 * RES)):
        idx = np.floor((origin + t * dirs + 0.5) * RES).astype(int)
        ok = todo & np.all((idx >= 0) & (idx < RES), axis=1)
        hit = np.zeros_like(ok)
        hit[ok] = grid[idx[ok, 0], idx[ok, 1], idx[ok, 2]] > 0.5
        image[hit] = paint[idx[hit, 0], idx[hit, 1], idx[hit, 2]]
        todo &= ~hit
    picture = np.full((size + 60, size + 100, 3), 255, np.uint8)  # not centred, not square
    picture[20:20 + size, 70:70 + size] = np.rint(image.reshape(size, size, 3) * 255).astype(np.uint8)
    return Image.fromarray(picture)


def _texels(asset, grid, paint, texture: np.ndarray):
    """Per texel of LOD0: (its colour in the map, the paint of the solid voxel nearest its surface point,
    its point in the grid's cube, its normal)."""
    from scipy import ndimage

    from iggan.asset_export.occlusion import texel_samples
    mesh = asset.lods[0]
    rows, cols, points, normals = texel_samples(mesh, texture.shape[0])
    lo, hi = mesh.bounds()
    # metres -> the grid's cube: the exporter scaled the solid's box [box_lo, box_hi] to the mesh's
    solid = grid > 0.5
    nz = np.nonzero(solid)
    box_lo = np.array([n.min() for n in nz]) / RES - 0.5
    box_hi = (np.array([n.max() for n in nz]) + 1) / RES - 0.5
    cube = box_lo + (points - lo) / (hi - lo) * (box_hi - box_lo)
    vox = np.clip(np.rint(voxel_index_coords(cube, grid.shape)).astype(int), 0, RES - 1)
    _, (ix, iy, iz) = ndimage.distance_transform_edt(~solid, return_indices=True)  # nearest solid voxel
    expected = paint[ix[tuple(vox.T)], iy[tuple(vox.T)], iz[tuple(vox.T)]]
    return texture[rows, cols] / 255.0, expected, cube, normals


def _painted(grid, paint, azimuth_deg, elevation_deg, mirrored_view=False):
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    view = _view(_photo(grid, paint, az, el), -az if mirrored_view else az, el, FOV, DISTANCE)
    asset = grid_to_asset(grid, ExportSettings(smooth_iterations=0, faces=20000, level_base=0.0), photos=[view])
    return view, asset


@pytest.mark.parametrize("azimuth_deg,elevation_deg", [(30, 20), (-60, 35)])
def test_what_the_photo_shows_is_painted_back_in_its_own_colours(azimuth_deg, elevation_deg):
    grid, paint = _chair()
    view, asset = _painted(grid, paint, azimuth_deg, elevation_deg)
    assert asset.colour is not None and len(asset.colour) == 1 and asset.colour[0].shape == (512, 512, 3)
    assert asset.lods[0].uvs is not None
    got, expected, cube, normals = _texels(asset, grid, paint, asset.colour[0])
    _, facing = photo_colours(cube, normals, grid > 0.5, view, Framing.of(view, grid > 0.5))
    seen, right = facing > 0, np.abs(got - expected).max(axis=1) < 0.12
    assert 0.2 < seen.mean() < 0.6  # one photo sees a side of the chair, not all of it
    assert right[seen].mean() > 0.9, right[seen].mean()
    for colour in (RED, GREEN, BLUE, YELLOW):  # each part it shows in its own paint, left and right not swapped
        part = seen & np.all(np.isclose(expected, colour), axis=1)
        assert part.sum() > 500 and right[part].mean() > 0.85, (colour, part.sum(), right[part].mean())


def test_a_wrong_view_paints_the_wrong_parts():
    """The check above can fail: the same photo painted from the mirrored view swaps red and green."""
    grid, paint = _chair()
    view, asset = _painted(grid, paint, 30, 20, mirrored_view=True)
    got, expected, cube, normals = _texels(asset, grid, paint, asset.colour[0])
    _, facing = photo_colours(cube, normals, grid > 0.5, view, Framing.of(view, grid > 0.5))
    seat = (facing > 0) & (np.all(np.isclose(expected, RED), axis=1) | np.all(np.isclose(expected, GREEN), axis=1))
    assert (np.abs(got - expected).max(axis=1) < 0.12)[seat].mean() < 0.6


def test_hidden_sides_take_their_mirror_sides_colours(monkeypatch):
    """With paint as symmetric as the chair (the seat one colour), the sides one photo cannot see come out
    in their part's paint more often with the mirror fill than with the nearest seen surface alone."""
    import iggan.asset_export.photo_texture as photo_texture
    grid, paint = _chair()
    paint[8:13, 6:8, 3:13] = RED

    def unseen_right(azimuth_deg):
        view, asset = _painted(grid, paint, azimuth_deg, 25)
        got, expected, cube, normals = _texels(asset, grid, paint, asset.colour[0])
        hidden = photo_colours(cube, normals, grid > 0.5, view, Framing.of(view, grid > 0.5))[1] == 0
        right = np.abs(got - expected).max(axis=1) < 0.12
        return right.mean(), right[hidden].mean()

    for azimuth_deg in (30, -60, 150):
        overall, with_mirror = unseen_right(azimuth_deg)
        with monkeypatch.context() as patch:
            patch.setattr(photo_texture, "MIRROR_IOU", 2.0)  # no shape is that symmetric: nearest seen only
            _, without = unseen_right(azimuth_deg)
        assert overall > 0.7 and with_mirror > without + 0.03, (azimuth_deg, overall, with_mirror, without)


def test_projection_lands_each_voxel_inside_the_traced_silhouette():
    grid, _ = _chair()
    view = PhotoView(np.zeros((8, 8, 3)), np.zeros((8, 8)), math.radians(40), math.radians(25), FOV, DISTANCE)
    sil = silhouette(grid > 0.5, view, 128)
    centres = (np.argwhere(grid > 0.5) + 0.5) / RES - 0.5
    x, y = project(centres, view, 128)
    assert sil[np.floor(y).astype(int), np.floor(x).astype(int)].all()
    # and the silhouette is no wider than the projected voxel corners
    corners = np.concatenate([centres + (np.array(o) - 0.5) / RES for o in np.ndindex(2, 2, 2)])
    cx, cy = project(corners, view, 128)
    ys, xs = np.nonzero(sil)
    assert xs.min() >= np.floor(cx.min()) and xs.max() + 1 <= np.ceil(cx.max())
    assert ys.min() >= np.floor(cy.min()) and ys.max() + 1 <= np.ceil(cy.max())


def test_with_two_photos_each_texel_takes_the_photo_that_faces_it():
    """A photo from behind the chair (the camera at +z, where the back rest is) and one from its front
    (tinted, to tell the two apart): each side of the back rest is painted from the photo that faces it."""
    grid, paint = _chair()
    behind, in_front = (math.radians(20), math.radians(25)), (math.radians(200), math.radians(25))
    views = [_view(_photo(grid, paint, *behind), *behind, FOV, DISTANCE),
             _view(_photo(grid, paint * 0.5, *in_front), *in_front, FOV, DISTANCE)]
    asset = grid_to_asset(grid, ExportSettings(smooth_iterations=0, faces=20000, level_base=0.0), photos=views)
    from iggan.asset_export.occlusion import texel_samples
    rows, cols, points, normals = texel_samples(asset.lods[0], 512)
    colours = asset.colour[0][rows, cols] / 255.0
    top = points[:, 1] > np.percentile(points[:, 1], 85)  # the upper back rest
    outer, inner = top & (normals[:, 2] > 0.9), top & (normals[:, 2] < -0.9)
    assert outer.sum() > 100 and inner.sum() > 100
    assert np.abs(colours[outer] - np.array(BLUE)).max(axis=1).mean() < 0.1
    assert np.abs(colours[inner] - np.array(BLUE) * 0.5).max(axis=1).mean() < 0.1


def test_the_preview_shows_the_colour_map():
    from iggan.asset_export.preview import render_mesh
    grid, paint = _chair()
    _, asset = _painted(grid, paint, 30, 20)
    grey = np.asarray(render_mesh(asset.lods[0], size=96), float)
    painted = np.asarray(render_mesh(asset.lods[0], size=96, colour=asset.colour[0]), float)
    shape = np.any(np.abs(grey - 245) > 3, axis=2)  # not the background
    same_outline = shape == np.any(np.abs(painted - 245) > 3, axis=2)
    assert shape.mean() > 0.1 and same_outline.mean() > 0.95  # the same shape (edges and the grey's highlights aside)
    blue = (painted[..., 2] > painted[..., 0] + 40) & shape  # the back rest, in its paint
    yellow = (painted[..., 0] > painted[..., 2] + 60) & (painted[..., 1] > painted[..., 2] + 40) & shape  # the legs
    assert blue.mean() > 0.03 and yellow.mean() > 0.01
    assert not ((grey[..., 2] > grey[..., 0] + 40) & shape).any()  # the plain preview is grey


def test_delight_divides_out_lambertian_shading_and_keeps_flat_colours():
    """Two flat colours under a key light and ambient (Lambert, in linear light, sRGB-encoded): delighting
    brings each colour's points back to one value; colours that are already flat stay as they were."""
    from iggan.asset_export.colour_space import linear_to_srgb, srgb_to_linear
    from iggan.asset_export.photo_texture import delight
    rng = np.random.default_rng(1)
    normals = rng.normal(size=(4000, 3))
    normals[:, 2] = np.abs(normals[:, 2])  # the hemisphere one photo sees
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    albedo = np.where((np.arange(4000) % 2 == 0)[:, None], [0.7, 0.2, 0.1], [0.1, 0.3, 0.6])
    shading = 0.2 + 0.8 * np.clip(normals @ np.array([0.6, 0.5, 0.62]), 0, None)
    photo = linear_to_srgb(albedo * shading[:, None])
    seen = np.ones(4000, bool)
    delit, fitted = delight(photo, normals, seen)
    out = srgb_to_linear(delit)
    assert fitted.mean() > 0.97  # smooth shading: (nearly) every point lit as fitted
    for colour in ([0.7, 0.2, 0.1], [0.1, 0.3, 0.6]):
        part = np.all(albedo == colour, axis=1)
        spread_before = np.std(srgb_to_linear(photo[part])[:, 0] / colour[0])
        spread_after = np.std(out[part][:, 0] / colour[0])
        assert spread_after < 0.35 * spread_before, (spread_before, spread_after)
        ratio = out[part] / np.array(colour)  # each point the colour times one gain: the hue kept
        assert np.abs(ratio / ratio.mean(axis=1, keepdims=True) - 1).max() < 0.05
    flat = linear_to_srgb(albedo)  # an unlit picture: nothing to take out
    np.testing.assert_allclose(delight(flat, normals, seen)[0], flat, atol=0.02)
    unseen = ~seen
    unseen[:10] = True
    assert np.array_equal(delight(photo, normals, ~unseen)[0][:10], photo[:10])  # unseen points come back as they were


def test_delight_marks_cast_shadows_as_not_lit_as_fitted():
    """A cast shadow (a patch at a third of its light) is no function of the normal: delighting flags those
    points, which the bake then fills like unseen ones, and keeps the rest."""
    from iggan.asset_export.colour_space import linear_to_srgb
    from iggan.asset_export.photo_texture import delight
    rng = np.random.default_rng(2)
    normals = rng.normal(size=(4000, 3))
    normals[:, 2] = np.abs(normals[:, 2])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    shading = 0.2 + 0.8 * np.clip(normals @ np.array([0.6, 0.5, 0.62]), 0, None)
    linear = np.array([0.6, 0.35, 0.15]) * shading[:, None]
    shadow = np.arange(4000) < 300
    linear[shadow] *= 0.33
    _, fitted = delight(linear_to_srgb(linear), normals, np.ones(4000, bool))
    assert (~fitted[shadow]).mean() > 0.9
    assert fitted[300:].mean() > 0.97


def _shaded_points(albedo, highlight: float, n: int = 4000):
    """n seen points on the camera-facing hemisphere: albedo (n, 3) linear under a key light and ambient, plus
    highlight times a Blinn-Phong lobe (exponent 40) of white: (normals, sRGB colours, lobe > 0.05)."""
    from iggan.asset_export.colour_space import linear_to_srgb
    rng = np.random.default_rng(3)
    normals = rng.normal(size=(n, 3))
    normals[:, 2] = np.abs(normals[:, 2])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    light = np.array([0.6, 0.5, 0.62]) / np.linalg.norm([0.6, 0.5, 0.62])
    half = (light + [0, 0, 1]) / np.linalg.norm(light + [0, 0, 1])
    lobe = np.clip(normals @ half, 0, None) ** 40
    shading = 0.2 + 0.8 * np.clip(normals @ light, 0, None)
    return normals, linear_to_srgb(albedo * shading[:, None] + highlight * lobe[:, None]), lobe > 0.05


def test_delight_marks_highlights_but_not_a_paler_material():
    """White added by a highlight moves a colour toward grey the more the brighter it is: delighting flags
    those points. A paler second material (pink beside red) is as pale at every shading and stays fitted."""
    from iggan.asset_export.photo_texture import delight
    red = np.tile([0.6, 0.15, 0.1], (4000, 1))
    normals, photo, lobe = _shaded_points(red, 0.8)
    _, fitted = delight(photo, normals, np.ones(4000, bool))
    assert (~fitted[lobe]).mean() > 0.9
    assert fitted[~lobe].mean() > 0.97
    pink = np.arange(4000) % 2 == 0
    two = np.where(pink[:, None], [0.8, 0.45, 0.42], [0.6, 0.15, 0.1])
    normals, photo, _ = _shaded_points(two, 0.0)
    delit, fitted = delight(photo, normals, np.ones(4000, bool))
    assert fitted.mean() > 0.97
    assert delit[pink][:, 1].mean() > delit[~pink][:, 1].mean() + 0.2  # the pink stays pinker than the red


def _plate_scene(thickness: int, thick_foot: bool = False):
    """A 16^3 grid holding an upright plate `thickness` voxels thick (z voxels 6 .. 6 + thickness - 1), the
    points of its front face (+z, seen, blue) and back face (-z, hidden), and a seen red strip facing +x half
    a voxel behind the back face: (cube, normals, seen, rgb, solid, back rows, rows near the strip).
    thick_foot: the plate's lowest 4 voxel rows are 8 voxels deep (where a back rest meets the seat)."""
    res = 16
    solid = np.zeros((res, res, res), bool)
    solid[2:14, 2:14, 6:6 + thickness] = True
    if thick_foot:
        solid[2:14, 2:6, 6:14] = True
    to_cube = lambda index: (np.asarray(index, float) + 0.5) / res - 0.5  # noqa: E731  voxel index -> cube
    xs, ys = np.meshgrid(np.linspace(2.5, 12.5, 11), np.linspace(2.5, 12.5, 11), indexing="ij")
    face = np.c_[to_cube(xs.ravel()), to_cube(ys.ravel())]
    front = np.c_[face, np.full(len(face), to_cube(5.5 + thickness))]
    back = np.c_[face, np.full(len(face), to_cube(5.5))]
    strip = np.c_[to_cube(np.full(11, 7.5)), to_cube(np.linspace(2.5, 12.5, 11)), np.full(11, to_cube(5.0))]
    cube = np.concatenate([front, back, strip])
    normals = np.concatenate([np.tile([0.0, 0, 1], (len(front), 1)), np.tile([0.0, 0, -1], (len(back), 1)),
                              np.tile([1.0, 0, 0], (len(strip), 1))])
    seen = np.r_[np.ones(len(front), bool), np.zeros(len(back), bool), np.ones(len(strip), bool)]
    rgb = np.concatenate([np.tile([0.0, 0, 1], (len(front), 1)), np.zeros((len(back), 3)),
                          np.tile([1.0, 0, 0], (len(strip), 1))])
    back_rows = np.arange(len(front), len(front) + len(back))
    near_strip = back_rows[np.abs(back[:, 0] - strip[0, 0]) < 0.5 / res]
    return cube, normals, seen, rgb, solid, back_rows, near_strip


def test_where_a_thin_part_meets_a_thick_one_its_back_is_carried_on_from_above():
    """Where the back rest runs into the seat, going through finds no opposite face; those back points take
    the colour of the back already painted above them (facing the same way), not of the nearer strip."""
    from iggan.asset_export.photo_texture import _unseen_colours

    cube, normals, seen, rgb, solid, back_rows, near_strip = _plate_scene(2, thick_foot=True)
    filled = _unseen_colours(cube, normals, seen, rgb, solid, None)
    colour_of = dict(zip(np.flatnonzero(~seen), filled))
    foot = [r for r in near_strip if cube[r, 1] < (6 + 0.5) / 16 - 0.5]
    assert len(foot) == 4
    assert all(np.array_equal(colour_of[r], [0, 0, 1]) for r in foot)


def test_the_hidden_back_of_a_thin_part_takes_its_front_colour_not_a_nearer_surfaces():
    """The back of a chair's back rest is painted like its front, even where another seen surface (facing
    another way) is nearer; through a part thicker than THIN_VOXELS the nearest surface is used as before."""
    from iggan.asset_export.photo_texture import THIN_VOXELS, _unseen_colours

    cube, normals, seen, rgb, solid, back_rows, near_strip = _plate_scene(2)
    filled = _unseen_colours(cube, normals, seen, rgb, solid, None)
    order = np.flatnonzero(~seen)  # _unseen_colours answers for the hidden rows in order
    colour_of = dict(zip(order, filled))
    assert len(near_strip) == 11
    assert all(np.array_equal(colour_of[r], [0, 0, 1]) for r in back_rows)  # every back point from the front

    cube, normals, seen, rgb, solid, back_rows, near_strip = _plate_scene(int(THIN_VOXELS) + 2)
    filled = _unseen_colours(cube, normals, seen, rgb, solid, None)
    colour_of = dict(zip(np.flatnonzero(~seen), filled))
    assert all(np.array_equal(colour_of[r], [1, 0, 0]) for r in near_strip)  # too thick: the nearest surface
