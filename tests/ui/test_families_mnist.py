"""The GAN, VAE and flow page's MNIST section (ganlab.ui.families_mnist): the shipped VAE, read safely, with the
options a fresh one trains with; reports whose LeNet metrics are evaluate_images of the very samples they show;
reconstructions of the held-out digits they claim; the table; a fresh VAE trained here or in a worker, and
Cancel."""

import json
import math
import time

import numpy as np
import pytest
import torch

from ganlab.checkpoint import load_checkpoint
from ganlab.config import diff
from ganlab.image_eval import IMAGE_METRIC_TITLES, evaluate_images
from ganlab.likelihood import make_trainer
from ganlab.likelihood.evaluation import IMAGE_IMPORTANCE_SAMPLES, ImageEvaluator
from ganlab.ui.families_mnist import (
    METRIC_SAMPLES,
    SAMPLE_SEED,
    SHIPPED_VAE,
    SHOWN_SAMPLES,
    FreshVAE,
    fresh_status,
    gan_report,
    grid_image,
    load_gan,
    load_vae,
    metrics_table,
    reconstruct,
    reconstruction_image,
    sample_caption,
    to_display,
    vae_config,
    vae_report,
)
from tests.torch_threads import one_torch_thread, torch_threads  # noqa: F401 - autouse: one torch thread


@pytest.fixture(scope="module")
def vae():
    return load_vae()


@pytest.fixture(scope="module")
def shipped_likelihood(vae):
    """The shipped VAE's held-out figures, ImageEvaluator's (seconds of CPU): computed once, for the card's
    figures and the report's."""
    with torch_threads(1):
        return ImageEvaluator(vae, METRIC_SAMPLES).evaluate()


FRESH_STEPS = 12  # a fresh VAE's budget in the tests here: any step of a wrong run (or a lost one) shows


@pytest.fixture(scope="module")
def alone():
    """A VAE trained FRESH_STEPS steps by a lone trainer in this process, and the LeNet metrics of its 1,000
    samples: what a fresh VAE trained here or in a worker must equal (both tests below)."""
    with torch_threads(1):
        trainer = make_trainer(vae_config())
        trainer.step(FRESH_STEPS)
        lenet = {k: v for k, v in evaluate_images(trainer.sample(1000, seed=SAMPLE_SEED)).items()
                 if k in IMAGE_METRIC_TITLES}
    return trainer, lenet


@pytest.fixture(scope="module")
def reports(vae):
    torch.set_num_threads(1)
    return vae_report(vae, "VAE", "shipped"), gan_report(load_gan(), "DCGAN", "shipped")


def test_the_shipped_vae_is_a_small_checked_checkpoint_with_the_options_a_fresh_one_trains_with(
        vae, shipped_likelihood):
    assert SHIPPED_VAE.stat().st_size < 5 * 2**20
    payload = torch.load(SHIPPED_VAE, weights_only=True)  # plain tensors and text: no code in the file
    assert payload["format"] == "ganlab-checkpoint"
    card = json.loads(SHIPPED_VAE.with_suffix(".json").read_text())
    loaded = load_checkpoint(SHIPPED_VAE)
    assert card["model"] == "vae" and card["format"] == "ganlab-checkpoint" and not card["diverged"]
    assert card["command"] == loaded["metadata"]["command"]
    assert card["command"].startswith("python -m ganlab train --model vae --dataset mnist ")
    assert "--save checkpoints/mnist_vae.pt" in card["command"]
    assert vae.step_count == card["steps"] == loaded["state"]["step_count"] > 0
    assert set(diff(vae.config, vae_config())) <= {"eval_every", "eval_samples"}  # the same run otherwise
    values = shipped_likelihood  # the card's held-out figures, recomputed
    for key in ("elbo", "recon", "kl", "test_log_likelihood"):
        assert values[key] == pytest.approx(card["metrics"][key], rel=1e-4), key


def test_a_vae_report_scores_the_samples_it_shows_with_the_lenet_metrics_of_image_eval(vae, reports,
                                                                                        shipped_likelihood):
    report = reports[0]
    samples = vae.sample(METRIC_SAMPLES, seed=SAMPLE_SEED)
    expected = evaluate_images(samples)
    assert report.lenet == {key: expected[key] for key in IMAGE_METRIC_TITLES}
    assert report.reference == expected["reference"] and report.n_samples == METRIC_SAMPLES == 1000
    assert report.samples.shape == (SHOWN_SAMPLES, 28, 28)
    assert np.array_equal(report.samples, to_display(samples[:SHOWN_SAMPLES]))
    evaluated = shipped_likelihood  # ImageEvaluator(vae, METRIC_SAMPLES).evaluate(), the report's own apart
    assert report.likelihood == {key: evaluated[key] for key in report.likelihood}
    assert report.likelihood["importance_samples"] == IMAGE_IMPORTANCE_SAMPLES == 32
    like = report.likelihood
    assert like["elbo"] == pytest.approx(like["recon"] - like["kl"], abs=1e-3)
    assert like["elbo"] < like["test_log_likelihood"] < 0 < like["kl"]  # L_32 is the tighter bound here
    assert sample_caption(report).startswith("32 of the 1,000 samples scored below: the decoder's means")


def test_the_reconstruction_grid_shows_the_held_out_digits_it_claims_above_their_reconstructions(vae, reports):
    indices, originals, recon = reconstruct(vae)
    test = vae.test_data()
    assert test.labels[indices].tolist() == list(range(10))  # one of each digit, each the first of its class
    assert all((test.labels[:index] != digit).all() for digit, index in enumerate(indices))
    assert torch.equal(originals, test.images[indices])
    report = reports[0]
    assert report.test_indices == indices
    assert np.array_equal(report.originals, to_display(test.images[indices]))
    assert np.array_equal(report.reconstructions, to_display(recon))
    errors = ((recon[:, None] - originals[None]) ** 2).mean(dim=(2, 3, 4))  # (reconstruction, digit)
    assert errors.argmin(dim=1).tolist() == list(range(10))  # each is nearest its own digit
    sheet = reconstruction_image(report)
    assert sheet.shape == (2 * 28, 10 * 28) and sheet.dtype == np.uint8
    assert np.array_equal(sheet[:28, 28:56], (report.originals[1] * 255).round().astype(np.uint8))  # the 1
    assert np.array_equal(sheet[28:, 28:56], (report.reconstructions[1] * 255).round().astype(np.uint8))


def test_the_dcgan_report_and_the_table_of_both(reports):
    vae_rep, gan_rep = reports
    gan = load_gan()
    expected = evaluate_images(gan.generate(gan.random_z(METRIC_SAMPLES, SAMPLE_SEED)))
    assert gan_rep.lenet == {key: expected[key] for key in IMAGE_METRIC_TITLES}
    assert gan_rep.likelihood is None and gan_rep.originals is None and gan_rep.step == 15000
    assert grid_image(gan_rep.samples, 8).shape == (4 * 28, 8 * 28)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in metrics_table([vae_rep, gan_rep]).splitlines()}
    assert rows["metric"] == "| metric | VAE | DCGAN | note |"
    fid = rows["FID (LeNet)"].split(" | ")
    assert fid[1:3] == [f"{vae_rep.lenet['fid_lenet']:,.1f}", f"{gan_rep.lenet['fid_lenet']:,.1f}"]
    elbo = rows["ELBO $=$ recon $-$ KL"].split(" | ")
    like = vae_rep.likelihood
    assert elbo[1:3] == [f"{like['elbo']:,.1f}\u00a0±\u00a0{like['elbo_se']:.1f}", "—"]  # never wrapped
    assert elbo[3] == r"nats per digit: a lower bound on $\log p(x)$ |"
    assert "nats per digit: $k = 32$ draws" in rows[r"$\log p(x)$, importance sampled"]
    assert all(line.count("|") == 5 for line in rows.values())  # 4 cells a row: none holds a "|" that splits it


def _poll_until(fresh: FreshVAE, statuses: tuple[str, ...], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while fresh.status not in statuses and time.monotonic() < deadline:
        fresh.poll()
        time.sleep(0.02)


def test_a_fresh_vae_trains_to_its_budget_as_a_lone_trainer_would_then_is_scored(alone):
    alone, alone_lenet = alone
    fresh = FreshVAE(steps=FRESH_STEPS)
    assert fresh.status == "idle" and fresh_status(fresh).startswith("Not trained yet.")
    fresh.start()
    assert fresh.status == "training" and fresh.step == 0
    _poll_until(fresh, ("trained", "failed"))
    assert fresh.status == "trained" and fresh.step == fresh.trainer.step_count == 12 and fresh.remote is None
    assert fresh.images.shape == (16, 28, 28) and math.isfinite(fresh.train_elbo)
    assert alone.step_count == 12
    for name, value in alone.model.state_dict().items():
        assert torch.equal(fresh.trainer.model.state_dict()[name], value), name
    report = fresh.score()
    assert fresh.status == "done" and report.title == "Fresh VAE" and report.step == 12
    # evaluate_images(fresh.trainer.sample(1000, seed=SAMPLE_SEED)): fresh.trainer is alone, bit for bit (above)
    assert report.lenet == alone_lenet
    assert fresh_status(fresh).startswith("Trained here for 12 steps")


def test_cancel_stops_a_fresh_vae_and_train_starts_another_from_step_0():
    fresh = FreshVAE(steps=100_000)
    fresh.start()
    fresh.poll()
    fresh.poll()
    reached = fresh.step
    assert fresh.status == "training" and reached > 0
    fresh.cancel()
    assert fresh.status == "cancelled" and fresh.remote is None and not fresh.running
    assert fresh_status(fresh) == f"Cancelled at step {reached:,} of 100,000."
    fresh.poll()  # nothing trains any more
    assert fresh.step == reached
    fresh.start()
    assert fresh.status == "training" and fresh.step == 0 and fresh.trainer.step_count == 0


def test_a_fresh_vae_trains_in_a_worker_process(alone, server_pool):
    alone, alone_lenet = alone
    pool = server_pool  # a one-worker pool as the server's: the tests' shared one (tests/ui/conftest.py)
    pool.max_runs = 4  # put back after the test
    fresh = FreshVAE(steps=FRESH_STEPS, background=True)
    fresh.start()
    _poll_until(fresh, ("trained", "failed"))
    assert fresh.status == "trained" and fresh.step == FRESH_STEPS and pool.stats()["groups"] == 0
    assert alone.step_count == FRESH_STEPS
    for name, value in alone.model.state_dict().items():
        assert torch.equal(fresh.trainer.model.state_dict()[name], value), name
    fresh.poll()  # scored in a process of its own (ganlab.runtime.jobs): the page polls meanwhile
    assert fresh.status == "scoring" and fresh.running and fresh_status(fresh).startswith("Trained: scoring")
    _poll_until(fresh, ("done", "failed"), seconds=600)
    report = fresh.report
    assert fresh.status == "done" and (report.title, report.step) == ("Fresh VAE", FRESH_STEPS)
    # alone_lenet: evaluate_images(alone.sample(1000, seed=SAMPLE_SEED)), the same VAE scored here
    assert report.lenet == pytest.approx(alone_lenet, rel=1e-4, abs=1e-6)
