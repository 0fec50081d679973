"""Tests for the 2-D toy distributions in ganlab.data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from ganlab.data import DATASETS, DEFAULT_STD, ToyDataset, make_dataset

EXPECTED_NAMES = [
    "ring8", "grid25", "ring", "imbalanced-ring", "spiral", "swissroll", "moons", "circles", "checkerboard",
    "gaussian", "parallel-lines", "disjoint-gaussians", "custom",
]  # fmt: skip
CUSTOM_POINTS = [[0.0, 0.0], [1.0, 2.0], [-1.5, 0.5]]
DENSITY_NAMES = [name for name in EXPECTED_NAMES if name != "parallel-lines"]

GRID_SIZE = 256  # fine grid for integrals
COARSE_BINS = 16  # histogram cells per axis; each covers (GRID_SIZE / COARSE_BINS)^2 fine cells
N_HIST_SAMPLES = 40_000
TV_THRESHOLD = 0.05


def build(name: str, **kwargs) -> ToyDataset:
    if name == "custom":
        kwargs.setdefault("points", CUSTOM_POINTS)
    return make_dataset(name, **kwargs)


def seeded(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def cell_masses(ds: ToyDataset) -> tuple[np.ndarray, float]:
    """(COARSE_BINS, COARSE_BINS) density mass per coarse cell ([iy, ix]) and the fine cell area."""
    xs, ys, dens = ds.density_grid(GRID_SIZE)
    xmin, xmax, ymin, ymax = ds.bounds
    area = (xmax - xmin) / GRID_SIZE * (ymax - ymin) / GRID_SIZE
    sub = GRID_SIZE // COARSE_BINS
    masses = dens.reshape(COARSE_BINS, sub, COARSE_BINS, sub).sum(axis=(1, 3)) * area
    return masses, area


def sample_fractions(ds: ToyDataset, samples: torch.Tensor) -> np.ndarray:
    """(COARSE_BINS, COARSE_BINS) fraction of all samples per coarse cell ([iy, ix])."""
    xmin, xmax, ymin, ymax = ds.bounds
    pts = samples.double().numpy()
    hist, _, _ = np.histogram2d(
        pts[:, 1], pts[:, 0], bins=COARSE_BINS, range=[[ymin, ymax], [xmin, xmax]]
    )
    return hist / len(pts)


def total_variation(ds: ToyDataset, samples: torch.Tensor) -> float:
    masses, _ = cell_masses(ds)
    return 0.5 * float(np.abs(sample_fractions(ds, samples) - masses).sum())


# ----------------------------------------------------------------------------- registry
def test_registry_names_in_order_with_descriptions():
    assert list(DATASETS) == EXPECTED_NAMES
    assert all(isinstance(text, str) and text for text in DATASETS.values())
    assert list(DEFAULT_STD) == EXPECTED_NAMES


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_attributes(name):
    ds = build(name)
    assert ds.name == name
    assert ds.has_density == (name != "parallel-lines")
    xmin, xmax, ymin, ymax = ds.bounds
    assert xmax - xmin >= 1.0 and ymax - ymin >= 1.0
    assert ds.std == DEFAULT_STD[name]
    if ds.centers is not None:
        assert ds.centers.dtype == np.float64 and ds.centers.shape[1] == 2
        assert ds.weights.shape == (len(ds.centers),)
        assert ds.weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_default_stds_and_bounds():
    assert build("ring8").std == pytest.approx(0.01)
    assert build("gaussian").bounds == pytest.approx((-4.0, 4.0, -4.0, 4.0))
    assert build("gaussian", std=0.5).bounds == pytest.approx((-2.0, 2.0, -2.0, 2.0))
    assert build("grid25").bounds == pytest.approx((-4.5, 4.5, -4.5, 4.5))
    assert build("checkerboard").std is None


# ----------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_sampling_is_reproducible_and_uses_only_the_generator(name):
    ds = build(name)
    torch.manual_seed(123)  # the global RNG must not matter
    first = ds.sample(500, seeded(0))
    torch.manual_seed(456)
    second = ds.sample(500, seeded(0))
    other = ds.sample(500, seeded(1))
    assert first.shape == (500, 2)
    assert first.dtype == torch.float32
    assert first.device == torch.device("cpu")
    assert torch.equal(first, second)
    assert not torch.equal(first, other)
    assert ds.sample(0, seeded(0)).shape == (0, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_sampling_on_cuda(name):
    ds = build(name)
    first = ds.sample(300, seeded(5, "cuda"))
    assert first.device.type == "cuda" and first.dtype == torch.float32
    assert torch.equal(first, ds.sample(300, seeded(5, "cuda")))


def test_negative_sample_count_raises():
    with pytest.raises(ValueError, match="n must be"):
        build("ring8").sample(-1, seeded(0))


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_samples_fall_inside_bounds(name):
    ds = build(name)
    pts = ds.sample(20_000, seeded(7)).numpy()
    xmin, xmax, ymin, ymax = ds.bounds
    inside = (pts[:, 0] >= xmin) & (pts[:, 0] <= xmax) & (pts[:, 1] >= ymin) & (pts[:, 1] <= ymax)
    assert inside.mean() >= 0.999


def test_mixture_samples_sit_near_their_modes():
    ds = build("grid25")
    pts = ds.sample(5000, seeded(3)).double().numpy()
    nearest = np.linalg.norm(pts[:, None, :] - ds.centers[None], axis=2).min(axis=1)
    assert np.mean(nearest < 3 * ds.std) > 0.98
    counts = np.bincount(
        np.linalg.norm(pts[:, None, :] - ds.centers[None], axis=2).argmin(axis=1), minlength=25
    )
    assert counts.min() > 120  # 200 expected per mode


# ----------------------------------------------------------------------------- geometry
def test_ring8_centres_on_unit_circle_at_multiples_of_45_degrees():
    ds = build("ring8")
    k = np.arange(8)
    expected = np.stack([np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)], axis=1)
    np.testing.assert_allclose(ds.centers, expected, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(ds.centers, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(ds.weights, np.full(8, 1 / 8))
    assert ds.centers[2] == pytest.approx([0.0, 1.0], abs=1e-12)


def test_grid25_centres():
    ds = build("grid25")
    expected = {(float(i), float(j)) for i in (-4, -2, 0, 2, 4) for j in (-4, -2, 0, 2, 4)}
    assert ds.centers.shape == (25, 2)
    assert {tuple(c) for c in ds.centers} == expected
    assert ds.std == pytest.approx(0.05)


def test_ring_with_five_modes_radius_two():
    ds = build("ring", n_modes=5, radius=2.0, std=0.1)
    k = np.arange(5)
    expected = 2.0 * np.stack([np.cos(2 * np.pi * k / 5), np.sin(2 * np.pi * k / 5)], axis=1)
    np.testing.assert_allclose(ds.centers, expected, atol=1e-12)
    assert ds.std == pytest.approx(0.1)
    pad = 0.5  # max(0.5, 4 std)
    assert ds.bounds == pytest.approx(
        (2 * math.cos(0.8 * math.pi) - pad, 2 + pad, -2 * math.sin(0.4 * math.pi) - pad,
         2 * math.sin(0.4 * math.pi) + pad)
    )  # fmt: skip


def test_curve_geometry():
    u = torch.linspace(0.0, 1.0, 101, dtype=torch.float64)
    spiral = build("spiral").arms(u).numpy()
    np.testing.assert_allclose(spiral[1], -spiral[0], atol=1e-12)  # second arm rotated by pi
    angle = np.pi * (0.5 + 2.5 * u.numpy())
    np.testing.assert_allclose(np.linalg.norm(spiral[0], axis=1), angle / (1.5 * np.pi))
    t = 1.5 * np.pi * (1 + 2 * u.numpy())
    roll = build("swissroll").arms(u).numpy()[0]
    np.testing.assert_allclose(roll, (2 / (4.5 * np.pi)) * t[:, None] * np.stack(
        [np.cos(t), np.sin(t)], axis=1), atol=1e-12)  # fmt: skip
    assert np.abs(roll).max() <= 2.0 + 1e-12
    upper, lower = build("moons").arms(u).numpy()
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0)
    assert upper[:, 1].min() >= -1e-12 and lower[:, 1].max() <= 0.5 + 1e-12
    outer, inner = build("circles").arms(u).numpy()
    np.testing.assert_allclose(np.linalg.norm(outer, axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(inner, axis=1), 0.5)


def test_curve_samples_split_evenly_between_arms():
    circles = build("circles", std=0.02).sample(10_000, seeded(9)).double().norm(dim=1)
    assert (circles < 0.75).double().mean().item() == pytest.approx(0.5, abs=0.02)
    spiral = build("spiral").sample(10_000, seeded(9)).double()
    assert spiral.mean(dim=0).numpy() == pytest.approx([0.0, 0.0], abs=0.05)  # arm symmetry


def test_disjoint_gaussians_centres():
    ds = build("disjoint-gaussians", separation=3.0)
    np.testing.assert_allclose(ds.centers, [[-1.5, 0.0], [1.5, 0.0]])
    assert ds.std == pytest.approx(0.1)


def test_custom_centres_and_bounds():
    ds = build("custom", points=np.array(CUSTOM_POINTS), std=0.2)
    np.testing.assert_allclose(ds.centers, CUSTOM_POINTS)
    pad = max(0.5, 4 * 0.2)
    assert ds.bounds == pytest.approx((-1.5 - pad, 1.0 + pad, 0.0 - pad, 2.0 + pad))
    single = build("custom", points=[[3.0, -1.0]], std=0.01)
    assert single.bounds == pytest.approx((2.5, 3.5, -1.5, -0.5))  # padded by 0.5, 1 unit wide


# ----------------------------------------------------------------------------- density
@pytest.mark.parametrize("name", DENSITY_NAMES)
def test_density_integrates_to_one_and_matches_samples(name):
    ds = build(name)
    masses, _ = cell_masses(ds)
    assert masses.sum() == pytest.approx(1.0, abs=0.015)
    tv = total_variation(ds, ds.sample(N_HIST_SAMPLES, seeded(11)))
    assert tv < TV_THRESHOLD


@pytest.mark.parametrize("name", ["ring8", "moons", "checkerboard", "gaussian"])
def test_total_variation_check_detects_a_shift(name):
    ds = build(name)
    width = ds.bounds[1] - ds.bounds[0]
    shifted = ds.sample(N_HIST_SAMPLES, seeded(11)) + torch.tensor([width / 16, 0.0])
    assert total_variation(ds, shifted) > 2 * TV_THRESHOLD


def test_density_grid_layout():
    ds = build("disjoint-gaussians")
    xs, ys, dens = ds.density_grid(64)
    assert xs.shape == (64,) and ys.shape == (64,) and dens.shape == (64, 64)
    xmin, xmax, ymin, ymax = ds.bounds
    assert xs[0] == pytest.approx(xmin + (xmax - xmin) / 128)  # cell centres
    assert ys[-1] == pytest.approx(ymax - (ymax - ymin) / 128)
    i, j = 5, 40
    assert dens[i, j] == pytest.approx(float(ds.density(np.array([[xs[j], ys[i]]]))[0]))


def test_gaussian_closed_form():
    std = 0.7
    ds = build("gaussian", std=std)
    assert ds.log_density(np.zeros((1, 2)))[0] == pytest.approx(-math.log(2 * math.pi * std**2))
    pts = np.random.default_rng(0).normal(size=(50, 2))
    expected = multivariate_normal(mean=[0, 0], cov=std**2 * np.eye(2)).logpdf(pts)
    np.testing.assert_allclose(ds.log_density(pts), expected, rtol=1e-10, atol=1e-10)


def test_mixture_log_density_matches_direct_sum():
    ds = build("disjoint-gaussians", separation=1.0, std=0.4)
    pts = np.random.default_rng(1).normal(size=(40, 2))
    direct = sum(
        0.5 * multivariate_normal(mean=c, cov=0.16 * np.eye(2)).pdf(pts) for c in ds.centers
    )
    np.testing.assert_allclose(ds.log_density(pts), np.log(direct), rtol=1e-10)
    # far from every mode the log density stays finite (no underflow to -inf)
    far = ds.log_density(np.array([[50.0, 50.0]]))[0]
    assert np.isfinite(far) and far < -1e3


def test_ring8_density_at_a_mode():
    ds = build("ring8")
    value = ds.log_density(ds.centers[:1])[0]
    assert value == pytest.approx(math.log(1 / 8 / (2 * math.pi * 0.01**2)), abs=1e-9)


def test_checkerboard_density_values():
    ds = build("checkerboard")
    pts = np.array([[0.5, 0.5], [-1.5, -1.5], [1.5, 0.5], [-0.5, 0.5], [3.0, 0.5], [0.5, -2.5]])
    dens = ds.density(pts)
    np.testing.assert_allclose(dens, [1 / 8, 1 / 8, 0.0, 0.0, 0.0, 0.0])
    assert ds.log_density(pts[2:3])[0] == -np.inf
    samples = ds.sample(5000, seeded(2)).double().numpy()
    assert np.all(ds.density(samples) == pytest.approx(1 / 8))


def test_circles_closed_form_matches_quadrature():
    ds = build("circles", std=0.08)
    pts = np.random.default_rng(2).uniform(-1.5, 1.5, size=(300, 2))
    exact = ds.log_density(pts)
    quad = ds.quadrature_log_density(pts)
    near = exact > -10
    np.testing.assert_allclose(quad[near], exact[near], atol=1e-6)
    # at the origin only the tails reach: r = 0 gives exp(-R^2 / 2s^2) / (2 pi s^2) per circle
    origin = ds.density(np.zeros((1, 2)))[0]
    s2 = 0.08**2
    expected = 0.5 * sum(math.exp(-(r**2) / (2 * s2)) for r in (1.0, 0.5)) / (2 * math.pi * s2)
    assert origin == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("name", ["spiral", "swissroll", "moons", "circles"])
def test_curve_quadrature_nodes_are_dense(name):
    ds = build(name, std=0.1)
    nodes = ds.quadrature_nodes()
    arms = nodes.reshape(ds.n_arms, -1, 2)
    spacing = np.linalg.norm(np.diff(arms, axis=1), axis=2).max()
    # Gauss-Legendre panels 3 std wide: the largest node gap is 0.55 std (accuracy: test_toy_curves.py)
    assert spacing < 0.6 * ds.std


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((4, 3)), [[1.0, 2.0, 3.0]]])
def test_log_density_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match=r"\(m, 2\)"):
        build("gaussian").log_density(bad)


# ----------------------------------------------------------------------------- parallel lines
def test_parallel_lines():
    ds = build("parallel-lines", theta=0.5)
    assert ds.theta == 0.5 and not ds.has_density
    pts = ds.sample(2000, seeded(4))
    assert torch.all(pts[:, 0] == 0.0)
    assert torch.all((pts[:, 1] >= 0.0) & (pts[:, 1] <= 1.0))
    assert pts[:, 1].mean().item() == pytest.approx(0.5, abs=0.03)
    companion = ds.companion_sample(2000, seeded(4))
    assert companion.shape == (2000, 2) and companion.dtype == torch.float32
    assert torch.all(companion[:, 0] == 0.5)
    assert torch.all((companion[:, 1] >= 0.0) & (companion[:, 1] <= 1.0))
    xmin, xmax, _, _ = ds.bounds
    assert xmin < 0.0 and xmax > 0.5
    with pytest.raises(ValueError, match="no density"):
        ds.log_density(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="no density"):
        ds.density_grid(8)


def test_parallel_lines_negative_theta_bounds():
    xmin, xmax, _, _ = build("parallel-lines", theta=-2.0).bounds
    assert xmin < -2.0 and xmax > 0.0


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("name", "kwargs", "param"),
    [
        ("ring8", {"std": 0.0}, "std"),
        ("gaussian", {"std": -1.0}, "std"),
        ("moons", {"std": float("nan")}, "std"),
        ("ring", {"n_modes": 0}, "n_modes"),
        ("ring", {"n_modes": 2.5}, "n_modes"),
        ("ring", {"radius": 0.0}, "radius"),
        ("disjoint-gaussians", {"separation": -1.0}, "separation"),
        ("parallel-lines", {"theta": float("inf")}, "theta"),
        ("custom", {"points": None}, "points"),
        ("custom", {"points": [[0.0, 0.0, 1.0]]}, "points"),
        ("custom", {"points": np.zeros((0, 2))}, "points"),
        ("custom", {"points": [[0.0, float("nan")]]}, "points"),
    ],
)
def test_bad_parameters_name_the_parameter(name, kwargs, param):
    with pytest.raises(ValueError, match=param):
        make_dataset(name, **kwargs)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        make_dataset("ring9")
    message = str(info.value)
    assert "ring9" in message
    assert all(name in message for name in EXPECTED_NAMES)


def test_each_dataset_declares_its_parameters_in_its_constructor():
    from ganlab.data.toy import dataset_parameters

    assert dataset_parameters("ring") == ("n_modes", "radius", "std")
    assert dataset_parameters("checkerboard") == () and dataset_parameters("parallel-lines") == ("theta",)
    assert dataset_parameters("disjoint-gaussians") == ("separation", "std")
    assert dataset_parameters("custom") == ("points", "std")


def test_make_dataset_allows_what_the_config_allows():
    """One set of bounds (ganlab.options) for the config and the datasets: separation was >= 0 here and
    in (0, 100] in the config."""
    from ganlab.options import OPTIONS

    low = OPTIONS["data.separation"].low
    assert make_dataset("disjoint-gaussians", separation=low).centers[1, 0] == pytest.approx(low / 2)
    with pytest.raises(ValueError, match=r"separation must be a number in \[0.01, 100\]"):
        make_dataset("disjoint-gaussians", separation=0.0)


def test_dataset_parameters_are_declared_by_their_classes():
    """The options data.<name> are the classes' declarations; defaults are the constructors'; DEFAULT_STD is
    read off the constructors (None where there is no std)."""
    from ganlab.data.toy import PARAMETER_DEFAULTS, PARAMETER_OPTIONS, ImbalancedRing, ParallelLines, Ring

    assert list(PARAMETER_OPTIONS) == ["std", "n_modes", "radius", "rare_weight", "theta", "separation"]
    assert PARAMETER_OPTIONS["n_modes"] is Ring.PARAMETERS["n_modes"]
    assert PARAMETER_OPTIONS["theta"] is ParallelLines.PARAMETERS["theta"]
    assert PARAMETER_DEFAULTS == {"n_modes": 8, "radius": 1.0, "rare_weight": 0.1, "theta": 1.0,
                                  "separation": 4.0}
    assert ImbalancedRing.PARAMETERS["rare_weight"].describe() == "a number in [0.01, 1]"
    assert DEFAULT_STD == {"ring8": 0.01, "grid25": 0.05, "ring": 0.05, "imbalanced-ring": 0.05, "spiral": 0.05,
                           "swissroll": 0.05, "moons": 0.05, "circles": 0.05, "checkerboard": None,
                           "gaussian": 1.0, "parallel-lines": None, "disjoint-gaussians": 0.1, "custom": 0.05}


def test_two_datasets_cannot_declare_one_parameter_two_ways(monkeypatch):
    from ganlab.data import toy
    from ganlab.number_option import NumberOption

    class OtherRing(toy.Ring):
        PARAMETERS = {**toy.Ring.PARAMETERS, "radius": NumberOption("Radius", 0.5, 2.0)}

    monkeypatch.setitem(toy.DATASET_CLASSES, "other-ring", OtherRing)
    with pytest.raises(ValueError, match="'other-ring' declares parameter 'radius' unlike another dataset"):
        toy._declared_parameters()


def test_make_dataset_refuses_an_unknown_parameter():
    with pytest.raises(ValueError, match="unknown dataset parameter 'n_mode'; valid: std, n_modes"):
        make_dataset("ring", n_mode=3)


def test_imbalanced_ring_weights_are_the_closed_form():
    ds = make_dataset("imbalanced-ring", rare_weight=0.25)
    assert ds.weights == pytest.approx([0.2, 0.05] * 4, abs=1e-15)
    assert ds.centers == pytest.approx(make_dataset("ring8").centers, abs=1e-15)
    points = ds.sample(40_000, seeded(3)).numpy()
    nearest = np.argmin(((points[:, None, :] - ds.centers[None]) ** 2).sum(-1), axis=1)
    share_rare = np.isin(nearest, [1, 3, 5, 7]).mean()
    assert share_rare == pytest.approx(0.2, abs=0.01)  # 4 x 0.05; binomial sd 0.002
