"""iggan/glb_inputs.py: a .gltf given to `usdz` or `blender fbx` is converted only with the files beside it."""
from __future__ import annotations

import json

import pytest

from iggan.glb_inputs import ConversionError, check_gltf


def _gltf(folder, uri):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "a.gltf"
    path.write_text(json.dumps({"asset": {"version": "2.0"}, "buffers": [{"uri": uri, "byteLength": 6}],
                                "images": [{"uri": "a_textures/t.png"}]}))
    (folder / "a_textures").mkdir(exist_ok=True)
    (folder / "a_textures" / "t.png").write_bytes(b"png")
    return path


@pytest.mark.parametrize("uri", ["../secret.bin", "%2E%2E/secret.bin", "SECRET", "link/secret.bin"])
def test_a_uri_outside_the_gltfs_folder_is_refused(tmp_path, uri):
    """Blender's glTF importer opens whatever a URI names and the FBX exporter embeds it, so a .gltf naming
    ../secret, an absolute path or a symlink out of its folder would copy that file into the FBX."""
    (tmp_path / "secret.bin").write_bytes(b"secret")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "link").symlink_to(tmp_path)
    path = _gltf(tmp_path / "in", str(tmp_path / "secret.bin") if uri == "SECRET" else uri)
    with pytest.raises(ConversionError, match="lies outside its folder"):
        check_gltf(path)


def test_the_files_beside_a_gltf_are_accepted_and_a_missing_one_named(tmp_path):
    path = _gltf(tmp_path, "a.bin")
    with pytest.raises(ConversionError, match="needs a.bin beside it"):
        check_gltf(path)
    (tmp_path / "a.bin").write_bytes(b"bytes!")
    check_gltf(path)


def test_temporary_files_beside_a_target_are_new_ones_of_our_own(tmp_path):
    """In a shared folder (/tmp) the names made from the pid could be planted first by another user: a symlink
    the converter's GLB was then written through, or a folder of theirs that Blender wrote the FBX into."""
    import os

    from iggan.glb_inputs import temporary_beside, temporary_named_alike
    (tmp_path / "victim").write_bytes(b"keep")
    (tmp_path / f".x.{os.getpid()}.tmp.glb").symlink_to(tmp_path / "victim")
    (tmp_path / f".x.fbx.{os.getpid()}.tmp").mkdir(mode=0o777)
    glb, fbx = temporary_beside(tmp_path / "x.glb"), temporary_named_alike(tmp_path / "x.fbx")
    assert glb.is_file() and not glb.is_symlink() and glb.parent == tmp_path and glb.suffix == ".glb"
    assert fbx.name == "x.fbx" and fbx.parent.parent == tmp_path and fbx.parent.stat().st_mode & 0o077 == 0
