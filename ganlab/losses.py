"""Role-named GAN losses, their divergence estimates, and the registry of named losses.

Every function takes raw discriminator outputs (logits or critic values), shape (n,) or (n, 1),
never probabilities. A discriminator loss is minimised by D, a generator loss by G.

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so 0 <= JSD <= log 2,
and max_D V(G, D) = 2 JSD(p_data || p_g) - log 4 (Goodfellow et al. 2014, Theorem 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)


# --- logistic family (minimax, non-saturating) -------------------------------------------------

def d_logistic_loss(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """-E[t log D(x) + (1-t) log(1-D(x))] - E[log(1 - D(G(z)))], with D = sigmoid(logit).

    `real_target` t < 1 is one-sided label smoothing (Salimans et al. 2016); fakes keep target 0.
    """
    if real_target == 1.0:
        real_term = F.softplus(-real).mean()
    else:
        real_term = F.binary_cross_entropy_with_logits(real, torch.full_like(real, real_target))
    return real_term + F.softplus(fake).mean()


def g_minimax_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """Saturating generator loss E[log(1 - D(G(z)))] (Goodfellow et al. 2014), minimised by G."""
    return -F.softplus(fake).mean()


def g_nonsaturating_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """Non-saturating generator loss -E[log D(G(z))] (the "log D trick")."""
    return F.softplus(-fake).mean()


def jsd_from_logistic(real: Tensor, fake: Tensor) -> Tensor:
    """JSD estimate (V + log 4) / 2 with V = E log D(x) + E log(1 - D(G(z))), in [0, log 2] at D*."""
    value = -F.softplus(-real).mean() - F.softplus(fake).mean()
    return (value + LOG4) / 2


# --- least squares (LSGAN, 0-1 coding) ----------------------------------------------------------

def d_least_squares_loss(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
    """1/2 E[(D(x) - t)^2] + 1/2 E[D(G(z))^2] (Mao et al. 2017, a=0, b=t, default t=1)."""
    return 0.5 * (real - real_target).square().mean() + 0.5 * fake.square().mean()


def g_least_squares_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """1/2 E[(D(G(z)) - 1)^2] (c = 1)."""
    return 0.5 * (fake - 1.0).square().mean()


def triangular_from_least_squares(real: Tensor, fake: Tensor) -> Tensor:
    """Triangular discrimination estimate 2 - 8 L_D, Delta(P,Q) = int (p-q)^2/(p+q) in [0, 2].

    At the optimum D* = p/(p+q) the LSGAN loss is 1/4 - Delta/8; Delta = 2 chi^2_Pearson(P || M).
    """
    return 2.0 - 8.0 * d_least_squares_loss(real, fake)


# --- hinge ---------------------------------------------------------------------------------------

def d_hinge_loss(real: Tensor, fake: Tensor) -> Tensor:
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))] (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """-E[D(G(z))]."""
    return -fake.mean()


def tv_from_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Total variation estimate 1 - L_D / 2, TV in [0, 1]: the optimal hinge loss is 2 (1 - TV)."""
    return 1.0 - d_hinge_loss(real, fake) / 2.0


# --- Wasserstein ---------------------------------------------------------------------------------

def d_wasserstein_loss(real: Tensor, fake: Tensor) -> Tensor:
    """E[f(G(z))] - E[f(x)]: the critic maximises E f(x) - E f(G(z)) (Arjovsky et al. 2017)."""
    return fake.mean() - real.mean()


def g_wasserstein_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
    """-E[f(G(z))]."""
    return -fake.mean()


def w1_from_critic(real: Tensor, fake: Tensor) -> Tensor:
    """Kantorovich-Rubinstein estimate E f(x) - E f(G(z)); equals W1 only for the best 1-Lipschitz f."""
    return real.mean() - fake.mean()


# --- relativistic average (RaSGAN) ---------------------------------------------------------------

def d_relativistic_average_loss(real: Tensor, fake: Tensor) -> Tensor:
    """-E log sig(C(x) - E C(G(z))) - E log(1 - sig(C(G(z)) - E C(x))) (Jolicoeur-Martineau 2018)."""
    return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()


def g_relativistic_average_loss(fake: Tensor, real: Tensor) -> Tensor:
    """The same loss with the roles of real and fake swapped."""
    return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()


def relativistic_divergence(real: Tensor, fake: Tensor) -> Tensor:
    """(log 4 - L_D) / 2: the relativistic average divergence on the JSD scale, 0 when P = Q."""
    return (LOG4 - d_relativistic_average_loss(real, fake)) / 2


# --- f-GAN (Nowozin et al. 2016) -----------------------------------------------------------------

@dataclass(frozen=True)
class FDivergence:
    """One f-divergence in the f-GAN form: T = activation(v), f*(T) computed stably from v.

    `conjugate` is f* itself (for display and tests); `conjugate_of_activation(v)` = f*(activation(v)).
    `name` is for display only; `id` is the stable key (LossSpec.divergence_id) code may look up.
    """

    name: str
    id: str
    f: str
    conjugate_formula: str
    activation_formula: str
    activation: Callable[[Tensor], Tensor]
    conjugate: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]


F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        "Kullback-Leibler KL(P||Q)", "kl_data_fake", "u log u", "exp(t - 1)", "v",
        lambda v: v, lambda t: torch.exp(t - 1.0), lambda v: torch.exp(v - 1.0)),
    "reverse-kl": FDivergence(
        "reverse KL(Q||P)", "kl_fake_data", "-log u", "-1 - log(-t)", "-exp(-v)",
        lambda v: -torch.exp(-v), lambda t: -1.0 - torch.log(-t), lambda v: v - 1.0),
    "pearson": FDivergence(
        "Pearson chi^2", "pearson", "(u - 1)^2", "t^2/4 + t", "v",
        lambda v: v, lambda t: t * t / 4.0 + t, lambda v: v * v / 4.0 + v),
    "hellinger": FDivergence(
        "squared Hellinger", "hellinger", "(sqrt(u) - 1)^2", "t / (1 - t)", "1 - exp(-v)",
        lambda v: 1.0 - torch.exp(-v), lambda t: t / (1.0 - t), lambda v: torch.expm1(v)),
    "js": FDivergence(
        "2 x Jensen-Shannon (2 JSD, in [0, 2 log 2])", "2jsd", "-(u+1) log((1+u)/2) + u log u", "-log(2 - exp(t))",
        "log 2 - log(1 + exp(-v))",
        lambda v: LOG2 - F.softplus(-v), lambda t: -torch.log(2.0 - torch.exp(t)),
        lambda v: F.softplus(v) - LOG2),
    "tv": FDivergence(
        "total variation (in [0, 1])", "tv", "|u - 1| / 2", "t (for |t| <= 1/2)", "tanh(v) / 2",
        lambda v: 0.5 * torch.tanh(v), lambda t: t, lambda v: 0.5 * torch.tanh(v)),
}


def f_variational_bound(div: FDivergence, real: Tensor, fake: Tensor) -> Tensor:
    """E_P[T(x)] - E_Q[f*(T(x))], a lower bound on D_f(P || Q), tight at the optimal T."""
    return div.activation(real).mean() - div.conjugate_of_activation(fake).mean()


def d_fgan_loss(div: FDivergence, real: Tensor, fake: Tensor) -> Tensor:
    """-(E_P[T] - E_Q[f*(T)]): D maximises the variational bound."""
    return -f_variational_bound(div, real, fake)


def g_fgan_loss(div: FDivergence, fake: Tensor) -> Tensor:
    """-E_Q[T(G(z))]: the generator objective Nowozin et al. use in practice (their Section 3.2)."""
    return -div.activation(fake).mean()


# --- registry ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LossSpec:
    """A named GAN loss: both players' losses and what the discriminator estimates.

    Attributes:
        d_loss: (real_scores, fake_scores, real_target) -> scalar minimised by D.
        g_loss: (fake_scores, real_scores) -> scalar minimised by G.
        divergence: name of the quantity `estimate` returns, for display only (it may be reworded).
        divergence_id: that quantity's stable id, the key code looks things up by (say
            ganlab.evaluation.REFERENCE_METRIC); metric column names where the evaluator has one.
        estimate: (real_scores, fake_scores) -> scalar estimate of that divergence.
        output: "probability" when sigmoid(score) is a probability that x is real, else "score".
        weight_clip / gradient_penalty: whether the loss clips D's weights / adds the one-centred GP.
        targets: whether D fits labels (so one-sided label smoothing applies).
        g_uses_real: whether G's loss also needs D's scores on real data (relativistic losses).
    """

    name: str
    description: str
    d_loss: Callable[..., Tensor]
    g_loss: Callable[[Tensor, Tensor], Tensor]
    divergence: str
    divergence_id: str
    estimate: Callable[[Tensor, Tensor], Tensor]
    estimate_formula: str
    output: str = "score"
    weight_clip: bool = False
    gradient_penalty: bool = False
    targets: bool = False
    g_uses_real: bool = False


def _no_target(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[..., Tensor]:
    def d_loss(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
        return fn(real, fake)
    return d_loss


def _fgan_spec(key: str, description: str) -> LossSpec:
    div = F_DIVERGENCES[key]

    def d_loss(real: Tensor, fake: Tensor, real_target: float = 1.0) -> Tensor:
        return d_fgan_loss(div, real, fake)

    def g_loss(fake: Tensor, real: Tensor | None = None) -> Tensor:
        return g_fgan_loss(div, fake)

    def estimate(real: Tensor, fake: Tensor) -> Tensor:
        return f_variational_bound(div, real, fake)

    return LossSpec(
        name=f"fgan-{key}", description=description, d_loss=d_loss, g_loss=g_loss,
        divergence=div.name, divergence_id=div.id, estimate=estimate,
        estimate_formula="E_P[T] - E_Q[f*(T)] (lower bound)")


LOSSES: dict[str, LossSpec] = {spec.name: spec for spec in [
    LossSpec("minimax", "original GAN, saturating G loss E log(1 - D(G(z))) (Goodfellow et al. 2014)",
             d_logistic_loss, g_minimax_loss, "Jensen-Shannon", "jsd", jsd_from_logistic,
             "(V + log 4) / 2", output="probability", targets=True),
    LossSpec("nonsaturating", "original D loss, non-saturating G loss -E log D(G(z))",
             d_logistic_loss, g_nonsaturating_loss, "Jensen-Shannon", "jsd", jsd_from_logistic,
             "(V + log 4) / 2", output="probability", targets=True),
    LossSpec("lsgan", "least squares GAN, 0-1 coding (Mao et al. 2017)",
             d_least_squares_loss, g_least_squares_loss, "triangular discrimination", "triangular",
             triangular_from_least_squares, "2 - 8 L_D", targets=True),
    LossSpec("hinge", "hinge loss for D, -E D(G(z)) for G (Lim & Ye 2017)",
             _no_target(d_hinge_loss), g_hinge_loss, "total variation", "tv", tv_from_hinge,
             "1 - L_D / 2"),
    LossSpec("wgan", "Wasserstein GAN with weight clipping to [-c, c] (Arjovsky et al. 2017)",
             _no_target(d_wasserstein_loss), g_wasserstein_loss, "Wasserstein-1 (times K)", "w1_times_k",
             w1_from_critic, "E f(x) - E f(G(z))", weight_clip=True),
    LossSpec("wgan-gp", "Wasserstein GAN with one-centred gradient penalty (Gulrajani et al. 2017)",
             _no_target(d_wasserstein_loss), g_wasserstein_loss, "Wasserstein-1", "w1",
             w1_from_critic, "E f(x) - E f(G(z))", gradient_penalty=True),
    _fgan_spec("kl", "f-GAN, Kullback-Leibler KL(p_data || p_g) (Nowozin et al. 2016)"),
    _fgan_spec("reverse-kl", "f-GAN, reverse KL(p_g || p_data) (Nowozin et al. 2016)"),
    _fgan_spec("pearson", "f-GAN, Pearson chi-squared (Nowozin et al. 2016)"),
    _fgan_spec("hellinger", "f-GAN, squared Hellinger (Nowozin et al. 2016)"),
    _fgan_spec("js", "f-GAN, Jensen-Shannon (Nowozin et al. 2016)"),
    _fgan_spec("tv", "f-GAN, total variation (Nowozin et al. 2016, Table 2)"),
    LossSpec("ragan", "relativistic average standard GAN (Jolicoeur-Martineau 2018)",
             _no_target(d_relativistic_average_loss), g_relativistic_average_loss,
             "relativistic average divergence", "relativistic", relativistic_divergence, "(log 4 - L_D) / 2",
             g_uses_real=True),
]}
# Registry keys use the CLI names: fgan-kl, fgan-reverse-kl, fgan-pearson, fgan-hellinger, fgan-js, fgan-tv.


def get_loss(name: str) -> LossSpec:
    """Look a loss up by name; unknown names raise ValueError listing the valid ones."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(LOSSES)}") from None


# Divergences are told apart by their ids (ganlab.losses.LossSpec.divergence_id), never by their labels:
# a label is only shown. A chart takes either (the label a loss has now maps to its id).
WASSERSTEIN_DIVERGENCES = ("w1", "w1_times_k")  # what a critic estimates: W1 (or K x W1)


def divergence_id(name: str) -> str:
    """The id of a divergence given by its id or by the label a loss in ganlab.losses.LOSSES has now;
    any other name is its own id."""
    for spec in LOSSES.values():
        if name in (spec.divergence_id, spec.divergence):
            return spec.divergence_id
    return name


def divergence_label(name: str) -> str:
    """The label shown for a divergence given by its id (the first loss's label); a label is shown as is."""
    for spec in LOSSES.values():
        if name == spec.divergence_id:
            return spec.divergence
    return name


def is_wasserstein(name: str) -> bool:
    """Whether divergence `name` (an id or a loss's label) is what a Wasserstein critic estimates."""
    return divergence_id(name) in WASSERSTEIN_DIVERGENCES

