"""Tests for ganlab.metrics.modes (PacGAN mode coverage)."""

import math

import numpy as np
import pytest

from ganlab.metrics import DEFAULT_EVAL_SAMPLES, mode_stats


def ring8(radius: float = 1.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_default_eval_samples_is_pacgan_convention():
    assert DEFAULT_EVAL_SAMPLES == 2500


def test_all_samples_on_one_centre():
    centers = ring8()
    samples = np.repeat(centers[3:4], 100, axis=0)
    out = mode_stats(samples, centers, 0.01)
    assert out["modes_covered"] == 1
    assert out["modes_total"] == 8
    assert out["hq_fraction"] == 1.0
    # h = one-hot, w = 1/8 -> KL = log 8
    assert out["mode_kl"] == pytest.approx(math.log(8), abs=1e-12)


def test_equal_counts_on_every_centre():
    centers = ring8()
    rng = np.random.default_rng(0)
    samples = np.repeat(centers, 50, axis=0) + rng.normal(scale=0.005, size=(400, 2))
    out = mode_stats(samples, centers, 0.01)
    assert out["modes_covered"] == 8
    assert out["hq_fraction"] == 1.0
    assert out["mode_kl"] == pytest.approx(0.0, abs=1e-12)


def test_samples_far_from_every_centre():
    centers = ring8()
    samples = np.full((30, 2), 10.0)
    out = mode_stats(samples, centers, 0.01)
    assert out["modes_covered"] == 0
    assert out["hq_fraction"] == 0.0
    assert out["mode_kl"] == math.inf


def test_half_high_quality_on_two_of_four_modes():
    centers = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]])
    good = np.concatenate([np.repeat(centers[:1], 10, axis=0), np.repeat(centers[1:2], 10, axis=0)])
    bad = np.full((20, 2), 2.0)  # centre of the square: 2.83 from every mode, std 0.1 -> not hq
    out = mode_stats(np.concatenate([good, bad]), centers, 0.1)
    assert out["hq_fraction"] == pytest.approx(0.5, abs=1e-12)
    assert out["modes_covered"] == 2
    # h = (1/2, 1/2, 0, 0), w = 1/4: KL = 2 * 1/2 * log(2) = log(k / 2)
    assert out["mode_kl"] == pytest.approx(math.log(4 / 2), abs=1e-12)


def test_non_uniform_weights_in_kl():
    centers = np.array([[0.0, 0.0], [5.0, 0.0]])
    samples = np.array([[0.0, 0.0]] * 3 + [[5.0, 0.0]])
    out = mode_stats(samples, centers, 0.1, weights=[0.25, 0.75])
    expected = 0.75 * math.log(0.75 / 0.25) + 0.25 * math.log(0.25 / 0.75)
    assert out["mode_kl"] == pytest.approx(expected, abs=1e-12)
    # unnormalised weights are normalised
    again = mode_stats(samples, centers, 0.1, weights=[1, 3])
    assert again["mode_kl"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("radius_in_std, is_hq", [(2.9, True), (3.1, False)])
def test_three_std_boundary(radius_in_std, is_hq):
    centers = ring8()
    std = 0.02
    direction = np.array([np.cos(0.3), np.sin(0.3)])
    sample = centers[2] + radius_in_std * std * direction
    out = mode_stats(sample[None, :], centers, std)
    assert out["hq_fraction"] == (1.0 if is_hq else 0.0)
    assert out["modes_covered"] == (1 if is_hq else 0)


def test_nearest_centre_decides_the_mode():
    # Quality is judged against the NEAREST centre: 0.55 from centre 0 (2.75 std) but 0.45 from
    # centre 1 (2.25 std), so it is hq and counted for centre 1.
    centers = np.array([[0.0, 0.0], [1.0, 0.0]])
    out = mode_stats(np.array([[0.55, 0.0]]), centers, 0.2)  # 0.45 from centre 1 (2.25 std): hq
    assert out["hq_fraction"] == 1.0
    assert out["mode_kl"] == pytest.approx(math.log(2), abs=1e-12)


def test_non_finite_samples_are_low_quality():
    centers = ring8()
    samples = np.array([centers[0], [np.nan, 0.0]])
    out = mode_stats(samples, centers, 0.01)
    assert out["hq_fraction"] == pytest.approx(0.5, abs=1e-12)
    assert out["modes_covered"] == 1


def test_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    centers = ring8()
    out = mode_stats(torch.tensor(centers, requires_grad=True), torch.tensor(centers), 0.01)
    assert out["modes_covered"] == 8


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(samples=np.zeros((5, 3)), centers=ring8(), std=0.1), "samples"),
        (dict(samples=np.zeros((5, 2)), centers=np.zeros(2), std=0.1), "centers"),
        (dict(samples=np.zeros((5, 2)), centers=ring8(), std=0.0), "std"),
        (dict(samples=np.zeros((5, 2)), centers=ring8(), std=0.1, weights=[1, 2]), "weights"),
        (dict(samples=np.zeros((0, 2)), centers=ring8(), std=0.1), "samples"),
    ],
)
def test_bad_input_names_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=word):
        mode_stats(**kwargs)


def test_covered_modes_marks_each_mode():
    from ganlab.metrics import covered_modes

    centers = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    samples = np.array([[0.001, 0.0], [0.0, 1.05], [0.5, 0.5]])  # mode 0 hit, mode 2 only 5 std away
    assert covered_modes(samples, centers, 0.01).tolist() == [True, False, False]
    assert covered_modes(samples, centers, 0.02).tolist() == [True, False, True]
