"""Photo-folder ingestion: every mode, masks, background estimation, crop, cache, bad files."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

from iggan.images import DataError, LoadReport, load_image_folder
from iggan.photos import PhotoError, border_background, decode, object_mask, photo_image, unify_mean, upright


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(d))
    return d


def disc_photo(w=120, h=80, bg=(230, 230, 230), fg=(40, 90, 160), box=(50, 20, 90, 60)) -> Image.Image:
    """A plain-background photo with a rectangle object at `box` (x0, y0, x1, y1)."""
    arr = np.zeros((h, w, 3), np.uint8)
    arr[:] = bg
    x0, y0, x1, y1 = box
    arr[y0:y1, x0:x1] = fg
    return Image.fromarray(arr)


def bbox(img, thr=0.05):
    ys, xs = np.nonzero(img > thr)
    return xs.min(), xs.max(), ys.min(), ys.max()


def test_plain_background_is_masked_cropped_and_centred():
    img, mask, warning = photo_image(disc_photo(), 64)
    assert warning is None and img.shape == (64, 64)
    x0, x1, y0, y1 = bbox(img)
    assert abs(x1 - x0 + 1 - 32) <= 1 and abs(y1 - y0 + 1 - 32) <= 1  # 40x40 object -> half of 64
    assert abs((x0 + x1) / 2 - 31.5) <= 1 and abs((y0 + y1) / 2 - 31.5) <= 1
    assert img[0, 0] == 0 and img[-1, -1] == 0  # background is black
    gray = (0.299 * 40 + 0.587 * 90 + 0.114 * 160) / 255
    assert img[32, 32] == pytest.approx(gray, abs=0.02)


def test_holes_that_show_the_backdrop_stay_open_and_near_background_parts_are_filled():
    """A frame (a chair back) on white: the backdrop seen through it stays a hole, so the training image is
    black there; a panel inside it only close to the backdrop's colour (0.08 off, under the 0.12 tolerance)
    is the object's own, so it is filled. Matching's fill_holes=False keeps both open."""
    arr = np.full((90, 120, 3), 255, np.uint8)
    arr[10:80, 10:50] = (150, 60, 40)  # frame 1 around a gap that shows the backdrop
    arr[20:70, 20:40] = 255
    arr[10:80, 70:110] = (150, 60, 40)  # frame 2 around a pale panel
    arr[20:70, 80:100] = 235
    rgb, alpha = decode(Image.fromarray(arr))
    mask = object_mask(rgb, alpha)[0] > 0.5
    assert mask[15, 15] and not mask[45, 30] and mask[45, 90]
    assert not object_mask(rgb, alpha, fill_holes=False)[0][45, 90]
    img, _, _ = photo_image(Image.fromarray(arr), 64)
    assert img[32, 22] < 0.02  # the gap: black as in a render, not the backdrop's white
    assert img[32, 41] > 0.8  # the pale panel: the object's own grey


def test_aspect_is_kept():
    img, _, _ = photo_image(disc_photo(box=(10, 30, 90, 50)), 64)  # 80 x 20 object
    x0, x1, y0, y1 = bbox(img)
    assert abs((x1 - x0 + 1) - 32) <= 1 and abs((y1 - y0 + 1) - 8) <= 1


def test_alpha_mask_wins_over_colours():
    arr = np.zeros((50, 50, 4), np.uint8)
    arr[..., :3] = 255  # white everywhere, object only in alpha
    arr[10:30, 20:40, 3] = 255
    img, _, warning = photo_image(Image.fromarray(arr, "RGBA"), 32)
    assert warning is None
    x0, x1, y0, y1 = bbox(img)
    assert abs(x1 - x0 + 1 - 16) <= 1 and abs(y1 - y0 + 1 - 16) <= 1
    assert img.max() == pytest.approx(1.0, abs=0.01) and img[0, 0] == 0


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16", "I", "1", "CMYK"])
def test_every_mode_decodes(mode):
    base = disc_photo(bg=(0, 0, 0), fg=(200, 200, 200))
    if mode == "I;16":
        arr = (np.asarray(base.convert("L"), np.uint16) * 257)
        src = Image.fromarray(arr)
        assert src.mode.startswith("I;16")
    elif mode == "P":
        src = base.convert("P")
    else:
        src = base.convert(mode)
    img, _, warning = photo_image(src, 32)
    assert warning is None, mode
    x0, x1, y0, y1 = bbox(img)
    assert abs(x1 - x0 + 1 - 16) <= 1, mode
    expected = 200 / 255 if mode not in ("1", "CMYK") else None
    if expected:
        assert img[16, 16] == pytest.approx(expected, abs=0.03), mode


def test_busy_background_warns_and_uses_the_whole_photo():
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8))
    img, mask, warning = photo_image(noisy, 32)
    assert warning and "not plain" in warning
    x0, x1, y0, y1 = bbox(img, thr=-1)
    assert (x0, x1) == (0, 31)  # unmasked, scaled to fill the frame's width


def test_border_background_estimate():
    bg, plain = border_background(np.asarray(disc_photo(), np.float32) / 255)
    np.testing.assert_allclose(bg, 230 / 255, atol=1e-6)
    assert plain


def test_tiny_and_empty_objects_raise():
    with pytest.raises(PhotoError, match="too small"):
        photo_image(Image.new("RGB", (15, 40)), 32)
    with pytest.raises(PhotoError, match="no object"):
        photo_image(Image.new("RGB", (40, 40), (9, 9, 9)), 32)
    with pytest.raises(PhotoError, match="no object"):
        photo_image(Image.new("RGBA", (40, 40), (255, 255, 255, 0)), 32)


def test_unify_mean():
    imgs = np.stack([np.full((4, 4), 0.2, np.float32), np.full((4, 4), 0.6, np.float32)])
    masks = np.ones_like(imgs)
    out = unify_mean(imgs, masks)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), [0.4, 0.4], atol=1e-6)
    out = unify_mean(imgs, masks, target=0.3)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), [0.3, 0.3], atol=1e-6)


def make_folder(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    disc_photo().save(d / "a.png")
    disc_photo(fg=(250, 20, 20)).save(d / "b.jpg", quality=95)
    disc_photo().save(d / "c.webp")
    (d / "nested").mkdir()
    disc_photo(bg=(0, 0, 0), fg=(255, 255, 255)).convert("L").save(d / "nested" / "d.PNG")
    (d / "empty.png").write_bytes(b"")
    (d / "fake.jpg").write_text("this is not a jpeg")
    good = (d / "a.png").read_bytes()
    (d / "truncated.png").write_bytes(good[: len(good) // 2])
    Image.new("RGB", (8, 8), (255, 0, 0)).save(d / "tiny.png")
    (d / "README.txt").write_text("notes")
    return d


def test_a_long_skip_list_names_eight_files_and_counts_the_rest():
    names = [f"bad{i}.png" for i in range(11)]
    text = LoadReport(skipped=names, reasons={n: "corrupt" for n in names}).summary()
    assert "skipped 11 file(s): bad0.png (corrupt)" in text and "bad7.png" in text and "bad8.png" not in text
    assert "and 3 more" in text


def test_folder_skips_bad_files_with_names_and_reasons(tmp_path):
    d = make_folder(tmp_path)
    images, report = load_image_folder(d, 32)
    assert images.shape == (4, 1, 32, 32) and images.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert sorted(report.skipped) == ["empty.png", "fake.jpg", "tiny.png", "truncated.png"]
    assert "empty" in report.reasons["empty.png"] and "not an image" in report.reasons["fake.jpg"]
    assert "too small" in report.reasons["tiny.png"] and "truncated" in report.reasons["truncated.png"]
    assert report.ignored == ["README.txt"]
    text = report.summary()
    assert "skipped 4 file(s)" in text and "fake.jpg" in text and "README.txt" in text
    with pytest.raises(DataError, match="--strict: 4 unusable") as exc:
        load_image_folder(d, 32, strict=True)
    assert "truncated.png" in str(exc.value)


def test_file_names_that_are_not_utf8_are_loaded_and_named_readably(tmp_path):
    d = tmp_path / "latin1"
    d.mkdir()
    named = lambda raw: d / os.fsdecode(raw)  # noqa: E731 (Latin-1 names, as an old archive leaves them)
    disc_photo().save(named(b"chaise_\xe9.png"))
    disc_photo(box=(30, 10, 80, 70)).save(d / "plain.png")
    named(b"cass\xe9.png").write_bytes(b"not a png")
    named(b"note_\xe9.txt").write_text("x")
    for cached in (False, True):  # the cache key and the cached report both take such names
        images, report = load_image_folder(d, 32)
        assert report.from_cache is cached and images.shape == (2, 1, 32, 32)
        assert report.skipped == ["cass\\xe9.png"] and report.ignored == ["note_\\xe9.txt"]
        report.summary().encode("utf-8")  # printable: no lone surrogates left in any name
    with pytest.raises(DataError, match=r"cass\\xe9\.png"):
        load_image_folder(d, 32, strict=True)


def test_training_run_folders_inside_the_data_folder_are_left_out(tmp_path):
    d = tmp_path / "nest"
    (d / "run" / "samples").mkdir(parents=True)
    disc_photo().save(d / "a.png")
    disc_photo().save(d / "run" / "samples" / "step_00000050.png")  # the model's own output
    (d / "run" / "config.json").write_text("{}")
    (d / "kept" / "samples").mkdir(parents=True)  # no config.json: a user's folder, not a run
    disc_photo().save(d / "kept" / "samples" / "b.png")
    for cached in (False, True):
        images, report = load_image_folder(d, 32)
        assert report.from_cache is cached and len(images) == 2
        assert report.runs == ["run"] and report.ignored == []
        assert "left out 1 training run folder(s)" in report.summary()


def test_cache_makes_the_second_run_identical_and_is_invalidated(tmp_path, cache_dir):
    d = make_folder(tmp_path)
    first, r1 = load_image_folder(d, 32)
    assert not r1.from_cache and len(list(cache_dir.glob("*.npz"))) == 1
    second, r2 = load_image_folder(d, 32)
    assert r2.from_cache and torch.equal(first, second) and r2.skipped == r1.skipped
    unified, r3 = load_image_folder(d, 32, unify=True)  # other options: another cache entry
    assert not r3.from_cache and len(list(cache_dir.glob("*.npz"))) == 2
    disc_photo(box=(10, 10, 20, 20)).save(d / "a.png")  # changed file: not served from the cache
    os.utime(d / "a.png", ns=(1, 10**18))
    third, r4 = load_image_folder(d, 32)
    assert not r4.from_cache and not torch.equal(third, first)
    # a corrupt cache file is ignored, not fatal
    for p in cache_dir.glob("*.npz"):
        p.write_bytes(b"junk")
    again, r5 = load_image_folder(d, 32)
    assert not r5.from_cache and torch.equal(again, third)


def test_empty_and_all_bad_folders_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_image_folder(tmp_path / "nope", 32)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no PNG/JPEG/WebP"):
        load_image_folder(empty, 32)
    (empty / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="only 1 other file"):
        load_image_folder(empty, 32)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.png").write_bytes(b"\x89PNG garbage")
    (bad / "y.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="none of its 2 image file"):
        load_image_folder(bad, 32)


def test_huge_images(tmp_path, monkeypatch):
    d = tmp_path / "huge"
    d.mkdir()
    wide = np.full((300, 9000), 255, np.uint8)  # > 8k px wide, plain white background
    wide[100:200, 4000:5000] = 0  # dark object
    Image.fromarray(wide).save(d / "wide.png")
    images, report = load_image_folder(d, 32)
    assert report.skipped == [] and images.shape == (1, 1, 32, 32)
    # decompression-bomb sized images are skipped with a reason, not decoded
    import iggan.images as images_mod

    monkeypatch.setattr(images_mod, "MAX_PIXELS", 1000 * 1000)
    with pytest.raises(DataError, match="too large"):
        load_image_folder(d, 32, cache=False)
    monkeypatch.setattr(images_mod, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # PIL's own bomb guard (2x this raises)
    disc_photo().save(d / "ok.png")
    images, report = load_image_folder(d, 32, cache=False)
    assert len(images) == 1 and report.skipped == ["wide.png"] and "too large" in report.reasons["wide.png"]


def test_render_folders_are_loaded_as_they_are(tmp_path):
    """A render-dataset folder (manifest.json) is not cropped: the object keeps its rendered size."""
    import json

    d = tmp_path / "renders"
    d.mkdir()
    arr = np.zeros((64, 64), np.uint8)
    arr[24:40, 28:36] = 200  # a small object: cropping would enlarge it
    Image.fromarray(arr).save(d / "00000_x_00.png")
    (d / "manifest.json").write_text(json.dumps({"format": "iggan-assets/render-dataset/1", "objects": []}))
    images, _ = load_image_folder(d, 32)
    x0, x1, y0, y1 = bbox(images[0, 0].numpy())
    assert (x1 - x0 + 1, y1 - y0 + 1) == (4, 8)
    as_photos, _ = load_image_folder(d, 32, mode="photos")
    x0, x1, y0, y1 = bbox(as_photos[0, 0].numpy())
    assert abs((y1 - y0 + 1) - 16) <= 1  # the photo pipeline would rescale it to half the frame


@pytest.mark.parametrize("orientation, side", [(3, 120), (6, 120), (8, 120), (6, 2400)])
def test_a_phone_photo_is_turned_upright_by_its_exif_orientation(tmp_path, orientation, side):
    """A portrait phone JPEG stores its pixels turned, with an EXIF orientation tag that viewers apply: a tall
    chair must come out tall, with its dark foot at the bottom, not on its side (also when a large photo is
    first reduced, in a training folder, and when `match` turned it upright first)."""
    k = side // 120
    seen = np.full((side, side, 3), 235, np.uint8)  # the photo as a viewer shows it
    seen[20 * k:100 * k, 50 * k:70 * k] = (40, 90, 160)  # a tall object 80 x 20 ...
    seen[80 * k:100 * k, 50 * k:70 * k] = (10, 10, 10)  # ... darker at its foot
    # what the camera stored: the pixels turned the other way, to be undone by the tag
    undo = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
    stored = Image.fromarray(seen).transpose(undo[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    stored.save(path, quality=95, exif=exif.tobytes())
    with Image.open(path) as img:
        gray, mask, warning = photo_image(img, 64)
    x0, x1, y0, y1 = bbox(mask, 0.5)
    assert warning is None and (y1 - y0) > 3 * (x1 - x0)  # tall, as seen
    rows = np.nonzero(mask[:, 32] > 0.5)[0]
    assert gray[rows[-3], 32] < gray[rows[2], 32]  # the dark foot is at the bottom
    with Image.open(path) as img:
        turned = upright(img)  # what `match` opens, and draws on its sheet
    assert np.abs(np.asarray(turned, np.float32) - seen).mean() < 3  # the viewer's picture, up to JPEG noise
    again = photo_image(turned, 64)[1]  # not turned a second time (a large one decoded whole, not in draft)
    assert (np.abs(again - mask) > 0.5).mean() < 0.01
    images, _ = load_image_folder(tmp_path, 64, mode="photos")
    x0, x1, y0, y1 = bbox(images[0, 0].numpy())
    assert (y1 - y0) > 3 * (x1 - x0)  # training reads it upright too


@pytest.mark.parametrize("suffix", [".heic", ".avif"])
def test_heic_and_avif_photos_are_read(tmp_path, suffix):
    """iPhones save HEIC by default (read through pillow-heif); AVIF is read by Pillow itself."""
    from iggan import photos
    from PIL import features
    if suffix == ".heic" and not photos.HEIF_READABLE:
        pytest.skip("pillow-heif is not installed (scripts/setup.sh installs it)")
    if suffix == ".avif" and not features.check("avif"):
        pytest.skip("this Pillow has no AVIF support (11.3+ has)")
    disc_photo(w=80, h=120, box=(30, 20, 50, 100)).save(tmp_path / f"chair{suffix}", quality=90)
    images, report = load_image_folder(tmp_path, 64, mode="photos")
    assert report.skipped == [] and report.ignored == [] and images.shape == (1, 1, 64, 64)
    x0, x1, y0, y1 = bbox(images[0, 0].numpy())
    assert abs((y1 - y0 + 1) - 32) <= 1 and abs((x1 - x0 + 1) - 8) <= 1  # the 20 x 80 object, framed


def test_a_heic_photo_without_pillow_heif_says_how_to_read_it(tmp_path, monkeypatch):
    from iggan import photos
    monkeypatch.setattr(photos, "HEIF_READABLE", False)
    (tmp_path / "IMG_0001.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))  # not decodable here
    disc_photo().save(tmp_path / "ok.png")
    _, report = load_image_folder(tmp_path, 32, mode="photos")
    assert report.skipped == ["IMG_0001.HEIC"]
    assert "pip install pillow-heif" in report.reasons["IMG_0001.HEIC"]


# Display P3 (D65, sRGB curve): "sP3" of the Compact ICC Profiles project, CC0-1.0 (also in Blender's datafiles)
DISPLAY_P3_ICC = "AAAB4GxjbXMEIAAAbW50clJHQiBYWVogB+IAAwAUAAkADgAdYWNzcE1TRlQAAAAAc2F3c2N0cmwAAAAAAAAAAAAAAAAAAPbWAAEAAAAA0y1oYW5kwzc6zlf4VsuhS9h6V6sQYQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKZGVzYwAAAPwAAAAiY3BydAAAASAAAAAid3RwdAAAAUQAAAAUY2hhZAAAAVgAAAAsclhZWgAAAYQAAAAUZ1hZWgAAAZgAAAAUYlhZWgAAAawAAAAUclRSQwAAAcAAAAAgZ1RSQwAAAcAAAAAgYlRSQwAAAcAAAAAgbWx1YwAAAAAAAAABAAAADGVuVVMAAAAGAAAAHABzAFAAMwAAbWx1YwAAAAAAAAABAAAADGVuVVMAAAAGAAAAHABDAEMAMAAAWFlaIAAAAAAAAPbWAAEAAAAA0y1zZjMyAAAAAAABDEIAAAXe///zJQAAB5MAAP2Q///7of///aIAAAPcAADAblhZWiAAAAAAAACD3wAAPb////+7WFlaIAAAAAAAAEq/AACxNwAACrlYWVogAAAAAAAAKDgAABEKAADIuXBhcmEAAAAAAAMAAAACZmkAAPKnAAANWQAAE9AAAApb"


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_display_p3_photo_is_converted_to_srgb(mode):
    """iPhones tag photos Display P3; read as sRGB their colours come out duller. The converted colour must
    match P3 -> sRGB by the published primaries (linear-light matrix, both with the sRGB curve)."""
    import base64
    from iggan.photos import to_srgb
    p3 = np.zeros((8, 8, len(mode)), np.uint8)
    p3[..., :3] = (200, 100, 50)
    if mode == "RGBA":
        p3[..., 3] = 128
    img = Image.fromarray(p3, mode)
    img.info["icc_profile"] = base64.b64decode(DISPLAY_P3_ICC)
    out = to_srgb(img)
    def linear(c):
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    def encoded(c):
        c = np.clip(c, 0, 1)
        return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    p3_to_srgb = np.array([[1.2249, -0.2247, 0.0], [-0.0420, 1.0419, 0.0], [-0.0197, -0.0786, 1.0979]])
    expected = encoded(p3_to_srgb @ linear(np.array([200, 100, 50]) / 255)) * 255
    got = np.asarray(out)[0, 0]
    assert np.abs(got[:3] - expected).max() <= 2.5, (got, expected)  # (215, 93, 31): redder than the stored 200
    if mode == "RGBA":
        assert got[3] == 128
    assert "icc_profile" not in out.info and to_srgb(out) is out  # converted once only
    plain = Image.fromarray(p3, mode)  # no profile: taken as sRGB, unchanged
    assert to_srgb(plain) is plain


def test_photos_are_read_in_srgb_from_their_icc_profile(tmp_path):
    import base64
    from iggan.photos import open_reduced
    path = tmp_path / "p3.png"
    Image.fromarray(np.full((32, 32, 3), (200, 100, 50), np.uint8)).save(
        path, icc_profile=base64.b64decode(DISPLAY_P3_ICC))
    with Image.open(path) as img:
        rgb, _ = decode(open_reduced(img))  # what match --texture paints with
    np.testing.assert_allclose(rgb[0, 0] * 255, (215, 93, 31), atol=2.5)
