"""A temporary file beside its target, for a write that ends in a rename (same folder, same file system)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temporary_file_beside(target: Path, suffix: str = ".tmp") -> Path:
    """A new empty file of our own, hidden, in `target`'s folder (mkstemp), ending in `suffix` (a writer such as
    USD's packager keys on the suffix). Made here rather than named from the pid, which another user of a shared
    folder (/tmp) could plant first as a symlink. Readable as a normal file (0644: mkstemp's 0600 would carry over
    through the rename). The caller writes it, renames it over `target`, or removes it."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.chmod(name, 0o644)
    return Path(name)
