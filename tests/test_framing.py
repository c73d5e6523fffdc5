"""Photos as training data: G's renders are framed as the photos were before D sees them (iggan/framing.py)."""
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from iggan.cli.main import main
from iggan.config import preset
from iggan.framing import frame_like_photos, level_brightness
from iggan.image_sources import TensorImages
from iggan.images import load_image_folder
from iggan.photos import RENDER_LEVEL, photo_image
from iggan.render.reference import PyrenderRenderer
from iggan.trainer import Trainer


def _box(image: np.ndarray, level: float = 0.1) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the pixels above `level`, ends exclusive."""
    ys, xs = np.nonzero(image > level)
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


def _render_like(size: int = 64) -> np.ndarray:
    """A chair-like drawing as the reference renderer leaves one: shaded grey on black, off-centre, small."""
    image = np.zeros((size, size), np.float32)
    image[10:30, 40:44] = 0.8  # back
    image[26:30, 30:44] = 0.5  # seat
    image[30:40, 30:32] = image[30:40, 42:44] = 0.3  # legs
    return image


def test_a_render_comes_out_framed_as_photo_image_frames_a_cut_out_photo():
    render = _render_like()
    ours = frame_like_photos(torch.from_numpy(render)[None, None])[0, 0].numpy()
    rgba = np.stack([np.round(render * 255).astype(np.uint8)] * 3 + [np.where(render > 0, 255, 0).astype(np.uint8)], -1)
    photo, _, _ = photo_image(Image.fromarray(rgba, "RGBA"), 64)
    y0, y1, x0, x1 = _box(ours)
    assert abs(max(y1 - y0, x1 - x0) - 32) <= 1  # the longer side half the image, as a photo's
    assert abs((y0 + y1) / 2 - 32) <= 1 and abs((x0 + x1) / 2 - 32) <= 1  # centred
    assert np.abs(np.array(_box(photo)) - np.array(_box(ours))).max() <= 1
    assert np.abs(ours - photo).mean() < 0.02  # and drawn alike inside the box


def test_each_image_and_channel_is_framed_on_its_own_and_an_empty_one_stays_black():
    render = torch.from_numpy(_render_like())
    moved = torch.roll(render, (15, -20), (0, 1))  # the same drawing elsewhere in the frame
    images = torch.stack([torch.stack([render, moved]), torch.stack([torch.zeros_like(render), render])])
    out = frame_like_photos(images)  # (2, 2, 64, 64)
    assert out.shape == (2, 2, 64, 64)
    assert torch.allclose(out[0, 0], out[0, 1], atol=1e-5)  # where the camera put it does not matter
    assert out[1, 0].abs().sum() == 0 and torch.allclose(out[1, 1], out[0, 0], atol=1e-5)
    assert frame_like_photos(images, size=32).shape == (2, 2, 32, 32)


def test_framing_passes_gradients_to_the_pixels():
    render = torch.from_numpy(_render_like())[None, None].requires_grad_(True)
    frame_like_photos(render).sum().backward()
    assert render.grad is not None and render.grad[0, 0, 10:40, 30:44].abs().sum() > 0


def _recording(function, outputs: list):
    """`function`, also keeping each of its outputs (detached) in `outputs`."""
    def recorded(*args, **kwargs):
        out = function(*args, **kwargs)
        outputs.append(out.detach())
        return out
    return recorded


class _RecordingReference(PyrenderRenderer):
    """The reference renderer, keeping what it drew."""

    def __call__(self, voxels, views):
        self.drawn = super().__call__(voxels, views)
        return self.drawn


@pytest.mark.parametrize("g_renderer", ["proxy", "faces"])
@pytest.mark.parametrize("framing", ["object", "camera"])
def test_d_judges_g_renders_framed_as_the_data_are(tmp_path, tiny_image_dir, monkeypatch, g_renderer, framing):
    """With photos (framing 'object') every image of G's that D scores, in D's update, DOM and G's update, has
    been framed as a photo, and D's fakes are exactly the reference renders framed. With renders ('camera')
    nothing is framed and D's fakes are the reference renders as drawn."""
    import iggan.trainer as trainer_module

    framed_out = []
    monkeypatch.setattr(trainer_module, "frame_like_photos", _recording(frame_like_photos, framed_out))
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.pipeline_render = 4, False
    cfg.train.g_renderer, cfg.train.framing = g_renderer, framing
    images, _ = load_image_folder(tiny_image_dir, cfg.model.image_size)
    reference = _RecordingReference(cfg.model.image_size, cfg.views)
    tr = Trainer(cfg, TensorImages(images), tmp_path / "run", reference)
    seen = []
    tr.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    tr.train_step()
    B, K = 4, tr.binarisations
    # D's calls in order: DOM's two (proxy path only), D's update (real, then fake), G's update
    assert len(seen) == (4 if g_renderer == "proxy" else 2)
    d_update = seen[-2]
    drawn = reference.drawn[: B * K: K]
    expected = frame_like_photos(drawn) if framing == "object" else drawn
    assert torch.allclose(d_update[B:], expected, atol=1e-6)
    fakes = [*seen[:-2], d_update[B:], seen[-1]]
    if framing == "object":
        assert all(any(torch.equal(fake, out) for out in framed_out) for fake in fakes)
    else:
        assert framed_out == []


def _photo(path, offset: int) -> None:
    """A cut-out photo of a dark box on white, placed at `offset`."""
    arr = np.full((120, 120, 3), 250, np.uint8)
    arr[20 + offset:60 + offset, 30:50] = (60, 40, 30)
    Image.fromarray(arr).save(path)


def test_a_folder_of_photos_is_framed_as_objects_and_renders_as_the_camera_drew_them(tmp_path, tiny_image_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.png", 0)
    _photo(photos / "b.jpg", 30)
    _, report = load_image_folder(photos, 32)
    assert report.framing == "object"
    _, again = load_image_folder(photos, 32)  # from the cache, which keeps it
    assert again.from_cache and again.framing == "object"
    _, renders = load_image_folder(tiny_image_dir, 32)
    assert renders.framing == "camera"


def test_a_folder_mixing_renders_and_photos_frames_them_all_as_photos(tmp_path, tiny_image_dir):
    import shutil

    mixed = tmp_path / "mixed"
    shutil.copytree(tiny_image_dir, mixed / "renders")
    _photo(mixed / "photo.png", 0)
    images, report = load_image_folder(mixed, 32, cache=False)
    # (a render whose thin object the photo mask's speckle filter drops is skipped and named, as a photo would be)
    assert report.framing == "object" and len(images) + len(report.skipped) == 25 and "photo.png" not in report.skipped
    for image in images[:, 0].numpy():  # each render was framed as a photo too: longer side half the frame
        y0, y1, x0, x1 = _box(image, 0.02)
        assert abs(max(y1 - y0, x1 - x0) - 16) <= 1


def test_train_on_photos_records_the_framing_and_says_so(tmp_path, tiny_image_dir):
    """Photos: G's renders stay as the camera drew them unless --framing object (or auto) asks for the
    experimental framing (BENCHMARKS.md session 54: with it G scattered specks); brightness is levelled."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        _photo(photos / f"p{i}.png", 10 * i)
    r = CliRunner().invoke(main, ["train", "--data", str(photos), "--out", str(tmp_path / "r0"), "--preset", "tiny",
                                  "--steps", "1", "--batch-size", "2"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "read as photos; G's renders left as the camera drew them (--framing object would frame" in r.output
    assert "brightness levelled, G's renders too (--unify-intensity)" in r.output
    config = json.loads((tmp_path / "r0" / "config.json").read_text())["train"]
    assert config["framing"] == "camera" and config["unify_intensity"] is True
    for framing in ("object", "auto"):
        out = tmp_path / f"run_{framing}"
        r = CliRunner().invoke(main, ["train", "--data", str(photos), "--out", str(out), "--preset", "tiny",
                                      "--steps", "1", "--batch-size", "2", "--framing", framing],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        assert "framed as photos (G's renders are framed the same way)" in r.output
        config = json.loads((out / "config.json").read_text())["train"]
        assert config["framing"] == "object" and config["unify_intensity"] is True
    r = CliRunner().invoke(main, ["train", "--data", str(tiny_image_dir), "--out", str(tmp_path / "r2"),
                                  "--preset", "tiny", "--steps", "1", "--batch-size", "2", "--framing", "auto"],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "framed as photos" not in r.output and "brightness levelled" not in r.output
    config = json.loads((tmp_path / "r2" / "config.json").read_text())["train"]
    assert config["framing"] == "camera" and config["unify_intensity"] is False
    r = CliRunner().invoke(main, ["train", "--data", str(photos), "--out", str(tmp_path / "r3"), "--preset", "tiny",
                                  "--steps", "1", "--batch-size", "2", "--framing", "camera", "--no-unify-intensity"],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "G's renders left as the camera drew them" in r.output
    config = json.loads((tmp_path / "r3" / "config.json").read_text())["train"]
    assert config["framing"] == "camera" and config["unify_intensity"] is False


def test_framing_that_would_compare_unframed_renders_is_refused(tmp_path, tiny_image_dir):
    cfg = preset("tiny")
    cfg.train.framing, cfg.train.g_renderer, cfg.train.coverage_weight = "object", "faces", 1.0
    images, _ = load_image_folder(tiny_image_dir, cfg.model.image_size)
    with pytest.raises(ValueError, match="framing 'object'"):
        Trainer(cfg, TensorImages(images), tmp_path / "run", PyrenderRenderer(cfg.model.image_size, cfg.views))


def test_a_manifest_added_or_removed_is_not_hidden_by_the_image_cache(tmp_path, tiny_image_dir, monkeypatch):
    """The cache key holds how the folder reads (as renders or as photos), so removing render-dataset's manifest
    reads the same files again as photos, framed as objects, instead of the cached renders."""
    import shutil

    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "renders"
    shutil.copytree(tiny_image_dir, folder)
    as_renders, report = load_image_folder(folder, 32)
    assert report.framing == "camera"
    (folder / "manifest.json").unlink()
    as_photos, report = load_image_folder(folder, 32)
    assert report.framing == "object" and not report.from_cache
    assert not torch.equal(as_renders[: len(as_photos)], as_photos)


def test_levelling_sets_each_objects_mean_brightness_and_leaves_black_alone():
    # a darker material (its darkest part still above framing.OBJECT_LEVEL: photos are brought to the renders'
    # level when they are read, images.load_image_folder, so a photo's object stays above it)
    dark = torch.from_numpy(_render_like())[None, None] * 0.5
    images = torch.cat([dark, torch.zeros_like(dark), torch.from_numpy(_render_like())[None, None]]).requires_grad_(True)
    out = level_brightness(images)
    for image in (out[0, 0].detach(), out[2, 0].detach()):
        assert abs(float(image[image > 0].mean()) - RENDER_LEVEL) < 0.02 and float(image.max()) <= 1.0
    assert out[1].abs().sum() == 0
    assert torch.allclose(out[0], out[2], atol=0.02)  # the material is gone, the shading stays
    out.sum().backward()
    assert images.grad[0].abs().sum() > 0


@pytest.mark.parametrize("unify", [True, False])
def test_with_unify_intensity_d_sees_every_image_levelled_real_and_fake(tmp_path, tiny_image_dir, monkeypatch, unify):
    import iggan.trainer as trainer_module

    levelled = []
    monkeypatch.setattr(trainer_module, "level_brightness", _recording(level_brightness, levelled))
    cfg = preset("tiny")
    cfg.train.batch_size, cfg.train.pipeline_render, cfg.train.unify_intensity = 4, False, unify
    images, _ = load_image_folder(tiny_image_dir, cfg.model.image_size)
    tr = Trainer(cfg, TensorImages(images), tmp_path / "run", PyrenderRenderer(cfg.model.image_size, cfg.views))
    seen = []
    tr.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    tr.train_step()
    assert len(seen) == 4  # DOM's two, D's update (real and fake), G's update
    B = 4
    inputs = [*seen[:2], seen[2][:B], seen[2][B:], seen[3]]
    if unify:
        assert all(any(torch.equal(x, out) for out in levelled) for x in inputs)
    else:
        assert levelled == []


def test_photos_are_brought_to_the_renders_brightness_and_renders_are_not(tmp_path, tiny_image_dir):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.png", 0)  # a dark box: (60, 40, 30) on white
    images, report = load_image_folder(photos, 32, unify=None)
    assert report.unified
    image = images[0, 0].numpy()
    assert abs(float(image[image > 0.05].mean()) - RENDER_LEVEL) < 0.05
    raw, report = load_image_folder(photos, 32)
    assert not report.unified and float(raw.max()) < 0.3
    _, renders = load_image_folder(tiny_image_dir, 32, unify=None)
    assert not renders.unified


def test_a_resumed_run_keeps_its_framing_unless_told_otherwise(tmp_path):
    """--framing has no fixed default: a run started with --framing object and resumed without it stays framed
    (a default of camera would have switched it silently), and a fresh run takes the camera's framing."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        _photo(photos / f"p{i}.png", 10 * i)
    out = tmp_path / "run"
    base = ["train", "--data", str(photos), "--out", str(out), "--preset", "tiny", "--batch-size", "2"]
    r = CliRunner().invoke(main, base + ["--steps", "1", "--framing", "object"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, base + ["--steps", "2", "--resume"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "framed as photos (G's renders are framed the same way)" in r.output
    assert json.loads((out / "config.json").read_text())["train"]["framing"] == "object"
    r = CliRunner().invoke(main, base + ["--steps", "3", "--resume", "--framing", "camera"], catch_exceptions=False)
    assert r.exit_code == 0 and "G's renders left as the camera drew them" in r.output
    assert json.loads((out / "config.json").read_text())["train"]["framing"] == "camera"
