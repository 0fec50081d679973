"""The one declaration of every numeric option: its bounds, how a page shows it, its one-line help.

Config validation (ganlab.config), the Toy Lab's widgets (ganlab.ui.option_widgets) and so the share links
the Toy Lab accepts all read these: a value the config accepts is a value its widget can show, and the
other way round. Bounds are inclusive, so a widget can offer both ends. Choices (datasets, losses,
optimisers, ...) are declared by their registries; regularisers by ganlab.penalties.REGULARIZERS; each toy
data set's parameters by its class, beside its sampler (ganlab.data.toy.PARAMETER_OPTIONS).
"""

from __future__ import annotations

from ganlab.data.toy import PARAMETER_OPTIONS
from ganlab.number_option import NumberOption


def _net(name: str) -> dict[str, NumberOption]:
    return {
        f"{name}.depth": NumberOption("Layers", 1, 8, True, "slider", help="hidden layers of the MLP"),
        f"{name}.width": NumberOption("Width", 1, 1024, True, step=8, help="units per hidden layer"),
        f"{name}.maxout_pieces": NumberOption("Maxout pieces", 2, 16, True, help="linear pieces per maxout unit"),
        f"{name}.channels": NumberOption("Channels", 4, 256, True, help="DCGAN: channels of the widest layer"),
    }


def _optimiser(name: str) -> dict[str, NumberOption]:
    return {
        f"{name}.lr": NumberOption("Learning rate", 1e-6, 10.0, fmt="%.6f", step=1e-4, help="step size"),
        f"{name}.beta1": NumberOption("β1", 0.0, 0.9999, fmt="%.4f", help="Adam's first-moment decay"),
        f"{name}.beta2": NumberOption("β2", 0.0, 0.9999, fmt="%.4f",
                                      help="Adam's second-moment decay (RMSprop: its α)"),
        f"{name}.momentum": NumberOption("Momentum", 0.0, 0.9999, fmt="%.4f", help="SGD and RMSprop momentum"),
    }


OPTIONS: dict[str, NumberOption] = {
    **{f"data.{name}": option for name, option in PARAMETER_OPTIONS.items()},  # declared by the datasets
    "loss.clip": NumberOption("Weight clip c", 0.0001, 10.0, fmt="%.4f", help="WGAN: D's weights in [-c, c]"),
    "loss.gp_lambda": NumberOption("Gradient penalty λ", 0.01, 1e4, help="WGAN-GP's penalty weight"),
    **_net("g"), **_net("d"), **_optimiser("g_opt"), **_optimiser("d_opt"),
    "latent_dim": NumberOption("Latent size", 1, 256, True, help="dimensions of G's noise z"),
    "batch_size": NumberOption("Batch size", 1, 8192, True, step=16, help="samples of each kind per update"),
    "d_steps": NumberOption("D steps per G step", 1, 20, True, "slider", help="D updates per iteration"),
    "g_steps": NumberOption("G steps per D step", 1, 20, True, "slider", help="G updates per iteration"),
    "pack": NumberOption("Pack size", 1, 8, True, "slider", help="PacGAN: samples D judges at once"),
    "info_codes": NumberOption("InfoGAN codes", 0, 50, True, help="categories of InfoGAN's code (0 = off)"),
    "ema": NumberOption("EMA of G's weights (decay, 0 = off)", 0.0, 0.9999, fmt="%.4f",
                        help="keep an exponential moving average of G's weights, warmed up (Yazıcı et al. 2019); "
                             "the plane's legend can show its samples; the metrics read G itself"),
    "seed": NumberOption("Seed", 0, 2**31 - 1, True, help="the run's random seed"),
    "history": NumberOption("History rows", 10, 100_000, True, help="rows each history keeps"),
    "eval_every": NumberOption("Evaluate every", 0, 1_000_000, True, help="iterations between evaluations"),
    "eval_samples": NumberOption("Evaluation samples", 100, 20_000, True, help="generated points per evaluation"),
    "tricks.historical_averaging": NumberOption("Historical averaging λ (0 = off)", 0.0, 100.0, fmt="%.3g",
                                                help="adds λ‖θ − mean of past θ‖² to each player's loss "
                                                     "(Salimans et al. 2016)"),
    "tricks.unrolled_steps": NumberOption("Unrolled D steps for G (0 = off)", 0, 10, True, "slider",
                                          help="G's loss against D after k differentiable updates of a copy of D "
                                               "(Metz et al. 2017); slower"),
    # likelihood models (model "vae" or "flow"; ganlab.likelihood)
    "vae.latent_dim": NumberOption("VAE latent size", 1, 8, True, "slider", help="dimensions of the VAE's z"),
    "vae.beta": NumberOption("β (KL weight)", 0.0, 10.0, fmt="%.3f",
                             help="weight of the KL term in the VAE's loss (1: the ELBO; β-VAE, Higgins et al. "
                                  "2017)"),
    "vae.decoder_std": NumberOption("Decoder σ", 0.001, 10.0, fmt="%.4f",
                                    help="the Gaussian decoder's standard deviation: fixed, or where a learnt one "
                                         "starts"),
    "vae.depth": NumberOption("VAE layers", 0, 8, True, "slider",
                              help="hidden layers of the VAE's encoder and decoder MLPs (0: linear, probabilistic "
                                   "PCA's model)"),
    "vae.width": NumberOption("VAE width", 1, 1024, True, step=8,
                              help="units per hidden layer of the VAE (conv: channels of its second layer)"),
    "flow.depth": NumberOption("Coupling layers", 2, 16, True, "slider",
                               help="RealNVP affine coupling layers, alternating which half they transform"),
    "flow.width": NumberOption("Coupling width", 1, 1024, True, step=8,
                               help="units per hidden layer of each coupling's MLP"),
    "flow.hidden_layers": NumberOption("Coupling hidden layers", 1, 4, True, "slider",
                                       help="hidden layers of each coupling's MLP"),
}

SWITCHES: dict[str, str] = {
    "conditional": "conditional GAN: G and D see the digit label (Mirza & Osindero 2014; image runs)",
    "g.spectral_norm": "spectral normalisation of the generator's layers (Miyato et al. 2018)",
    "d.spectral_norm": "spectral normalisation of the discriminator's layers (Miyato et al. 2018)",
    "tricks.feature_matching": "G matches the mean of D's last hidden features (Salimans et al. 2016)",
    "tricks.minibatch_discrimination": "D sees how close each sample is to the rest of its batch "
                                       "(Salimans et al. 2016)",
    "tricks.virtual_batch_norm": "DCGAN G normalises with a fixed reference batch (Salimans et al. 2016; "
                                 "image runs)",
    "vae.learn_variance": "the VAE's Gaussian decoder learns its σ (else σ stays vae.decoder_std); on by default",
}
"""The one declaration of every true/false option: its one-line help (off by default unless it says so)."""
