import math

import pytest
import torch

from ganlab.losses import F_DIVERGENCES, LOSSES

# each loss's estimate as its displayed formula (estimate_formula) writes it in D's loss L_D (V = -L_D for
# the logistic losses; the f-GANs' and critics' estimates are -L_D)
FROM_LOSS = {"minimax": lambda loss: (math.log(4) - loss) / 2,
             "nonsaturating": lambda loss: (math.log(4) - loss) / 2,
             "lsgan": lambda loss: 2 - 8 * loss, "hinge": lambda loss: 1 - loss / 2, "wgan": lambda loss: -loss,
             "wgan-gp": lambda loss: -loss, "ragan": lambda loss: (math.log(4) - loss) / 2,
             **{name: (lambda loss: -loss) for name in LOSSES if name.startswith("fgan-")}}


@pytest.mark.parametrize("name", list(LOSSES))
def test_the_estimate_is_the_displayed_function_of_ds_loss(name):
    spec = LOSSES[name]
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(200, generator=gen) + 0.5, torch.randn(200, generator=gen) - 0.2
    direct = spec.estimate(real, fake).item()
    assert FROM_LOSS[name](spec.d_loss(real, fake).item()) == pytest.approx(direct, abs=1e-5)


def test_every_divergence_has_a_stable_id():
    """Code looks a divergence up by its id; its label (`divergence`) is only shown and may be reworded."""
    assert {name: spec.divergence_id for name, spec in LOSSES.items()} == {
        "minimax": "jsd", "nonsaturating": "jsd", "lsgan": "triangular", "hinge": "tv", "wgan": "w1_times_k",
        "wgan-gp": "w1", "fgan-kl": "kl_data_fake", "fgan-reverse-kl": "kl_fake_data", "fgan-pearson": "pearson",
        "fgan-hellinger": "hellinger", "fgan-js": "2jsd", "fgan-tv": "tv", "ragan": "relativistic"}
    for key, div in F_DIVERGENCES.items():
        assert LOSSES[f"fgan-{key}"].divergence_id == div.id
