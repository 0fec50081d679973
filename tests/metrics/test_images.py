import numpy as np
import pytest

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
