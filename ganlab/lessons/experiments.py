"""The experiments behind the lessons' "predict, then run" questions: one function per lesson.

Each function takes no argument, is seeded (the same numbers on every run on the CPU), runs in a few
seconds on two CPU cores, and returns an `Outcome` whose `answer` is computed from what it measured:
the option whose range holds the measurement, never a fixed index. `values` holds the measured
numbers (and, where there is one, the closed form beside them) under stable keys the tests read.

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so 0 <= JSD <= log 2, and
max_D V(G, D) = 2 JSD(p_data || p_g) - log 4 (Goodfellow et al. 2014).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import norm

from ganlab.config import RunConfig, with_overrides
from ganlab.lessons.model import Outcome
from ganlab.losses import d_logistic_loss, g_minimax_loss, g_nonsaturating_loss
from ganlab.metrics import mode_stats, wasserstein1
from ganlab.model_card import metric_text, read_card_file
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.theory.bilinear import bilinear_trajectory
from ganlab.theory.dirac_gan import dirac_trajectory, eigenvalues
from ganlab.theory.disjoint import KINDS, fit_discriminators
from ganlab.theory.optimal_d import (
    gaussian_optimal_value,
    jsd_from_optimal_value,
    optimal_discriminator,
)
from ganlab.theory.parallel_lines import parallel_lines
from ganlab.train import Trainer

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)
SEED = 0


def single_threaded(experiment: Callable[[], Outcome]) -> Callable[[], Outcome]:
    """Run `experiment` with one torch thread, as the app does (ganlab.ui.runtime), and restore the count.

    The networks are tiny, so one thread is as fast, far faster when another process shares the cores, and
    the numbers (summation order) are the same in the app, the CLI and the tests.
    """
    @functools.wraps(experiment)
    def run() -> Outcome:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return experiment()
        finally:
            torch.set_num_threads(before)

    return run


def toy_trainer(**overrides: str) -> Trainer:
    """A CPU toy run from the defaults plus dotted-path overrides (no periodic evaluation)."""
    return Trainer(with_overrides(RunConfig(device="cpu", eval_every=0, seed=SEED), overrides))


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _covered(trainer: Trainer) -> dict:
    """Mode statistics of 2,500 generator samples (the PacGAN protocol)."""
    data = trainer.dataset
    return mode_stats(trainer.sample(2500).cpu().numpy(), data.centers, data.std)


def _pick(value: float, upper_bounds: tuple[float, ...]) -> int:
    """Index of the first range (-inf, b0), [b0, b1), ... that holds `value` (len(upper_bounds) + 1 ranges)."""
    for index, bound in enumerate(upper_bounds):
        if value < bound:
            return index
    return len(upper_bounds)


# --- 1. the adversarial idea ---------------------------------------------------------------------

@single_threaded
def adversarial_idea() -> Outcome:
    """Train a GAN on one 2-D Gaussian; measure D's mean output on real and generated points."""
    steps = 1200
    trainer = toy_trainer(**{"data.name": "gaussian", "loss.name": "nonsaturating"})
    real = trainer.dataset.sample(1000, _gen(1)).numpy()
    w1_start = wasserstein1(real, trainer.sample(1000).cpu().numpy())
    trainer.step(steps)
    w1_end = wasserstein1(real, trainer.sample(1000).cpu().numpy())
    with torch.no_grad():
        d_real = torch.sigmoid(trainer.D(torch.from_numpy(real))).mean().item()
        d_fake = torch.sigmoid(trainer.D(trainer.sample(1000))).mean().item()
    if max(abs(d_real - 0.5), abs(d_fake - 0.5)) < 0.15:
        answer = 1
    elif d_real - d_fake >= 0.5:
        answer = 0
    else:
        answer = 2
    summary = (f"Trained a non-saturating GAN for {steps:,} steps on one Gaussian N(0, I) in 2-D "
               f"(seed {SEED}).\n\n"
               f"- W1 between generated and real points: **{w1_start:.2f}** at the start, **{w1_end:.2f}** "
               f"after training.\n"
               f"- Mean D on real points: **{d_real:.2f}**; on generated points: **{d_fake:.2f}**.\n\n"
               "When $p_g = p_{data}$ the best discriminator is $D^*(x) = 1/2$ everywhere.")
    return Outcome(answer, summary, {"steps": steps, "w1_start": w1_start, "w1_end": w1_end,
                                     "d_real": d_real, "d_fake": d_fake})


# --- 2. minimax and the optimal discriminator ----------------------------------------------------

OPTIMAL_D_SHIFT = 2.0
OPTIMAL_D_OPTIONS = (-LOG4, -0.7, 0.0)


@single_threaded
def minimax_and_optimal_d() -> Outcome:
    """Fit a discriminator to p_data = N(0, 1) against a fixed p_g = N(2, 1); compare V(G, D) with
    2 JSD - log 4 and sigmoid(D) with D* = p_data / (p_data + p_g)."""
    shift, steps, batch = OPTIMAL_D_SHIFT, 600, 1024
    gen = _gen(SEED)
    with torch.random.fork_rng():
        torch.manual_seed(SEED)
        net = MLPDiscriminator(in_dim=1, depth=2, width=32)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(steps):
        real = torch.randn(batch, 1, generator=gen)
        fake = shift + torch.randn(batch, 1, generator=gen)
        loss = d_logistic_loss(net(real), net(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    test = _gen(SEED + 1)
    real = torch.randn(20_000, 1, generator=test)
    fake = shift + torch.randn(20_000, 1, generator=test)
    with torch.no_grad():
        value = -(F.softplus(-net(real)).mean() + F.softplus(net(fake)).mean())
        grid = torch.linspace(-1.0, shift + 1.0, 201).unsqueeze(1)
        d_fit = torch.sigmoid(net(grid)).numpy()
    value = float(value)
    closed = gaussian_optimal_value(shift)
    x = grid.squeeze(1).numpy().astype(np.float64)
    d_star = optimal_discriminator(norm.pdf(x), norm.pdf(x, loc=shift))
    max_gap = float(np.abs(d_fit - d_star).max())
    answer = int(np.argmin([abs(value - option) for option in OPTIMAL_D_OPTIONS]))
    summary = (f"A discriminator (2 hidden layers of 32) was trained for {steps} steps on $p_{{data}} = N(0, 1)$ "
               f"against a fixed $p_g = N({shift:g}, 1)$, then $V(G, D) = E\\log D(x) + E\\log(1 - D(G(z)))$ "
               f"was estimated on 20,000 fresh samples of each.\n\n"
               f"- Measured $V(G, D)$: **{value:.3f}**.\n"
               f"- Closed form $\\max_D V = 2\\,\\mathrm{{JSD}} - \\log 4$: **{closed:.3f}** "
               f"(JSD = {jsd_from_optimal_value(closed):.3f} nats, at most $\\log 2 = 0.693$).\n"
               f"- Largest gap between the trained $D$ and $D^* = p_{{data}} / (p_{{data}} + p_g)$ on "
               f"$[-1, {shift + 1:g}]$: **{max_gap:.3f}**.")
    return Outcome(answer, summary, {"shift": shift, "value": value, "value_closed_form": closed,
                                     "jsd_measured": jsd_from_optimal_value(value),
                                     "jsd_closed_form": jsd_from_optimal_value(closed),
                                     "max_gap_to_d_star": max_gap})


# --- 3. maximum likelihood beside the game --------------------------------------------------------

FAMILY_STEPS = 3000
FAMILY_DATA = "ring8"
FAMILY_OPTIONS: dict[str, dict[str, str]] = {  # family -> its options (RunConfig's defaults otherwise)
    "gan": {"model": "gan", "loss.name": "minimax"},  # lesson 2's game, as the "GAN dropped modes" preset
    "vae": {"model": "vae"},
    "flow": {"model": "flow"},
}
FAMILY_TITLES = {"gan": "GAN (minimax loss)", "vae": "VAE", "flow": "flow (RealNVP)"}


def family_metrics(family: str, steps: int, seed: int = SEED, data: str = FAMILY_DATA) -> dict[str, float]:
    """Train `family` ("gan", "vae" or "flow", with FAMILY_OPTIONS) on the toy data set `data` for `steps` steps
    through ganlab.likelihood.make_trainer, and evaluate it once (2,500 samples).

    Returns:
        {"modes", "modes_total", "hq", "forward_kl", "forward_kl_se", "reverse_kl", "reverse_kl_se", "w1"}:
        modes covered and the high-quality fraction (means over the evaluation's draws), KL(p_data || p_model)
        and KL(p_model || p_data) in nats (the GAN's from the kernel density estimate of its samples,
        ganlab.likelihood.kl.kde_kl_columns), exact W1 on 500 points.
    """
    from ganlab.likelihood import make_trainer
    from ganlab.likelihood.kl import KL_COLUMNS, kde_kl_columns

    config = with_overrides(RunConfig(device="cpu", eval_every=0, seed=seed),
                            {"data.name": data, **FAMILY_OPTIONS[family]})
    trainer = make_trainer(config)
    trainer.step(steps)
    metrics = trainer.evaluate()
    kls = kde_kl_columns(metrics) if family == "gan" else {name: float(metrics[name]) for name in KL_COLUMNS}
    return {"modes": float(metrics["modes_covered"]), "modes_total": float(metrics["modes_total"]),
            "hq": float(metrics["hq_fraction"]), **kls, "w1": float(metrics["w1"])}


def _nats(value: float, se: float) -> str:
    if value == math.inf:
        return "+∞"
    return f"{value:.3g} ± {se:.2g}" if math.isfinite(se) else f"{value:.3g}"


def _seeking_answer(values: dict[str, float]) -> int:
    """0: the GAN covers fewer modes than the VAE and the flow, and puts less mass off the data than both
    (a lower reverse KL, KL(p_model || p_data)); 1: the other way round; 2: neither.

    Blur is read from the reverse KL, not the high-quality fraction: the fraction counts only samples within
    3 std (0.03) of a mode, so it swings with the last few steps of training (the flow's read 15% on one CPU
    and 25% on another at the same seed), while the reverse KL weighs all the mass between the modes.
    """
    others = ("vae", "flow")
    gan_modes, gan_off = values["gan_modes"], values["gan_reverse_kl"]
    if all(gan_modes < values[f"{f}_modes"] and gan_off < values[f"{f}_reverse_kl"] for f in others):
        return 0
    if all(gan_modes > values[f"{f}_modes"] and gan_off > values[f"{f}_reverse_kl"] for f in others):
        return 1
    return 2


@single_threaded
def maximum_likelihood() -> Outcome:
    """A GAN (minimax loss), a VAE and a RealNVP flow, each FAMILY_STEPS steps on ring8 from the same seed:
    modes covered, high-quality fraction, both KLs and W1 of each."""
    steps = FAMILY_STEPS
    values: dict[str, float] = {"steps": steps}
    for family in FAMILY_OPTIONS:
        values.update({f"{family}_{key}": value for key, value in family_metrics(family, steps).items()})
    total = int(values["gan_modes_total"])
    rows = "".join(
        f"| {FAMILY_TITLES[f]} | {values[f'{f}_modes']:g} / {total} | {100 * values[f'{f}_hq']:.0f}% | "
        f"{_nats(values[f'{f}_forward_kl'], values[f'{f}_forward_kl_se'])} | "
        f"{_nats(values[f'{f}_reverse_kl'], values[f'{f}_reverse_kl_se'])} | {values[f'{f}_w1']:.3f} |\n"
        for f in FAMILY_OPTIONS)
    summary = (f"Three models trained for {steps:,} steps each on ring8 (8 modes, std 0.01; seed {SEED}, batch "
               "256): a GAN playing the minimax game of the previous lesson, a VAE and a RealNVP flow with "
               "ganlab's defaults. Each was evaluated on 2,500 samples (modes covered and high-quality "
               "samples: means over 4 draws; a sample is high quality within 3 std of its nearest mode).\n\n"
               "| model | modes covered | high-quality samples | KL(p_data‖p_model) | KL(p_model‖p_data) | W1 |\n"
               "|---|---|---|---|---|---|\n" + rows + "\n"
               "KLs in nats. The flow's use its exact density, the VAE's an importance-weighted estimate "
               "(k = 256: a lower bound, so its forward KL reads a little high and its reverse KL a little low); "
               "the GAN has no density, so its two are kernel density estimates with both distributions smoothed "
               "by the same kernel: +∞ where data lies where its smoothed density underflows, a missed mode. "
               "For scale, a model spread exactly and evenly over k of the 8 modes has "
               "KL(p_model‖p_data) = log(8/k) and KL(p_data‖p_model) = +∞. Blur between the modes is mass off "
               "the data, which the reverse KL weighs; the high-quality fraction only counts samples within "
               "0.03 of a mode.")
    return Outcome(_seeking_answer(values), summary, values)


# --- 4. saturation ---------------------------------------------------------------------------------

@single_threaded
def saturation() -> Outcome:
    """Train D against an untrained G, then compare G's gradient under the two generator losses."""
    d_updates = 1000
    trainer = toy_trainer(**{"d_opt.lr": "0.003"})
    for _ in range(d_updates):
        trainer.d_step()
    with torch.no_grad():
        fake = trainer.G(torch.randn(1024, 2, generator=_gen(SEED + 5)))
    fake.requires_grad_(True)
    for p in trainer.D.parameters():
        p.requires_grad_(False)
    logits = trainer.D(fake)
    n = len(logits)
    (grad_minimax,) = torch.autograd.grad(g_minimax_loss(logits) * n, fake, retain_graph=True)
    (grad_ns,) = torch.autograd.grad(g_nonsaturating_loss(logits) * n, fake)
    d_fake = torch.sigmoid(logits.detach())
    norm_minimax = grad_minimax.norm(dim=1).mean().item()
    norm_ns = grad_ns.norm(dim=1).mean().item()
    ratio = norm_minimax / norm_ns
    # per sample, d/dlogit of log(1 - D) is -D and of -log D is -(1 - D): the ratio is D / (1 - D)
    predicted = (d_fake / (1 - d_fake)) * grad_ns.norm(dim=1)
    identity_gap = ((grad_minimax.norm(dim=1) - predicted).abs().max() / predicted.max()).item()
    answer = 2 - _pick(ratio, (0.01, 0.3))  # >= 0.3 -> 0, 0.01..0.3 -> 1, < 0.01 -> 2
    summary = (f"D was trained for {d_updates:,} updates against an untrained G on ring8; then G's gradient "
               f"was taken at 1,024 generated points under each loss.\n\n"
               f"- Mean $D(G(z))$: **{d_fake.mean().item():.4f}**.\n"
               f"- Mean gradient norm, minimax $\\log(1 - D(G(z)))$: **{norm_minimax:.3g}**; "
               f"non-saturating $-\\log D(G(z))$: **{norm_ns:.3g}**; ratio **{ratio:.2g}**.\n"
               f"- Per sample the ratio is exactly $D/(1-D)$, since "
               f"$\\partial_\\ell \\log(1 - \\sigma(\\ell)) = -D$ and "
               f"$\\partial_\\ell(-\\log \\sigma(\\ell)) = -(1 - D)$ for the logit $\\ell$ (largest gap "
               f"{identity_gap:.1e}).")
    return Outcome(answer, summary, {"d_fake": d_fake.mean().item(), "grad_minimax": norm_minimax,
                                     "grad_nonsaturating": norm_ns, "ratio": ratio,
                                     "ratio_identity_gap": identity_gap})


# --- 5. mode collapse ------------------------------------------------------------------------------

@single_threaded
def mode_collapse() -> Outcome:
    """Train a plain non-saturating GAN on grid25 and on ring8; count the modes covered."""
    grid_steps, ring_steps = 1500, 1000
    grid = toy_trainer(**{"data.name": "grid25"})
    grid.step(grid_steps)
    grid_stats = _covered(grid)
    ring = toy_trainer(**{"data.name": "ring8"})
    ring.step(ring_steps)
    ring_stats = _covered(ring)
    covered = int(grid_stats["modes_covered"])
    answer = 2 - _pick(covered, (20, 25))  # >= 25 -> 0, 20..24 -> 1, < 20 -> 2
    summary = (f"A plain non-saturating GAN (the Toy Lab's defaults, seed {SEED}), 2,500 samples evaluated by "
               f"the PacGAN protocol (a mode is covered when a sample within 3 std of it has it as nearest "
               f"centre).\n\n"
               f"- grid25 after {grid_steps:,} steps: **{covered} / 25** modes covered, "
               f"{100 * grid_stats['hq_fraction']:.0f}% high-quality samples.\n"
               f"- ring8 after {ring_steps:,} steps: **{int(ring_stats['modes_covered'])} / 8** modes covered.\n\n"
               "For scale: PacGAN (Lin et al. 2018, Table 1) reports 17.3 / 25 and 6.3 / 8 for a plain GAN.")
    return Outcome(answer, summary, {"grid25_modes": covered, "grid25_hq": float(grid_stats["hq_fraction"]),
                                     "ring8_modes": int(ring_stats["modes_covered"]),
                                     "ring8_hq": float(ring_stats["hq_fraction"])})


# --- 6. disjoint supports --------------------------------------------------------------------------

DISJOINT_DISTANCES = (1.5, 3.0)


@single_threaded
def disjoint_supports() -> Outcome:
    """Fit a discriminator and a WGAN-GP critic to real N(0, 0.1^2) vs fake N(d, 0.1^2) for two distances d:
    the JSD read off the discriminator stays at log 2, the critic's W1 estimate tracks d."""
    disc, gp = list(KINDS)[0], list(KINDS)[2]
    values: dict[str, float] = {}
    for distance in DISJOINT_DISTANCES:
        fit = fit_discriminators(distance, steps=300)
        x, real, fake = fit["x"], fit["real"], fit["fake"]
        d_real = np.clip(np.interp(real, x, fit[disc]["output"]), 1e-12, 1 - 1e-12)
        d_fake = np.clip(np.interp(fake, x, fit[disc]["output"]), 1e-12, 1 - 1e-12)
        v = float(np.log(d_real).mean() + np.log(1 - d_fake).mean())
        critic = fit[gp]["output"]
        key = f"{distance:g}"
        values[f"jsd_{key}"] = jsd_from_optimal_value(v)
        values[f"w1_{key}"] = float(np.interp(real, x, critic).mean() - np.interp(fake, x, critic).mean())
        values[f"grad_discriminator_{key}"] = fit[disc]["grad_at_fake"]
        values[f"grad_critic_{key}"] = fit[gp]["grad_at_fake"]
        values[f"jsd_closed_form_{key}"] = parallel_lines(distance)["jsd"]
        values[f"w1_closed_form_{key}"] = parallel_lines(distance)["w"]
    far = f"{DISJOINT_DISTANCES[-1]:g}"
    ratio = values[f"grad_critic_{far}"] / max(values[f"grad_discriminator_{far}"], 1e-300)
    answer = _pick(ratio, (0.1, 10.0))  # critic much flatter -> 0, about the same -> 1, much steeper -> 2
    rows = "\n".join(
        f"| {d:g} | {values[f'jsd_{d:g}']:.3f} | {values[f'w1_{d:g}']:.2f} | "
        f"{values[f'grad_discriminator_{d:g}']:.1e} | {values[f'grad_critic_{d:g}']:.2f} |"
        for d in DISJOINT_DISTANCES)
    summary = ("Real points $N(0, 0.1^2)$, fake points $N(d, 0.1^2)$: the supports do not overlap. For each $d$ a "
               "discriminator (logistic loss) and a WGAN-GP critic were trained for 300 steps.\n\n"
               "| d | JSD from D (nats) | W1 from the critic | slope of $D$ at the fakes | slope of the critic |\n"
               "|---|---|---|---|---|\n" + rows + "\n\n"
               f"Closed forms: JSD $= \\log 2 = {LOG2:.3f}$ for every $d > 0$, $W_1 = d$.")
    values["ratio"] = ratio
    return Outcome(answer, summary, values)


# --- 7. WGAN ---------------------------------------------------------------------------------------

@single_threaded
def wgan() -> Outcome:
    """Train a weight-clipped critic and a gradient-penalty critic against an untrained G on ring8."""
    updates, clip = 500, 0.01
    clipped = toy_trainer(**{"loss.name": "wgan", "loss.clip": str(clip), "d_opt.name": "rmsprop",
                             "d_opt.lr": "0.00005"})
    def weights() -> torch.Tensor:
        return torch.cat([p.detach().flatten() for p in clipped.D.parameters()])

    clipped.d_step()
    at_bound_first = (weights().abs() >= 0.99 * clip).float().mean().item()
    for _ in range(updates - 1):
        clipped.d_step()
    weights = weights()
    at_bound = (weights.abs() >= 0.99 * clip).float().mean().item()
    near_zero = (weights.abs() < 0.2 * clip).float().mean().item()
    penalised = toy_trainer(**{"loss.name": "wgan-gp", "d_opt.beta2": "0.9"})
    for _ in range(updates):
        penalised.d_step()
    gen = _gen(SEED + 3)
    real = clipped.dataset.sample(512, gen)
    with torch.no_grad():
        fake = clipped.G(torch.randn(512, 2, generator=gen))
    alpha = torch.rand(512, 1, generator=gen)
    between = alpha * real + (1 - alpha) * fake
    norms = {}
    for name, trainer in (("clipped", clipped), ("penalty", penalised)):
        points = between.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(trainer.D(points).sum(), points)
        norms[name] = grad.norm(dim=1).mean().item()
    if at_bound > 0.5:
        answer = 1
    elif near_zero > 0.5:
        answer = 2
    else:
        answer = 0
    summary = (f"Two critics trained for {updates} updates against an untrained G on ring8: one with every weight "
               f"clipped to $[-{clip:g}, {clip:g}]$ (RMSprop, lr 5e-5, as in Arjovsky et al. 2017), one with the "
               f"gradient penalty $\\lambda = 10$ (Gulrajani et al. 2017).\n\n"
               f"- Clipped critic: **{100 * at_bound:.0f}%** of its {weights.numel():,} weights sit at $\\pm c$, "
               f"{100 * near_zero:.0f}% within $0.2c$ of 0. (PyTorch's default initialisation is wider than "
               f"$c$: {100 * at_bound_first:.0f}% were at $\\pm c$ after the first clip, and most of them "
               f"stay there.)\n"
               f"- Mean $\\|\\nabla_x f\\|$ between real and fake points: clipped **{norms['clipped']:.2g}**, "
               f"gradient penalty **{norms['penalty']:.2f}** (the 1-Lipschitz target is 1).")
    return Outcome(answer, summary, {"clip": clip, "fraction_at_bound": at_bound, "fraction_near_zero": near_zero,
                                     "fraction_at_bound_first_step": at_bound_first,
                                     "grad_norm_clipped": norms["clipped"], "grad_norm_penalty": norms["penalty"]})


# --- 8. game dynamics ------------------------------------------------------------------------------

GAME_STEP, GAME_STEPS, GAME_START = 0.1, 100, (1.0, 1.0)


@single_threaded
def game_dynamics() -> Outcome:
    """Gradient play on J(x, y) = xy and on the Dirac-GAN from the same start; distances to the equilibrium."""
    h, steps = GAME_STEP, GAME_STEPS
    start = math.hypot(*GAME_START)
    values: dict[str, float] = {"start": start}
    for method in ("simultaneous", "alternating", "extragradient"):
        path = bilinear_trajectory(method, GAME_START, h, steps)
        values[f"bilinear_{method}"] = float(np.hypot(*path[-1]))
    values["bilinear_simultaneous_closed_form"] = start * (1 + h * h) ** (steps / 2)
    values["bilinear_extragradient_closed_form"] = start * (1 - h * h + h ** 4) ** (steps / 2)
    dirac = dirac_trajectory("standard", GAME_START, h, 5 * steps)
    values["dirac_standard"] = float(np.hypot(*dirac[-1]))
    dirac_r1 = dirac_trajectory("r1", GAME_START, h, 5 * steps, gamma=1.0)
    values["dirac_r1"] = float(np.hypot(*dirac_r1[-1]))
    eig = eigenvalues("standard")
    values["dirac_eig_real"] = float(np.abs(eig.real).max())
    values["dirac_eig_imag"] = float(np.abs(eig.imag).max())
    growth = values["bilinear_simultaneous"] / start
    answer = _pick(growth, (0.9, 1.1))  # shrinks -> 0, stays -> 1, grows -> 2
    summary = (f"Gradient play from $(x, y) = (1, 1)$, step $h = {h:g}$, {steps} steps on $J(x, y) = xy$ "
               f"(distance to the equilibrium at the start: {start:.3f}).\n\n"
               f"- Simultaneous: **{values['bilinear_simultaneous']:.3f}** (closed form "
               f"$\\sqrt{{2}}\\,(1 + h^2)^{{{steps}/2}}$ = {values['bilinear_simultaneous_closed_form']:.3f}).\n"
               f"- Alternating: **{values['bilinear_alternating']:.3f}** (bounded: it cycles).\n"
               f"- Extragradient: **{values['bilinear_extragradient']:.3f}** (closed form "
               f"$\\sqrt{{2}}\\,(1 - h^2 + h^4)^{{{steps}/2}}$ = "
               f"{values['bilinear_extragradient_closed_form']:.3f}).\n"
               f"- Dirac-GAN, {5 * steps} simultaneous steps: standard loss ends at "
               f"**{values['dirac_standard']:.3f}**; "
               f"with R1 ($\\gamma = 1$) at **{values['dirac_r1']:.2g}**. The standard loss's Jacobian at the "
               f"equilibrium has eigenvalues $\\pm {values['dirac_eig_imag']:.3f}\\,i$ (Mescheder et al. 2018: "
               f"$\\pm f'(0)\\,i = \\pm i/2$).")
    return Outcome(answer, summary, values)


# --- 9. training tricks ----------------------------------------------------------------------------

SMOOTH_TARGET = 0.9


@single_threaded
def training_tricks() -> Outcome:
    """One-sided label smoothing: train D against an untrained G with and without it; D's output on real data."""
    updates = 1000
    values: dict[str, float] = {"target": SMOOTH_TARGET,
                                "logit_closed_form": math.log(SMOOTH_TARGET / (1 - SMOOTH_TARGET))}
    for name, extra in (("plain", {}), ("smoothed", {"reg.label-smoothing": str(SMOOTH_TARGET)})):
        trainer = toy_trainer(**{"d_opt.lr": "0.003", **extra})
        for _ in range(updates):
            trainer.d_step()
        with torch.no_grad():
            logits = trainer.D(trainer.dataset.sample(1024, _gen(SEED + 1)))
        values[f"d_real_{name}"] = torch.sigmoid(logits).mean().item()
        values[f"logit_real_{name}"] = logits.median().item()
    options = (1.0, SMOOTH_TARGET, 0.5)
    answer = int(np.argmin([abs(values["d_real_smoothed"] - o) for o in options]))
    summary = (f"D trained for {updates:,} updates against an untrained G on ring8, once with real targets 1 "
               f"and once with one-sided label smoothing, target $t = {SMOOTH_TARGET:g}$ "
               f"(Salimans et al. 2016).\n\n"
               f"- Mean $D(x)$ on real points: plain **{values['d_real_plain']:.3f}**, smoothed "
               f"**{values['d_real_smoothed']:.3f}**.\n"
               f"- Median logit on real points: plain **{values['logit_real_plain']:.1f}** (it keeps growing), "
               f"smoothed **{values['logit_real_smoothed']:.2f}**; closed form where $p_g = 0$: "
               f"$\\log(t / (1 - t)) = {values['logit_closed_form']:.3f}$, since $D^* = t\\,p_{{data}} / "
               f"(p_{{data}} + p_g)$.")
    return Outcome(answer, summary, values)


# --- 10. DCGAN and the latent space ----------------------------------------------------------------

INK_ALPHAS = (-3.0, -1.5, 0.0, 1.5, 3.0)


def ink_walk(name: str, seed: int = SEED) -> dict:
    """Fit a unit direction u in the latent space of the shipped generator `name` that predicts ink mass
    (least squares on 1,000 samples), walk 16 fresh latents along it (z + alpha u, alpha in INK_ALPHAS) and
    classify every image with ganlab's LeNet. A conditional generator keeps each latent's digit label fixed.

    Returns:
        {"ink": [mean ink per alpha], "kept": fraction of the 16 whose predicted digit is the same at
         alpha = -3, 0 and 3, "kept_near": the same at -1.5, 0, 1.5}.
    """
    from ganlab.classifier import features_and_probs
    from ganlab.generator_file import CHECKPOINT_DIR, load_generator
    from ganlab.image_eval import lenet
    from ganlab.latent import fit_direction, ink_mass

    loaded = load_generator(CHECKPOINT_DIR / f"{name}.pt")
    n_labels = loaded.n_labels

    def labels_for(n: int, offset: int):
        if not n_labels:
            return None
        return torch.randint(n_labels, (n,), generator=_gen(seed + offset))

    z = loaded.random_z(1000, seed)
    direction = fit_direction(z, ink_mass(loaded.generate(z, labels_for(1000, 10))))
    starts, labels = loaded.random_z(16, seed + 1), labels_for(16, 11)
    images = {a: loaded.generate(starts + a * direction, labels) for a in INK_ALPHAS}
    model, _ = lenet()
    digits = {a: features_and_probs(model, images[a])[1].argmax(1) for a in INK_ALPHAS}

    def kept(a: float) -> float:
        return float(np.mean((digits[-a] == digits[0.0]) & (digits[a] == digits[0.0])))

    return {"ink": [ink_mass(images[a]).mean().item() for a in INK_ALPHAS], "kept": kept(3.0),
            "kept_near": kept(1.5)}


@single_threaded
def dcgan_latent() -> Outcome:
    """The ink direction of the shipped DCGAN (unconditional) against that of the conditional GAN."""
    dcgan, cgan = ink_walk("mnist_dcgan"), ink_walk("mnist_cgan")
    ink = dcgan["ink"]
    rising = all(b > a for a, b in zip(ink, ink[1:], strict=False)) and ink[-1] > 1.5 * ink[0]
    answer = (0 if dcgan["kept"] >= 0.5 else 1) if rising else 2
    header = "| generator | " + " | ".join(f"ink at $\\alpha = {a:g}$" for a in INK_ALPHAS) + " | same digit |\n"
    header += "|---" * (len(INK_ALPHAS) + 2) + "|\n"
    rows = "".join(f"| `{name}` | " + " | ".join(f"{v:.3f}" for v in walk["ink"])
                   + f" | {round(16 * walk['kept'])} / 16 |\n"
                   for name, walk in (("mnist_dcgan", dcgan), ("mnist_cgan", cgan)))
    summary = ("In each shipped generator's latent space ($z$ is 100-d) a unit direction $u$ that predicts "
               "ink mass was fitted by least squares on 1,000 samples; 16 fresh latents were walked along it, "
               "$z + \\alpha u$, and LeNet read the digit at $\\alpha = -3, 0, 3$. The conditional GAN keeps "
               "each latent's label fixed.\n\n" + header + rows + "\n"
               "In the unconditional DCGAN ink is tangled with the digit's identity (a 1 has little ink, a 0 "
               "much), so the ink direction also changes the digit; given the label, $z$ only carries style.")
    return Outcome(answer, summary, {"ink_low": ink[0], "ink_mid": ink[2], "ink_high": ink[-1],
                                     "ink_ratio": ink[-1] / ink[0], "class_kept": dcgan["kept"],
                                     "class_kept_near": dcgan["kept_near"], "cgan_ink_low": cgan["ink"][0],
                                     "cgan_ink_high": cgan["ink"][-1], "cgan_class_kept": cgan["kept"],
                                     "cgan_class_kept_near": cgan["kept_near"]})


# --- 11. evaluating GANs ---------------------------------------------------------------------------

@single_threaded
def evaluating_gans() -> Outcome:
    """Score two cheating "generators" with the classifier score and FID (LeNet): 1,000 copied training
    digits, and ten training digits (one per class) repeated 100 times."""
    from ganlab.classifier import features_and_probs
    from ganlab.data.images import load_mnist
    from ganlab.generator_file import CHECKPOINT_DIR
    from ganlab.image_eval import lenet, reference_statistics
    from ganlab.metrics.images import classifier_score, feature_statistics, frechet_distance

    model, _ = lenet()
    mu_ref, sigma_ref, _, _ = reference_statistics()
    train = load_mnist(train=True)
    order = np.random.default_rng(SEED).permutation(len(train))
    copied = train.images[torch.from_numpy(order[:1000])]
    firsts = [int(np.flatnonzero(train.labels.numpy() == d)[0]) for d in range(10)]
    ten = train.images[firsts].repeat(100, 1, 1, 1)
    values: dict[str, float] = {}
    for name, images in (("copied", copied), ("ten", ten)):
        feats, probs = features_and_probs(model, images)
        mu, sigma = feature_statistics(feats)
        values[f"score_{name}"] = classifier_score(probs)
        values[f"fid_{name}"] = frechet_distance(mu, sigma, mu_ref, sigma_ref)
        values[f"distinct_{name}"] = float(len(np.unique(images.reshape(len(images), -1).numpy(), axis=0)))
    answer = 2 - _pick(values["score_ten"], (5.0, 9.0))  # >= 9 -> 0, 5..9 -> 1, < 5 -> 2
    card = read_card_file(CHECKPOINT_DIR / "mnist_dcgan.pt")  # checked as a model card; None if unusable
    metrics = (card or {}).get("metrics") or {}
    if "classifier_score" in metrics and "fid_lenet" in metrics:
        shipped = (f"For comparison, the shipped DCGAN's model card reports a classifier score of "
                   f"{metric_text(metrics['classifier_score'], 2)} and FID (LeNet) "
                   f"{metric_text(metrics['fid_lenet'], 1)}.")
    else:
        shipped = "(The shipped DCGAN's model card is missing or unreadable, so its figures are not shown here.)"
    summary = ("Two generators that cheat, scored against the held-out digits with ganlab's LeNet "
               "(classifier score: the Inception-score formula, at most 10; FID (LeNet): the Fréchet distance of "
               "its 128-d features, lower is better).\n\n"
               "| generator | distinct images | classifier score | FID (LeNet) |\n|---|---|---|---|\n"
               f"| 1,000 training digits, copied | {values['distinct_copied']:,.0f} | "
               f"{values['score_copied']:.2f} | {values['fid_copied']:.1f} |\n"
               f"| 10 training digits (one per class) x 100 | {values['distinct_ten']:,.0f} | "
               f"{values['score_ten']:.2f} | {values['fid_ten']:.1f} |\n\n" + shipped)
    return Outcome(answer, summary, values)
