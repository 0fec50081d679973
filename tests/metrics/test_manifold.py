"""Tests for ganlab.metrics.manifold (precision/recall, density/coverage)."""

import numpy as np
import pytest

from ganlab.metrics import density_coverage, precision_recall


def cloud(n=300, seed=0, shift=(0.0, 0.0)):
    return np.random.default_rng(seed).normal(size=(n, 2)) + np.asarray(shift)


def test_set_against_itself_is_perfect():
    x = cloud()
    assert precision_recall(x, x) == {"precision": 1.0, "recall": 1.0}
    assert density_coverage(x, x)["coverage"] == 1.0


def test_far_away_fake_scores_zero():
    out = precision_recall(cloud(), cloud(seed=1, shift=(100.0, 0.0)))
    assert out == {"precision": 0.0, "recall": 0.0}
    dc = density_coverage(cloud(), cloud(seed=1, shift=(100.0, 0.0)))
    assert dc == {"density": 0.0, "coverage": 0.0}


def test_hand_example_on_a_line():
    # Real points 0, 1, 2, 3 on the x axis; k = 1 -> every radius is 1.
    real = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    fake = np.array([[0.5, 0.0], [10.0, 0.0]])
    dc = density_coverage(real, fake, k=1)
    # (0.5, 0) lies in the balls of 0 and 1 (2 balls); (10, 0) in none: density = 2 / (1 * 2).
    assert dc["density"] == pytest.approx(1.0, abs=1e-12)
    # real 0 and 1 have a fake within radius 1; 2 and 3 do not.
    assert dc["coverage"] == pytest.approx(0.5, abs=1e-12)
    pr = precision_recall(real, fake, k=1)
    assert pr["precision"] == pytest.approx(0.5, abs=1e-12)
    # fake radii (k = 1): 9.5 each -> every real point lies within 9.5 of (0.5, 0) or (10, 0).
    assert pr["recall"] == 1.0


def test_mode_dropping_lowers_recall_not_precision():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [5.0, 0.0]])
    real = np.concatenate([c + 0.3 * rng.normal(size=(200, 2)) for c in centres])
    fake = centres[0] + 0.3 * rng.normal(size=(400, 2))  # only the first mode
    pr = precision_recall(real, fake)
    assert pr["precision"] > 0.9
    assert pr["recall"] == pytest.approx(0.5, abs=0.05)
    assert density_coverage(real, fake)["coverage"] == pytest.approx(0.5, abs=0.05)


def test_same_distribution_density_near_one():
    dc = density_coverage(cloud(2000, seed=4), cloud(2000, seed=5))
    assert dc["density"] == pytest.approx(1.0, abs=0.1)
    assert dc["coverage"] > 0.9


def test_duplicates_and_ties_count_as_inside():
    real = np.zeros((5, 2))  # every radius is 0; the closed ball still holds the point itself
    assert precision_recall(real, np.zeros((4, 2)))["precision"] == 1.0


def test_bad_input_raises():
    with pytest.raises(ValueError, match="k \\+ 1"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3)
    with pytest.raises(ValueError, match="dimension"):
        density_coverage(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="k must"):
        precision_recall(np.zeros((10, 2)), np.zeros((10, 2)), k=0)
    with pytest.raises(ValueError, match="fake"):
        precision_recall(np.zeros((10, 2)), np.zeros(10))
