"""VAEs (ganlab.likelihood.vae) against closed forms: the ELBO bounds the importance-weighted likelihood,
which tightens towards the exact marginal of a linear-Gaussian decoder; a linear-Gaussian VAE trained on
Gaussian data reaches probabilistic PCA's maximum likelihood (Tipping & Bishop 1999)."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch.distributions import Normal, kl_divergence

from ganlab.likelihood.vae import ImageVAE, ToyVAE, diagonal_gaussian_log_prob, gaussian_kl_to_standard


def linear_parts(vae: ToyVAE) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(W (d, q), b (d,), sigma^2) of a depth-0 (linear-Gaussian) VAE's decoder x = W z + b + sigma eps."""
    layer = vae.decoder[0]
    return layer.weight.detach(), layer.bias.detach(), math.exp(2 * vae.log_std.item())


def linear_marginal(vae: ToyVAE, x: torch.Tensor) -> torch.Tensor:
    """Closed-form log p(x) of a linear-Gaussian decoder with z ~ N(0, I): N(x; b, W W^T + sigma^2 I)."""
    w, b, var = linear_parts(vae)
    cov = w @ w.T + var * torch.eye(len(b), dtype=w.dtype)
    return torch.distributions.MultivariateNormal(b, cov).log_prob(x)


def linear_elbo(vae: ToyVAE, x: torch.Tensor) -> torch.Tensor:
    """Closed-form ELBO of a linear-Gaussian decoder: E_q log N(x; W z + b, s^2 I) - KL(q || p), with
    E_q ||x - W z - b||^2 = ||x - W m - b||^2 + sum_j v_j ||W_j||^2 for q = N(m, diag v)."""
    w, b, var = linear_parts(vae)
    with torch.no_grad():
        mean, log_var = vae.encode(x)
        squared = ((x - mean @ w.T - b) ** 2).sum(1) + (log_var.exp() * (w**2).sum(0)).sum(1)
        recon = -0.5 * x.shape[1] * math.log(2 * math.pi * var) - 0.5 * squared / var
        return recon - gaussian_kl_to_standard(mean, log_var)


def hand_set_linear_vae() -> ToyVAE:
    """2-D data, 1-D latent, decoder W = (1.5, 0.5), b = (0.2, -0.1), sigma 0.5; a deliberately poor encoder."""
    vae = ToyVAE(data_dim=2, latent_dim=1, depth=0, learn_variance=True, decoder_std=0.5).double()
    with torch.no_grad():
        vae.decoder[0].weight.copy_(torch.tensor([[1.5], [0.5]]))
        vae.decoder[0].bias.copy_(torch.tensor([0.2, -0.1]))
        vae.encoder[0].weight.copy_(torch.tensor([[0.3, 0.0], [0.0, 0.0]]))  # mean 0.3 x_0, log-variance -1
        vae.encoder[0].bias.copy_(torch.tensor([0.0, -1.0]))
    return vae


def test_elbo_below_importance_weighted_bounds_that_rise_with_k_to_the_exact_marginal():
    vae = hand_set_linear_vae()
    torch.manual_seed(0)
    w, b, var = linear_parts(vae)
    x = torch.distributions.MultivariateNormal(b, w @ w.T + var * torch.eye(2, dtype=w.dtype)).sample((500,))
    exact = linear_marginal(vae, x).mean().item()
    elbo = linear_elbo(vae, x)
    assert elbo.mean().item() == pytest.approx(-4.777, abs=0.001)  # the poor encoder leaves a gap of ~2.1 nats
    assert exact == pytest.approx(-2.639, abs=0.001)
    with torch.no_grad():
        recon, kl = vae.elbo_terms(x, torch.Generator().manual_seed(1))  # one draw per point: unbiased
    spread = float((recon - kl - elbo).std()) / math.sqrt(500)
    assert (recon - kl).mean().item() == pytest.approx(elbo.mean().item(), abs=4 * spread)
    gen = torch.Generator().manual_seed(2)
    means, errors = {}, {}
    for k in (1, 10, 100, 1000):
        estimate = vae.importance_log_likelihood(x, k, gen)
        means[k], errors[k] = estimate.mean().item(), float((estimate - elbo).std()) / math.sqrt(500)
    assert means[1] == pytest.approx(elbo.mean().item(), abs=4 * errors[1])  # E[L_1] = ELBO (Burda et al.)
    assert elbo.mean().item() < means[10] < means[100] < means[1000] < exact + 0.005
    gaps = [exact - means[k] for k in (10, 100, 1000)]
    assert gaps[0] > 5 * gaps[1] > 0 and gaps[1] > 2 * gaps[2]
    assert exact - means[1000] < 0.01


def test_a_linear_gaussian_vae_reaches_probabilistic_pca_maximum_likelihood():
    # Data: 3-D Gaussian, covariance eigenvalues (4, 1, 0.25) in a random basis. PPCA with q = 1
    # (Tipping & Bishop 1999, eq. 7-8): sigma^2 = mean of the discarded eigenvalues of the sample covariance
    # S, W = u_1 (lambda_1 - sigma^2)^(1/2), and the maximised log-likelihood per point is
    # -1/2 (d log 2 pi + log det C + tr(C^-1 S)) with C = W W^T + sigma^2 I.
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    data = np.array([1.0, -2.0, 0.5]) + (rng.standard_normal((4000, 3)) * np.sqrt([4.0, 1.0, 0.25])) @ basis.T
    sample_cov = np.cov(data, rowvar=False, bias=True)
    eigenvalues, eigenvectors = np.linalg.eigh(sample_cov)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    sigma2 = eigenvalues[1:].mean()
    w_ml = eigenvectors[:, :1] * np.sqrt(eigenvalues[0] - sigma2)
    cov_ml = w_ml @ w_ml.T + sigma2 * np.eye(3)
    best = -0.5 * (3 * math.log(2 * math.pi) + np.linalg.slogdet(cov_ml)[1]
                   + np.trace(np.linalg.solve(cov_ml, sample_cov)))
    assert best == pytest.approx(multivariate_normal(data.mean(0), cov_ml).logpdf(data).mean(), abs=1e-9)

    torch.manual_seed(0)
    vae = ToyVAE(data_dim=3, latent_dim=1, depth=0, learn_variance=True, decoder_std=1.0)
    x = torch.tensor(data, dtype=torch.float32)
    optimiser = torch.optim.Adam(vae.parameters(), lr=3e-2)
    gen = torch.Generator().manual_seed(1)
    for step in range(1200):
        if step == 800:
            optimiser.param_groups[0]["lr"] = 3e-3
        recon, kl = vae.elbo_terms(x[torch.randint(4000, (500,), generator=gen)], gen)
        loss = (kl - recon).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    w, b, var = linear_parts(vae)
    cov = (w @ w.T).double().numpy() + var * np.eye(3)
    reached = multivariate_normal(b.double().numpy(), cov).logpdf(data).mean()
    assert reached <= best + 1e-9  # nothing beats the maximum likelihood on the same data
    assert reached == pytest.approx(best, abs=2e-3)
    assert var == pytest.approx(sigma2, rel=0.05)
    assert float(w.norm()) == pytest.approx(math.sqrt(eigenvalues[0] - sigma2), rel=0.03)
    assert abs(float(w[:, 0].double() @ torch.from_numpy(eigenvectors[:, 0].copy()))) / float(w.norm()) > 0.999
    with torch.no_grad():  # the posterior family holds the exact PPCA posterior, so the bound is nearly tight
        estimate = vae.importance_log_likelihood(x, 100, torch.Generator().manual_seed(3)).mean().item()
    assert estimate == pytest.approx(reached, abs=2e-3)
    assert 0 <= reached - linear_elbo(vae, x).mean().item() < 0.01


def test_gaussian_helpers_match_torch_distributions():
    mean, log_var = torch.randn(6, 3, generator=torch.Generator().manual_seed(4)).double().chunk(2, dim=1)
    mean, log_var = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    q, p = Normal(mean, (0.5 * log_var).exp()), Normal(torch.zeros(6, 3, dtype=torch.float64), 1.0)
    torch.testing.assert_close(gaussian_kl_to_standard(mean, log_var), kl_divergence(q, p).sum(1))
    z = torch.randn(6, 3, dtype=torch.float64)
    torch.testing.assert_close(diagonal_gaussian_log_prob(z, mean, log_var), q.log_prob(z).sum(1))


def test_decoder_likelihoods_are_the_closed_forms():
    gen = torch.Generator().manual_seed(5)
    x = torch.rand(4, 1, 28, 28, generator=gen) * 2 - 1
    out = torch.randn(4, 1, 28, 28, generator=gen)
    bernoulli = ImageVAE("mlp", 2, 16, 1, "bernoulli")
    p, target = torch.sigmoid(out), (x + 1) / 2
    expected = (target * p.log() + (1 - target) * (1 - p).log()).flatten(1).sum(1)
    torch.testing.assert_close(bernoulli.log_likelihood(x, out), expected, rtol=1e-5, atol=1e-3)
    gaussian = ImageVAE("mlp", 2, 16, 1, "gaussian", learn_variance=False, decoder_std=0.3)
    torch.testing.assert_close(gaussian.log_likelihood(x, out), Normal(out, 0.3).log_prob(x).flatten(1).sum(1),
                               rtol=1e-5, atol=1e-3)
    assert "log_std" not in dict(gaussian.named_parameters()) and "log_std" not in gaussian.state_dict()
    assert "log_std" not in dict(bernoulli.named_parameters())  # a Bernoulli decoder has no variance


@pytest.mark.parametrize("arch, decoder", [("mlp", "bernoulli"), ("conv", "gaussian"), ("conv", "bernoulli")])
def test_image_vaes_give_per_image_terms_and_digit_shaped_samples(arch, decoder):
    torch.manual_seed(6)
    vae = ImageVAE(arch, latent_dim=3, width=8, depth=1, decoder_kind=decoder)
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(7)) * 2 - 1
    recon, kl = vae.elbo_terms(x, torch.Generator().manual_seed(8))
    assert recon.shape == kl.shape == (5,) and bool((kl >= 0).all())
    if decoder == "bernoulli":
        assert bool((recon <= 0).all())  # binary cross-entropy is >= 0 for targets in [0, 1]
    with torch.no_grad():
        bound = vae.importance_log_likelihood(x, 16, torch.Generator().manual_seed(9))
    assert bound.shape == (5,) and bool(torch.isfinite(bound).all())
    assert bound.mean().item() > (recon - kl).mean().item() - 5.0  # L_16 is no worse than one draw's ELBO
    samples = vae.sample(7, torch.Generator().manual_seed(10))
    assert samples.shape == (7, 1, 28, 28) and samples.min() >= -1 and samples.max() <= 1
    assert vae.posterior_mean(x).shape == (5, 3)


def test_toy_samples_are_decoder_means_plus_the_decoder_noise():
    vae = ToyVAE(latent_dim=2, depth=1, width=8, learn_variance=False, decoder_std=0.2)
    with torch.no_grad():
        vae.decoder[-1].weight.zero_()
        vae.decoder[-1].bias.copy_(torch.tensor([0.5, -1.0]))  # mu(z) = (0.5, -1) for every z
    draws = vae.sample(40_000, torch.Generator().manual_seed(11))
    torch.testing.assert_close(draws.mean(0), torch.tensor([0.5, -1.0]), rtol=0, atol=0.005)
    torch.testing.assert_close(draws.std(0), torch.tensor([0.2, 0.2]), rtol=0.02, atol=0)
    means = vae.sample(10, torch.Generator().manual_seed(11), noise=False)
    assert torch.equal(means, torch.tensor([[0.5, -1.0]]).expand(10, 2))


def test_importance_samples_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="k .importance samples. must be an integer >= 1; got 0"):
        ToyVAE().importance_log_likelihood(torch.zeros(3, 2), 0, torch.Generator())
