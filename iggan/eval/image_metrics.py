"""FID and KID between two sets of features (numpy / scipy).

FID (Heusel et al. 2017): ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` of Gaussians fitted
to the features. It is biased for small sets (it grows as N shrinks), so compare FIDs only at
the same N.

KID (Binkowski et al. 2018): the unbiased estimate of the squared MMD with the cubic polynomial
kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over random subsets; unbiased, so it is about 0 for
two samples of one distribution at any N, and comparable across N.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """features (N, F) -> mean (F,), covariance (F, F) (float64, N-1 normalised)."""
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least 2 feature vectors of shape (N, F), got {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between N(mu1, s1) and N(mu2, s2)."""
    diff = mu1 - mu2
    with warnings.catch_warnings():
        # a singular product (a feature that never fires, or fewer vectors than dimensions) makes scipy print
        # "Matrix is singular" with a file path; a dead feature adds nothing to the distance, and too few
        # vectors are the caller's to explain (fid_is_reliable), in words
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():  # singular product: regularise, as the reference implementation does
            offset = np.eye(len(s1)) * eps
            covmean = linalg.sqrtm((s1 + offset) @ (s2 + offset))
    covmean = np.real(covmean)
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean), 0.0))


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between feature sets (Na, F) and (Nb, F)."""
    return frechet_distance(*gaussian_stats(features_a), *gaussian_stats(features_b))


def fid_is_reliable(n_a: int, n_b: int, dims: int) -> bool:
    """Whether sets of n_a and n_b feature vectors of `dims` dimensions give a meaningful FID: each covariance
    has rank at most n - 1, so a set of no more vectors than dimensions is singular, and its FID mostly
    measures how few vectors there are."""
    return min(n_a, n_b) > dims


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx = (x @ x.T / d + 1.0) ** 3
    kyy = (y @ y.T / d + 1.0) ** 3
    kxy = (x @ y.T / d + 1.0) ** 3
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


def kid(features_a: np.ndarray, features_b: np.ndarray, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """KID between (Na, F) and (Nb, F): (mean, std) of the unbiased MMD^2 over random subsets of
    min(subset_size, Na, Nb) vectors each."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    size = min(subset_size, len(a), len(b))
    if size < 2:
        raise ValueError(f"KID needs at least 2 vectors per set, got {len(a)} and {len(b)}")
    rng = np.random.default_rng(seed)
    values = [_mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return float(np.mean(values)), float(np.std(values))
