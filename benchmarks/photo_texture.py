"""How close does `match --texture` paint a chair to the real one's colours? Prints a table.

Coloured real chairs (the Kenney furniture kit's meshes, with their own materials; not voxelised) are
drawn unlit (each surface its material's colour, so colour error is not lighting error) from one view
and given to the matcher as cut-out photos. Each match is painted from its photo (asset_export/
photo_texture.py) and drawn unlit from the photo's view and from 3 novel views (the match turned by 90,
180 and 270 degrees from the view the matcher found, the chair turned alike from the photo's view),
each image framed as the matcher frames outlines. Score: the mean absolute RGB difference (0..1) over the
pixels both drawings cover. Rows:
- uniform: the match in one colour, the photo object's mean (what `--color` with an eyedropper gives);
- texture, nearest fill: the photo texture with hidden sides from the nearest seen surface only;
- texture: `match --texture` as shipped (hidden sides from their mirror side where the shape is symmetric);
- texture, delit: with `--delight`.
--lit makes the photos Lambertian (colour times a key and fill light's shading); --studio makes them studio
shots (PBR highlights and cast shadows); --glossy makes them studio shots of rounded, glossy chairs (normals
averaged across the kit's edges, the key light near the camera), whose highlights show. The truth stays each surface's own colour; a lit drawing is scored
after the one brightness gain that fits it best.

    PYOPENGL_PLATFORM=osmesa python benchmarks/photo_texture.py [--lit | --studio | --glossy]
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

TURNS_DEG = (90, 180, 270)
SIZE = 256  # px of the drawings
FRAME = 128  # px of the framed comparison (the object's longer side half of it)


def _normalised(scene: trimesh.Scene) -> trimesh.Scene:
    lo, hi = scene.bounds
    scale = 1.0 / float((hi - lo).max())
    scene = scene.copy()
    scene.apply_transform(trimesh.transformations.scale_and_translate(scale, -(lo + hi) / 2 * scale))
    return scene


def draw_unlit(scene: trimesh.Scene, azimuth: float, elevation: float, view_config,
               shading_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(rgb (S, S, 3) float, mask (S, S) bool) of a unit-cube-normalised scene, unlit, from the view (radians).
    shading_only: the scene in white under a key light, a fill light and ambient instead (its shading)."""
    import pyrender

    world = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[0.15] * 3 if shading_only else [1.0, 1.0, 1.0])
    white = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                               roughnessFactor=1.0)
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        world.add(pyrender.Mesh.from_trimesh(scene.geometry[name], smooth=False,
                                             material=white if shading_only else None), pose=transform)
    return _shoot(world, azimuth, elevation, view_config, lit=shading_only,
                  flags=pyrender.RenderFlags.NONE if shading_only else pyrender.RenderFlags.FLAT)


KEY_LIGHT = (0.7, 0.6)  # radians right of and above the camera: 40 and 34 degrees
GLOSSY_KEY_LIGHT = (0.2, 0.3)  # --glossy: 11 and 17 degrees, so surfaces turned to the camera mirror it


def _shoot(world, azimuth: float, elevation: float, view_config, lit: bool, flags,
           key: tuple[float, float] = KEY_LIGHT) -> tuple[np.ndarray, np.ndarray]:
    """Render a pyrender scene from the view (radians), with the key and fill lights if lit: (rgb, mask)."""
    import pyrender

    from iggan.render.posing import camera_pose

    if lit:  # a key light `key` right of and above the camera, a fill light low on the other side
        world.add(pyrender.DirectionalLight(intensity=2.5), pose=camera_pose(azimuth + key[0], elevation + key[1], 1.0))
        world.add(pyrender.DirectionalLight(intensity=0.8), pose=camera_pose(azimuth - 1.3, 0.1, 1.0))
    world.add(pyrender.PerspectiveCamera(yfov=math.radians(view_config.fov_deg)),
              pose=camera_pose(azimuth, elevation, view_config.camera_distance))
    renderer = pyrender.OffscreenRenderer(SIZE, SIZE)
    try:
        colour, depth = renderer.render(world, flags=flags)
    finally:
        renderer.delete()
    return np.asarray(colour, np.float32)[..., :3] / 255.0, depth > 0


def framed(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop to the mask's box and scale its longer side to half of FRAME, centred (as photos are framed)."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    scale = FRAME / 2 / max(y1 - y0, x1 - x0)
    w, h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    out_rgb, out_mask = np.zeros((FRAME, FRAME, 3), np.float32), np.zeros((FRAME, FRAME), bool)
    crop = Image.fromarray((rgb[y0:y1, x0:x1] * 255).astype(np.uint8)).resize((w, h), Image.BOX)
    crop_mask = Image.fromarray(mask[y0:y1, x0:x1].astype(np.uint8) * 255).resize((w, h), Image.BOX)
    oy, ox = (FRAME - h) // 2, (FRAME - w) // 2
    out_rgb[oy:oy + h, ox:ox + w] = np.asarray(crop, np.float32) / 255.0
    out_mask[oy:oy + h, ox:ox + w] = np.asarray(crop_mask) > 254  # inside, away from the antialiased edge
    return out_rgb, out_mask


def lit_photo(chair: trimesh.Scene, azimuth: float, elevation: float, view_config) -> tuple[np.ndarray, np.ndarray]:
    """A Lambertian photo: the unlit colours times the white scene's shading, in linear light, as sRGB."""
    from iggan.asset_export.colour_space import linear_to_srgb, srgb_to_linear
    albedo, mask = draw_unlit(chair, azimuth, elevation, view_config)
    shading, _ = draw_unlit(chair, azimuth, elevation, view_config, shading_only=True)
    return linear_to_srgb(srgb_to_linear(albedo) * srgb_to_linear(shading)), mask


def studio_photo(chair: trimesh.Scene, azimuth: float, elevation: float, view_config,
                 glossy: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A studio shot: pyrender's PBR shading of the chair's own colours made glossier (roughness 0.35, so
    highlights show), the key light casting shadows on the chair itself, a fill light and ambient. The
    kit's flat faces rarely mirror a light toward the camera, so glossy: rounded glossy upholstery instead
    (normals averaged across edges, roughness 0.25, the key light at GLOSSY_KEY_LIGHT), with highlights."""
    import pyrender

    from iggan.asset_export.colour_space import srgb_to_linear

    world = pyrender.Scene(bg_color=[0, 0, 0, 0], ambient_light=[0.15] * 3)
    for node in chair.graph.nodes_geometry:
        transform, name = chair.graph[node]
        geometry = chair.geometry[name]
        if glossy:
            geometry = geometry.copy()
            geometry.merge_vertices(merge_tex=True, merge_norm=True)
        mesh = pyrender.Mesh.from_trimesh(geometry, smooth=glossy)
        for primitive in mesh.primitives:
            primitive.material.roughnessFactor = 0.25 if glossy else 0.35
            primitive.material.metallicFactor = 0.0
            # the truth (draw_unlit's FLAT pass) shows the colour factor as it is, i.e. as an sRGB value, while
            # PBR shading takes it as linear: linearise it, so the photo lights the colour the truth shows
            factor = np.array(primitive.material.baseColorFactor, np.float64)
            factor[:3] = srgb_to_linear(factor[:3])
            primitive.material.baseColorFactor = factor.astype(np.float32)
        world.add(mesh, pose=transform)
    return _shoot(world, azimuth, elevation, view_config, lit=True, flags=pyrender.RenderFlags.SHADOWS_DIRECTIONAL,
                  key=GLOSSY_KEY_LIGHT if glossy else KEY_LIGHT)


def colour_error(a, b, gain: bool = False) -> float:
    """Mean |RGB| difference of drawing a against the truth b over the pixels both cover; gain: after the one
    brightness gain (in linear light) that fits a to b best, as a lit photo's light intensity is arbitrary."""
    (ra, ma), (rb, mb) = framed(*a), framed(*b)
    both = ma & mb
    if not both.any():
        return float("nan")
    pa, pb = ra[both], rb[both]
    if gain:
        from iggan.asset_export.colour_space import linear_to_srgb, srgb_to_linear
        la, lb = srgb_to_linear(pa), srgb_to_linear(pb)
        pa = linear_to_srgb(la * float((la * lb).sum() / max((la * la).sum(), 1e-9)))
    return float(np.abs(pa - pb).mean())


def asset_scene(asset, colour: np.ndarray | None, uniform: np.ndarray | None) -> trimesh.Scene:
    """LOD0 of an exported asset as a trimesh scene with its colour map (or one uniform colour)."""
    lod = asset.lods[0]
    if colour is not None:
        material = trimesh.visual.material.PBRMaterial(baseColorTexture=Image.fromarray(colour), metallicFactor=0.0)
        # glTF's v runs down the image; trimesh's up
        visual = trimesh.visual.TextureVisuals(uv=np.c_[lod.uvs[:, 0], 1 - lod.uvs[:, 1]], material=material)
    else:
        rgba = np.clip(np.rint(np.append(uniform, 1.0) * 255), 0, 255).astype(np.uint8)
        visual = trimesh.visual.ColorVisuals(vertex_colors=np.tile(rgba, (len(lod.vertices), 1)))
    mesh = trimesh.Trimesh(lod.vertices, lod.faces, visual=visual, process=False)
    return _normalised(trimesh.Scene(mesh))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="chairs")
    ap.add_argument("--meshes", default="../shared/data/kenney-furniture")
    ap.add_argument("--filter", default="chair")
    ap.add_argument("--azimuths", type=float, nargs="+", default=[30.0, 300.0], help="photo views (degrees)")
    ap.add_argument("--elevation", type=float, default=20.0)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--lit", action="store_true", help="Lambertian photos: the colours times the shading of a key "
                    "and a fill light (the truth stays each surface's own colour); errors after one gain a drawing")
    ap.add_argument("--studio", action="store_true", help="studio photos instead: PBR shading with highlights "
                    "(roughness 0.35) and cast shadows from the key light (studio_photo); errors after one gain")
    ap.add_argument("--glossy", action="store_true", help="studio photos of rounded glossy chairs: normals "
                    "averaged across edges, roughness 0.25, the key light near the camera (highlights)")
    args = ap.parse_args()

    import iggan.asset_export.photo_texture as photo_texture
    from iggan import sampling
    from iggan.asset_export import ExportError, ExportSettings, grid_to_asset
    from iggan.matching import ShapeMatcher, photo_view

    model = sampling.load_model(args.model)
    views_cfg = model.config.views
    matcher = ShapeMatcher(model, steps=args.steps)
    t0 = time.perf_counter()
    matcher.pool()
    print(f"pool ready in {time.perf_counter() - t0:.1f} s", flush=True)
    paths = sorted(p for p in Path(args.meshes).glob("*.glb") if args.filter.lower() in p.stem.lower())
    rows = {"uniform": [], "texture, nearest fill": [], "texture": [], "texture, delit": []}
    seconds = []
    for path in paths:
        chair = _normalised(trimesh.load(str(path), force="scene"))
        for az_deg in args.azimuths:
            az, el = math.radians(az_deg), math.radians(args.elevation)
            truth_rgb, truth_mask = draw_unlit(chair, az, el, views_cfg)
            if args.studio or args.glossy:
                rgb, mask = studio_photo(chair, az, el, views_cfg, glossy=args.glossy)
            elif args.lit:
                rgb, mask = lit_photo(chair, az, el, views_cfg)
            else:
                rgb, mask = truth_rgb, truth_mask
            photo = Image.fromarray(np.dstack([(rgb * 255).astype(np.uint8), mask.astype(np.uint8) * 255]))
            t = time.perf_counter()
            fit_mask, _ = matcher.photo_mask(photo)
            m = matcher.match(fit_mask, keep=1)[0]
            grid = sampling.sample_voxels(model, m.z[None])[0]
            view = photo_view(photo, m.azimuth, m.elevation, views_cfg)
            try:
                painted = grid_to_asset(grid, ExportSettings(), photos=[view])
            except ExportError as exc:
                print(f"{path.stem} @ {az_deg:.0f}: no mesh ({exc})")
                continue
            seconds.append(time.perf_counter() - t)
            saved, photo_texture.MIRROR_IOU = photo_texture.MIRROR_IOU, 2.0  # no shape is this symmetric
            try:
                nearest = grid_to_asset(grid, ExportSettings(), photos=[view])
            finally:
                photo_texture.MIRROR_IOU = saved
            delit = grid_to_asset(grid, ExportSettings(), photos=[replace(view, delight=True)])
            mean_colour = rgb[mask].mean(axis=0)
            scenes = {"uniform": asset_scene(painted, None, mean_colour),
                      "texture, nearest fill": asset_scene(nearest, nearest.colour[0], None),
                      "texture": asset_scene(painted, painted.colour[0], None),
                      "texture, delit": asset_scene(delit, delit.colour[0], None)}
            for name, scene in scenes.items():
                at_photo = colour_error(draw_unlit(scene, m.azimuth, m.elevation, views_cfg), (truth_rgb, truth_mask),
                                        gain=args.lit or args.studio or args.glossy)
                novel = [colour_error(draw_unlit(scene, m.azimuth + math.radians(turn), m.elevation, views_cfg),
                                      draw_unlit(chair, az + math.radians(turn), el, views_cfg),
                                      gain=args.lit or args.studio or args.glossy)
                         for turn in TURNS_DEG]
                rows[name].append((at_photo, float(np.nanmean(novel))))
            print(f"{path.stem} @ {az_deg:.0f}: IoU {m.iou:.2f}, "
                  + ", ".join(f"{k} {v[-1][0]:.3f}/{v[-1][1]:.3f}" for k, v in rows.items()), flush=True)
    n = len(rows["texture"])
    print(f"\n{n} photos ({len(paths)} {args.model} meshes x {len(args.azimuths)} views), "
          f"{'glossy studio' if args.glossy else 'studio' if args.studio else 'Lambertian' if args.lit else 'unlit'}"
          f" photos; mean |RGB| error "
          f"(0..1) over pixels both cover; {np.mean(seconds):.1f} s a photo (match + paint)\n")
    print("| colours of the match | at the photo's view | 3 novel views |")
    print("|---|---:|---:|")
    for name, values in rows.items():
        v = np.array(values)
        print(f"| {name} | {v[:, 0].mean():.3f} | {v[:, 1].mean():.3f} |")


if __name__ == "__main__":
    main()
