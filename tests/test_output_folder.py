"""cli/output_folder.py and asset_export.atomic.require_can_create_files: an output folder that
cannot hold files stops a command at once, with what to do, before any slow work."""
from pathlib import Path

import click
import pytest

from iggan.asset_export.atomic import require_can_create_files
from iggan.asset_export.errors import ExportError
from iggan.cli.output_folder import make_output_folder

NO_FILES_HERE = Path("/proc")  # a virtual file system: even root cannot make a file in it
needs_proc = pytest.mark.skipif(not (NO_FILES_HERE / "self").exists(), reason="needs Linux /proc")


def test_a_missing_folder_is_made_and_leaves_no_probe_behind(tmp_path):
    made = make_output_folder(tmp_path / "a" / "b")
    assert made.is_dir() and list(made.iterdir()) == []


def test_a_file_in_the_way_is_a_clear_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(click.ClickException, match="exists and is not a folder; choose another --out"):
        make_output_folder(tmp_path / "f")


@needs_proc
def test_a_folder_that_cannot_hold_files_is_refused_even_for_root():
    with pytest.raises(click.ClickException, match="cannot create folder /proc/iggan-out.*choose another --data"):
        make_output_folder(NO_FILES_HERE / "iggan-out", option="--data")
    with pytest.raises(ExportError, match="cannot create files in folder /proc"):
        require_can_create_files(NO_FILES_HERE)
