"""One figure per classroom lesson (ganlab.lessons.catalogue), keyed by the lesson's slug.

`FIGURES[slug](value)` builds the lesson's figure; `value` is the lesson's slider value (None when the
lesson has no slider, and None also means "the slider's default"). Every builder is deterministic and
cheap (well under half a second), draws closed forms where there are some, and keeps the view across
redraws (`uirevision`). Trace names are stable: the tests find traces by name.

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so 0 <= JSD <= log 2, and
max_D V(G, D) = 2 JSD(p_data || p_g) - log 4.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from scipy import integrate, optimize
from scipy.stats import norm

from ganlab.data import make_dataset
from ganlab.theory.dirac_gan import dirac_field, dirac_trajectory
from ganlab.theory.optimal_d import gaussian_optimal_value, jsd_from_optimal_value, optimal_discriminator
from ganlab.theory.parallel_lines import parallel_lines
from ganlab.viz.dynamics import phase_figure
from ganlab.viz.image_grid import tile
from ganlab.viz.log_axis import log_axis

HEIGHT = 360
LOG2 = math.log(2.0)
LOG4 = math.log(4.0)
REAL = "#1b7837"
FAKE = "#762a83"
D_COLOUR = "#e08214"
GREY = "#888888"
MARGIN = {"l": 50, "r": 20, "t": 50, "b": 40}
JSD_NOTE = "JSD in nats, 0 ≤ JSD ≤ log 2"


def _finish(fig: go.Figure, slug: str, title: str, **layout) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=HEIGHT, margin=MARGIN,
                      uirevision=f"lesson-{slug}", legend={"orientation": "h", "y": -0.2}, **layout)
    return fig


def _value(value: float | None, default: float) -> float:
    return default if value is None else float(value)


# --- shared closed forms --------------------------------------------------------------------------

def gaussian_jsd(shift: float, points: int = 4001) -> float:
    """JSD(N(0, 1) || N(shift, 1)) in nats by quadrature of max_D V = 2 JSD - log 4."""
    return jsd_from_optimal_value(gaussian_optimal_value(shift, points=points))


def mode_dropping_divergences(covered: int, total: int = 8) -> dict[str, float]:
    """Divergences between a mixture of `total` equal, non-overlapping modes and a generator spread evenly
    over `covered` of them (same shape per mode), in nats: only the mode masses matter.

    Returns {"jsd", "kl_data_fake" (inf when a mode is missed), "kl_fake_data" = log(total / covered)}.
    """
    if not 1 <= covered <= total:
        raise ValueError(f"covered must be in [1, {total}], got {covered}")
    a, b = 1.0 / total, 1.0 / covered
    m = (a + b) / 2
    jsd = covered * 0.5 * (a * math.log(a / m) + b * math.log(b / m)) + (total - covered) * 0.5 * a * math.log(2.0)
    return {"jsd": jsd, "kl_data_fake": math.inf if covered < total else 0.0,
            "kl_fake_data": math.log(total / covered)}


def clipped_gradient_norms(clip: float, depth: int = 8, width: int = 512, seed: int = 0) -> np.ndarray:
    """(depth + 1,) norm of a unit gradient back-propagated through `depth` ReLU layers whose weights all sit
    at +-clip with random signs (where weight clipping leaves most of a critic's weights), half the units
    active. Expected growth per layer: clip * sqrt(width / 2)."""
    rng = np.random.default_rng(seed)
    grad = rng.standard_normal(width)
    grad /= np.linalg.norm(grad)
    norms = [1.0]
    for _ in range(depth):
        weights = clip * rng.choice((-1.0, 1.0), size=(width, width))
        grad = weights.T @ (grad * (rng.random(width) < 0.5))
        norms.append(float(np.linalg.norm(grad)))
    return np.array(norms)


EVAL_CLASSES = 10
EVAL_RADIUS = 4.0


def toy_fid(spread: float, classes: int = EVAL_CLASSES, radius: float = EVAL_RADIUS) -> float:
    """Fréchet distance between the Gaussian fits of two class mixtures in R^classes: real features
    N(radius e_c, I), generated N(radius e_c, spread^2 I), classes equally likely. Both covariances are
    B + v I with B the between-class covariance (eigenvalues radius^2 / classes, classes - 1 times, and 0),
    so FID = sum_i (sqrt(l_i + 1) - sqrt(l_i + spread^2))^2."""
    lam = np.array([radius ** 2 / classes] * (classes - 1) + [0.0])
    return float(np.sum((np.sqrt(lam + 1.0) - np.sqrt(lam + spread ** 2)) ** 2))


def toy_classifier_score(spreads, classes: int = EVAL_CLASSES, radius: float = EVAL_RADIUS, n: int = 2000,
                         seed: int = 0) -> np.ndarray:
    """Classifier score exp(E KL(p(y|x) || p(y))) of generated features N(radius e_c, s^2 I) under the Bayes
    classifier of the real features N(radius e_c, I), for each spread s (the same noise for every s)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(classes, size=n)
    noise = rng.standard_normal((n, classes))
    means = radius * np.eye(classes)
    out = []
    for s in np.atleast_1d(spreads):
        x = means[labels] + s * noise
        logits = -0.5 * ((x[:, None, :] - means[None]) ** 2).sum(-1)
        logits -= logits.max(1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(1, keepdims=True)
        marginal = probs.mean(0)
        kl = np.sum(probs * (np.log(probs + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        out.append(float(np.exp(kl.mean())))
    return np.array(out)


# --- 1. the adversarial idea ----------------------------------------------------------------------

def adversarial_idea(value: float | None = None) -> go.Figure:
    """p_data = N(0, 1), p_g = N(mu, 1) with mu the slider, and D*(x) = p_data / (p_data + p_g)."""
    mu = _value(value, 2.0)
    x = np.linspace(-6.0, 6.0, 401)
    p, q = norm.pdf(x), norm.pdf(x, loc=mu)
    fig = go.Figure([
        go.Scatter(x=x, y=p, name="p_data", line={"color": REAL}, fill="tozeroy"),
        go.Scatter(x=x, y=q, name="p_g", line={"color": FAKE}, fill="tozeroy"),
        go.Scatter(x=x, y=optimal_discriminator(p, q), name="D*(x)", line={"color": D_COLOUR, "width": 3}),
    ])
    return _finish(fig, "adversarial-idea",
                   f"The best police officer D* = p_data / (p_data + p_g); JSD = {gaussian_jsd(mu):.3f} nats",
                   xaxis_title="x", yaxis={"title": "density / D*(x)", "range": [0, 1.05]})


# --- 2. minimax and the optimal discriminator -----------------------------------------------------

def minimax_and_optimal_d(value: float | None = None) -> go.Figure:
    """JSD(N(0,1) || N(mu,1)) and max_D V = 2 JSD - log 4 against mu; markers at the slider's mu."""
    mu = _value(value, 2.0)
    mus = np.linspace(-4.0, 4.0, 161)
    jsd = np.array([gaussian_jsd(m) for m in mus])
    here = gaussian_jsd(mu)
    fig = go.Figure([
        go.Scatter(x=mus, y=jsd, name="JSD (nats)", line={"color": D_COLOUR}),
        go.Scatter(x=mus, y=2 * jsd - LOG4, name="max_D V = 2 JSD − log 4", line={"color": FAKE}),
        go.Scatter(x=[mus[0], mus[-1]], y=[-LOG4, -LOG4], name="−log 4 (p_g = p_data)", mode="lines",
                   line={"color": GREY, "dash": "dash"}),
        go.Scatter(x=[mus[0], mus[-1]], y=[LOG2, LOG2], name="log 2 (JSD's maximum)", mode="lines",
                   line={"color": GREY, "dash": "dot"}),
        go.Scatter(x=[mu, mu], y=[here, 2 * here - LOG4], name="this p_g", mode="markers",
                   marker={"color": "black", "size": 10}),
    ])
    return _finish(fig, "minimax-and-optimal-d",
                   f"p_g = N({mu:g}, 1): JSD = {here:.3f}, max_D V = {2 * here - LOG4:.3f} ({JSD_NOTE})",
                   xaxis_title="mean of p_g (p_data = N(0, 1))", yaxis_title="nats")


# --- 3. maximum likelihood beside the game --------------------------------------------------------

KL_MODE_STD = 0.5   # p_data = 1/2 N(-d, s^2) + 1/2 N(d, s^2) with s = KL_MODE_STD; d is the slider
KL_GRID = 2001      # Simpson points over +-KL_SPAN standard deviations of the distribution integrated over
KL_SPAN = 12.0
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _log_normal(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - HALF_LOG_2PI


def bimodal_log_density(x, half_distance: float, std: float = KL_MODE_STD) -> np.ndarray:
    """log p_data(x) of the 1-D mixture 1/2 N(-d, std^2) + 1/2 N(d, std^2), d = half_distance."""
    x = np.asarray(x, dtype=np.float64)
    return np.logaddexp(_log_normal(x, -half_distance, std), _log_normal(x, half_distance, std)) - LOG2


def gaussian_mixture_kls(mean: float, std: float, half_distance: float,
                         mode_std: float = KL_MODE_STD) -> dict[str, float]:
    """Both KLs between p_data = 1/2 N(-d, s^2) + 1/2 N(d, s^2) and q = N(mean, std^2), nats, by Simpson's rule:

    {"forward": KL(p_data || q) = E_p[log p - log q] (on +-KL_SPAN s around each mode),
     "reverse": KL(q || p_data) = E_q[log q - log p] (on +-KL_SPAN std around the mean)}.
    """
    d, s = half_distance, mode_std
    x = np.linspace(-d - KL_SPAN * s, d + KL_SPAN * s, 2 * KL_GRID - 1)
    log_p = bimodal_log_density(x, d, s)
    forward = integrate.simpson(np.exp(log_p) * (log_p - _log_normal(x, mean, std)), x=x)
    x = np.linspace(mean - KL_SPAN * std, mean + KL_SPAN * std, KL_GRID)
    log_q = _log_normal(x, mean, std)
    reverse = integrate.simpson(np.exp(log_q) * (log_q - bimodal_log_density(x, d, s)), x=x)
    return {"forward": float(forward), "reverse": float(reverse)}


def _minimise_kl(direction: str, half_distance: float, mode_std: float, starts) -> tuple[float, float]:
    """(mean, std) of the Gaussian minimising the `direction` KL, by Nelder-Mead over (mean, log std) from
    each start (mean, std); the best end point, mirrored to mean >= 0 (p_data is symmetric about 0)."""
    def loss(theta: np.ndarray) -> float:
        return gaussian_mixture_kls(theta[0], math.exp(theta[1]), half_distance, mode_std)[direction]

    ends = [optimize.minimize(loss, np.array([m, math.log(sd)]), method="Nelder-Mead",
                              options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 2000}) for m, sd in starts]
    best = min(ends, key=lambda end: end.fun)
    return abs(float(best.x[0])), math.exp(float(best.x[1]))


@functools.lru_cache(maxsize=128)
def _kl_fits(half_distance: float, mode_std: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    d, s = half_distance, mode_std
    wide = math.sqrt(s * s + d * d)
    fits = (_minimise_kl("forward", d, s, [(0.5 * d, s)]),
            _minimise_kl("reverse", d, s, [(d, s), (0.0, wide), (-d, s)]))
    return tuple((m, sd, *gaussian_mixture_kls(m, sd, d, s).values()) for m, sd in fits)


def kl_fits(half_distance: float, mode_std: float = KL_MODE_STD) -> dict[str, dict[str, float]]:
    """The single Gaussian closest to p_data = 1/2 N(-d, s^2) + 1/2 N(d, s^2) in each direction, found by
    optimisation of the quadrature above: {"forward": the argmin of KL(p_data || q) (maximum likelihood; in
    closed form, moment matching: mean 0, variance s^2 + d^2), "reverse": the argmin of KL(q || p_data)
    (on one mode, mean >= 0, when the modes are apart)}, each {"mean", "std", "forward_kl", "reverse_kl"}."""
    keys = ("mean", "std", "forward_kl", "reverse_kl")
    fits = _kl_fits(round(float(half_distance), 9), round(float(mode_std), 9))
    return {name: dict(zip(keys, fit, strict=True))
            for name, fit in zip(("forward", "reverse"), fits, strict=True)}


def maximum_likelihood(value: float | None = None) -> go.Figure:
    """p_data = 1/2 N(-d, 0.5^2) + 1/2 N(d, 0.5^2) (d the slider) and the two single-Gaussian fits: the
    forward-KL (maximum likelihood) one covers both modes, the reverse-KL one sits on one of them."""
    d = _value(value, 1.5)
    fits = kl_fits(d)
    x = np.linspace(-8.0, 8.0, 801)
    forward, reverse = fits["forward"], fits["reverse"]
    fig = go.Figure([
        go.Scatter(x=x, y=np.exp(bimodal_log_density(x, d)), name="p_data", line={"color": REAL},
                   fill="tozeroy"),
        go.Scatter(x=x, y=norm.pdf(x, forward["mean"], forward["std"]), name="argmin KL(p_data‖q): covers",
                   line={"color": D_COLOUR, "width": 3}),
        go.Scatter(x=x, y=norm.pdf(x, reverse["mean"], reverse["std"]), name="argmin KL(q‖p_data): seeks",
                   line={"color": FAKE, "width": 3, "dash": "dash"}),
    ])

    def fit_text(fit: dict[str, float]) -> str:
        return (f"N({fit['mean']:.2f}, {fit['std']:.2f}²): KL(p‖q) = {fit['forward_kl']:.2f}, "
                f"KL(q‖p) = {fit['reverse_kl']:.2f}")

    fig = _finish(fig, "maximum-likelihood", f"Forward fit {fit_text(forward)}<br>Reverse fit "
                  f"{fit_text(reverse)} (nats)", xaxis_title="x",
                  yaxis={"title": "density", "range": [0, 1.1 / (KL_MODE_STD * math.sqrt(2 * math.pi))]})
    return fig.update_layout(margin={**MARGIN, "t": 70})


# --- 4. saturation --------------------------------------------------------------------------------

def saturation(value: float | None = None) -> go.Figure:
    """Both generator losses against D(G(z)) (left) and the size of their gradient w.r.t. D's logit (right):
    D for the minimax loss, 1 - D for the non-saturating one. The slider marks one value of D(G(z))."""
    d_here = _value(value, 0.05)
    d = np.linspace(0.001, 0.999, 500)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("G's loss", "|∂ loss / ∂ logit|"))
    fig.add_trace(go.Scatter(x=d, y=np.log1p(-d), name="minimax: log(1 − D)", line={"color": FAKE}), 1, 1)
    fig.add_trace(go.Scatter(x=d, y=-np.log(d), name="non-saturating: −log D", line={"color": REAL}), 1, 1)
    fig.add_trace(go.Scatter(x=d, y=d, name="minimax gradient = D", line={"color": FAKE, "dash": "dot"}), 1, 2)
    fig.add_trace(go.Scatter(x=d, y=1 - d, name="non-saturating gradient = 1 − D",
                             line={"color": REAL, "dash": "dot"}), 1, 2)
    fig.add_trace(go.Scatter(x=[d_here, d_here], y=[d_here, 1 - d_here], name="at this D(G(z))", mode="markers",
                             marker={"color": "black", "size": 10}), 1, 2)
    fig.update_xaxes(title_text="D(G(z))", range=[0, 1])
    fig.update_yaxes(log_axis(None, limits=(1e-3, 10 ** 0.1), range=[-3, 0.1]), row=1, col=2)
    return _finish(fig, "saturation", f"At D(G(z)) = {d_here:.2f} the minimax gradient is "
                   f"{d_here / (1 - d_here):.3g} × the non-saturating one")


# --- 5. mode collapse -----------------------------------------------------------------------------

def mode_collapse(value: float | None = None) -> go.Figure:
    """ring8 data and a generator that puts its mass evenly on `value` of the 8 modes (the rest missed)."""
    covered = int(round(_value(value, 3)))
    data = make_dataset("ring8")
    gen = torch.Generator().manual_seed(0)
    real = data.sample(800, gen).numpy()
    centres = data.centers
    picks = torch.randint(covered, (800,), generator=gen).numpy()
    fake = centres[picks] + data.std * torch.randn(800, 2, generator=gen).numpy()
    div = mode_dropping_divergences(covered, len(centres))
    fig = go.Figure([
        go.Scatter(x=real[:, 0], y=real[:, 1], name="real", mode="markers", marker={"color": REAL, "size": 4}),
        go.Scatter(x=fake[:, 0], y=fake[:, 1], name="fake", mode="markers",
                   marker={"color": FAKE, "size": 4, "opacity": 0.6}),
        go.Scatter(x=centres[:covered, 0], y=centres[:covered, 1], name="modes covered", mode="markers",
                   marker={"color": "black", "size": 16, "symbol": "circle-open", "line": {"width": 2}}),
        go.Scatter(x=centres[covered:, 0], y=centres[covered:, 1], name="modes missed", mode="markers",
                   marker={"color": "#c51b7d", "size": 16, "symbol": "x-open", "line": {"width": 2}}),
    ])
    kl = "∞" if math.isinf(div["kl_data_fake"]) else f"{div['kl_data_fake']:.3f}"
    return _finish(fig, "mode-collapse",
                   f"{covered} / 8 modes: JSD = {div['jsd']:.3f} nats (≤ log 2), KL(p_g‖p_data) = "
                   f"{div['kl_fake_data']:.3f}, KL(p_data‖p_g) = {kl}",
                   xaxis={"range": [-1.6, 1.6], "title": "x"},
                   yaxis={"range": [-1.6, 1.6], "title": "y", "scaleanchor": "x"})


# --- 6. disjoint supports -------------------------------------------------------------------------

def disjoint_supports(value: float | None = None) -> go.Figure:
    """Parallel lines (Arjovsky et al. 2017): JSD and W1 between P_0 and P_theta against theta."""
    theta = _value(value, 0.5)
    thetas = np.linspace(-1.0, 1.0, 201)
    rows = [parallel_lines(t) for t in thetas]
    here = parallel_lines(theta)
    fig = go.Figure([
        go.Scatter(x=thetas, y=[r["jsd"] for r in rows], name="JSD (nats)", mode="lines",
                   line={"color": D_COLOUR, "width": 3}),
        go.Scatter(x=thetas, y=[r["w"] for r in rows], name="W1", mode="lines", line={"color": REAL, "width": 3}),
        go.Scatter(x=[theta, theta], y=[here["jsd"], here["w"]], name="this θ", mode="markers",
                   marker={"color": "black", "size": 10}),
    ])
    return _finish(fig, "disjoint-supports",
                   f"θ = {theta:g}: JSD = {here['jsd']:.3f} (flat: no gradient), W1 = {here['w']:.3f} "
                   f"(slope ±1) — {JSD_NOTE}", xaxis_title="θ (P_θ is the line x = θ)", yaxis_title="distance")


# --- 7. WGAN --------------------------------------------------------------------------------------

CLIP_REFERENCES = (0.1, 0.01, 0.001)
CLIP_WIDTH = 512


def wgan(value: float | None = None) -> go.Figure:
    """Gradient norm through a critic whose weights sit at +-c, against depth, for c = 10^value (log scale),
    with c = 0.1, 0.01, 0.001 for reference (Gulrajani et al. 2017, Fig. 1b) and WGAN-GP's target norm 1."""
    clip = 10.0 ** _value(value, -2.0)
    layers = np.arange(9)
    fig = go.Figure()
    for ref in CLIP_REFERENCES:
        fig.add_trace(go.Scatter(x=layers, y=clipped_gradient_norms(ref, width=CLIP_WIDTH), name=f"c = {ref:g}",
                                 mode="lines", line={"color": GREY, "dash": "dot"}))
    fig.add_trace(go.Scatter(x=layers, y=clipped_gradient_norms(clip, width=CLIP_WIDTH), name="this c",
                             mode="lines+markers", line={"color": FAKE, "width": 3}))
    fig.add_trace(go.Scatter(x=layers, y=(clip * math.sqrt(CLIP_WIDTH / 2)) ** layers,
                             name="c √(width/2) per layer", mode="lines",
                             line={"color": FAKE, "dash": "dash", "width": 1}))
    fig.add_trace(go.Scatter(x=[0, 8], y=[1, 1], name="WGAN-GP target ‖∇f‖ = 1", mode="lines",
                             line={"color": REAL, "dash": "dash"}))
    return _finish(fig, "wgan", f"Weights clipped at c = {clip:.2g}, width {CLIP_WIDTH}: each layer multiplies "
                   f"the gradient by about {clip * math.sqrt(CLIP_WIDTH / 2):.3g}",
                   xaxis_title="layers back-propagated through",
                   yaxis=log_axis("gradient norm", *(trace.y for trace in fig.data)))


# --- 8. game dynamics -----------------------------------------------------------------------------

DIRAC_START, DIRAC_STEP, DIRAC_STEPS = (1.0, 1.0), 0.1, 500


def game_dynamics(value: float | None = None) -> go.Figure:
    """Dirac-GAN (Mescheder et al. 2018): simultaneous gradient play with the standard loss (circles out)
    and with R1 of weight gamma = value (spirals in for gamma > 0)."""
    gamma = _value(value, 0.5)
    paths = {"standard": dirac_trajectory("standard", DIRAC_START, DIRAC_STEP, DIRAC_STEPS),
             "R1": dirac_trajectory("r1", DIRAC_START, DIRAC_STEP, DIRAC_STEPS, gamma=gamma)}

    def field(theta, psi):
        return dirac_field("standard", theta, psi)

    fig = phase_figure(field, (-2.5, 2.5, -2.5, 2.5), paths, x_title="θ (generator: a point mass at θ)",
                       y_title="ψ (discriminator D(x) = ψx)", title="", uirevision="lesson-game-dynamics")
    end = {name: float(np.hypot(*path[-1])) for name, path in paths.items()}
    standard, r1 = end.values()
    return _finish(fig, "game-dynamics", f"Dirac-GAN, {DIRAC_STEPS} steps of h = {DIRAC_STEP:g}: distance to the "
                   f"equilibrium {standard:.2f} (standard) vs {r1:.2g} (R1, γ = {gamma:g})")


# --- 9. training tricks ---------------------------------------------------------------------------

def training_tricks(value: float | None = None) -> go.Figure:
    """One-sided label smoothing: D* with real target t is t p_data / (p_data + p_g)."""
    target = _value(value, 0.9)
    x = np.linspace(-5.0, 7.0, 401)
    p, q = norm.pdf(x), norm.pdf(x, loc=2.0)
    d_star = optimal_discriminator(p, q)
    fig = go.Figure([
        go.Scatter(x=x, y=p, name="p_data", line={"color": REAL}, fill="tozeroy"),
        go.Scatter(x=x, y=q, name="p_g", line={"color": FAKE}, fill="tozeroy"),
        go.Scatter(x=x, y=d_star, name="D* (target 1)", line={"color": GREY, "dash": "dash"}),
        go.Scatter(x=x, y=target * d_star, name="D* (target t)", line={"color": D_COLOUR, "width": 3}),
    ])
    return _finish(fig, "training-tricks", f"Real target t = {target:g}: D* = t p_data / (p_data + p_g) never "
                   f"exceeds {target:g}, its logit never exceeds log(t/(1−t)) = "
                   + ("∞" if target >= 1 else f"{math.log(target / (1 - target)):.2f}"),
                   xaxis_title="x", yaxis={"title": "density / D*(x)", "range": [0, 1.05]})


# --- 10. DCGAN and the latent space ---------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def shipped_dcgan():
    """The shipped mnist_dcgan generator, loaded once per process."""
    from ganlab.generator_file import CHECKPOINT_DIR, load_generator

    return load_generator(CHECKPOINT_DIR / "mnist_dcgan.pt")


def dcgan_samples(seed: int, n: int = 64) -> np.ndarray:
    """(n, 28, 28) samples of the shipped DCGAN in [0, 1] for latents drawn with `seed`."""
    loaded = shipped_dcgan()
    images = loaded.generate(loaded.random_z(n, seed))
    return ((images[:, 0].numpy() + 1.0) / 2.0).clip(0.0, 1.0)


def dcgan_latent(value: float | None = None) -> go.Figure:
    """An 8 x 8 grid of the shipped DCGAN's samples; the slider is the seed of the 64 latents."""
    seed = int(round(_value(value, 0)))
    sheet = tile(dcgan_samples(seed), 8)[::-1]
    fig = go.Figure(go.Heatmap(z=sheet, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip",
                               name="samples"))
    fig.update_xaxes(visible=False, range=[-0.5, sheet.shape[1] - 0.5])
    fig.update_yaxes(visible=False, range=[-0.5, sheet.shape[0] - 0.5], scaleanchor="x")
    return _finish(fig, "dcgan-latent", f"64 samples of the shipped DCGAN (z ~ N(0, I), 100-d, seed {seed})",
                   plot_bgcolor="black")


# --- 11. evaluating GANs --------------------------------------------------------------------------

def evaluating_gans(value: float | None = None) -> go.Figure:
    """A blind spot: a toy feature space with 10 classes (features N(4 e_c, I)); the generator has every class
    but a within-class spread s (s = 1: as diverse as the data, s = 0: one image per class). The classifier
    score rises as diversity falls; the Fréchet distance (closed form) rises from 0."""
    spread = _value(value, 0.2)
    spreads = np.linspace(0.0, 1.5, 31)
    scores = toy_classifier_score(spreads)
    fids = np.array([toy_fid(s) for s in spreads])
    here_score, here_fid = float(toy_classifier_score([spread])[0]), toy_fid(spread)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=spreads, y=scores, name="classifier score (max 10)", line={"color": D_COLOUR}),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=spreads, y=fids, name="Fréchet distance", line={"color": FAKE}), secondary_y=True)
    fig.add_trace(go.Scatter(x=[spread], y=[here_score], name="this generator (score)", mode="markers",
                             marker={"color": D_COLOUR, "size": 11, "line": {"color": "black", "width": 1}}),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=[spread], y=[here_fid], name="this generator (FD)", mode="markers",
                             marker={"color": FAKE, "size": 11, "line": {"color": "black", "width": 1}}),
                  secondary_y=True)
    fig.add_vline(x=1.0, line={"color": GREY, "dash": "dash"})
    fig.update_xaxes(title_text="within-class spread s of the generator (the data has s = 1)")
    fig.update_yaxes(title_text="classifier score", range=[min(5.0, float(scores.min())), 10.1], secondary_y=False)
    fig.update_yaxes(title_text="Fréchet distance", range=[0.0, 1.05 * float(fids.max())], secondary_y=True,
                     showgrid=False)
    return _finish(fig, "evaluating-gans", f"s = {spread:g}: score {here_score:.2f}, Fréchet distance "
                   f"{here_fid:.2f} (the data itself: score {float(toy_classifier_score([1.0])[0]):.2f}, FD 0)")


FIGURES: dict[str, Callable[[float | None], go.Figure]] = {
    "adversarial-idea": adversarial_idea,
    "minimax-and-optimal-d": minimax_and_optimal_d,
    "maximum-likelihood": maximum_likelihood,
    "saturation": saturation,
    "mode-collapse": mode_collapse,
    "disjoint-supports": disjoint_supports,
    "wgan": wgan,
    "game-dynamics": game_dynamics,
    "training-tricks": training_tricks,
    "dcgan-latent": dcgan_latent,
    "evaluating-gans": evaluating_gans,
}
