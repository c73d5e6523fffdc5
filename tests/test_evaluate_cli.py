"""`iggan-assets evaluate` through click's CliRunner on a tiny random model and a tiny image folder."""
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from iggan.cli.evaluate import evaluate
from iggan.eval.classifier import BUNDLED
from iggan.render_dataset import MANIFEST_FORMAT
from iggan.sampling import bundled_models, save_random_model

pytestmark = pytest.mark.skipif(not BUNDLED.with_suffix(".safetensors").is_file(),
                                reason="the feature network is not trained yet (benchmarks/train_eval_classifier.py)")


@pytest.fixture
def image_folder(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):  # gray boxes of random size on black, like renders
        img = np.zeros((32, 32), np.uint8)
        w, h = rng.integers(6, 14, 2)
        img[16 - h:16 + h, 16 - w:16 + w] = rng.integers(80, 220)
        Image.fromarray(img).save(folder / f"{i:03d}.png")
    (folder / "manifest.json").write_text(json.dumps({"format": MANIFEST_FORMAT}))
    return folder


@pytest.fixture
def tiny_model(tmp_path):
    return save_random_model(tmp_path / "tiny_model", "tiny")


@pytest.fixture
def shapes(tmp_path):
    grids = np.zeros((4, 16, 16, 16), np.uint8)
    for i in range(4):
        grids[i, 3:13, 3:13, 2:5 + 2 * i] = 1  # boxes of growing height (z up, ModelNet style)
    path = tmp_path / "shapes.npz"
    np.savez(path, voxels=grids)
    return path


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path / "cache"))  # no writes to the user's cache


def test_evaluate_json_fid_kid_and_shape_metrics(tiny_model, image_folder, shapes, tmp_path):
    sheet = tmp_path / "sheet.png"
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--samples", "8",
                                           "--reference-shapes", str(shapes), "--shape-samples", "4",
                                           "--points", "64", "--yaw-angles", "2", "--sheet", str(sheet), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    m, info = out["metrics"], out["info"]
    assert m["fid"] >= 0 and np.isfinite(m["fid"])
    assert np.isfinite(m["kid"])
    assert 0.0 <= m["cov_cd"] <= 1.0 and 0.0 <= m["1nna_cd"] <= 1.0 and m["mmd_cd"] >= 0
    assert info["generated_images"] == 8 and info["data_images"] == 12
    assert info["n_generated"] == 4 and info["n_reference"] == 4
    assert sheet.is_file()


def test_evaluate_table_and_real_shapes_as_subject(image_folder, shapes):
    # the data-floor path: real grids scored like a model, against themselves
    result = CliRunner().invoke(evaluate, [f"voxels:{shapes}?slice=0:4", "--data", str(image_folder), "--samples", "8",
                                           "--reference-shapes", str(shapes), "--points", "64", "--yaw-angles", "2"])
    assert result.exit_code == 0, result.output
    assert "FID" in result.output and "1-NNA-CD" in result.output and "COV-CD    |          1 |" in result.output
    assert "NN home G" in result.output and "thick R" in result.output  # what explains 1-NNA
    assert "spur G" in result.output and "loose R" in result.output and "topple G" in result.output
    assert "copies G" in result.output and "near G/R" in result.output
    result = CliRunner().invoke(evaluate, [f"voxels:{shapes}?slice=0:4", "--data", str(image_folder), "--samples", "8",
                                           "--reference-shapes", str(shapes), "--points", "64", "--yaw-angles", "2",
                                           "--json"])
    m = json.loads(result.output)["metrics"]
    # identical sets (points drawn independently): each shape's nearest neighbour is its twin
    assert m["cov_cd"] == 1.0 and m["1nna_cd"] < 0.5 and m["mmd_cd"] < 0.05  # 64 points: sampling noise
    assert m["thickness_generated"] == m["thickness_reference"]  # the same grids
    assert m["spur_generated"] == m["spur_reference"] and m["loose_generated"] == m["loose_reference"]
    assert m["topple_generated"] == m["topple_reference"]
    assert m["1nna_cd"] == pytest.approx((m["nn_home_generated"] + m["nn_home_reference"]) / 2)  # 4 a side
    # the generated shapes are the references, up to 64-point sampling noise: nearer than references to each other
    assert m["near_ratio"] < 0.9 and m["copies_generated"] >= 0.5


def test_a_skipped_data_image_is_reported_once_on_stderr_and_json_stays_clean(tiny_model, image_folder):
    (image_folder / "broken.png").write_text("not a png")
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--samples", "8", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["info"]["data_images"] == 12
    assert result.stderr.count("broken.png") == 1 and "skipped 1 file(s): broken.png (not an image" in result.stderr


def test_missing_run_is_a_clear_error(image_folder, tmp_path):
    result = CliRunner().invoke(evaluate, [str(tmp_path / "nope"), "--data", str(image_folder)])
    assert result.exit_code != 0
    assert "unknown model" in result.output and "run folder" in result.output


def test_empty_or_missing_data_folder_is_a_clear_error(tiny_model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(empty), "--samples", "4"])
    assert result.exit_code != 0 and "no PNG/JPEG/WebP/AVIF/HEIC images" in result.output
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(tmp_path / "missing")])
    assert result.exit_code != 0 and "does not exist" in result.output
    (tmp_path / "one.png").write_bytes(b"")
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(tmp_path / "one.png")])
    assert result.exit_code == 1 and "one.png is a file, not a folder of images" in result.output


def test_bad_reference_shapes_are_a_clear_error(tiny_model, image_folder, shapes, tmp_path):
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--samples", "4",
                                           "--reference-shapes", str(tmp_path / "none.npz")])
    assert result.exit_code == 1 and "none.npz (--reference-shapes) does not exist" in result.output
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--samples", "4",
                                           "--reference-shapes", str(image_folder)])
    assert result.exit_code == 1 and "images (--reference-shapes) is a folder, not an .npz" in result.output
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--samples", "4",
                                           "--reference-shapes", str(shapes), "--reference-slice", "a:b"])
    assert result.exit_code != 0 and "START:STOP" in result.output


def test_grids_that_are_not_cubic_are_refused_with_their_shape(tiny_model, image_folder, tmp_path):
    path = tmp_path / "flat.npz"
    np.savez(path, voxels=np.ones((6, 16, 16, 8), np.uint8))  # half-height boxes: scored squashed before
    for args in ([str(tiny_model), "--reference-shapes", str(path)], [f"voxels:{path}"]):
        result = CliRunner().invoke(evaluate, args + ["--data", str(image_folder), "--samples", "4"])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "'voxels' has shape (6, 16, 16, 8); expected cubic grids (N, R, R, R)" in result.output


def test_a_missing_voxels_subject_is_named_as_the_shapes_to_evaluate(image_folder, tmp_path):
    result = CliRunner().invoke(evaluate, [f"voxels:{tmp_path / 'none.npz'}", "--data", str(image_folder)])
    assert result.exit_code == 1 and "none.npz (the shapes to evaluate) does not exist" in result.output
    assert "reference" not in result.output


@pytest.fixture
def no_rendering(monkeypatch):
    """Fail the test if evaluate gets as far as rendering samples."""
    import iggan.eval.evaluate as ev

    def refuse(*args, **kwargs):
        raise AssertionError("rendered samples before checking the reference shapes")

    monkeypatch.setattr(ev, "render_samples", refuse)
    monkeypatch.setattr(ev, "load_classifier", refuse)


@pytest.mark.parametrize("window, message", [
    ("900:1000", "the slice 900:1000 selects no grids; the file holds 4 (0:4 is all of them)"),
    ("0:1", "holds 1 shape; the 3D metrics need at least 2 reference shapes: widen --reference-slice"),
])
def test_reference_shapes_and_slice_are_checked_before_any_sampling(tiny_model, image_folder, shapes, tmp_path,
                                                                    no_rendering, window, message):
    args = [str(tiny_model), "--data", str(image_folder), "--samples", "4", "--reference-shapes"]
    result = CliRunner().invoke(evaluate, args + [str(shapes), "--reference-slice", window])
    assert result.exit_code == 1 and message in result.output, result.output
    (tmp_path / "bad.npz").write_text("x")
    result = CliRunner().invoke(evaluate, args + [str(tmp_path / "bad.npz")])
    assert result.exit_code == 1 and "bad.npz (--reference-shapes) is not a readable .npz" in result.output


def test_a_real_shapes_subject_too_small_for_the_3d_metrics_is_refused_before_sampling(image_folder, shapes,
                                                                                      no_rendering):
    result = CliRunner().invoke(evaluate, [f"voxels:{shapes}?slice=0:2", "--data", str(image_folder),
                                           "--reference-shapes", str(shapes)])
    assert result.exit_code == 1
    assert "holds 2 shapes; the 3D metrics want 4" in result.output and "--shape-samples 2 or fewer" in result.output


@pytest.mark.parametrize("extra, message", [
    (["--as-exported"], "--as-exported only changes the 3D metrics: add --reference-shapes FILE.npz, or leave it out"),
    (["--reference-slice", "0:4"], "--reference-slice only changes"),
    (["--shape-repeats", "3"], "--shape-repeats only changes"),
    (["--reference-up", "z"], "--reference-up only changes"),  # a default value, but passed: not silently ignored
    (["--points", "64", "--yaw-angles", "2", "--shape-samples", "4"],
     "--shape-samples and --points and --yaw-angles only change the 3D metrics"),
])
def test_shape_options_without_reference_shapes_are_a_usage_error(tiny_model, image_folder, no_rendering, extra,
                                                                   message):
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), *extra])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_sheet_refuses_an_existing_file_without_overwrite_before_rendering(tiny_model, image_folder, tmp_path,
                                                                         monkeypatch):
    sheet = tmp_path / "out" / "samples.png"
    sheet.parent.mkdir()
    sheet.write_bytes(b"glTF keep me")
    args = [str(tiny_model), "--data", str(image_folder), "--samples", "4", "--sheet", str(sheet)]
    import iggan.eval.evaluate as ev

    real_render = ev.render_samples
    monkeypatch.setattr(ev, "render_samples", lambda *a: pytest.fail("rendered before checking --sheet"))
    result = CliRunner().invoke(evaluate, args)
    assert result.exit_code == 2 and "samples.png exists; pass --overwrite to replace it" in result.output
    assert sheet.read_bytes() == b"glTF keep me"
    monkeypatch.setattr(ev, "render_samples", real_render)
    result = CliRunner().invoke(evaluate, args + ["--overwrite"])
    assert result.exit_code == 0, result.output
    assert sheet.read_bytes().startswith(b"\x89PNG") and [p.name for p in sheet.parent.iterdir()] == ["samples.png"]


@pytest.mark.parametrize("sheet, message", [
    ("chairs.glb", "chairs.glb is not a .png name"),
    ("missing/samples.png", "does not exist; make it first or choose another --sheet"),
])
def test_sheet_must_be_a_png_name_in_an_existing_folder(tiny_model, image_folder, tmp_path, no_rendering, sheet,
                                                        message):
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--sheet",
                                           str(tmp_path / sheet)])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / sheet).exists()


def test_overwrite_without_a_sheet_is_a_usage_error(tiny_model, image_folder, no_rendering):
    result = CliRunner().invoke(evaluate, [str(tiny_model), "--data", str(image_folder), "--overwrite"])
    assert result.exit_code == 2 and "--overwrite replaces an existing --sheet: add --sheet FILE.png" in result.output


def test_fid_from_fewer_images_than_feature_dimensions_is_noted_once_in_words(tiny_model, image_folder):
    import warnings

    args = [str(tiny_model), "--data", str(image_folder), "--samples", "4"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = CliRunner().invoke(evaluate, args)
    assert table.exit_code == 0, table.output
    assert not [w for w in caught if "singular" in str(w.message)]  # scipy's LinAlgWarning is not shown
    note = ("FID is unreliable here: it needs more images than the feature network's 256 dimensions on each side, "
            "and there are 4 renders (raise --samples) and 12 data images (add data images)")
    assert table.output.count("FID is unreliable") == 1 and note in table.output
    info = json.loads(CliRunner().invoke(evaluate, args + ["--json"]).output)["info"]
    assert info["fid_note"].startswith(note)


def test_feature_network_is_not_listed_as_a_generator():
    assert "eval_classifier" not in bundled_models()


def test_shape_repeats_report_mean_and_std_over_independent_draws(tiny_model, image_folder, shapes):
    args = [str(tiny_model), "--data", str(image_folder), "--samples", "4", "--reference-shapes", str(shapes),
            "--shape-samples", "4", "--points", "64", "--yaw-angles", "2", "--json"]
    single = json.loads(CliRunner().invoke(evaluate, args).output)
    result = CliRunner().invoke(evaluate, args + ["--shape-repeats", "3"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    m, draws = out["metrics"], out["info"]["shape_draws"]
    assert len(draws) == 3 and out["info"]["n_generated"] == 12  # 3 draws of 4
    assert draws[0]["1nna_cd"] == pytest.approx(single["metrics"]["1nna_cd"], abs=1e-5)  # draw 0 = the seed's set
    for key in ("mmd_cd", "cov_cd", "1nna_cd"):
        values = [d[key] for d in draws]
        assert m[key] == pytest.approx(np.mean(values), abs=1e-5)
        assert m[f"{key}_std"] == pytest.approx(np.std(values), abs=1e-5)
    assert "1nna_cd_std" not in single["metrics"]  # one draw: no std to report
    table = CliRunner().invoke(evaluate, args[:-1] + ["--shape-repeats", "2"]).output
    assert "2 draw(s)" in table and "1-NNA std" in table


def test_as_exported_scores_the_cleaned_shapes_and_says_how_many_were_sampled(image_folder, shapes):
    # real shapes have no card: nothing is refused, and cleaned boxes are the boxes, so the scores match the raw run
    args = [f"voxels:{shapes}?slice=0:4", "--data", str(image_folder), "--samples", "8", "--reference-shapes",
            str(shapes), "--points", "64", "--yaw-angles", "2"]
    result = CliRunner().invoke(evaluate, args + ["--as-exported"])
    assert result.exit_code == 0, result.output
    assert "as exported: 4 shapes kept of 4 sampled (refused: none)" in result.output
    raw, exported = (json.loads(CliRunner().invoke(evaluate, args + extra + ["--json"]).output)
                     for extra in ([], ["--as-exported"]))
    assert exported["info"]["exported_tried"] == 4 and "exported_tried" not in raw["info"]
    assert exported["metrics"]["thickness_generated"] == raw["metrics"]["thickness_generated"]
    assert exported["metrics"]["1nna_cd"] == raw["metrics"]["1nna_cd"]


def test_evaluate_from_python_returns_what_json_prints(image_folder, shapes):
    from iggan import api

    report = api.evaluate(f"voxels:{shapes}?slice=0:4", data=image_folder, samples=8, reference_shapes=shapes,
                          points=64, yaw_angles=2)
    assert set(report) == {"metrics", "info"} and report["metrics"]["cov_cd"] == 1.0
    assert report["info"]["n_generated"] == 4 and np.isfinite(report["metrics"]["fid"])


def test_renders_are_framed_as_the_data_photos_are_before_fid(image_folder, shapes, monkeypatch):
    """Data that are photos (no render-dataset manifest) are framed as objects, so evaluate frames the renders
    of the samples the same way before FID, as train does; render-dataset data leave them as drawn."""
    import iggan.eval.evaluate as ev

    framed = []
    monkeypatch.setattr(ev, "frame_like_photos", lambda images: framed.append(images.shape) or images)
    args = [f"voxels:{shapes}?slice=0:4", "--data", str(image_folder), "--samples", "8", "--json"]
    result = CliRunner().invoke(evaluate, args)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)["info"]
    assert info["framing"] == "camera" and not info["brightness_levelled"] and framed == []
    (image_folder / "manifest.json").unlink()  # the same images, now read as photos
    result = CliRunner().invoke(evaluate, args)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)["info"]
    assert info["framing"] == "object" and info["brightness_levelled"] and framed and framed[0][:2] == (8, 1)
