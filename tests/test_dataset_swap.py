"""dataset_swap: the files an old manifest lists (never outside its folder) and the staged swap."""
import json

from iggan.dataset_swap import STAGING, commit_staged, fresh_staging, listed_images


def _manifest(folder, files):
    (folder / "manifest.json").write_text(json.dumps({"objects": [{"images": [{"file": f} for f in files]}]}))


def test_listed_images_are_plain_names_only(tmp_path):
    _manifest(tmp_path, ["00000_a_00.png", "../escape.png", "/etc/passwd", "sub/x.png"])
    assert listed_images(tmp_path) == ["00000_a_00.png"]
    assert listed_images(tmp_path / "none") == []
    (tmp_path / "manifest.json").write_text("{broken")
    assert listed_images(tmp_path) == []


def test_commit_moves_the_new_set_in_and_removes_only_old_listed_files(tmp_path):
    for name in ("00000_a_00.png", "00001_b_00.png", "user.png"):
        (tmp_path / name).write_text("old")
    _manifest(tmp_path, ["00000_a_00.png", "00001_b_00.png"])
    old = listed_images(tmp_path)
    staging = fresh_staging(tmp_path)
    (staging / "00000_a_00.png").write_text("new")
    _manifest(staging, ["00000_a_00.png"])
    assert commit_staged(tmp_path, old) == ["00000_a_00.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00000_a_00.png", "manifest.json", "user.png"]
    assert (tmp_path / "00000_a_00.png").read_text() == "new" and not (tmp_path / STAGING).exists()
