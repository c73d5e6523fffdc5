"""Make a command's output folder before any slow work, or stop with an error that says what to do."""
from __future__ import annotations

from pathlib import Path

import click

from iggan.asset_export.atomic import check_can_write, require_can_create_files
from iggan.asset_export.errors import ExportError


def make_output_folder(folder: Path, option: str = "--out") -> Path:
    """Create `folder` and its parents if missing and check that files can be made in it. Raises
    click.ClickException ("cannot create folder /proc/run (No such file or directory); choose another
    --out") if not, so a run fails at once instead of after rendering or training."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise click.ClickException(f"{folder} exists and is not a folder; choose another {option}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create folder {folder} ({exc.strerror or exc}); choose another "
                                   f"{option}") from exc
    try:
        require_can_create_files(folder)
    except ExportError as exc:
        raise click.ClickException(f"{exc}; choose another {option}") from exc
    return folder


def check_png_target(path: Path, overwrite: bool, option: str = "--sheet") -> None:
    """Refuse, before any slow work, a picture's path that is not a .png name, is a folder, sits under a file
    or would replace a file without --overwrite (click.BadParameter naming `option`)."""
    if path.suffix.lower() != ".png":
        raise click.BadParameter(f"{path} is not a .png name; the picture is a PNG image (e.g. {option} sheet.png)",
                                 param_hint=option)
    try:
        check_can_write(path, overwrite, option=option)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc
