"""asset_export/bundle.py: an export that fails or is interrupted while writing leaves nothing behind."""
import errno

import numpy as np
import pytest

from iggan.asset_export import ExportSettings, export_grids, grid_to_asset, place_assets, plan_outputs, write_bundle
from iggan.asset_export import atomic, bundle
from iggan.asset_export.gltf_separate import write_gltf_files


def boxes():
    grids = np.zeros((2, 16, 16, 16), np.float32)
    grids[:, 4:12, 2:10, 4:12] = 1.0
    return grids


SETTINGS = ExportSettings(faces=500, smooth_iterations=0, thumbnail_size=32)


def test_ctrl_c_while_drawing_the_preview_writes_nothing(tmp_path, monkeypatch):
    """Regression: the GLB and manifest were written before the sheet was drawn, so a Ctrl-C there left them,
    and the retry refused with 'exists; pass --overwrite'."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle, "contact_sheet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_grids(boxes(), tmp_path / "a.glb", SETTINGS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_a_full_disk_while_writing_removes_what_the_export_made(tmp_path, monkeypatch, suffix):
    real = atomic.atomic_write

    def disk_full_at_the_manifest(path, data, overwrite=False):
        if path.name.endswith(".manifest.json"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data, overwrite)

    monkeypatch.setattr(bundle, "atomic_write", disk_full_at_the_manifest)
    (tmp_path / "keep.txt").write_text("a user's file")
    out = tmp_path / f"a{suffix}"
    outputs = plan_outputs(out, False, False, 1, suffix=suffix)
    placed = place_assets(["a", "b"], [grid_to_asset(g, SETTINGS) for g in boxes()], [{}, {}], "grid")
    writer = write_gltf_files if suffix == ".gltf" else bundle.write_glb_files
    with pytest.raises(OSError, match="No space"):
        write_bundle(placed, outputs, SETTINGS, {}, write_files=writer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]  # GLB, .bin, icons and their folder gone
    monkeypatch.setattr(bundle, "atomic_write", real)
    manifest = write_bundle(placed, outputs, SETTINGS, {}, write_files=writer)  # the retry needs no --overwrite
    assert (tmp_path / "a.manifest.json").is_file() and len(manifest["assets"]) == 2


def test_a_failed_overwrite_keeps_the_files_it_did_not_make(tmp_path, monkeypatch):
    export_grids(boxes(), tmp_path / "a.glb", SETTINGS)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    monkeypatch.setattr(bundle, "contact_sheet", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        export_grids(boxes(), tmp_path / "a.glb", SETTINGS, overwrite=True)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_manifest_naming_other_files_does_not_get_them_deleted(tmp_path):
    """A replacing export (--overwrite) deletes the files the folder's old manifest names; a manifest naming
    notes.txt (edited by hand, or come with a downloaded folder) had it deleted too."""
    import json

    from iggan.asset_export.bundle import asset_files_named_by
    from iggan.asset_export.thumbnails import thumbnails_named_by
    (tmp_path / "thumbnails").mkdir()
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"assets": [{"file": "notes.txt", "thumbnail": "thumbnails/notes.txt"},
                                               {"file": "chair_0.glb", "thumbnail": "thumbnails/chair_0.png"}]}))
    assert asset_files_named_by(manifest, tmp_path) == [tmp_path / "chair_0.glb"]
    assert thumbnails_named_by(manifest, tmp_path / "thumbnails") == [tmp_path / "thumbnails" / "chair_0.png"]
