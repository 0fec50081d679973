"""The LikelihoodTrainer (ganlab.likelihood.trainer): seeded and reproducible, a flow and a VAE learn ring8,
a diverging run is rolled back with the GAN Trainer's message, evaluation columns mean what they say."""

import copy
import math
import re

import numpy as np
import pytest
import torch

from ganlab.config import ConfigError, RunConfig, with_overrides
from ganlab.data.images import ImageDataset
from ganlab.likelihood import make_trainer
from ganlab.likelihood.evaluation import METRIC_COLUMNS, TOY_IMPORTANCE_SAMPLES
from ganlab.likelihood.trainer import LikelihoodTrainer
from ganlab.rollback import TrainingDiverged
from ganlab.train import Trainer

DIVERGED = re.compile(r"training diverged at step (\d+): (loss|elbo|recon|kl|model weights) became (nan|inf|-inf) "
                      r"\(non-finite\); the run was restored to its last good state, step (\d+)")


def config(model: str, **overrides) -> RunConfig:
    values = {"model": model, "eval_every": "0", **{k: str(v) for k, v in overrides.items()}}
    return with_overrides(RunConfig(device="cpu"), values)


def weights(trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.model.parameters()]


@pytest.fixture(scope="module")
def trained():
    """A flow and a VAE trained 1,500 steps on ring8 with the defaults (seed 0), each evaluated once."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runs = {}
        for model in ("flow", "vae"):
            trainer = LikelihoodTrainer(config(model))
            trainer.step(1500)
            runs[model] = (trainer, trainer.evaluate())
        return runs
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("model", ["flow", "vae"])
def test_seeded_runs_are_bit_for_bit_reproducible(model):
    first, second, other = (LikelihoodTrainer(config(model, seed=seed)) for seed in (3, 3, 4))
    for trainer in (first, second, other):
        trainer.step(130)  # two host checks (64, 128) and a staged remainder
    a, b = first.history.as_arrays(), second.history.as_arrays()
    assert list(a["step"]) == list(range(1, 131))
    for column in first.history.columns:
        assert np.array_equal(a[column], b[column])
    assert all(torch.equal(p, q) for p, q in zip(weights(first), weights(second), strict=True))
    assert torch.equal(first.generator.get_state(), second.generator.get_state())
    assert not np.array_equal(a["loss"], other.history.as_arrays()["loss"])


def test_a_flow_and_a_vae_learn_ring8_in_1500_steps(trained):
    # Measured (seed 0, 1,500 steps, batch 256, Adam lr 1e-3, beta1 0.5, 2,500 evaluation points): flow test
    # log-likelihood 0.90 +- 0.02 nats, VAE 0.07 (importance sampling, k = 256) with ELBO -0.57; both cover
    # all 8 modes, with 6 % and 3 % of their samples high quality (mass between the modes: mode covering).
    # The data's own mean log-density is 4.30 (std 0.01 modes): neither is near it yet.
    flow, vae = trained["flow"][1], trained["vae"][1]
    assert flow["test_log_likelihood"] > 0.6
    assert vae["test_log_likelihood"] > -0.3 and vae["elbo"] > -0.9
    assert vae["elbo"] < vae["test_log_likelihood"] < flow["test_log_likelihood"]
    for values in (flow, vae):
        assert values["modes_covered"] >= 7.5 and values["modes_total"] == 8
        assert values["hq_fraction"] < 0.2  # mode covering: most samples between the modes
        assert values["data_log_likelihood"] == pytest.approx(4.30, abs=0.02)
        # forward KL on the evaluation's real samples = their mean log p_data - mean log p_model, exactly
        assert values["forward_kl"] == pytest.approx(values["data_log_likelihood"] - values["test_log_likelihood"],
                                                     abs=1e-6)
        assert values["reverse_kl"] > 20 * values["forward_kl"] > 0  # mass where there is no data
        assert 0 < values["forward_kl_se"] < 0.1 and 0 < values["reverse_kl_se"]
    assert vae["elbo"] == pytest.approx(vae["recon"] - vae["kl"], abs=1e-6) and vae["kl"] > 0
    assert vae["importance_samples"] == TOY_IMPORTANCE_SAMPLES and math.isnan(flow["importance_samples"])
    assert math.isnan(flow["elbo"]) and math.isnan(flow["recon"])


def test_the_vae_history_holds_its_loss_and_elbo_terms(trained):
    trainer = trained["vae"][0]
    rows = trainer.history.as_arrays()
    assert trainer.history.columns == ("loss", "elbo", "recon", "kl") and len(rows["step"]) == 1500
    np.testing.assert_allclose(rows["loss"], rows["kl"] - rows["recon"], rtol=0, atol=1e-5)  # beta = 1
    np.testing.assert_allclose(rows["elbo"], -rows["loss"], rtol=0, atol=1e-5)
    assert rows["elbo"][-100:].mean() > rows["elbo"][:100].mean() + 1.0  # it learnt
    assert trained["flow"][0].history.columns == ("loss",)


@pytest.mark.parametrize("model", ["flow", "vae"])
def test_a_diverging_run_is_rolled_back_with_the_gan_trainers_message(model):
    trainer = LikelihoodTrainer(config(model, **{"g_opt.lr": 10.0}))
    with pytest.raises(TrainingDiverged) as info:
        trainer.step(200)
    match = DIVERGED.fullmatch(str(info.value))
    assert match is not None, str(info.value)
    assert int(match.group(4)) == info.value.restored_step == trainer.step_count == 0
    assert 1 <= info.value.step <= 200

    trainer = LikelihoodTrainer(config(model))
    trainer.step(64)  # a check at 64 keeps this state as the last good one
    good = weights(trainer)
    trainer.opt.param_groups[0]["lr"] = 10.0
    with pytest.raises(TrainingDiverged) as info:
        trainer.step(64)
    assert info.value.restored_step == trainer.step_count == 64 < info.value.step
    assert all(torch.equal(p, q) for p, q in zip(weights(trainer), good, strict=True))
    assert len(trainer.history) == 64


def test_samples_take_an_absolute_seed_and_leave_the_run_alone():
    trainer = LikelihoodTrainer(config("flow", seed=7))
    trainer.step(10)
    state = trainer.generator.get_state()
    first = trainer.sample(100, seed=5)
    assert first.shape == (100, 2) and torch.equal(first, trainer.sample(100, use_ema=False, seed=5))
    assert torch.equal(trainer.sample(100), trainer.sample(100, seed=8))  # default: the run's seed + 1
    assert not torch.equal(first, trainer.sample(100, seed=6))
    assert torch.equal(trainer.generator.get_state(), state)


def test_periodic_evaluation_fills_the_metrics_history():
    trainer = LikelihoodTrainer(config("flow", eval_every=64, eval_samples=500))
    trainer.step(128)
    rows = trainer.metrics.as_arrays()
    assert list(rows["step"]) == [64, 128] and trainer.metrics.columns == METRIC_COLUMNS
    last = trainer.metrics.last()
    assert last["test_log_likelihood"] == pytest.approx(rows["test_log_likelihood"][-1])
    assert math.isfinite(last["forward_kl"]) and math.isfinite(last["w1"]) and last["modes_total"] == 8
    again = trainer.evaluate()  # the same model and seeds: the same numbers
    assert again["test_log_likelihood"] == last["test_log_likelihood"] and again["w1"] == last["w1"]


def test_make_trainer_picks_the_trainer_by_model():
    assert isinstance(make_trainer(config("gan")), Trainer)
    assert isinstance(make_trainer(config("vae")), LikelihoodTrainer)
    with pytest.raises(ConfigError, match="^model: 'gan' is trained by the GAN Trainer"):
        LikelihoodTrainer(RunConfig(device="cpu"))


def test_run_state_and_an_image_vae():
    trainer = LikelihoodTrainer(config("vae"))
    assert trainer.run(60.0, max_steps=7) == 7 and len(trainer.history) == 7
    light = {k: v for k, v in trainer.state_dict().items() if k != "opt"}
    adam_state = copy.deepcopy(trainer.opt.state_dict())
    trainer.step(3)
    trainer.load_state_dict(light)  # no optimiser in the state: the optimiser is left as it is
    assert trainer.step_count == 7 and len(trainer.history) == 7
    assert int(trainer.opt.state_dict()["state"][0]["step"]) == int(adam_state["state"][0]["step"]) + 3

    gen = torch.Generator().manual_seed(0)
    digits = ImageDataset(torch.rand(40, 1, 28, 28, generator=gen) * 2 - 1, torch.arange(40) % 10, "synthetic",
                          "train")
    cfg = config("vae", **{"data.name": "mnist", "vae.decoder": "bernoulli", "vae.width": 16, "batch_size": 8,
                           "eval_samples": 100})
    images = LikelihoodTrainer(cfg, data=digits, test_data=digits)
    images.step(20)
    values = images.evaluate()
    assert values["elbo"] == pytest.approx(values["recon"] - values["kl"], abs=1e-3)
    assert values["test_log_likelihood"] > values["elbo"] - 1.0 and values["importance_samples"] == 32
    assert math.isnan(values["w1"]) and math.isnan(values["forward_kl"])
    sample = images.sample(6)
    assert sample.shape == (6, 1, 28, 28) and sample.min() >= -1 and sample.max() <= 1
