"""asset_export/glb_file.py: the GLB container that draco.py and gltf_separate.py rework."""
import pytest

from iggan.asset_export.errors import ExportError
from iggan.asset_export.glb_file import add_view, drop_unused_views, read_glb, write_glb


def test_views_are_added_dropped_and_renumbered_and_the_container_round_trips():
    doc = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": 0}], "bufferViews": [],
           "accessors": [{"bufferView": 0}, {"bufferView": 2}], "images": [{"bufferView": 1}]}
    blob = bytearray()
    assert [add_view(doc, blob, payload) for payload in (b"abc", b"unused", b"wxyz")] == [0, 1, 2]
    assert doc["bufferViews"][1]["byteOffset"] == 4  # 4-byte aligned after the 3 bytes of view 0
    doc["images"][0].pop("bufferView")  # what gltf_separate does when an image moves to a file
    blob = drop_unused_views(doc, blob)
    assert [a["bufferView"] for a in doc["accessors"]] == [0, 1]
    assert [blob[v["byteOffset"]: v["byteOffset"] + v["byteLength"]] for v in doc["bufferViews"]] == [b"abc", b"wxyz"]
    data = write_glb(doc, blob)
    assert len(data) % 4 == 0 and int.from_bytes(data[8:12], "little") == len(data)
    again, again_blob = read_glb(data, "test it")
    assert again == doc and again_blob == blob and doc["buffers"] == [{"byteLength": len(blob)}]


def test_bytes_that_are_no_whole_glb_say_what_could_not_be_done():
    with pytest.raises(ExportError, match=r"not a binary glTF 2 \(GLB\): cannot test it"):
        read_glb(b"PK\x03\x04 not a GLB", "test it")
    broken = bytearray(write_glb({"asset": {"version": "2.0"}}, b""))
    broken[20:22] = b"\xff\xfe"  # the JSON chunk no longer decodes
    with pytest.raises(ExportError, match="JSON chunk is unreadable .*: cannot test it"):
        read_glb(bytes(broken), "test it")
