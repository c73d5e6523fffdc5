"""iggan/match_pool_cache.py: the pool cache is written whole, and a failed write leaves no temporary file."""
import numpy as np
import pytest
import torch

from iggan import match_pool_cache


def test_a_saved_pool_reads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path))
    bits = torch.from_numpy(np.random.default_rng(0).random((3, 4, 5)) > 0.5)
    match_pool_cache.save_pool("k", bits)
    assert torch.equal(match_pool_cache.load_pool("k", (3, 4, 5)), bits)
    assert [p.name for p in (tmp_path / "match_pools").iterdir()] == ["k.npz"]


def test_ctrl_c_while_saving_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Regression: only OSError was handled, so an interrupted save left .k.npz.tmp-<pid>.npz in the cache."""
    monkeypatch.setenv("IGGAN_CACHE_DIR", str(tmp_path))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(match_pool_cache.os, "replace", interrupted)  # the temporary file is written by then
    with pytest.raises(KeyboardInterrupt):
        match_pool_cache.save_pool("k", torch.zeros((2, 2, 2), dtype=torch.bool))
    assert list((tmp_path / "match_pools").iterdir()) == []
