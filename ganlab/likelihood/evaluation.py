"""Evaluation of a likelihood model (ganlab.likelihood.trainer): the GAN's toy metrics on its samples, and
what only a likelihood model has.

Toy runs (`ToyEvaluator`) report, on the same seeded evaluation samples as a GAN (ganlab.evaluation):
mode coverage, exact W1 beside its floor, the sample divergence estimates (the model's samples through
the same KDE as a GAN's, so the columns compare like with like), k-NN precision / recall where there are
no modes; and, in nats per data point on the evaluation's real samples (fresh draws of the data, never
trained on):

- test_log_likelihood (+ _se): the flow's exact mean log p(x); the VAE's importance-weighted estimate
  L_k with k = `importance_samples` (Burda et al. 2016; a stochastic lower bound, tighter as k grows);
- elbo (+ _se), recon, kl: the VAE's ELBO = recon - kl (beta = 1) and its two terms (nan for a flow);
- data_log_likelihood: mean log p_data(x) on the same samples (-entropy: the best any model can score);
- forward_kl, reverse_kl (+ _se): KL(p_data || p_model) on the real samples and KL(p_model || p_data) on
  the model's samples, Monte Carlo means of exact log p_data and the model's log density
  (ganlab.likelihood.kl), where the data set has a density.

Image runs (`ImageEvaluator`, the VAE on MNIST): elbo, recon, kl and test_log_likelihood (k =
IMAGE_IMPORTANCE_SAMPLES) on the first `eval_samples` held-out test digits; the other columns are nan.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ganlab.evaluation import DIVERGENCE_COLUMNS, MODE_COLUMNS, Evaluator
from ganlab.likelihood.kl import KL_COLUMNS, kl_columns
from ganlab.likelihood.vae import VAE

TOY_IMPORTANCE_SAMPLES = 256   # importance samples per point for a toy VAE's log-likelihood (~0.15 s / 2,500)
IMAGE_IMPORTANCE_SAMPLES = 32  # ... and per digit for an image VAE's
IMAGE_CHUNK = 250              # digits evaluated at once
MODEL_SEED_OFFSET = 15_485_863  # the evaluation's own draws (ELBO noise, importance samples)

LIKELIHOOD_COLUMNS = ("test_log_likelihood", "test_log_likelihood_se", "importance_samples", "elbo", "elbo_se",
                      "recon", "kl", "data_log_likelihood", *KL_COLUMNS)
METRIC_COLUMNS = (*MODE_COLUMNS, "w1", "w1_floor", *DIVERGENCE_COLUMNS, "divergence_bandwidth", "precision",
                  "recall", *LIKELIHOOD_COLUMNS)


def mean_se(values: Tensor | np.ndarray) -> tuple[float, float]:
    """(mean, standard error sd / sqrt(n)) of a vector."""
    array = values.detach().double().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values, float)
    return float(array.mean()), float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else math.nan


@torch.no_grad()
def model_log_prob(model, x: Tensor, k: int, generator: torch.Generator) -> Tensor:
    """log p_model(x) (n,): a flow's exact value, a VAE's importance-weighted estimate with k samples."""
    if isinstance(model, VAE):
        return model.importance_log_likelihood(x, k, generator)
    return model.log_prob(x)


@torch.no_grad()
def elbo_values(model: VAE, x: Tensor, generator: torch.Generator) -> dict[str, float]:
    """{elbo, elbo_se, recon, kl} of a VAE on x (means over the points, beta = 1)."""
    recon, kl = model.elbo_terms(x, generator)
    elbo, elbo_se = mean_se(recon - kl)
    return {"elbo": elbo, "elbo_se": elbo_se, "recon": recon.mean().item(), "kl": kl.mean().item()}


class ToyEvaluator(Evaluator):
    """Evaluates a LikelihoodTrainer's toy model on the fixed real samples a GAN's Evaluator uses.

    Args:
        trainer: the run (its dataset and model are read, never changed).
        n_samples: model and real samples per evaluation.
    """

    def __init__(self, trainer, n_samples: int = 2500):
        super().__init__(trainer, n_samples)
        dataset = trainer.dataset
        self.data_log_p = dataset.log_density(self.real_np) if dataset.has_density else None
        self.importance_samples = TOY_IMPORTANCE_SAMPLES if isinstance(trainer.model, VAE) else None

    @torch.no_grad()
    def _fake(self, draw: int = 0) -> Tensor:
        """The model's samples of evaluation draw `draw` (seeded as a GAN's evaluation draws)."""
        t = self.trainer
        gen = torch.Generator(device=t.device).manual_seed(self.seed + 7919 * draw)
        return t.model.sample(self.n_samples, gen)

    def evaluate(self) -> dict[str, float]:
        """One evaluation: a dict with every METRIC_COLUMNS key (nan where a metric does not apply)."""
        fake_t = self._fake()
        fake = fake_t.cpu().numpy().astype(np.float64)
        out = dict.fromkeys(METRIC_COLUMNS, math.nan)
        out.update(self.likelihood_values(fake_t, fake))
        if np.isfinite(fake).all():
            out.update(self.sample_values(fake))
        return out

    @torch.no_grad()
    def likelihood_values(self, fake_t: Tensor, fake: np.ndarray) -> dict[str, float]:
        """Test log-likelihood, the VAE's ELBO and its terms, and both KLs where p_data has a density."""
        t, k = self.trainer, self.importance_samples
        gen = torch.Generator(device=t.device).manual_seed(self.seed + MODEL_SEED_OFFSET)
        out: dict[str, float] = {"importance_samples": float(k) if k else math.nan}
        if isinstance(t.model, VAE):
            out.update(elbo_values(t.model, self.real, gen))
        model_at_data = model_log_prob(t.model, self.real, k, gen)
        out["test_log_likelihood"], out["test_log_likelihood_se"] = mean_se(model_at_data)
        if self.data_log_p is None or not np.isfinite(fake).all() or not torch.isfinite(model_at_data).all():
            return out
        out["data_log_likelihood"] = float(self.data_log_p.mean())
        model_at_model = model_log_prob(t.model, fake_t, k, gen)
        if torch.isfinite(model_at_model).all():
            out.update(kl_columns(self.data_log_p, model_at_data, model_at_model, t.dataset.log_density(fake)))
        return out


class ImageEvaluator:
    """Evaluates an image VAE on `n_samples` held-out test digits (the trainer's `test_data`): all of them, or
    a fixed random subset of that many (the offline test set is sorted by class: its first digits are all
    zeros)."""

    def __init__(self, trainer, n_samples: int = 1000):
        self.trainer, self.n_samples = trainer, n_samples
        self.seed = trainer.config.seed + MODEL_SEED_OFFSET
        images = trainer.test_data().images
        if n_samples < len(images):
            pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.seed))[:n_samples]
            images = images[pick.sort().values]
        self.images = images.to(trainer.device)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        model = self.trainer.model
        gen = torch.Generator(device=self.trainer.device).manual_seed(self.seed)
        recon, kl, log_p = [], [], []
        for start in range(0, len(self.images), IMAGE_CHUNK):
            x = self.images[start: start + IMAGE_CHUNK]
            r, k = model.elbo_terms(x, gen)
            recon.append(r)
            kl.append(k)
            log_p.append(model.importance_log_likelihood(x, IMAGE_IMPORTANCE_SAMPLES, gen))
        recon, kl, log_p = torch.cat(recon), torch.cat(kl), torch.cat(log_p)
        out = dict.fromkeys(METRIC_COLUMNS, math.nan)
        out["elbo"], out["elbo_se"] = mean_se(recon - kl)
        out["recon"], out["kl"] = recon.mean().item(), kl.mean().item()
        out["test_log_likelihood"], out["test_log_likelihood_se"] = mean_se(log_p)
        out["importance_samples"] = float(IMAGE_IMPORTANCE_SAMPLES)
        return out


__all__ = ["IMAGE_IMPORTANCE_SAMPLES", "LIKELIHOOD_COLUMNS", "METRIC_COLUMNS", "TOY_IMPORTANCE_SAMPLES",
           "ImageEvaluator", "ToyEvaluator", "model_log_prob"]
