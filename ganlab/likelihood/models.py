"""A likelihood model from a config, and what one training step of it minimises.

`build_model(cfg)` makes the RealNVP flow (model "flow", 2-D toy data), the toy VAE or the image VAE (model
"vae"). `objective(cfg)` is the step's loss and the per-step values the trainer records in its history
(HISTORY_COLUMNS, nats per data point):

- flow: loss = the batch's mean negative log-likelihood -log p(x) (exact);
- vae: loss = -(recon - beta kl); elbo = recon - kl (beta = 1, a lower bound on log p(x)); recon = mean
  log p(x | z) of one reparameterised draw; kl = mean KL(q(z | x) || p(z)) (closed form).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ganlab.config import RunConfig
from ganlab.likelihood.flow import RealNVP
from ganlab.likelihood.vae import ImageVAE, ToyVAE
from ganlab.problems import is_image_run

HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "flow": ("loss",),
    "vae": ("loss", "elbo", "recon", "kl"),
}
"""Per model: the columns of the trainer's history, one row per step (the first is the loss minimised)."""

Objective = Callable[[nn.Module, Tensor, torch.Generator], tuple[Tensor, Tensor]]


def build_model(cfg: RunConfig) -> nn.Module:
    """The config's model, initialised from torch's global RNG (the trainer seeds it first)."""
    if cfg.model == "flow":
        return RealNVP(2, cfg.flow.depth, cfg.flow.width, cfg.flow.hidden_layers)
    if cfg.model != "vae":
        raise ValueError(f"model {cfg.model!r} is not a likelihood model (vae, flow)")
    vae = cfg.vae
    if is_image_run(cfg):
        return ImageVAE(vae.arch, vae.latent_dim, vae.width, vae.depth, vae.decoder, vae.learn_variance,
                        vae.decoder_std)
    return ToyVAE(2, vae.latent_dim, vae.depth, vae.width, vae.learn_variance, vae.decoder_std)


def flow_objective(model: RealNVP, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """(loss, history row (1,)): the mean negative log-likelihood of the batch."""
    loss = -model.log_prob(x).mean()
    return loss, loss.detach().reshape(1)


def vae_objective(beta: float) -> Objective:
    """The VAE's step: (loss = -(recon - beta kl), history row (loss, elbo, recon, kl))."""

    def step(model, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        recon, kl = model.elbo_terms(x, generator)
        recon, kl = recon.mean(), kl.mean()
        loss = beta * kl - recon
        return loss, torch.stack([loss, recon - kl, recon, kl]).detach()

    return step


def objective(cfg: RunConfig) -> Objective:
    """The step function of the config's model: (model, batch, generator) -> (loss, history row)."""
    return flow_objective if cfg.model == "flow" else vae_objective(float(cfg.vae.beta))


__all__ = ["HISTORY_COLUMNS", "build_model", "objective"]
