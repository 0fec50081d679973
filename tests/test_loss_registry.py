import pytest
import torch

from ganlab.losses import LOSSES


@pytest.mark.parametrize("name", list(LOSSES))
def test_estimate_from_loss_matches_the_estimate(name):
    spec = LOSSES[name]
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(200, generator=gen) + 0.5, torch.randn(200, generator=gen) - 0.2
    direct = spec.estimate(real, fake).item()
    from_loss = spec.estimate_from_loss(spec.d_loss(real, fake).item())
    assert from_loss == pytest.approx(direct, abs=1e-5)
