"""`iggan-assets generate / export / variations / interpolate / models` through click's CliRunner,
with a tiny random-init generator written by iggan.sampling.save_random_model."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import glb_checks
from standing_shapes import drip_sofa, lamp_post, slab, swivel_chair, table
from iggan.cli.latent_requests import derived_seed
from iggan.cli.main import main


THRESHOLD = {}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A random-init 16^3 generator, and a threshold at which its noisy output is ~40% solid
    (an untrained net's output level depends on its initialisation, so measure it)."""
    from iggan import sampling

    stem = str(sampling.save_random_model(tmp_path_factory.mktemp("model") / "tiny", "tiny", seed=0))
    loaded = sampling.load_model(stem)
    grids = sampling.sample_voxels(loaded, sampling.latents(0, 4, loaded.config.model.z_dim))
    THRESHOLD[stem] = float(np.clip(np.quantile(grids, 0.6), 1e-3, 1 - 1e-3))
    return stem


def run(*args):
    args = [str(a) for a in args]
    model = args[args.index("--model") + 1] if "--model" in args else None
    if model in THRESHOLD and "--threshold" not in args:
        args += ["--threshold", str(THRESHOLD[model])]
    return CliRunner().invoke(main, args, catch_exceptions=False)


def lod0(path, name):
    return glb_checks.read_meshes(path)[name]["positions"]


def test_generate_writes_valid_glb_manifest_and_preview(model, tmp_path):
    out = tmp_path / "chairs.glb"
    r = run("generate", "--n", 3, "--model", model, "--seed", 7, "--out", out, "--size", 0.9, "--faces", 2000)
    assert r.exit_code == 0, r.output
    assert "wrote 3 asset(s)" in r.output
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out, size_m=0.9)
    assert set(meshes) == {"tiny_0_s7", "tiny_1_s7", "tiny_2_s7"}
    assert all(len(m["faces"]) <= 2000 for m in meshes.values())
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["command"] == "generate" and manifest["seed"] == 7 and manifest["units"] == "metres"
    a = manifest["assets"][1]
    assert (a["name"], a["seed"], a["latent_index"], a["watertight"]) == ("tiny_1_s7", 7, 1, True)
    assert a["bbox_m"]["min"][1] == pytest.approx(0, abs=1e-5)
    assert out.with_suffix(".preview.png").stat().st_size > 1000
    assert manifest["preview_sides"] == 2  # the default: front and back three-quarter views
    assert "size: 0.9 m at their largest" in r.output  # a model with no size on its card: --size as given


def test_size_by_height_sets_every_assets_height(model, tmp_path):
    out = tmp_path / "tall.glb"
    r = run("generate", "--n", 3, "--model", model, "--out", out, "--size", 0.8, "--size-by", "height",
            "--faces", 2000, "--no-preview")
    assert r.exit_code == 0, r.output
    meshes = glb_checks.assert_game_ready(out, size_m=0.8, size_by="height")
    across = [max(np.ptp(m["positions"][:, 0]), np.ptp(m["positions"][:, 2])) for m in meshes.values()]
    assert f"size: 0.8 m tall, {min(across):.2f}-{max(across):.2f} m across (--size 0.8 --size-by height)" in r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["settings"]["size_by"] == "height"
    assert all(a["size_m"][1] == pytest.approx(0.8, abs=1e-4) for a in manifest["assets"])
    glb_checks.load_trimesh_scene(out)


def test_preview_sides_sets_the_views_per_asset_in_the_sheet(model, tmp_path):
    from PIL import Image

    widths = {}
    for sides in (1, 3):
        out = tmp_path / f"s{sides}.glb"
        r = run("generate", "--n", 1, "--model", model, "--out", out, "--preview-sides", sides)
        assert r.exit_code == 0, r.output
        widths[sides], height = Image.open(out.with_suffix(".preview.png")).size
        assert json.loads(out.with_suffix(".manifest.json").read_text())["preview_sides"] == sides
    assert widths[3] == 3 * widths[1]
    r = run("generate", "--n", 1, "--model", model, "--out", tmp_path / "none.glb", "--no-preview")
    assert not (tmp_path / "none.preview.png").exists()
    assert json.loads((tmp_path / "none.manifest.json").read_text())["preview_sides"] == 0
    bad = tmp_path / "bad.glb"
    r = run("generate", "--n", 1, "--model", model, "--out", bad, "--preview-sides", 0)
    assert r.exit_code == 2 and "--preview-sides" in r.output and "1<=x<=8" in r.output
    assert not bad.exists() and not (tmp_path / "bad.manifest.json").exists()


def test_generate_is_reproducible_and_latents_do_not_depend_on_n(model, tmp_path):
    a, b, c = tmp_path / "a.glb", tmp_path / "b.glb", tmp_path / "c.glb"
    for out, n in ((a, 2), (b, 2), (c, 1)):
        assert run("generate", "--n", n, "--model", model, "--seed", 3, "--out", out, "--no-preview").exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    np.testing.assert_array_equal(lod0(a, "tiny_0_s3"), lod0(c, "tiny_0_s3"))


def test_split_lods_and_unreal_collision(model, tmp_path):
    out = tmp_path / "parts"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--split", "--lods", 2, "--faces", 1500,
            "--collision", "unreal", "--no-preview")
    assert r.exit_code == 0, r.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["manifest.json", "tiny_0_s0.glb", "tiny_1_s0.glb"]
    glb_checks.assert_valid([out / "tiny_0_s0.glb", out / "tiny_1_s0.glb"])
    meshes = glb_checks.assert_game_ready(out / "tiny_0_s0.glb")
    assert set(meshes) == {"tiny_0_s0_LOD0", "tiny_0_s0_LOD1", "UCX_tiny_0_s0_LOD0_00"}


@pytest.mark.parametrize("args, message", [
    (["--n", "0"], "0 is not in the range"),
    (["--n", "-2"], "not in the range"),
    (["--n", "many"], "is not a valid integer"),
    (["--seed", "x"], "is not a valid integer"),
    (["--threshold", "1.5"], "not in the range"),
    (["--faces", "3"], "not in the range"),
    (["--size", "0"], "not in the range"),
    (["--size", "1e-4"], "not in the range 0.001<=x<=10000"),  # below a millimetre every triangle is degenerate
    (["--max-tilt", "200"], "not in the range"),
    (["--level-base", "0.5"], "not in the range"),
    (["--color", "purple"], "hex colour"),
    (["--layout", "spiral"], "spiral"),
])
def test_bad_options_are_usage_errors(model, tmp_path, args, message):
    r = run("generate", "--model", model, "--out", tmp_path / "x.glb", *args)
    assert r.exit_code == 2 and message in r.output
    assert not list(tmp_path.iterdir())


def test_unknown_and_truncated_models_are_reported(model, tmp_path):
    r = run("generate", "--model", "no-such-model", "--out", tmp_path / "x.glb")
    assert r.exit_code == 2 and "unknown model" in r.output
    broken = tmp_path / "broken"
    shutil.copy(model + ".json", broken.with_suffix(".json"))
    data = Path(model + ".safetensors").read_bytes()
    broken.with_suffix(".safetensors").write_bytes(data[: len(data) // 2])
    r = run("generate", "--model", broken.with_suffix(".safetensors"), "--out", tmp_path / "x.glb")
    assert r.exit_code == 2 and "--model" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.glb").exists()
    # whole but not finite (bytes overwritten with 0xFF are NaN): said at once, not after three resamples of NaN grids
    from safetensors.numpy import load_file, save_file
    tensors = load_file(model + ".safetensors")
    prefix = "generator_ema." if any(k.startswith("generator_ema.") for k in tensors) else "generator."  # what loads
    name = next(k for k in tensors if k.startswith(prefix) and tensors[k].dtype.kind == "f")
    tensors[name] = np.full_like(tensors[name], np.nan)
    save_file(tensors, str(broken.with_suffix(".safetensors")))
    r = run("generate", "--model", broken.with_suffix(".safetensors"), "--out", tmp_path / "x.glb")
    assert r.exit_code == 2 and "weights that are not finite numbers" in r.output and "resample" not in r.output
    assert not (tmp_path / "x.glb").exists()


def test_a_run_whose_newest_checkpoint_is_damaged_generates_from_the_one_before(model, tmp_path, caplog):
    checkpoints = tmp_path / "run" / "checkpoints"
    checkpoints.mkdir(parents=True)
    for step in (1, 2):
        for suffix in (".json", ".safetensors"):
            shutil.copy(model + suffix, checkpoints / f"ckpt_{step:08d}{suffix}")
    newest = checkpoints / "ckpt_00000002.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])  # cut short by a crash
    r = run("generate", "--model", tmp_path / "run", "--out", tmp_path / "x.glb", "--threshold", THRESHOLD[model])
    assert r.exit_code == 0, r.output
    assert "ckpt_00000002 is damaged" in caplog.text and "using ckpt_00000001 instead" in caplog.text
    assert (tmp_path / "x.glb").is_file() and len(newest.read_bytes()) == 100  # the damaged file is left alone


def test_assets_of_a_training_run_are_named_after_the_run_and_its_step(model, tmp_path):
    checkpoints = tmp_path / "chairs128" / "checkpoints"
    checkpoints.mkdir(parents=True)
    meta = json.loads(Path(model + ".json").read_text())
    meta.pop("card", None)  # as the trainer writes them: no card, so no name
    (checkpoints / "ckpt_00000150.json").write_text(json.dumps(meta))
    shutil.copy(model + ".safetensors", checkpoints / "ckpt_00000150.safetensors")
    r = run("generate", "--model", tmp_path / "chairs128", "--n", "2", "--out", tmp_path / "x.glb",
            "--threshold", THRESHOLD[model])
    assert r.exit_code == 0, r.output
    names = [a["name"] for a in json.loads((tmp_path / "x.manifest.json").read_text())["assets"]]
    assert len(names) == 2 and all(n.startswith("chairs128_step150_") for n in names), names


def test_unwritable_or_existing_output(model, tmp_path):
    r = run("generate", "--model", model, "--out", tmp_path / "missing" / "x.glb")
    assert r.exit_code == 2 and "does not exist" in r.output
    a_file = tmp_path / "file"
    a_file.write_text("x")
    r = run("generate", "--model", model, "--out", a_file / "x.glb")
    assert r.exit_code == 2 and f"{a_file} is a file, not a folder" in r.output, r.output
    r = run("generate", "--model", model, "--out", a_file / "sub" / "x.glb")
    assert r.exit_code == 2 and f"{a_file} is a file, not a folder" in r.output, r.output
    r = run("generate", "--model", model, "--out", tmp_path / "x.stl")
    assert r.exit_code == 2 and ".glb" in r.output and "got x.stl" in r.output
    if Path("/proc/self").exists():  # no one can make files there, root included: refused before sampling
        r = run("generate", "--model", model, "--out", "/proc/x.glb")
        assert r.exit_code == 2 and "cannot create files in folder /proc" in r.output and "generating" not in r.output
    existing = tmp_path / "old.glb"
    existing.write_bytes(b"keep me")
    r = run("generate", "--model", model, "--out", existing)
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert existing.read_bytes() == b"keep me"


def test_empty_and_full_samples_are_refused_and_nothing_written(model, tmp_path):
    existing = tmp_path / "old.glb"
    existing.write_bytes(b"keep me")
    r = run("generate", "--n", 2, "--model", model, "--out", existing, "--overwrite", "--threshold", 0.9999,
            "--retries", 2)
    assert r.exit_code == 1
    assert "2 of 2 samples gave no valid mesh after 2 resample(s)" in r.output and "empty" in r.output
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.glb"]
    r = run("generate", "--model", model, "--out", tmp_path / "full.glb", "--threshold", 0.0001)
    assert r.exit_code == 1 and "full" in r.output
    assert not (tmp_path / "full.glb").exists()


def test_an_empty_sample_is_resampled_from_a_derived_seed(model, tmp_path, monkeypatch):
    import iggan.sampling as sampling

    real = sampling.sample_voxels
    loaded = sampling.load_model(model)
    bad = sampling.latents(0, 2, loaded.config.model.z_dim)[1]

    def fake(m, z, **kw):  # latent 1 of seed 0 gives an empty grid
        grids = real(m, z, **kw)
        for k, zk in enumerate(z):
            if np.array_equal(zk, bad):
                grids[k] = 0.0
        return grids

    monkeypatch.setattr(sampling, "sample_voxels", fake)
    out = tmp_path / "r.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--no-preview")
    assert r.exit_code == 0, r.output
    s1 = derived_seed(0, 1)
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    a = manifest["assets"][1]
    assert (a["name"], a["seed"], a["requested_seed"], a["resample_attempt"]) == (f"tiny_1_s{s1}", s1, 0, 1)
    glb_checks.assert_valid([out])
    # the name says how to make it again: --seed s1, latent index 1
    again = tmp_path / "again.glb"
    assert run("generate", "--n", 2, "--model", model, "--seed", s1, "--out", again, "--no-preview").exit_code == 0
    np.testing.assert_array_equal(lod0(out, f"tiny_1_s{s1}"), lod0(again, f"tiny_1_s{s1}"))


def replace_latent(monkeypatch, model, index: int, make_grid) -> None:
    """Make latent `index` of seed 0 sample make_grid(res) instead of the model's shape; every other
    latent, resamples included, samples as usual."""
    import iggan.sampling as sampling

    real = sampling.sample_voxels
    target = sampling.latents(0, index + 1, sampling.load_model(model).config.model.z_dim)[index]

    def fake(m, z, **kw):
        grids = real(m, z, **kw)
        for k, zk in enumerate(z):
            if np.array_equal(zk, target):
                grids[k] = make_grid(grids.shape[-1])
        return grids

    monkeypatch.setattr(sampling, "sample_voxels", fake)


def test_a_toppling_sample_is_resampled_and_every_tilt_is_in_the_manifest(model, tmp_path, monkeypatch):
    import iggan.sampling as sampling

    replace_latent(monkeypatch, model, 1, lamp_post)  # latent 1 of seed 0 gives a shape that falls over
    out = tmp_path / "t.glb"
    # 30 degrees lets the tiny model's random blobs through but not the post (about 47)
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--no-preview", "--max-tilt", 30)
    assert r.exit_code == 0, r.output
    assert "resampled 1 of 2 sample(s): 1 would topple over\n" in r.output
    assets = json.loads(out.with_suffix(".manifest.json").read_text())["assets"]
    assert assets[1].get("resample_attempt") == 1 and assets[1]["name"] == f"tiny_1_s{derived_seed(0, 1)}"
    assert all(0 <= a["rest_tilt_deg"] <= 30 for a in assets)
    # without the check the post is kept, and its tilt recorded
    kept = tmp_path / "k.glb"
    assert run("generate", "--n", 2, "--model", model, "--out", kept, "--no-preview", "--max-tilt", 180).exit_code == 0
    post = json.loads(kept.with_suffix(".manifest.json").read_text())["assets"][1]
    assert "resample_attempt" not in post and post["name"] == "tiny_1_s0" and post["rest_tilt_deg"] > 30
    # nothing that stands: a clear error that says what to do, and nothing written (a model without a
    # card, like this one, has no check unless asked; the bundled cards ask for 10 degrees)
    monkeypatch.setattr(sampling, "sample_voxels", lambda m, z, **kw: np.stack([lamp_post(16)] * len(z)))
    assert run("generate", "--model", model, "--out", tmp_path / "any.glb", "--no-preview").exit_code == 0
    r = run("generate", "--n", 2, "--model", model, "--out", tmp_path / "none.glb", "--retries", 1, "--max-tilt", 30)
    assert r.exit_code == 1 and "topple" in r.output and "--max-tilt 180" in r.output
    assert not (tmp_path / "none.glb").exists()


def test_a_flat_slab_is_resampled_by_the_cards_check_and_export_checks_only_when_asked(model, tmp_path,
                                                                                       monkeypatch):
    import iggan.sampling as sampling
    from iggan.cli.export_options import model_defaults

    assert model_defaults(sampling.load_model("chairs"))["min_height_ratio"] == 0.35
    assert model_defaults(sampling.load_model("sofas"))["min_height_ratio"] == 0.2
    replace_latent(monkeypatch, model, 0, slab)  # latent 0 of seed 0 gives a seat with no legs or back
    out = tmp_path / "f.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--no-preview", "--min-height-ratio", 0.35)
    assert r.exit_code == 0, r.output
    assert "resampled 1 of 2 sample(s): 1 too flat\n" in r.output
    assets = json.loads(out.with_suffix(".manifest.json").read_text())["assets"]
    assert assets[0]["name"] == f"tiny_0_s{derived_seed(0, 1)}" and all(a["height_ratio"] >= 0.35 for a in assets)
    # a model without a card keeps the slab, and records how flat it is
    kept = tmp_path / "k.glb"
    assert run("generate", "--n", 2, "--model", model, "--out", kept, "--no-preview").exit_code == 0
    assert json.loads(kept.with_suffix(".manifest.json").read_text())["assets"][0]["height_ratio"] < 0.2
    # only slabs: a clear error that says how to let them through, and nothing written
    monkeypatch.setattr(sampling, "sample_voxels", lambda m, z, **kw: np.stack([slab(16)] * len(z)))
    none = tmp_path / "none.glb"
    r = run("generate", "--model", model, "--out", none, "--retries", 1, "--min-height-ratio", 0.35)
    assert r.exit_code == 1 and "too flat" in r.output and "--min-height-ratio 0" in r.output
    assert not none.exists()
    np.savez(tmp_path / "slab.npz", voxels=slab(32)[None])
    assert run("export", tmp_path / "slab.npz", "--out", tmp_path / "a.glb", "--no-preview").exit_code == 0
    r = run("export", tmp_path / "slab.npz", "--out", tmp_path / "b.glb", "--min-height-ratio", 0.35)
    assert r.exit_code == 1 and "grid 0" in r.output and "too flat" in r.output


def test_a_chair_whose_base_broke_off_is_joined_or_resampled_by_the_cards_check(model, tmp_path, monkeypatch):
    from iggan.cli.export_options import model_defaults
    import iggan.sampling as sampling

    assert model_defaults(sampling.load_model("chairs"))["max_loose_share"] == 0.05
    replace_latent(monkeypatch, model, 0, lambda res: swivel_chair(res, gap_occupancy=0.0))  # the base lost
    out = tmp_path / "b.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--no-preview", "--max-loose", 0.05)
    assert r.exit_code == 0, r.output
    assert "resampled 1 of 2 sample(s): 1 in pieces\n" in r.output
    assert json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]["name"] == \
        f"tiny_0_s{derived_seed(0, 1)}"
    # a gap the generator nearly filled is joined: the chair is kept whole, base and all
    replace_latent(monkeypatch, model, 0, lambda res: swivel_chair(res, gap_occupancy=0.4))
    whole = tmp_path / "w.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", whole, "--no-preview", "--max-loose", 0.05)
    assert r.exit_code == 0 and "resampled" not in r.output, r.output
    chair = json.loads(whole.with_suffix(".manifest.json").read_text())["assets"][0]
    assert chair["name"] == "tiny_0_s0" and chair["bodies"] == 1
    assert chair["size_m"][0] > 0.65 * chair["size_m"][1]  # the base is wider than the seat (0.53 of the height)


def test_distinct_resamples_a_shape_too_like_one_kept_and_says_when_it_cannot(model, tmp_path, monkeypatch):
    import iggan.sampling as sampling

    first, second = sampling.latents(0, 2, sampling.load_model(model).config.model.z_dim)
    post = lamp_post(16)

    def fake(m, z, **kw):  # latent 0: a post; latent 1: the same post turned about +Y; resamples: tables
        return np.stack([post if np.array_equal(zk, first) else np.rot90(post, 1, axes=(0, 2))
                         if np.array_equal(zk, second) else table(16) for zk in z])

    monkeypatch.setattr(sampling, "sample_voxels", fake)
    plain = tmp_path / "plain.glb"
    assert run("generate", "--n", 2, "--model", model, "--out", plain, "--no-preview").exit_code == 0
    assert [a["name"] for a in json.loads(plain.with_suffix(".manifest.json").read_text())["assets"]] == \
        ["tiny_0_s0", "tiny_1_s0"]
    out = tmp_path / "d.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--no-preview", "--distinct")
    assert r.exit_code == 0, r.output
    assert "resampled 1 of 2 sample(s): 1 too like another\n" in r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    # a model without a card gets the package's distance
    assert manifest["distinct_distance"] == 0.004 and manifest["model_source"] == model
    assert [a["name"] for a in manifest["assets"]] == ["tiny_0_s0", f"tiny_1_s{derived_seed(0, 1)}"]
    glb_checks.assert_valid([out])
    # a model that makes one shape only: a clear error that says what to do, and nothing written
    monkeypatch.setattr(sampling, "sample_voxels", lambda m, z, **kw: np.stack([post] * len(z)))
    none = tmp_path / "none.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", none, "--retries", 2, "--distinct", 0.01)
    assert r.exit_code == 1 and "1 of 2 samples gave no valid mesh far enough from the others" in r.output
    assert "too like tiny_0_s0" in r.output and "ask for fewer (--n)" in r.output
    assert not none.exists() and not none.with_suffix(".manifest.json").exists()
    r = run("generate", "--n", 2, "--model", model, "--out", none, "--no-preview", "--distinct", 0.01)
    assert r.exit_code == 1 and "after 20 resample(s)" in r.output  # --distinct's default; 3 without
    r = run("generate", "--model", model, "--out", none, "--distinct", 0)
    assert r.exit_code == 2 and "--distinct" in r.output and "> 0" in r.output


def test_the_bundled_cards_keep_their_assets_apart_and_name_the_default_model_as_model_takes_it(tmp_path):
    from iggan.cli.export_options import model_defaults
    from iggan.sampling import load_model

    assert model_defaults(load_model("chairs"))["distinct_distance"] == 0.0045
    assert model_defaults(load_model("sofas"))["distinct_distance"] == 0.0031
    out = tmp_path / "c.glb"
    assert run("generate", "--n", 2, "--out", out, "--no-preview", "--distinct").exit_code == 0
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert (manifest["model"], manifest["model_source"], manifest["distinct_distance"]) == ("chair", "chairs", 0.0045)


def test_the_bundled_cards_refuse_shapes_that_fall_over_and_export_checks_only_when_asked(tmp_path):
    from iggan.cli.export_options import model_defaults
    from iggan.sampling import load_model

    assert model_defaults(load_model("chairs"))["max_tilt_deg"] == 10
    assert model_defaults(load_model("sofas"))["max_tilt_deg"] == 10
    np.savez(tmp_path / "post.npz", voxels=lamp_post(32)[None])
    assert run("export", tmp_path / "post.npz", "--out", tmp_path / "a.glb", "--no-preview").exit_code == 0
    r = run("export", tmp_path / "post.npz", "--out", tmp_path / "b.glb", "--max-tilt", 10)
    assert r.exit_code == 1 and "grid 0" in r.output and "topple" in r.output


def test_the_bundled_cards_level_bases_and_export_levels_only_when_asked(tmp_path):
    from iggan.cli.export_options import model_defaults
    from iggan.sampling import load_model

    assert model_defaults(load_model("chairs"))["level_base"] == 0.1
    assert model_defaults(load_model("sofas"))["level_base"] == 0.1
    np.savez(tmp_path / "sofa.npz", voxels=drip_sofa()[None])
    reports = {}
    for name, extra in (("as_is", []), ("levelled", ["--level-base", 0.1])):
        out = tmp_path / f"{name}.glb"
        assert run("export", tmp_path / "sofa.npz", "--out", out, "--no-preview", *extra).exit_code == 0
        reports[name] = json.loads(out.with_suffix(".manifest.json").read_text())["assets"][0]
    assert reports["as_is"]["base_trimmed_layers"] == 0 and reports["as_is"]["rest_tilt_deg"] > 2
    assert reports["levelled"]["base_trimmed_layers"] == 2 and reports["levelled"]["rest_tilt_deg"] < 0.5


def test_uv_puts_an_atlas_on_every_lod_but_not_on_the_collision_hull(model, tmp_path):
    pytest.importorskip("xatlas", reason="xatlas is a dependency: bash scripts/setup.sh installs it")
    plain, mapped = tmp_path / "plain.glb", tmp_path / "uv.glb"
    for out, extra in ((plain, []), (mapped, ["--uv"])):
        r = run("generate", "--n", 2, "--model", model, "--out", out, "--lods", 2, "--collision", "--no-preview",
                *extra)
        assert r.exit_code == 0, r.output
    glb_checks.assert_valid([mapped])
    meshes = glb_checks.assert_game_ready(mapped)
    before = glb_checks.read_meshes(plain)
    for name, m in meshes.items():
        if "convcolonly" in name:
            assert m["uvs"] is None
            continue
        assert m["uvs"] is not None and len(m["uvs"]) == len(m["positions"]), name
        # the same surface, triangle for triangle; only the seams' vertices are copied
        np.testing.assert_array_equal(m["positions"][m["faces"]], before[name]["positions"][before[name]["faces"]])
    assert before["tiny_0_s0_LOD0"]["uvs"] is None
    assert json.loads(mapped.with_suffix(".manifest.json").read_text())["settings"]["uv"] is True


def test_ao_bakes_an_occlusion_map_for_every_lod(model, tmp_path):
    pytest.importorskip("xatlas", reason="xatlas is a dependency: bash scripts/setup.sh installs it")
    import io

    import pygltflib
    from PIL import Image

    out = tmp_path / "ao.glb"
    r = run("generate", "--n", 2, "--model", model, "--out", out, "--lods", 2, "--collision", "--ao", "--no-preview")
    assert r.exit_code == 0, r.output
    glb_checks.assert_valid([out])
    meshes = glb_checks.assert_game_ready(out)
    gltf = pygltflib.GLTF2().load(str(out))
    blob = gltf.binary_blob()
    textures = set()
    for mesh in gltf.meshes:
        material = gltf.materials[mesh.primitives[0].material]
        if "convcolonly" in mesh.name:
            assert material.occlusionTexture is None
            continue
        assert meshes[mesh.name]["uvs"] is not None  # --ao implies --uv
        assert material.pbrMetallicRoughness.metallicFactor == 0.0
        tex = material.occlusionTexture.index
        textures.add(tex)
        view = gltf.bufferViews[gltf.images[gltf.textures[tex].source].bufferView]
        image = np.asarray(Image.open(io.BytesIO(blob[view.byteOffset:view.byteOffset + view.byteLength])))
        assert image.shape == ((256, 256) if mesh.name.endswith("LOD0") else (128, 128))
        assert image.min() < image.max()  # shaded somewhere, more open elsewhere (the noise shapes of this model)
    assert len(textures) == 4  # 2 assets x 2 LODs, each over its own atlas
    settings = json.loads(out.with_suffix(".manifest.json").read_text())["settings"]
    assert settings["ao"] is True and settings["uv"] is True


def test_export_of_your_own_grids_takes_uv_and_ao_too(tmp_path):
    pytest.importorskip("xatlas", reason="xatlas is a dependency: bash scripts/setup.sh installs it")
    import pygltflib

    np.savez(tmp_path / "t.npz", voxels=table(32)[None])
    for flag, has_map in (("--uv", False), ("--ao", True)):
        out = tmp_path / f"t{flag}.glb"
        r = run("export", tmp_path / "t.npz", "--out", out, "--no-preview", flag)
        assert r.exit_code == 0, r.output
        glb_checks.assert_valid([out])
        assert glb_checks.assert_game_ready(out)["t_0"]["uvs"] is not None
        gltf = pygltflib.GLTF2().load(str(out))
        assert (gltf.materials[0].occlusionTexture is not None) == has_map and len(gltf.images) == int(has_map)


def test_interpolate_keeps_the_frames_bases_unless_asked(tmp_path):
    """Levelled one by one, the bundled sofas' morph from seed 2 to 3 would lose 1, 2, 0 and 0 bottom
    layers: the frames would jump up and down. So interpolate takes no levelling from the card."""
    trims = {}
    for name, extra in (("card", []), ("asked", ["--level-base", 0.1])):
        out = tmp_path / f"{name}.glb"
        r = run("interpolate", "--model", "sofas", "--seeds", 2, 3, "--n", 4, "--out", out, "--no-preview", *extra)
        assert r.exit_code == 0, r.output
        manifest = json.loads(out.with_suffix(".manifest.json").read_text())
        trims[name] = [a["base_trimmed_layers"] for a in manifest["assets"]]
    assert trims["card"] == [0, 0, 0, 0]
    assert len(set(trims["asked"])) > 1  # what the card's 0.1 would have done


def test_pick_exports_exactly_the_named_shapes_of_an_earlier_set(model, tmp_path):
    first = tmp_path / "first.glb"
    assert run("generate", "--n", 4, "--model", model, "--seed", 7, "--out", first, "--no-preview").exit_code == 0
    other = tmp_path / "other.glb"  # a name whose seed is another than --seed's, as a resampled asset's is
    assert run("generate", "--n", 1, "--model", model, "--seed", 99, "--out", other, "--no-preview").exit_code == 0
    out = tmp_path / "picked.glb"
    r = run("generate", "--pick", "tiny_3_s7, tiny_0_s99,1", "--seed", 7, "--model", model, "--out", out,
            "--lods", 2, "--no-preview")
    assert r.exit_code == 0, r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert [a["name"] for a in manifest["assets"]] == ["tiny_3_s7", "tiny_0_s99", "tiny_1_s7"]  # in the order given
    assert [(a["seed"], a["latent_index"]) for a in manifest["assets"]] == [(7, 3), (99, 0), (7, 1)]
    assert manifest["picked"] == "tiny_3_s7, tiny_0_s99,1" and "n" not in manifest
    picked = glb_checks.read_meshes(out)
    for name, source in (("tiny_3_s7", first), ("tiny_0_s99", other), ("tiny_1_s7", first)):
        before = glb_checks.read_meshes(source)[name]  # the same shape, vertex for vertex, now with 2 LODs
        np.testing.assert_array_equal(picked[f"{name}_LOD0"]["positions"], before["positions"])
        np.testing.assert_array_equal(picked[f"{name}_LOD0"]["faces"], before["faces"])


@pytest.mark.parametrize("args, message", [
    (["--pick", "chair_1_s0"], "not an asset of this model, whose assets are named tiny_<index>_s<seed>"),
    (["--pick", "tiny_1_s0,1"], "1 is picked twice"),  # index 1 of --seed 0 is tiny_1_s0
    (["--pick", "my favourite"], "is neither an asset name like chair_12_s0 nor a latent index"),
    (["--pick", "1", "--n", "5"], "--pick names the shapes to export; drop --n"),
    (["--pick", "1", "--distinct"], "drop --distinct"),
    (["--pick", "99999999999"], "latent indices run from 0 to 9999"),  # not 10^11 latents drawn to find out
    (["--pick", "tiny_1_s5,tiny_2_s3", "--seed", "3"], "tiny_1_s5 names its own seed (5), and --seed 3 applies only"),
])
def test_bad_picks_are_refused_before_anything_is_written(model, tmp_path, args, message):
    r = run("generate", "--model", model, "--out", tmp_path / "p.glb", *args)
    assert r.exit_code == 2 and message in r.output, r.output
    assert list(tmp_path.iterdir()) == []


def test_a_failure_of_named_shapes_suggests_only_what_the_command_can_do(tmp_path):
    """--pick and interpolate never resample, so their failures do not send the user to --seed or --retries."""
    for args in (["generate", "--pick", "chair_3_s0"], ["interpolate", "--between", "chair_1_s0", "chair_3_s0",
                                                         "--n", 2]):
        r = run(*args, "--min-height-ratio", 10, "--out", tmp_path / "p.glb", "--no-preview")
        assert r.exit_code == 1 and "(let such shapes through with --min-height-ratio 0)" in r.output, r.output
    r = run("generate", "--n", 1, "--retries", 1, "--min-height-ratio", 10, "--out", tmp_path / "p.glb")
    assert "(try another --seed or more --retries, or let such shapes through" in r.output, r.output
    assert list(tmp_path.iterdir()) == []


def test_a_picked_shape_is_kept_though_the_cards_check_would_resample_it(tmp_path, monkeypatch):
    replace_latent(monkeypatch, "chairs", 1, lamp_post)  # latent 1 of seed 0 falls over (about 47 degrees)
    r = run("generate", "--n", 2, "--out", tmp_path / "set.glb", "--no-preview")
    assert r.exit_code == 0 and "1 would topple over" in r.output  # the chairs card's 10-degree check
    r = run("generate", "--pick", "chair_1_s0", "--out", tmp_path / "pick.glb", "--no-preview")
    assert r.exit_code == 0, r.output
    asset = json.loads((tmp_path / "pick.manifest.json").read_text())["assets"][0]
    assert asset["name"] == "chair_1_s0" and asset["rest_tilt_deg"] > 30  # chosen, so kept as it is


def test_variations_of_and_interpolate_between_named_shapes_start_from_them(model, tmp_path):
    first = tmp_path / "first.glb"
    assert run("generate", "--n", 4, "--model", model, "--seed", 7, "--out", first, "--no-preview").exit_code == 0
    made = glb_checks.read_meshes(first)
    var = tmp_path / "var.glb"
    r = run("variations", "--of", "tiny_2_s7", "--n", 3, "--model", model, "--out", var, "--no-preview")
    assert r.exit_code == 0, r.output
    manifest = json.loads(var.with_suffix(".manifest.json").read_text())
    assert [a["name"][:13] for a in manifest["assets"]] == ["tiny_2_var0_s", "tiny_2_var1_s", "tiny_2_var2_s"]
    assert (manifest["seed"], manifest["latent_index"]) == (7, 2)
    np.testing.assert_array_equal(lod0(var, "tiny_2_var0_s7"), made["tiny_2_s7"]["positions"])  # variation 0: itself
    morph = tmp_path / "morph.glb"
    r = run("interpolate", "--between", "tiny_1_s7", "tiny_3_s7", "--n", 3, "--model", model, "--out", morph,
            "--no-preview")
    assert r.exit_code == 0, r.output
    assets = json.loads(morph.with_suffix(".manifest.json").read_text())["assets"]
    names = [a["name"] for a in assets]
    assert all(a["seeds"] == [7, 7] and a["latent_indices"] == [1, 3] and "latent_index" not in a for a in assets)
    assert names == ["tiny_0_1s7to3s7", "tiny_1_1s7to3s7", "tiny_2_1s7to3s7"]
    np.testing.assert_array_equal(lod0(morph, names[0]), made["tiny_1_s7"]["positions"])  # the two ends
    np.testing.assert_array_equal(lod0(morph, names[2]), made["tiny_3_s7"]["positions"])
    for args, message in ((["interpolate", "--between", "tiny_1_s7", "12"], "'12' is not an asset name"),
                          (["interpolate"], "give the two ends"),
                          (["interpolate", "--seeds", 1, 2, "--between", "tiny_1_s7", "tiny_3_s7"], "give the two ends"),
                          (["variations", "--of", "chair_1_s0"], "not an asset of this model"),
                          (["variations", "--of", "tiny_2_s7", "--seed", 3], "names its own seed (7)")):
        r = run(*args, "--model", model, "--out", tmp_path / "bad.glb")
        assert r.exit_code == 2 and message in r.output, r.output
    assert not (tmp_path / "bad.glb").exists()


def test_variations_and_interpolate(model, tmp_path):
    v, i, g = tmp_path / "v.glb", tmp_path / "i.glb", tmp_path / "g.glb"
    r = run("variations", "--seed", 4, "--n", 3, "--model", model, "--out", v, "--no-preview")
    assert r.exit_code == 0, r.output
    r = run("interpolate", "--seeds", 4, 9, "--n", 3, "--model", model, "--out", i, "--no-preview")
    assert r.exit_code == 0, r.output
    assert run("generate", "--seed", 4, "--model", model, "--out", g, "--no-preview").exit_code == 0
    glb_checks.assert_valid([v, i])
    vm, im = glb_checks.assert_game_ready(v), glb_checks.assert_game_ready(i)
    assert set(vm) == {"tiny_var0_s4", "tiny_var1_s4", "tiny_var2_s4"}
    assert set(im) == {"tiny_0_s4to9", "tiny_1_s4to9", "tiny_2_s4to9"}
    base = lod0(g, "tiny_0_s4")  # variation 0 and the interpolation's start are that shape
    np.testing.assert_array_equal(vm["tiny_var0_s4"]["positions"], base)
    np.testing.assert_array_equal(im["tiny_0_s4to9"]["positions"], base)
    assert run("interpolate", "--seeds", 4, "--n", 3, "--model", model, "--out", i).exit_code == 2


def test_export_npz(tmp_path):
    grids = np.zeros((3, 12, 12, 12), np.float32)
    grids[0, 2:10, 2:10, 2:10] = 1.0
    grids[2, 4:8, 1:11, 4:8] = 0.8
    np.savez(tmp_path / "v.npz", voxels=grids)
    out = tmp_path / "o.glb"
    r = run("export", tmp_path / "v.npz", "--out", out)
    assert r.exit_code == 1 and "grid 1" in r.output and "empty" in r.output and not out.exists()
    r = run("export", tmp_path / "v.npz", "--out", out, "--skip-invalid", "--size", 0.5)
    assert r.exit_code == 0, r.output
    assert "skipped grid 1" in r.output
    glb_checks.assert_valid([out])
    assert set(glb_checks.assert_game_ready(out, size_m=0.5)) == {"v_0", "v_2"}
    np.savez(tmp_path / "one.npz", voxels=grids[2])  # a single (R, R, R) grid, z-up
    r = run("export", tmp_path / "one.npz", "--out", tmp_path / "one.glb", "--up", "z", "--name", "post")
    assert r.exit_code == 0, r.output
    p = glb_checks.assert_game_ready(tmp_path / "one.glb")["post_0"]["positions"]
    assert np.ptp(p[:, 2]) > 2 * np.ptp(p[:, 1])  # the post stood along grid y: with --up z it lies along z


def test_export_mirror_makes_shapes_symmetric_and_is_recorded(tmp_path):
    g = np.zeros((16, 16, 16), np.float32)
    g[4:10, 6:8, 4:12] = 1.0  # a slab centred on x = 7 ...
    g[10:14, 6:8, 4:6] = 1.0  # ... with a one-sided arm
    np.savez(tmp_path / "v.npz", voxels=g)
    widths = {}
    for mirror in (None, "x"):
        out = tmp_path / f"{mirror}.glb"
        r = run("export", tmp_path / "v.npz", "--out", out, "--no-preview", *(["--mirror", mirror] if mirror else []))
        assert r.exit_code == 0, r.output
        p = glb_checks.assert_game_ready(out)["v_0"]["positions"]
        widths[mirror] = np.ptp(p[:, 0]) / np.ptp(p[:, 2])
        assert json.loads(out.with_suffix(".manifest.json").read_text())["settings"]["mirror"] == mirror
    assert widths["x"] < 0.8 * widths[None]  # the arm had no counterpart, so it went
    r = run("export", tmp_path / "v.npz", "--out", tmp_path / "y.glb", "--mirror", "y")
    assert r.exit_code == 2 and "'y' is not one of 'x', 'z', 'auto'" in r.output


@pytest.mark.parametrize("content, message", [
    ({"other": np.zeros((4, 4, 4))}, "no 'voxels'"),
    ({"voxels": np.zeros((4, 4))}, "(R, R, R) or (N, R, R, R)"),
    ({"voxels": np.full((4, 4, 4), 255.0)}, "[0, 1]"),
    ({"voxels": np.full((4, 4, 4), np.nan)}, "NaN"),
])
def test_export_rejects_bad_npz(tmp_path, content, message):
    np.savez(tmp_path / "bad.npz", **content)
    r = run("export", tmp_path / "bad.npz", "--out", tmp_path / "o.glb")
    assert r.exit_code == 2 and message in r.output


def test_export_rejects_non_npz_and_bad_select(tmp_path):
    (tmp_path / "x.npz").write_text("not a zip")
    r = run("export", tmp_path / "x.npz", "--out", tmp_path / "o.glb")
    assert r.exit_code == 2 and "cannot read" in r.output and "not a NumPy .npz" in r.output
    # a GLB passed by mistake is named as one (np.load alone would talk of pickled data)
    assert run("generate", "--n", 1, "--out", tmp_path / "made.glb", "--no-preview").exit_code == 0
    r = run("export", tmp_path / "made.glb", "--out", tmp_path / "o.glb")
    assert r.exit_code == 2 and "is a GLB (binary glTF)" in r.output and "pickle" not in r.output
    np.savez(tmp_path / "v.npz", voxels=np.ones((2, 4, 4, 4)) * 0.0)
    r = run("export", tmp_path / "v.npz", "--out", tmp_path / "o.glb", "--select", "5")
    assert r.exit_code == 2 and "select nothing" in r.output
    r = run("export", tmp_path / "v.npz", "--out", tmp_path / "o.glb", "--select", "1,-1")  # -1 is grid 1 of 2
    assert r.exit_code == 2 and "grid 1 is selected twice" in r.output and not (tmp_path / "o.glb").exists()


def test_models_lists_bundled_models_with_their_cards():
    import json

    r = run("models")
    assert r.exit_code == 0
    assert "chairs: 32^3 voxels" in r.output and "GPU min" in r.output and "metrics: " in r.output
    assert r.output.count("limitations: ") == 2  # each card says what its model does not do well
    assert ("generate defaults: assets named chair_<i>, 0.86 m tall, threshold 0.5, resample a shape that topples "
            "over 10 degrees, or is less than 0.35 times as tall as wide") in r.output
    assert "assets named sofa_<i>, 0.84 m tall" in r.output
    # what else ships, so the README's table and this list agree
    assert "also bundled" in r.output and "  proxy_fast: 3.1 MB, Proxy neural renderer" in r.output
    assert "  eval_classifier: 1.5 MB, feature network of evaluate's FID/KID" in r.output
    cards = json.loads(run("models", "--json").output)
    assert {"chairs", "sofas"} <= set(cards)
    assert cards["chairs"]["card"]["steps"] > 0 and cards["chairs"]["path"].endswith("chairs")


def test_timings_list_stages_in_pipeline_order_however_they_were_first_timed(model, tmp_path):
    r = run("generate", "--n", 2, "--model", model, "--out", tmp_path / "t.glb", "--no-preview", "--timings")
    assert r.exit_code == 0
    from iggan.cli.timings import Timings
    t = Timings()
    for stage in ("write", "level", "load", "clean", "my_stage"):
        t.add(stage, 0.5)
    rows = [line.split()[0] for line in t.table(1.0).splitlines()[1:]]
    assert rows == ["load", "clean", "level", "write", "my_stage", "total"]
    shown = [line.split()[0] for line in r.output.splitlines() if line.split() and line.split()[0] in
             ("load", "sample", "clean", "surface", "smooth", "stand", "decimate", "write")]
    assert shown == ["load", "sample", "clean", "surface", "smooth", "stand", "decimate", "write"]
