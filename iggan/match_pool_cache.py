"""Disk cache of `ShapeMatcher`'s pool silhouettes, so only the first `match` with a model pays for them.

Drawing and tracing a 512-shape pool from 96 views costs about 40 s on a 2-core CPU; the silhouettes
are bits (6 MB packed) and depend only on the generator's weights and the search settings, which the
key hashes. A missing, stale or unreadable entry is recomputed; a cache that cannot be written costs
time, never the command.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)
CACHE_VERSION = 1


def cache_dir() -> Path:
    """IGGAN_CACHE_DIR/match_pools, else $XDG_CACHE_HOME (or ~/.cache)/iggan-assets/match_pools."""
    env = os.environ.get("IGGAN_CACHE_DIR")
    root = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "iggan-assets"
    return root / "match_pools"


def pool_key(generator: torch.nn.Module, settings: dict) -> str:
    """Hash of the generator's weights and the settings that shape the pool (pool size, seed, threshold,
    views, resolutions)."""
    h = hashlib.sha256(json.dumps({"v": CACHE_VERSION, **settings}, sort_keys=True).encode())
    for name, tensor in sorted(generator.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:32]


def load_pool(key: str, shape: tuple[int, ...]) -> torch.Tensor | None:
    """Binary silhouettes (K, V, P) bool, or None when there is no usable entry."""
    path = cache_dir() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            bits, stored = data["bits"], tuple(int(s) for s in data["shape"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if stored != tuple(shape) or bits.size * 8 < int(np.prod(shape)):
        return None
    return torch.from_numpy(np.unpackbits(bits)[:int(np.prod(shape))].reshape(shape).astype(bool))


def save_pool(key: str, silhouettes: torch.Tensor) -> None:
    """Write (K, V, P) bool silhouettes atomically (temporary file, then rename); warn if impossible."""
    path = cache_dir() / f"{key}.npz"
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of its own (not the pid's: two threads may save one pool at once), removed on any failure, Ctrl-C too
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, bits=np.packbits(silhouettes.cpu().numpy().reshape(-1)), shape=np.array(silhouettes.shape))
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not write the match pool cache %s (%s); set IGGAN_CACHE_DIR to a writable folder",
                    path, exc)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
