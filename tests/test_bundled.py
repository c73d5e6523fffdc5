"""The shipped models: cards, sizes, and the headline command on the default model."""
import json

from click.testing import CliRunner

from iggan.cli.main import main
from iggan.sampling import BUNDLED_DIR, bundled_models, latents, load_model, sample_voxels
from glb_checks import assert_game_ready, assert_valid


def test_bundled_generators_have_cards_and_fit_the_size_budget():
    models = bundled_models()
    assert {"chairs", "sofas"} <= set(models)
    for name in ("chairs", "sofas"):
        card = json.loads((BUNDLED_DIR / f"{name}.json").read_text())["card"]
        for key in ("data", "views", "steps", "gpu_minutes", "device", "licence", "metrics"):
            assert card.get(key), f"{name} card lacks {key}"
    total = sum(p.stat().st_size for p in BUNDLED_DIR.glob("*.safetensors"))
    assert total < 30e6  # issue 8: about 25 MB for everything shipped


def test_default_chairs_make_chair_sized_non_degenerate_shapes():
    model = load_model("chairs")
    grids = sample_voxels(model, latents(0, 8, model.config.model.z_dim)) > 0.5
    occupancy = grids.mean(axis=(1, 2, 3))
    assert ((occupancy > 0.005) & (occupancy < 0.5)).all()  # neither empty nor full
    # +Y up: chairs have legs, so the bottom layers are sparser than the seat height
    rows = grids.mean(axis=(0, 1, 3))
    assert rows[:4].mean() < rows.max()


def test_headline_generate_uses_the_bundled_chairs(tmp_path):
    out = tmp_path / "chairs.glb"
    r = CliRunner().invoke(main, ["generate", "--n", "3", "--out", str(out), "--no-preview"])
    assert r.exit_code == 0, r.output
    manifest = json.loads(out.with_suffix(".manifest.json").read_text())
    assert manifest["model"] == "chair" and len(manifest["assets"]) == 3
    assert_valid([out])  # Khronos validator: 0 errors, 0 warnings (skips without node)
    meshes = assert_game_ready(out, size_m=0.86, size_by="height")  # the card: 0.86 m tall chairs
    assert manifest["settings"]["size_by"] == "height"
    assert len([n for n in meshes if not n.endswith(("-convcolonly", "-colonly"))]) >= 3
