import warnings

import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance
from scipy import linalg

from ganlab.metrics.images import feature_statistics, frechet_distance


def test_frechet_distance_matches_the_diagonal_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-10)
    assert expected == pytest.approx(5.0 + 4.0 + 1.0)


def test_identical_gaussians_are_at_distance_zero_and_real_halves_beat_noise():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 8)) @ rng.normal(size=(8, 8))
    half1, half2 = feature_statistics(a[:2000]), feature_statistics(a[2000:])
    noise = feature_statistics(rng.uniform(-3, 3, size=(2000, 8)))
    assert frechet_distance(*half1, *half1) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(*half1, *half2) < 0.05 * frechet_distance(*half1, *noise)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="shapes"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="features"):
        feature_statistics(np.zeros(5))


# --- agreement with pytorch-fid's calculate_frechet_distance (the reference implementation) ---


def reference_fid(*stats):
    with warnings.catch_warnings():  # it passes sqrtm's deprecated disp=False and prints on fallback
        warnings.simplefilter("ignore")
        return float(calculate_frechet_distance(*stats))


def random_statistics(rng, n, d, shift=0.0):
    mixing = rng.normal(size=(d, d)) / np.sqrt(d)
    return feature_statistics(rng.normal(size=(n, d)) @ mixing + shift)


@pytest.mark.parametrize("d, n", [(8, 500), (64, 2000), (16, 100)])
def test_matches_pytorch_fid_on_full_rank_covariances(d, n):
    rng = np.random.default_rng(d)
    a, b = random_statistics(rng, n, d), random_statistics(rng, n, d, shift=0.3)
    assert frechet_distance(*a, *b) == pytest.approx(reference_fid(*a, *b), rel=1e-9)


def test_matches_pytorch_fid_with_fewer_samples_than_dimensions():
    # 10 samples in 64 dims: both covariances have rank 9, so S1 S2 is singular.
    rng = np.random.default_rng(7)
    a, b = random_statistics(rng, 10, 64), random_statistics(rng, 10, 64, shift=0.2)
    assert np.linalg.matrix_rank(a[1]) == 9
    assert frechet_distance(*a, *b) == pytest.approx(reference_fid(*a, *b), rel=1e-9)


def test_exactly_singular_product_is_not_regularised():
    # Dead features (exact zero rows of the covariances) make scipy warn "Matrix is singular", but the
    # root is finite and accurate: the former 1e-6 regulariser moved these values by ~5e-4 relative.
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(200, 64)), rng.normal(size=(200, 64)) + 0.1
    x[:, :5] = 1.0
    y[:, 3:9] = -2.0
    a, b = feature_statistics(x), feature_statistics(y)
    assert frechet_distance(*a, *b) == pytest.approx(reference_fid(*a, *b), rel=1e-9)
    # closed form with singular diagonal covariances: 3 + (1 + 2 + 3) - 2 sqrt(2 * 3) = 9 - 2 sqrt 6
    s1, s2 = np.diag([1.0, 0.0, 2.0]), np.diag([0.0, 0.0, 3.0])
    expected = 3.0 + 6.0 - 2.0 * np.sqrt(6.0)
    assert frechet_distance(np.zeros(3), s1, np.ones(3), s2) == pytest.approx(expected, rel=1e-12)
    assert reference_fid(np.zeros(3), s1, np.ones(3), s2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n, d", [(500, 16), (10, 64)])
def test_identical_statistics_are_at_distance_zero(n, d):
    stats = random_statistics(np.random.default_rng(n), n, d)
    ours, reference = frechet_distance(*stats, *stats), reference_fid(*stats, *stats)
    assert ours == pytest.approx(0.0, abs=1e-6)
    # the root of a singular S^2 carries round-off (pytorch-fid reads -3.6e-6 for (10, 64)); this
    # one clips at 0, otherwise the two agree
    assert reference == pytest.approx(0.0, abs=1e-5)
    assert ours == pytest.approx(max(reference, 0.0), abs=1e-12)


def test_non_finite_root_falls_back_to_the_regularised_product(monkeypatch):
    # Force the fallback: the first sqrtm call (of S1 S2) returns NaN, later calls are real.
    real_sqrtm, calls = linalg.sqrtm, []

    def flaky_sqrtm(matrix, *args, **kwargs):
        calls.append(matrix)
        return np.full_like(matrix, np.nan) if len(calls) == 1 else real_sqrtm(matrix)

    monkeypatch.setattr(linalg, "sqrtm", flaky_sqrtm)
    s1, s2, eps = np.array([1.0, 0.0, 4.0]), np.array([9.0, 2.0, 0.0]), 1e-6
    got = frechet_distance(np.zeros(3), np.diag(s1), np.zeros(3), np.diag(s2), eps=eps)
    expected = s1.sum() + s2.sum() - 2.0 * np.sqrt((s1 + eps) * (s2 + eps)).sum()
    assert len(calls) == 2
    assert got == pytest.approx(expected, rel=1e-12)


def test_large_imaginary_part_raises_like_pytorch_fid():
    # sigma1 is not positive semi-definite: sqrtm(diag(-1, 1)) = diag(i, 1).
    mu, s1, s2 = np.zeros(2), np.diag([-1.0, 1.0]), np.eye(2)
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance(mu, s1, mu, s2)
    with pytest.raises(ValueError, match="Imaginary"):
        reference_fid(mu, s1, mu, s2)


def test_small_imaginary_part_is_dropped():
    # Rank-deficient covariances (10 samples in 64 dims) give scipy's root an imaginary part of
    # round-off size; it is dropped, as pytorch-fid does, and the values agree.
    rng = np.random.default_rng(12)
    a, b = random_statistics(rng, 10, 64), random_statistics(rng, 10, 64, shift=1.0)
    root = linalg.sqrtm(a[1] @ b[1])
    assert np.iscomplexobj(root) and 0.0 < np.abs(root.imag).max() < 1e-3
    assert frechet_distance(*a, *b) == pytest.approx(reference_fid(*a, *b), rel=1e-9)


def test_non_finite_statistics_are_rejected():
    with pytest.raises(ValueError, match="finite"):
        frechet_distance(np.array([np.nan, 0.0]), np.eye(2), np.zeros(2), np.eye(2))
