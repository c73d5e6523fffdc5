"""benchmarks/sample_pool.py: support curves, density flattening and distinct nearest picks on toy distances."""
import numpy as np

from benchmark_scripts import load_benchmark

sample_pool = load_benchmark("sample_pool")


def _points_distances(a, b=None):
    b = a if b is None else b
    return np.abs(a[:, None] - b[None, :])


def test_a_larger_pool_comes_nearer_to_every_real_shape():
    rng = np.random.default_rng(0)
    real, pool = rng.random(50), rng.random(400)
    curve = sample_pool.support_curve(_points_distances(pool, real), _points_distances(real), [25, 400], rng)
    assert curve[400] < curve[25]
    assert curve[400] < curve["real"]  # 400 draws from the same law beat 49 other real points


def test_flattening_favours_the_sparse_side_and_beta_zero_is_uniform():
    pool = np.r_[np.linspace(0, 0.1, 90), np.linspace(1, 2, 10)]  # a dense cluster and a sparse tail
    d = _points_distances(pool)
    assert np.allclose(sample_pool.flattening_weights(d, 3, 0), 1 / 100)
    p = sample_pool.flattening_weights(d, 3, 2)
    assert np.isclose(p.sum(), 1) and p[90:].sum() > 0.5  # the tail, 10% of the pool, gets most of the weight


def test_subset_scores_reach_one_for_disjoint_sets_and_weighted_draws_use_them():
    real, pool = np.linspace(0, 1, 20), np.linspace(5, 6, 40)
    d_pool, d_pr, d_rr = _points_distances(pool), _points_distances(pool, real), _points_distances(real)
    assert sample_pool.subset_scores(np.arange(20), d_pool, d_pr, d_rr) == (1.0, 1.0, 1.0)
    draws = sample_pool.weighted_draws(np.full(40, 1 / 40), d_pool, d_pr, d_rr, 10, 3, np.random.default_rng(0))
    assert draws.shape == (3, 3) and (draws == 1).all()


def test_nearest_distinct_never_picks_one_pool_shape_twice():
    pool, targets = np.array([0.0, 0.1, 5.0, 9.0]), np.array([0.05, 0.0, 8.0])
    picks = sample_pool.nearest_distinct(_points_distances(pool, targets))
    assert len(set(picks.tolist())) == 3
    assert picks[1] == 0 and picks[0] == 1 and picks[2] == 3  # the nearest target keeps its shape
