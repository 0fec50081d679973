"""The MNIST Lab's image metrics as a job (ganlab.runtime.jobs; no streamlit here): the server sends the
sampling generator's weights (a copy, taken in milliseconds) and the job, in a process of its own, draws the
METRIC_SAMPLES digits Trainer.sample draws and scores them with ganlab.image_eval.evaluate_images. Sampling
1,000 digits is itself up to seconds of a core for the wider DCGANs, so the server does not do that either.

`sampling_weights` is what the session sends; `sample_digits` redraws exactly the digits of
`Trainer.sample(n)` (the EMA of G when on, the run's seed + 1, codes 0, 1, 2, ... cyclically for conditional
and InfoGAN runs), on the CPU; `score_generator` is the job.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from ganlab import image_eval
from ganlab.config import RunConfig
from ganlab.generator_file import build_sampling_net, sampling_generator

METRIC_SAMPLES = 1000


def sampling_weights(trainer) -> tuple[RunConfig, dict[str, Tensor]]:
    """(config, weights) of the generator the run samples from, copied to the CPU: training may go on in
    place while the job waits for its turn."""
    config = dataclasses.replace(trainer.config, device="cpu")
    state = {name: value.detach().to("cpu", copy=True) for name, value in
             sampling_generator(trainer).state_dict().items()}
    return config, state


@torch.no_grad()
def sample_digits(config: RunConfig, state: dict[str, Tensor], n: int = METRIC_SAMPLES) -> Tensor:
    """(n, 1, 28, 28) in [-1, 1]: the digits Trainer.sample(n) draws from these weights on the CPU."""
    net = build_sampling_net(config)
    net.load_state_dict(state)
    net.eval()
    draw = torch.Generator().manual_seed(config.seed + 1)  # as Trainer.sample's default
    z = torch.empty(n, config.latent_dim)
    z = z.normal_(generator=draw) if config.noise == "gaussian" else z.uniform_(-1.0, 1.0, generator=draw)
    n_codes = config.info_codes or (10 if config.conditional else 0)
    return net(z, torch.arange(n) % n_codes) if n_codes else net(z)


def score_generator(config: RunConfig, state: dict[str, Tensor], n: int = METRIC_SAMPLES) -> dict[str, float]:
    """The job: evaluate_images of sample_digits(config, state, n), {IMAGE_METRIC_TITLES' keys: float}."""
    values = image_eval.evaluate_images(sample_digits(config, state, n), config.data.data_dir)
    return {key: float(values[key]) for key in image_eval.IMAGE_METRIC_TITLES}


def scoring_note(step: int, ahead: int) -> str:
    """What the page says while the digits of `step` are scored (`ahead`: the job's place in the queue)."""
    where = f", number {ahead} in the queue behind other sessions' jobs" if ahead else ""
    return (f"Scoring the {METRIC_SAMPLES:,} digits of step {step:,} in a process of its own{where}… The run "
            "and the page go on meanwhile; the row appears in the table when it is done.")


def scoring_failed(step: int, err: BaseException) -> str:
    """What the page says when the job for `step` failed (its text, as the job raised it)."""
    return f"Scoring the digits of step {step:,} failed: {err}. Press Evaluate now to try again."
