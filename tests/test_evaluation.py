import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.evaluation import METRIC_COLUMNS, REFERENCE_METRIC, reference_value
from ganlab.losses import LOSSES
from ganlab.toy_snapshot import take_snapshot
from ganlab.train import Trainer


def make(**overrides) -> Trainer:
    base = RunConfig(device="cpu", batch_size=64)
    return Trainer(with_overrides(base, {k: str(v) for k, v in overrides.items()}))


def test_every_loss_has_a_known_reference():
    for spec in LOSSES.values():
        assert spec.divergence_id in REFERENCE_METRIC, spec.name
    # the ids are the evaluator's own metric columns where it has one
    columns = {ref[0] for ref in REFERENCE_METRIC.values() if ref is not None}
    assert columns <= set(METRIC_COLUMNS)


def test_a_label_names_one_divergence_id():
    ids_by_label: dict[str, set[str]] = {}
    for spec in LOSSES.values():
        ids_by_label.setdefault(spec.divergence, set()).add(spec.divergence_id)
    assert all(len(ids) == 1 for ids in ids_by_label.values()), ids_by_label


# what each loss's D estimates, read off a full set of evaluation values (None: no reference)
EXPECTED_REFERENCE = {"minimax": "jsd", "nonsaturating": "jsd", "fgan-js": "2 x jsd", "fgan-kl": "kl_data_fake",
                      "fgan-reverse-kl": "kl_fake_data", "fgan-pearson": "pearson", "fgan-hellinger": "hellinger",
                      "hinge": "tv", "lsgan": "triangular", "wgan": "w1", "wgan-gp": "w1", "ragan": None,
                      "fgan-tv": "tv"}


def full_metrics() -> dict[str, float]:
    """Distinct finite values of every metric column (the divergences' _se and _floor too)."""
    return {name: 0.1 + 0.01 * i for i, name in enumerate(METRIC_COLUMNS)}


@pytest.mark.parametrize("name", list(LOSSES))
def test_reference_value_of_every_loss_reads_its_column(name):
    assert set(EXPECTED_REFERENCE) == set(LOSSES)
    metrics, expected = full_metrics(), EXPECTED_REFERENCE[name]
    divergence_id = LOSSES[name].divergence_id
    if expected is None:
        assert math.isnan(reference_value(divergence_id, metrics))
        return
    factor, column = (2.0, "jsd") if expected == "2 x jsd" else (1.0, expected)
    assert reference_value(divergence_id, metrics) == factor * metrics[column]
    assert math.isfinite(reference_value(divergence_id, metrics))
    assert reference_value(divergence_id, metrics, "_floor") == factor * metrics[f"{column}_floor"]
    if column != "w1":  # exact W1 has no standard error
        assert reference_value(divergence_id, metrics, "_se") == factor * metrics[f"{column}_se"]


def test_reference_values():
    metrics = {"jsd": 0.25, "w1": 1.5, "kl_data_fake": 0.7, "tv": 0.4}
    assert reference_value("jsd", metrics) == 0.25
    assert reference_value("2jsd", metrics) == 0.5
    assert reference_value("w1_times_k", metrics) == 1.5
    assert reference_value("tv", metrics) == 0.4
    assert math.isnan(reference_value("relativistic", metrics))
    assert math.isnan(reference_value("pearson", metrics))  # not evaluated: nan, never a KeyError


def test_a_label_is_not_an_id():
    with pytest.raises(ValueError, match="unknown divergence id 'Jensen-Shannon'"):
        reference_value("Jensen-Shannon", {"jsd": 0.25})


@pytest.mark.parametrize("name", list(LOSSES))
def test_rewording_a_label_leaves_the_reference_unchanged(name, monkeypatch):
    metrics = full_metrics()
    before = [reference_value(LOSSES[name].divergence_id, metrics, s) for s in ("", "_se", "_floor")]
    monkeypatch.setitem(LOSSES, name, replace(LOSSES[name], divergence=f"reworded {name}"))
    after = [reference_value(LOSSES[name].divergence_id, metrics, s) for s in ("", "_se", "_floor")]
    np.testing.assert_array_equal(after, before)


def test_the_evaluator_keys_its_reference_by_id_not_label(monkeypatch):
    plain = make(eval_every=0, seed=3)
    plain.step(5)
    monkeypatch.setitem(LOSSES, "nonsaturating", replace(LOSSES["nonsaturating"], divergence="JSD, reworded"))
    reworded = make(eval_every=0, seed=3)
    assert reworded.loss.divergence == "JSD, reworded"
    reworded.step(5)
    a, b = plain.evaluate(), reworded.evaluate()
    assert math.isfinite(b["reference"]) and b["reference"] == b["jsd"]
    keys = ("reference", "reference_se", "reference_floor")
    assert [b[k] for k in keys] == [a[k] for k in keys]


def test_evaluation_runs_every_n_steps_and_does_not_change_the_run():
    evaluated, plain = make(eval_every=10, seed=2), make(eval_every=0, seed=2)
    evaluated.step(30)
    plain.step(30)
    for a, b in zip(evaluated.G.parameters(), plain.G.parameters(), strict=True):
        assert torch.equal(a, b)
    metrics = evaluated.metrics.as_arrays()
    assert metrics["step"].tolist() == [10, 20, 30]
    assert len(plain.metrics) == 0
    assert set(METRIC_COLUMNS) <= set(metrics)
    assert np.all(metrics["modes_total"] == 8)
    assert np.all((metrics["hq_fraction"] >= 0) & (metrics["hq_fraction"] <= 1))
    assert np.all((metrics["jsd"] >= 0) & (metrics["jsd"] <= math.log(2) + 1e-12))
    assert np.array_equal(metrics["reference"], metrics["jsd"])  # nonsaturating D estimates JSD
    assert "metrics" in take_snapshot(evaluated, n_samples=16, grid_size=8)


def test_datasets_without_modes_get_precision_and_recall():
    t = make(eval_every=5, **{"data.name": "moons"})
    t.step(5)
    last = t.metrics.last()
    assert math.isnan(last["modes_covered"])
    assert 0 <= last["precision"] <= 1 and 0 <= last["recall"] <= 1


def test_wgan_gp_estimate_is_compared_with_exact_w1():
    t = make(eval_every=0, **{"loss.name": "wgan-gp"})
    t.step(20)
    values = t.evaluate()
    assert values["reference"] == pytest.approx(values["w1"])
    assert math.isfinite(values["estimate"])


def test_metrics_survive_a_state_round_trip():
    t = make(eval_every=4)
    t.step(8)
    other = make(eval_every=4)
    other.load_state_dict(t.state_dict())
    assert np.array_equal(other.metrics.as_arrays()["w1"], t.metrics.as_arrays()["w1"])


class DataSampler(torch.nn.Module):
    """A 'generator' that ignores its noise's values and draws from a distribution (seeded by the
    noise, so the evaluator's fixed noise gives fixed samples)."""

    def __init__(self, sample):
        super().__init__()
        self.sample = sample

    def forward(self, z):
        seed = int(abs(float(z[0, 0])) * 1e6) % (2**31)
        return self.sample(z.shape[0], torch.Generator().manual_seed(seed))


def k_of_8_modes(dataset, k):
    kept = torch.as_tensor(dataset.centers[np.arange(k) * (8 // k)], dtype=torch.float32)

    def sample(n, gen):
        return kept[torch.randint(k, (n,), generator=gen)] + dataset.std * torch.randn(n, 2, generator=gen)
    return sample


@pytest.mark.parametrize("dataset", ["ring8", "grid25", "moons", "spiral"])
def test_a_perfect_generator_through_the_evaluator_reads_about_zero(dataset):
    # the audit's table: the old grid estimate read 0.64 / 0.63 / 0.24 / 0.30 here
    t = make(eval_every=0, **{"data.name": dataset})
    t.G = DataSampler(t.dataset.sample)
    values = t.evaluate()
    assert 0.0 <= values["jsd"] <= 0.02
    assert 0.0 <= values["jsd_floor"] <= 0.02
    assert values["reference"] == values["jsd"] and values["reference_se"] == values["jsd_se"]
    assert values["reference_floor"] == values["jsd_floor"]
    # W1 of a perfect generator is the floor's statistic: two samples of the same distribution
    assert values["w1"] == pytest.approx(values["w1_floor"], rel=0.3)
    if t.dataset.centers is not None:
        assert values["modes_covered"] == t.dataset.centers.shape[0] or dataset == "grid25"
        assert values["modes_covered"] >= t.dataset.centers.shape[0] - 0.5


def test_four_of_eight_ring_modes_reads_the_closed_form():
    t = make(eval_every=0)
    t.G = DataSampler(k_of_8_modes(t.dataset, 4))
    values = t.evaluate()
    assert values["jsd"] == pytest.approx(0.75 * math.log(4 / 3), abs=0.02)  # 0.216 (the old grid: 0.609)
    assert values["tv"] == pytest.approx(0.5, abs=0.02)
    assert values["modes_covered"] == 4 and values["modes_covered_sd"] == 0.0
    assert math.isinf(values["kl_data_fake"])  # data where the generator has no mass


def test_mode_metrics_are_means_over_independent_draws():
    from ganlab.evaluation import MODE_DRAWS, Evaluator
    from ganlab.metrics import mode_stats

    t = make(eval_every=0, **{"data.name": "grid25"})
    t.step(30)
    evaluator = Evaluator(t, 2500)
    values = evaluator.evaluate()
    draws = [mode_stats(evaluator._fake(d).numpy(), t.dataset.centers, t.dataset.std)["modes_covered"]
             for d in range(MODE_DRAWS)]
    assert values["modes_covered"] == pytest.approx(np.mean(draws))
    assert values["modes_covered_sd"] == pytest.approx(np.std(draws, ddof=1))


def test_runs_with_the_same_data_seed_and_size_share_one_reference_and_read_the_same_floors():
    from ganlab.evaluation import Evaluator, _new_reference, reference_samples

    config = RunConfig(device="cpu", eval_every=0)
    first, second = Trainer(config), Trainer(with_overrides(config, {"g.width": "32"}))  # other nets, same data
    shared = reference_samples(first, 600)
    assert reference_samples(second, 600) is shared
    fresh = _new_reference(second, 600)  # what it would compute itself
    assert np.array_equal(fresh.real_np, shared.real_np) and fresh.floors == shared.floors
    other_seed = reference_samples(Trainer(with_overrides(config, {"seed": "3"})), 600)
    other_data = reference_samples(Trainer(with_overrides(config, {"data.std": "0.05"})), 600)
    assert other_seed is not shared and other_data is not shared
    assert not np.array_equal(other_seed.real_np, shared.real_np)
    evaluator = Evaluator(second, 600)
    evaluator.floors["w1"] = -1.0  # an evaluator's own copy of the floors
    assert reference_samples(second, 600).floors["w1"] == fresh.floors["w1"]
