"""iggan/api.py: the commands as Python functions, with a tiny random-init generator."""
import json

import numpy as np
import pytest

import glb_checks
from iggan import api
from iggan.cli.main import main


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """(checkpoint stem, threshold): a random-init 16^3 generator and a threshold at which its output is ~40% solid."""
    from iggan import sampling

    stem = str(sampling.save_random_model(tmp_path_factory.mktemp("model") / "tiny", "tiny", seed=0))
    loaded = sampling.load_model(stem)
    grids = sampling.sample_voxels(loaded, sampling.latents(0, 4, loaded.config.model.z_dim))
    return stem, float(np.clip(np.quantile(grids, 0.6), 1e-3, 1 - 1e-3))


def test_generate_returns_the_manifest_it_wrote(model, tmp_path):
    stem, threshold = model
    out = tmp_path / "chairs.glb"
    manifest = api.generate(out, n=2, model=stem, threshold=threshold, seed=3, faces=1500, lods=2,
                            collision="godot", no_preview=True)
    assert json.loads(json.dumps(manifest)) == json.loads(out.with_suffix(".manifest.json").read_text())
    assert [a["name"] for a in manifest["assets"]] == ["tiny_0_s3", "tiny_1_s3"]
    assert manifest["settings"]["lods"] == 2 and not out.with_suffix(".preview.png").exists()
    meshes = glb_checks.read_meshes(out)
    assert {"tiny_0_s3_LOD1", "tiny_0_s3-convcolonly"} <= set(meshes)
    assert all(len(m["faces"]) <= 1500 for name, m in meshes.items() if name.startswith("tiny_0_s3"))


def test_options_become_the_command_line_the_cli_would_parse():
    generate = main.get_command(None, "generate")
    line = api.command_arguments(generate, (), {"n": 5, "uv": True, "no_preview": True, "distinct": True,
                                                "collision": "unreal", "seed": None})
    assert line == ["--n", "5", "--uv", "--no-preview", "--distinct", "--collision", "unreal"]
    assert api.command_arguments(generate, (), {"distinct": 0.01}) == ["--distinct", "0.01"]
    export = main.get_command(None, "export")
    assert api.command_arguments(export, ("grids.npz",), {"out": "a.glb"}) == ["grids.npz", "--out", "a.glb"]


def test_a_refusal_is_a_command_error_with_the_cli_message(model, tmp_path):
    stem, threshold = model
    out = tmp_path / "a.glb"
    out.write_bytes(b"keep me")
    with pytest.raises(api.CommandError, match="exists; pass --overwrite"):
        api.generate(out, n=1, model=stem, threshold=threshold)
    assert out.read_bytes() == b"keep me"
    with pytest.raises(api.CommandError, match="--faces"):
        api.generate(tmp_path / "b.glb", n=1, model=stem, faces=-3)


def test_unknown_options_and_commands_are_type_errors(tmp_path):
    with pytest.raises(TypeError, match="generate takes no option 'count'; it takes: .*faces"):
        api.generate(tmp_path / "a.glb", count=3)
    with pytest.raises(TypeError, match="no command 'sample'"):
        api.run("sample")


def test_a_groups_subcommand_takes_its_own_options(tmp_path):
    with pytest.raises(api.CommandError, match="unknown model 'tables'"):  # --model reached build-extension
        api.run("blender", "build-extension", out=tmp_path / "e", offline=True, models=["tables"])
    with pytest.raises(TypeError, match="blender needs a subcommand first: one of .*fbx"):
        api.run("blender", out=tmp_path / "e")


def test_match_takes_one_photo_as_a_path_or_a_string(tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_text("not an image")
    for given in (photo, str(photo)):  # not a list of one-letter paths, nor a TypeError from *photos
        with pytest.raises(api.CommandError, match="photo.png: not an image"):
            api.match(given, tmp_path / "m.glb")


def test_export_takes_grids_from_a_file(tmp_path):
    grids = np.zeros((2, 16, 16, 16), np.float32)
    grids[:, 4:12, 2:10, 4:12] = 1.0
    grids[1, 4:12, 10:14, 4:6] = 1.0  # a back: the two shapes differ
    np.savez(tmp_path / "grids.npz", voxels=grids)
    manifest = api.export(tmp_path / "grids.npz", tmp_path / "boxes.glb", name="box", no_preview=True)
    assert [a["name"] for a in manifest["assets"]] == ["box_0", "box_1"]
    glb_checks.assert_valid([tmp_path / "boxes.glb"])


def test_models_gives_the_bundled_cards_as_data():
    listed = api.models()
    assert {"chairs", "sofas"} <= set(listed)
    assert listed["chairs"]["card"]["export"]["size_m"] == 0.86 and listed["chairs"]["path"].endswith("chairs")


def test_ctrl_c_reaches_the_caller_as_keyboard_interrupt(model, tmp_path, monkeypatch):
    """Regression: click's main() turned it into click.Abort (a RuntimeError) even with standalone_mode=False."""
    import iggan.cli.generate as generate_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(generate_cli, "make_assets", interrupted)
    stem, threshold = model
    with pytest.raises(KeyboardInterrupt):
        api.generate(tmp_path / "a.glb", n=1, model=stem, threshold=threshold)


def test_false_leaves_an_optional_value_off_and_a_list_is_refused_by_name():
    generate = main.get_command(None, "generate")
    assert api.command_arguments(generate, (), {"collision": False, "distinct": False}) == []
    with pytest.raises(TypeError, match="palette takes a str, path or number, not list"):
        api.command_arguments(generate, (), {"palette": ["#5c4033", "#b98b5a"]})
    assert api.command_arguments(generate, (), {"n": np.int64(3)}) == ["--n", "3"]
    build = main.get_command(None, "blender").get_command(None, "build-extension")
    assert api.command_arguments(build, (), {"models": "chairs"}) == ["--model", "chairs"]
    with pytest.raises(TypeError, match="for grids in memory call iggan.asset_export.export_grids"):
        api.export(np.zeros((1, 8, 8, 8)), "a.glb")
