"""Tests for iggan.eval.image_metrics (FID, KID) and the feature network's shapes."""
import numpy as np
import pytest
import torch

from iggan.eval.classifier import EvalClassifier, extract_features
from iggan.eval.image_metrics import fid, fid_is_reliable, frechet_distance, kid


def _features(n, d=16, shift=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) + shift


def test_fid_of_a_set_with_itself_is_zero():
    f = _features(500)
    assert fid(f, f) == pytest.approx(0.0, abs=1e-6)


def test_fid_grows_with_a_mean_shift():
    a = _features(2000, seed=1)
    values = [fid(a, _features(2000, shift=s, seed=2)) for s in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values)
    # for equal covariances FID = |mu_a - mu_b|^2 = d * shift^2 (plus sampling noise)
    assert values[3] == pytest.approx(16 * 4.0, rel=0.1)
    assert values[0] < 0.5


def test_frechet_distance_closed_form_for_gaussians():
    d = 4
    mu1, mu2 = np.zeros(d), np.ones(d)
    s1, s2 = np.eye(d), 4 * np.eye(d)  # trace term: d * (1 + 4 - 2 * 2) = d
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(d + d)


def test_a_feature_that_never_fires_adds_nothing_and_scipy_stays_silent():
    import warnings

    a, b = _features(40, seed=6), _features(50, shift=0.3, seed=7)
    a[:, 0] = b[:, 0] = 0.0  # a dead ReLU feature: both covariances singular
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fid(a, b)
    assert [str(w.message) for w in caught] == []  # was: LinAlgWarning "Matrix is singular" with a file path
    assert value == pytest.approx(fid(a[:, 1:], b[:, 1:]), rel=1e-9)


def test_fid_is_reliable_only_with_more_vectors_than_dimensions_on_each_side():
    assert fid_is_reliable(257, 5000, 256)
    assert not fid_is_reliable(256, 5000, 256) and not fid_is_reliable(5000, 10, 256)


def test_kid_unbiased_near_zero_for_same_distribution_and_positive_for_shift():
    a, b = _features(600, seed=3), _features(600, seed=4)
    same, std = kid(a, b, subsets=50, subset_size=300)
    assert abs(same) < 3 * std + 1e-3
    shifted, _ = kid(a, _features(600, shift=1.0, seed=5), subsets=50, subset_size=300)
    assert shifted > 10 * abs(same) and shifted > 0.05


def test_metrics_reject_tiny_sets():
    with pytest.raises(ValueError):
        fid(_features(1), _features(10))
    with pytest.raises(ValueError):
        kid(_features(1), _features(10))


def test_classifier_shapes_and_resizing():
    net = EvalClassifier(5).eval()
    x = torch.rand(3, 1, 64, 64)
    assert net(x).shape == (3, 5)
    assert net.features(x).shape == (3, 256)
    assert net.features(torch.rand(2, 1, 128, 128)).shape == (2, 256)  # other sizes are resized
    f = extract_features(net, np.random.rand(5, 32, 32).astype(np.float32), batch_size=2)
    assert f.shape == (5, 256) and f.dtype == np.float64
    assert 0.5e6 < sum(p.numel() for p in net.parameters()) < 2e6
