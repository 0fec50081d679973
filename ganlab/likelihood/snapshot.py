"""What the GAN, VAE and flow page draws of a likelihood run (a VAE or a flow) at one moment: a snapshot,
small numpy arrays, the likelihood counterpart of ganlab.toy_snapshot (the GAN's).

A snapshot reads the run and consumes none of its random numbers: its fixed real points, its samples at fixed
noise and the VAE's importance samples all come from generators of its own, seeded from the run's seed and
made afresh for every snapshot, so successive frames differ only because the model moved.

- samples: n draws of p_model at fixed noise (flow: f^-1(z); VAE: x = mu(z) + sigma * eps, z ~ N(0, I), the
  draws its log-likelihood scores);
- log_density on a grid of cell centres over the data's bounds (the layout of ToyDataset.density_grid:
  log_density[i, j] at (grid_x[j], grid_y[i]), so exp(log_density).sum() * dx * dy is the midpoint-rule
  integral over the bounds): the flow's exact log p(x); the VAE's importance-weighted estimate L_k(x)
  (Burda et al. 2016) with k = IMPORTANCE_SAMPLES draws of q(z | x) per grid point, a stochastic lower
  bound of log p(x) (in expectation), at fixed draws;
- flow: "warp", the images f^-1 of a regular grid of latent lines (lines of constant z1, then of constant
  z2, over [-WARP_SPAN, WARP_SPAN]^2): where the map stretches and folds the base N(0, I);
- VAE: "latent_means", the encoder's posterior means E_q[z | x] of the fixed real points, their first two
  coordinates (all of them for latent size 1 or 2; "latent_dim" says how many there are).

An image VAE's snapshot (MNIST, `take_image_snapshot`) is its decoder means at the same n latents in every
snapshot, as (n, 28, 28) grey levels in [0, 1], and its latest checked training ELBO.

Cost of one snapshot (one CPU thread, grid 48, k 16, 128 points, the engine's default networks; median of
20): flow ~4 ms, VAE ~16 ms (the importance samples: 48 x 48 x 16 decoder rows), so a frame of the three
panels, the GAN's ~1 ms included, stays near 20 ms of the worker's time.
"""

from __future__ import annotations

import weakref

import numpy as np
import torch
from torch import Tensor

from ganlab.likelihood.vae import VAE
from ganlab.metrics import grid_centres

SNAPSHOT_SEED_OFFSET = 104_729  # the snapshot's own draws: real points, sample noise, importance samples
DENSITY_GRID = 48               # grid cells per axis of the density
IMPORTANCE_SAMPLES = 16         # the VAE's importance samples per grid point (k of L_k)
WARP_LINES = 9                  # latent lines per direction of the flow's warped grid
WARP_POINTS = 41                # points per latent line
WARP_SPAN = 2.5                 # the lines cover [-WARP_SPAN, WARP_SPAN]^2 of the base N(0, I)

_FIXED_REAL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # trainer -> (n, 2) real points


def _generator(trainer, extra: int) -> torch.Generator:
    """A generator apart from the run's, the same at every snapshot of the run (`extra`: which draw)."""
    return torch.Generator(device=trainer.device).manual_seed(trainer.config.seed + SNAPSHOT_SEED_OFFSET + extra)


def fixed_real(trainer, n: int) -> Tensor:
    """The same n real points (n, 2) in every snapshot of the run (drawn once, from the snapshot's generator)."""
    real = _FIXED_REAL.get(trainer)
    if real is None or real.shape[0] != n:
        real = trainer.dataset.sample(n, _generator(trainer, 0))
        _FIXED_REAL[trainer] = real
    return real


@torch.no_grad()
def fixed_samples(trainer, n: int) -> Tensor:
    """n draws of the model (n, 2) at the same noise in every snapshot."""
    return trainer.model.sample(n, _generator(trainer, 1))


@torch.no_grad()
def log_density_grid(trainer, size: int = DENSITY_GRID, bounds=None, k: int = IMPORTANCE_SAMPLES
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's log density on a size x size grid of cell centres over `bounds` (default: the data's).

    Returns:
        xs (size,), ys (size,), log_p (size, size) float64, nats, log_p[i, j] at (xs[j], ys[i]): the flow's
        exact log p(x), the VAE's L_k(x) with k importance samples per point (at fixed draws).
    """
    xs, ys = grid_centres(trainer.dataset.bounds if bounds is None else bounds, size)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = torch.as_tensor(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1), dtype=torch.float32,
                             device=trainer.device)
    model = trainer.model
    if isinstance(model, VAE):
        log_p = model.importance_log_likelihood(points, k, _generator(trainer, 2))
    else:
        log_p = model.log_prob(points)
    return xs, ys, log_p.double().cpu().numpy().reshape(len(ys), len(xs))


@torch.no_grad()
def warped_grid(flow, lines: int = WARP_LINES, points: int = WARP_POINTS, span: float = WARP_SPAN) -> np.ndarray:
    """(2, lines, points, 2): f^-1 of the latent lines z1 = c (index 0) and z2 = c (index 1), c in
    linspace(-span, span, lines), each traced at `points` values of the other coordinate."""
    levels = torch.linspace(-span, span, lines)
    along = torch.linspace(-span, span, points)
    level, t = torch.meshgrid(levels, along, indexing="ij")  # (lines, points)
    z = torch.stack([torch.stack([level, t], dim=-1), torch.stack([t, level], dim=-1)])  # (2, L, P, 2)
    dtype = next(flow.parameters()).dtype
    device = next(flow.parameters()).device
    x = flow.inverse(z.reshape(-1, 2).to(device=device, dtype=dtype))[0]
    return x.double().cpu().numpy().reshape(2, lines, points, 2)


def density_method(trainer, k: int = IMPORTANCE_SAMPLES) -> str:
    """How the snapshot's density was computed, in words (a panel's caption)."""
    if isinstance(trainer.model, VAE):
        return (f"log p(x) by importance sampling, k = {k} draws of q(z|x) per grid point (Burda et al.'s L_k: "
                "a lower bound in expectation)")
    return "log p(x) exact, through the flow: log N(f(x); 0, I) + log |det df/dx|"


@torch.no_grad()
def take_likelihood_snapshot(trainer, n_samples: int = 128, grid_size: int = DENSITY_GRID,
                             k: int = IMPORTANCE_SAMPLES) -> dict:
    """Small numpy arrays for drawing a VAE or flow run (see the module docstring).

    Returns:
        step (int), model ("vae" or "flow"), bounds (xmin, xmax, ymin, ymax), real (n, 2), samples (n, 2),
        grid_x (S,), grid_y (S,), log_density (S, S), density_method (str); flow: warp (2, L, P, 2);
        VAE: latent_means (n, min(latent_dim, 2)), latent_dim (int), importance_samples (k).
    """
    if getattr(trainer, "images", False):
        return take_image_snapshot(trainer, n_samples)
    real = fixed_real(trainer, n_samples)
    xs, ys, log_p = log_density_grid(trainer, grid_size, k=k)
    snap = {"step": int(trainer.step_count), "model": trainer.config.model,
            "bounds": tuple(float(b) for b in trainer.dataset.bounds),
            "real": real.cpu().numpy(), "samples": fixed_samples(trainer, n_samples).cpu().numpy(),
            "grid_x": xs, "grid_y": ys, "log_density": log_p, "density_method": density_method(trainer, k)}
    model = trainer.model
    if isinstance(model, VAE):
        means = model.posterior_mean(real)
        snap.update(latent_means=means[:, :2].cpu().numpy(), latent_dim=int(model.latent_dim),
                    importance_samples=int(k))
    else:
        snap["warp"] = warped_grid(model)
    return snap


@torch.no_grad()
def take_image_snapshot(trainer, n_samples: int = 16) -> dict:
    """An image VAE's snapshot: {step, model "vae", images (n, 28, 28) in [0, 1]: the decoder means
    2 sigmoid(logits) - 1 of the same n latents z ~ N(0, I) every time, shifted to [0, 1]; train_elbo: the
    latest checked training batch's ELBO, nats per digit (nan before the first check)}."""
    images = trainer.model.sample(n_samples, _generator(trainer, 1))
    return {"step": int(trainer.step_count), "model": trainer.config.model,
            "images": ((images[:, 0].float().cpu().numpy() + 1.0) / 2.0).clip(0.0, 1.0),
            "train_elbo": float(trainer.history.last().get("elbo", float("nan")))}


__all__ = ["DENSITY_GRID", "IMPORTANCE_SAMPLES", "density_method", "fixed_real", "fixed_samples",
           "log_density_grid", "take_image_snapshot", "take_likelihood_snapshot", "warped_grid"]
