import pytest
import torch

from ganlab.losses import F_DIVERGENCES, LOSSES


@pytest.mark.parametrize("name", list(LOSSES))
def test_estimate_from_loss_matches_the_estimate(name):
    spec = LOSSES[name]
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(200, generator=gen) + 0.5, torch.randn(200, generator=gen) - 0.2
    direct = spec.estimate(real, fake).item()
    from_loss = spec.estimate_from_loss(spec.d_loss(real, fake).item())
    assert from_loss == pytest.approx(direct, abs=1e-5)


def test_every_divergence_has_a_stable_id():
    """Code looks a divergence up by its id; its label (`divergence`) is only shown and may be reworded."""
    assert {name: spec.divergence_id for name, spec in LOSSES.items()} == {
        "minimax": "jsd", "nonsaturating": "jsd", "lsgan": "triangular", "hinge": "tv", "wgan": "w1_times_k",
        "wgan-gp": "w1", "fgan-kl": "kl_data_fake", "fgan-reverse-kl": "kl_fake_data", "fgan-pearson": "pearson",
        "fgan-hellinger": "hellinger", "fgan-js": "2jsd", "ragan": "relativistic"}
    for key, div in F_DIVERGENCES.items():
        assert LOSSES[f"fgan-{key}"].divergence_id == div.id
