"""What the GAN, VAE and flow page draws of a likelihood run: shapes, the density's conventions, fixed noise, and
that a snapshot consumes none of the run's random numbers."""

import math
import statistics
import time

import numpy as np
import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.likelihood.flow import standard_normal_log_prob
from ganlab.likelihood.snapshot import (
    DENSITY_GRID,
    IMPORTANCE_SAMPLES,
    WARP_LINES,
    WARP_POINTS,
    log_density_grid,
    take_likelihood_snapshot,
    warped_grid,
)
from ganlab.likelihood.trainer import LikelihoodTrainer


def trainer(model: str, **overrides: str) -> LikelihoodTrainer:
    config = with_overrides(RunConfig(device="cpu", batch_size=64, eval_every=0),
                            {"model": model, "flow.depth": "4", "flow.width": "32", "vae.width": "32",
                             **overrides})
    return LikelihoodTrainer(config)


@pytest.mark.parametrize("latent", [1, 2, 3])
def test_a_vae_snapshot_has_its_arrays_and_says_which_latent_coordinates(latent):
    run = trainer("vae", **{"vae.latent_dim": str(latent)})
    run.step(3)
    snap = take_likelihood_snapshot(run, n_samples=50, grid_size=20)
    assert (snap["step"], snap["model"], snap["bounds"]) == (3, "vae", (-1.5, 1.5, -1.5, 1.5))
    assert snap["real"].shape == snap["samples"].shape == (50, 2)
    assert snap["grid_x"].shape == snap["grid_y"].shape == (20,) and snap["log_density"].shape == (20, 20)
    assert snap["latent_means"].shape == (50, min(latent, 2)) and snap["latent_dim"] == latent
    assert snap["importance_samples"] == IMPORTANCE_SAMPLES and "warp" not in snap
    assert "importance sampling, k = 16" in snap["density_method"]
    # the means are the encoder's, of the snapshot's real points (first two coordinates)
    expected = run.model.posterior_mean(torch.as_tensor(snap["real"]))[:, :2]
    np.testing.assert_array_equal(snap["latent_means"], expected.numpy())


def test_a_flow_snapshot_has_the_warped_grid_of_its_latent_lines():
    run = trainer("flow")
    run.step(5)
    snap = take_likelihood_snapshot(run)
    assert snap["log_density"].shape == (DENSITY_GRID, DENSITY_GRID) and snap["samples"].shape == (128, 2)
    assert snap["warp"].shape == (2, WARP_LINES, WARP_POINTS, 2) and "latent_means" not in snap
    assert snap["density_method"].startswith("log p(x) exact")
    # the first line of constant z1 = -2.5, mapped by the inverse flow
    z = torch.stack([torch.full((WARP_POINTS,), -2.5), torch.linspace(-2.5, 2.5, WARP_POINTS)], dim=1)
    np.testing.assert_allclose(snap["warp"][0, 0], run.model.inverse(z)[0].detach().numpy(), rtol=1e-6,
                               atol=1e-6)


def test_a_new_flow_is_the_identity_and_its_density_is_the_standard_normal_exactly():
    run = trainer("flow")
    xs, ys, log_p = log_density_grid(run, size=16)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = torch.as_tensor(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1), dtype=torch.float32)
    expected = standard_normal_log_prob(points).double().numpy().reshape(16, 16)
    np.testing.assert_allclose(log_p, expected, rtol=0, atol=1e-6)
    assert log_p[0, 0] == pytest.approx(-math.log(2 * math.pi) - 0.5 * (xs[0] ** 2 + ys[0] ** 2), abs=1e-5)
    warp = warped_grid(run.model, lines=3, points=5)  # the identity: the latent lines themselves
    np.testing.assert_allclose(warp[0, 1, :, 0], 0.0, atol=1e-7)
    np.testing.assert_allclose(warp[1, 2, :, 1], 2.5, atol=1e-6)


def test_a_trained_flows_density_on_the_grid_integrates_to_one():
    run = trainer("flow", **{"data.name": "gaussian"})  # N(0, I): its mass is well inside +/- 6
    run.step(150)
    margin = 2.0
    xmin, xmax, ymin, ymax = run.dataset.bounds
    bounds = (xmin - margin, xmax + margin, ymin - margin, ymax + margin)
    xs, ys, log_p = log_density_grid(run, size=160, bounds=bounds)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert float(np.exp(log_p).sum() * cell) == pytest.approx(1.0, abs=0.01)
    assert run.step_count == 150 and np.isfinite(log_p).all()


@pytest.mark.parametrize("model", ["vae", "flow"])
def test_snapshots_draw_none_of_the_runs_random_numbers(model):
    watched, alone = trainer(model), trainer(model)
    watched.step(4)
    alone.step(4)
    global_rng = torch.random.get_rng_state()
    first = take_likelihood_snapshot(watched, n_samples=32, grid_size=12)
    second = take_likelihood_snapshot(watched, n_samples=32, grid_size=12)
    assert torch.equal(torch.random.get_rng_state(), global_rng)
    for key in ("real", "samples", "log_density"):  # fixed noise: the same picture of the same model
        np.testing.assert_array_equal(first[key], second[key])
    watched.step(6)
    alone.step(6)
    a, b = watched.state_dict(), alone.state_dict()
    assert torch.equal(a["rng"], b["rng"]) and a["step_count"] == b["step_count"] == 10
    for name, value in b["model"].items():
        assert torch.equal(a["model"][name], value), name
    moved = take_likelihood_snapshot(watched, n_samples=32, grid_size=12)
    np.testing.assert_array_equal(moved["real"], first["real"])  # the same real points ...
    assert not np.array_equal(moved["samples"], first["samples"])  # ... and the model moved


def test_a_vae_frame_costs_a_few_milliseconds_on_one_thread():
    run = trainer("vae", **{"vae.width": "64"})  # the engine's default VAE
    take_likelihood_snapshot(run)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        take_likelihood_snapshot(run)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.1, times  # ~10 ms measured; generous for a busy machine
