"""Divergences between a toy data density and a generator, estimated from samples with error bars.

What is estimated. Both distributions are seen at one resolution h: p_h = p_data * N(0, h^2 I)
(computed EXACTLY from the data set's own density, `ToyDataset.smoothed_log_density`) and
q_h = p_g * N(0, h^2 I), estimated by the Gaussian kernel density estimate (KDE) of the generator's
samples with the same kernel. Smoothing both by the same kernel removes the kernel's bias from a
perfect generator (p_g = p_data gives p_h = q_h exactly, so only the KDE's sampling noise is left),
and a divergence between smoothed densities is never larger than between the raw ones (data
processing inequality). h is BANDWIDTH_SCALE (2) x the bandwidth that maximises the leave-one-out
likelihood of held-out REAL samples (`select_bandwidth`), so it follows the data's own scale (ring8:
modes of std 0.01, h ~ 0.007-0.01; grid25: std 0.05, h ~ 0.06; the standard Gaussian: h ~ 0.5).

How. Every divergence here is an integral of phi(p, q), homogeneous of degree 1 (an f-divergence
integrand q f(p / q)), and

    integral phi(p_h, q_h) = E_{x ~ p_h}[phi / (p_h + q_h)] + E_{y ~ q_h}[phi / (p_h + q_h)],

with x = a real sample + h * noise (an exact draw from p_h) and y = a generator sample + h * noise
(an exact draw from the KDE q_h). With w = p_h / (p_h + q_h) the bounded integrands are
JSD: (w log 2w + (1 - w) log 2(1 - w)) / 2, TV: |2w - 1| / 2, squared Hellinger: 1 - 2 sqrt(w (1 - w)),
triangular: (2w - 1)^2, so those estimates always lie in their ranges (JSD in [0, log 2], TV in
[0, 1], Hellinger and triangular in [0, 2]).

Error bar. `<name>_se` is the delta-method standard error: the variance of the real side's terms
over n plus that of each generator sample's terms (its Monte Carlo term and its influence through
the KDE, d phi / d q at the sample) over m. A perfect generator still reads a small positive value,
the KDE's noise (measured on every toy data set at 2,500 samples: JSD <= 0.02 nats; see
benchmarks/divergence_estimates.py).

KL(p_data || p_g) and Pearson chi^2(p_data || p_g) are infinite when the generator puts no mass where
data lies; they are reported as inf when some (jittered) data point has no generator sample within
FAR_REACH (12) bandwidths, as the closed form says for a generator that drops modes (a perfect
generator's data points always have one nearer).

Conventions (nats): JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in [0, log 2], and
max_D V(G, D) = 2 JSD(p_data || p_g) - log 4 (Goodfellow et al. 2014); Pearson chi^2 = int (p-q)^2/q
and squared Hellinger = int (sqrt p - sqrt q)^2 (f-GAN's conventions, Nowozin et al. 2016); TV =
1/2 int |p - q|; triangular discrimination = int (p-q)^2 / (p+q) (what LSGAN's D estimates).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch
from scipy.spatial import cKDTree

from ganlab.metrics.modes import as_float_matrix

LOG2 = math.log(2.0)

# name -> what it is, as the app labels it
DIVERGENCES: dict[str, str] = {
    "jsd": "Jensen-Shannon JSD(p_data || p_g), nats, in [0, log 2]",
    "kl_data_fake": "KL(p_data || p_g), nats",
    "kl_fake_data": "KL(p_g || p_data), nats",
    "tv": "total variation, in [0, 1]",
    "pearson": "Pearson chi^2(p_data || p_g)",
    "hellinger": "squared Hellinger, in [0, 2]",
    "triangular": "triangular discrimination, in [0, 2]",
}
# divergences that are infinite when p_g has no mass where p_data has some
DATA_SIDE_UNBOUNDED = ("kl_data_fake", "pearson")

KERNEL_REACH = 6.0         # the KDE sums kernels out to this many bandwidths (exp(-18) beyond)
FAR_REACH = 12.0           # no generator sample this many bandwidths from a data point: no mass there
TREE_MAX_PAIRS = 2_000_000  # expected (query, sample) pairs within reach up to which a k-d tree is used
BANDWIDTH_QUERIES = 500    # held-out points scored per candidate bandwidth
BANDWIDTH_CANDIDATES = 12  # log-spaced first candidates between the nearest-neighbour scale and the spread
# h = BANDWIDTH_SCALE x the held-out-likelihood bandwidth of the real samples. That bandwidth is the
# best for estimating p itself; here both sides are smoothed alike, so a wider kernel costs only
# resolution, and doubling it cut a perfect generator's reading 3-4 fold (ring8 JSD 0.0063 -> 0.0016,
# TV 0.071 -> 0.039 at 2,500 samples) while h stays at or below each toy set's own noise scale.
BANDWIDTH_SCALE = 2.0


def _log_norm(bandwidth: float, n_centres: int) -> float:
    return math.log(2.0 * math.pi * bandwidth * bandwidth) + math.log(n_centres)


def log_kde(query: np.ndarray, centres: np.ndarray, bandwidth: float,
            tree: cKDTree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Log of the isotropic Gaussian KDE (1/m) sum_j N(x; c_j, h^2 I) at each query point.

    Kernels farther than KERNEL_REACH * h are left out: the density is low by at most
    e^-18 / (2 pi h^2), a kernel's value at that reach (it matters only where q is that small); a
    query with no centre within reach gets its nearest centre's kernel alone, so the value stays
    finite.

    Args:
        query: (k, 2) float64 points; centres: (m, 2) float64 samples; bandwidth: h > 0.
        tree: a cKDTree of `centres` already built (several queries against one sample), or None.

    Returns:
        (log density (k,), far (k,) bool: no centre lies within FAR_REACH * h).
    """
    reach = KERNEL_REACH * bandwidth
    tree = cKDTree(centres) if tree is None else tree
    probe = query[:: max(1, len(query) // 200)]
    expected_pairs = tree.query_ball_point(probe, reach, return_length=True).mean() * len(query)
    scale = -0.5 / (bandwidth * bandwidth)
    if expected_pairs <= TREE_MAX_PAIRS:
        pairs = cKDTree(query).sparse_distance_matrix(tree, reach, output_type="ndarray")
        sums = np.bincount(pairs["i"], weights=np.exp(scale * pairs["v"] ** 2), minlength=len(query))
        reached = sums > 0
        with np.errstate(divide="ignore"):
            log_sum = np.log(sums)
    else:
        # float32 with exact differences (no |a|^2 + |b|^2 - 2ab cancellation): ~1e-6 error in log
        d2 = torch.cdist(torch.from_numpy(query).float(), torch.from_numpy(centres).float(),
                         compute_mode="donot_use_mm_for_euclid_dist").square_()
        reached = (d2.min(dim=1).values <= reach * reach).numpy()
        log_sum = torch.logsumexp(d2.mul_(scale), dim=1).double().numpy()
    far = np.zeros(len(query), dtype=bool)
    if not reached.all():
        nearest, _ = tree.query(query[~reached], k=1)
        log_sum[~reached] = scale * nearest * nearest
        far[~reached] = nearest > FAR_REACH * bandwidth
    return log_sum - _log_norm(bandwidth, len(centres)), far


_BANDWIDTHS: OrderedDict = OrderedDict()  # (samples' digest, seed) -> h: the same samples, the same h
_BANDWIDTHS_KEPT = 64
_BANDWIDTHS_LOCK = threading.Lock()


def select_bandwidth(samples, *, seed: int = 0) -> float:
    """select_bandwidth_uncached, remembered for the last _BANDWIDTHS_KEPT (samples, seed): a run handed to a
    training worker builds its evaluator afresh there, from the same seeded samples (~0.2 s each time)."""
    points = as_float_matrix(samples, "samples", dim=2)
    key = (hashlib.sha256(np.ascontiguousarray(points).tobytes()).hexdigest(), points.shape, seed)
    with _BANDWIDTHS_LOCK:
        if key in _BANDWIDTHS:
            _BANDWIDTHS.move_to_end(key)
            return _BANDWIDTHS[key]
    bandwidth = select_bandwidth_uncached(points, seed=seed)
    with _BANDWIDTHS_LOCK:
        _BANDWIDTHS[key] = bandwidth
        while len(_BANDWIDTHS) > _BANDWIDTHS_KEPT:
            _BANDWIDTHS.popitem(last=False)
    return bandwidth


def select_bandwidth_uncached(samples, *, seed: int = 0) -> float:
    """KDE bandwidth h maximising the leave-one-out log likelihood of held-out samples.

    BANDWIDTH_QUERIES points (a seeded random subset) are each scored by the KDE of all the other
    samples: first at BANDWIDTH_CANDIDATES log-spaced h between 0.1 x the median nearest-neighbour
    distance and the samples' total standard deviation, then by a golden-section search between the
    best candidate's neighbours (log h to ~1 %).

    Args:
        samples: (n, 2) points, n >= 3.

    Returns:
        h > 0 (float).
    """
    pts = as_float_matrix(samples, "samples", dim=2)
    n = pts.shape[0]
    if n < 3:
        raise ValueError(f"select_bandwidth needs at least 3 samples; got {n}")
    rng = np.random.default_rng(seed)
    held_out = rng.choice(n, size=min(BANDWIDTH_QUERIES, n), replace=False)
    centred = torch.from_numpy(pts - pts.mean(axis=0)).float()
    d2 = torch.cdist(centred[held_out], centred, compute_mode="donot_use_mm_for_euclid_dist").square_()
    d2[torch.arange(len(held_out)), torch.from_numpy(held_out)] = math.inf  # leave each one out
    nearest = float(d2.min(dim=1).values.sqrt().median())
    spread = float(np.sqrt(pts.var(axis=0).sum()))
    low = max(0.1 * nearest, 1e-9 * max(spread, 1e-300), 1e-12)
    high = max(spread, 2.0 * low)

    def score(log_h: float) -> float:
        h = math.exp(log_h)
        return float(torch.logsumexp(d2 * (-0.5 / (h * h)), dim=1).mean()) - _log_norm(h, n - 1)

    grid = np.linspace(math.log(low), math.log(high), BANDWIDTH_CANDIDATES)
    best = int(np.argmax([score(v) for v in grid]))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    score_c, score_d = score(c), score(d)
    while b - a > 0.01:
        if score_c >= score_d:
            b, d, score_d = d, c, score_c
            c = b - ratio * (b - a)
            score_c = score(c)
        else:
            a, c, score_c = c, d, score_d
            d = a + ratio * (b - a)
            score_d = score(d)
    return float(math.exp(0.5 * (a + b)))


def _terms(lp: np.ndarray, lq: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per point: (phi / (p + q), d phi / d q) for every divergence, from log p_h and log q_h."""
    diff = np.clip(lp - lq, -700.0, 700.0)
    wp = 1.0 / (1.0 + np.exp(-diff))  # p / (p + q)
    wq = 1.0 / (1.0 + np.exp(diff))   # q / (p + q), computed apart so neither loses precision
    ratio = np.exp(diff)              # p / q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        jsd = 0.5 * (np.where(wp > 0, wp * np.log(2.0 * wp), 0.0) + np.where(wq > 0, wq * np.log(2.0 * wq), 0.0))
        return {
            "jsd": (jsd, 0.5 * np.log(2.0 * wq)),
            "kl_data_fake": (wp * diff, -ratio),
            "kl_fake_data": (-wq * diff, 1.0 - diff),
            "tv": (0.5 * np.abs(wp - wq), -0.5 * np.sign(wp - wq)),
            "pearson": ((wp - wq) ** 2 / wq, 1.0 - ratio * ratio),
            "hellinger": (1.0 - 2.0 * np.sqrt(wp * wq), 1.0 - np.sqrt(ratio)),
            "triangular": ((wp - wq) ** 2, (wq - wp) * (wq + 3.0 * wp)),
        }


def _variance(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.var(ddof=1)) if finite.size > 1 else 0.0


class DivergenceEstimator:
    """Estimates every divergence in DIVERGENCES between a fixed data set and generator samples.

    Args:
        smoothed_log_density: (points (k, 2), bandwidth) -> (k,) log of p_data * N(0, h^2 I),
            exact (a ToyDataset's `smoothed_log_density`).
        real: (n, 2) real samples: they set the bandwidth (held-out likelihood) and, jittered by
            h * noise, are the draws from p_h.
        seed: seeds the bandwidth's held-out subset and every jitter.
        bandwidth: a fixed h > 0 instead of the held-out choice.
    """

    def __init__(self, smoothed_log_density: Callable[[np.ndarray, float], np.ndarray], real, *,
                 seed: int = 0, bandwidth: float | None = None, bandwidth_scale: float = BANDWIDTH_SCALE):
        self.real = as_float_matrix(real, "real", dim=2)
        if self.real.shape[0] < 3:
            raise ValueError(f"real must hold at least 3 samples; got {self.real.shape[0]}")
        self.bandwidth = (bandwidth_scale * select_bandwidth(self.real, seed=seed) if bandwidth is None
                          else float(bandwidth))
        if not (math.isfinite(self.bandwidth) and self.bandwidth > 0):
            raise ValueError(f"bandwidth must be a finite number > 0; got {bandwidth!r}")
        self.smoothed_log_density = smoothed_log_density
        self.seed = seed
        rng = np.random.default_rng(seed + 1)
        self.real_draws = self.real + self.bandwidth * rng.standard_normal(self.real.shape)
        self.real_log_p = np.asarray(smoothed_log_density(self.real_draws, self.bandwidth), dtype=np.float64)

    def estimate(self, fake) -> dict[str, float]:
        """All divergences between p_data and the generator behind `fake`, at bandwidth h.

        Args:
            fake: (m, 2) generator samples, m >= 2, finite.

        Returns:
            {name: estimate, name + "_se": standard error for every name in DIVERGENCES,
             "bandwidth": h}; KL(p_data||p_g) and Pearson are inf (se nan) when some data point has
            no generator sample within KERNEL_REACH * h.
        """
        fake = as_float_matrix(fake, "fake", dim=2)
        if fake.shape[0] < 2:
            raise ValueError(f"fake must hold at least 2 samples; got {fake.shape[0]}")
        h = self.bandwidth
        rng = np.random.default_rng(self.seed + 2)
        fake_draws = fake + h * rng.standard_normal(fake.shape)
        tree = cKDTree(fake)
        real_lq, far = log_kde(self.real_draws, fake, h, tree)
        fake_lq, _ = log_kde(fake_draws, fake, h, tree)
        fake_lp = np.asarray(self.smoothed_log_density(fake_draws, h), dtype=np.float64)
        real_terms, fake_terms = _terms(self.real_log_p, real_lq), _terms(fake_lp, fake_lq)
        out: dict[str, float] = {}
        for name in DIVERGENCES:
            (g_real, _), (g_fake, influence) = real_terms[name], fake_terms[name]
            if name in DATA_SIDE_UNBOUNDED and far.any():
                out[name], out[f"{name}_se"] = math.inf, math.nan
                continue
            value = float(g_real.mean() + g_fake.mean())
            se = math.sqrt(_variance(g_real) / len(g_real) + _variance(g_fake + influence) / len(g_fake))
            out[name], out[f"{name}_se"] = max(value, 0.0), se
        out["jsd"] = min(out["jsd"], LOG2)
        out["bandwidth"] = h
        return out


__all__ = ["DIVERGENCES", "DivergenceEstimator", "KERNEL_REACH", "log_kde", "select_bandwidth"]
