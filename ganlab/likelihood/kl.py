"""Kullback-Leibler divergences between the data and a model, estimated from log densities at samples.

Conventions (nats). KL(P || Q) = E_{x ~ P}[log p(x) - log q(x)] >= 0. With p_data the data's density and
p_model the model's:

- forward KL(p_data || p_model) = E_{x ~ p_data}[log p_data(x) - log p_model(x)]: what maximum
  likelihood minimises (the expected log-likelihood is -H(p_data) - forward KL); it is large where the
  model misses data (mode covering);
- reverse KL(p_model || p_data) = E_{x ~ p_model}[log p_model(x) - log p_data(x)]: large where the model
  puts mass where there is no data (mode seeking).

Each estimate is the Monte Carlo mean over n samples of the first distribution, with its standard error
sd / sqrt(n) (sd with ddof 1). It is not clipped at 0: with exact densities it is unbiased, so a model
equal to the data reads 0 within its error bar. A sample where the second density is 0 (log = -inf:
a model sample outside a bounded support such as checkerboard's) makes the divergence +inf (se nan).

Where the densities come from: p_data exactly (ganlab.data's log_density); a flow's exactly
(ganlab.likelihood.flow); a VAE's by importance sampling with k samples (ganlab.likelihood.vae: a
stochastic lower bound, so its forward KL reads high and its reverse KL low by the bound's gap, which
shrinks as k grows); a GAN has no density: `kde_kl_columns` reads the sample estimates of
ganlab.metrics.divergence_estimates instead (the generator's KDE, both distributions smoothed by the same
Gaussian kernel of width h, so those are the KLs between p_data * N(0, h^2 I) and p_g * N(0, h^2 I)).

Closed form for checking (`gaussian_kl`): KL(N(m0, S0) || N(m1, S1)) =
1/2 [tr(S1^-1 S0) + (m1 - m0)^T S1^-1 (m1 - m0) - d + log det S1 - log det S0].
"""

from __future__ import annotations

import math

import numpy as np

KL_COLUMNS = ("forward_kl", "forward_kl_se", "reverse_kl", "reverse_kl_se")


def _vector(values, name: str) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"{name} must be a vector of at least 2 log densities; got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN values")
    return array


def monte_carlo_kl(log_p_at_p, log_q_at_p) -> tuple[float, float]:
    """KL(P || Q) from n samples x_i ~ P: (mean of log p(x_i) - log q(x_i), its standard error), nats.

    Args:
        log_p_at_p: (n,) log p at the samples of P (finite: they are P's own samples).
        log_q_at_p: (n,) log q at the same samples (-inf where q is 0: the KL is then +inf, se nan).
    """
    log_p, log_q = _vector(log_p_at_p, "log_p_at_p"), _vector(log_q_at_p, "log_q_at_p")
    if log_p.shape != log_q.shape:
        raise ValueError(f"log_p_at_p and log_q_at_p differ in shape: {log_p.shape} and {log_q.shape}")
    if not np.isfinite(log_p).all():
        raise ValueError("log_p_at_p must be finite: P's density at P's own samples")
    if np.isneginf(log_q).any():
        return math.inf, math.nan
    ratio = log_p - log_q
    if not np.isfinite(ratio).all():  # +inf in log_q cannot come from a density at a point; refuse it
        raise ValueError("log_q_at_p must not be +inf")
    return float(ratio.mean()), float(ratio.std(ddof=1) / math.sqrt(ratio.size))


def forward_kl(data_log_p_data, data_log_p_model) -> tuple[float, float]:
    """KL(p_data || p_model) and its se, from the log densities of both at samples of the DATA."""
    return monte_carlo_kl(data_log_p_data, data_log_p_model)


def reverse_kl(model_log_p_model, model_log_p_data) -> tuple[float, float]:
    """KL(p_model || p_data) and its se, from the log densities of both at samples of the MODEL."""
    return monte_carlo_kl(model_log_p_model, model_log_p_data)


def kl_columns(data_log_p_data, data_log_p_model, model_log_p_model, model_log_p_data) -> dict[str, float]:
    """{forward_kl, forward_kl_se, reverse_kl, reverse_kl_se} from the two densities at both samples."""
    forward, forward_se = forward_kl(data_log_p_data, data_log_p_model)
    reverse, reverse_se = reverse_kl(model_log_p_model, model_log_p_data)
    return dict(zip(KL_COLUMNS, (forward, forward_se, reverse, reverse_se), strict=True))


def kde_kl_columns(metrics: dict) -> dict[str, float]:
    """The forward and reverse KL of a model without a density (a GAN) from a toy evaluation's sample
    estimates (ganlab.evaluation: kl_data_fake, kl_fake_data and their se, at the kernel width
    `divergence_bandwidth`): both distributions smoothed by N(0, h^2 I), p_g by the KDE of its samples."""
    names = ("kl_data_fake", "kl_data_fake_se", "kl_fake_data", "kl_fake_data_se")
    return {column: float(metrics.get(name, math.nan)) for column, name in zip(KL_COLUMNS, names, strict=True)}


def kl_method(model: str, n_samples: int, k: float | None = None, bandwidth: float | None = None) -> str:
    """How a run's forward and reverse KL were estimated, in words (for a summary): `model` "flow", "vae"
    (k importance samples) or "gan" (KDE at kernel width `bandwidth`), n_samples samples of each side."""
    each = f"Monte Carlo means over {n_samples:,} data and {n_samples:,} model samples"
    if model == "flow":
        return f"exact log densities of p_data and the flow; {each}"
    if model == "vae":
        shown = f"{int(k):,}" if k is not None and math.isfinite(k) else "?"
        return (f"p_data exact, the VAE's log density by importance sampling with k = {shown} (a lower bound: "
                f"forward KL reads high, reverse KL low, by its gap); {each}")
    width = f"{bandwidth:.3g}" if bandwidth is not None and math.isfinite(bandwidth) else "?"
    return (f"both densities smoothed by N(0, h^2 I), h = {width}: p_data exactly, p_g by the KDE of "
            f"{n_samples:,} generator samples (ganlab.metrics.divergence_estimates)")


def gaussian_kl(mean0, cov0, mean1, cov1) -> float:
    """KL(N(mean0, cov0) || N(mean1, cov1)) in closed form (nats); covariances symmetric positive definite."""
    m0, m1 = np.atleast_1d(np.asarray(mean0, float)), np.atleast_1d(np.asarray(mean1, float))
    s0, s1 = np.atleast_2d(np.asarray(cov0, float)), np.atleast_2d(np.asarray(cov1, float))
    d = m0.size
    if m1.shape != (d,) or s0.shape != (d, d) or s1.shape != (d, d):
        raise ValueError(f"means (d,) and covariances (d, d) of one d; got {m0.shape}, {s0.shape}, "
                         f"{m1.shape}, {s1.shape}")
    diff = m1 - m0
    _, logdet0 = np.linalg.slogdet(s0)
    _, logdet1 = np.linalg.slogdet(s1)
    trace = np.trace(np.linalg.solve(s1, s0))
    return float(0.5 * (trace + diff @ np.linalg.solve(s1, diff) - d + logdet1 - logdet0))


__all__ = ["KL_COLUMNS", "forward_kl", "gaussian_kl", "kde_kl_columns", "kl_columns", "kl_method",
           "monte_carlo_kl", "reverse_kl"]
