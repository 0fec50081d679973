"""Image-metric building blocks: Gaussian feature statistics and the Fréchet distance between them
(Heusel et al. 2017). The feature network (a LeNet trained by ganlab) comes with the MNIST issue."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """features (n, d), n >= 2 -> (mean (d,), covariance (d, d)) in float64 (unbiased covariance)."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(f"features must have shape (n >= 2, d), got {array.shape}")
    return array.mean(axis=0), np.cov(array, rowvar=False)


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    """scipy's sqrtm without its warnings: whether the result is usable is decided by the caller."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Matrix is singular ..." also comes with exact, finite roots
        return linalg.sqrtm(matrix)


def frechet_distance(mu1, sigma1, mu2, sigma2, *, eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)), exact for two Gaussians (Heusel et al. 2017).

    The matrix square root is scipy's sqrtm of S1 S2, used as it is whenever it is finite, even for
    a singular product (e.g. fewer samples than feature dimensions, or dead features), where scipy
    warns but its root is still accurate. Only a non-finite root is recomputed from
    (S1 + eps I)(S2 + eps I) (the value is then approximate). An imaginary part from round-off is
    dropped when the diagonal's is within 1e-3 of 0; a larger one (S1 or S2 not positive
    semi-definite) raises ValueError. These are the rules of pytorch-fid's
    calculate_frechet_distance, which this matches to round-off; the result is clipped at 0.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shapes do not match: mu {mu1.shape} / {mu2.shape}, sigma {s1.shape} / {s2.shape}")
    if not all(np.isfinite(x).all() for x in (mu1, mu2, s1, s2)):
        raise ValueError("mu1, sigma1, mu2 and sigma2 must be finite (no NaN or inf)")
    covmean = _sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = _sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0.0, atol=1e-3):
            raise ValueError(
                "the square root of sigma1 @ sigma2 has an imaginary part of "
                f"{np.abs(covmean.imag).max():.3g}: sigma1 and sigma2 must be covariance matrices "
                "(symmetric positive semi-definite)")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean), 0.0))


def classifier_score(probs, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))), the Inception-score formula on a classifier's class probabilities
    (Salimans et al. 2016); probs (n, k) rows summing to 1. In [1, k]: k for confident, balanced classes."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1:
        raise ValueError(f"probs must have shape (n, k), got {p.shape}")
    marginal = p.mean(axis=0)
    kl = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl.mean()))


def class_kl(probs, eps: float = 1e-12) -> float:
    """KL(p(y) || uniform) of the mean predicted class distribution: 0 when every class is as frequent."""
    marginal = np.asarray(probs, dtype=np.float64).mean(axis=0)
    return float(np.sum(marginal * (np.log(marginal + eps) + np.log(marginal.size))))
