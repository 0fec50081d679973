import pytest
import torch

from ganlab.losses import LOSSES
from ganlab.nets.images import (
    DCGANDiscriminator,
    DCGANGenerator,
    InfoGANDiscriminator,
    LabelEmbedding,
    MLPImageDiscriminator,
    MLPImageGenerator,
)
from ganlab.penalties import one_centred_penalty, random_interpolates

ARCHS = {
    "mlp": (lambda c, k: MLPImageGenerator(latent_dim=16, channels=c, cond_dim=k),
            lambda c, k: MLPImageDiscriminator(channels=c, cond_dim=k)),
    "dcgan": (lambda c, k: DCGANGenerator(latent_dim=16, channels=c, ngf=8, cond_dim=k),
              lambda c, k: DCGANDiscriminator(channels=c, ndf=8, cond_dim=k)),
}


@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_ranges(arch, channels):
    torch.manual_seed(0)
    make_g, make_d = ARCHS[arch]
    g, d = make_g(channels, 0), make_d(channels, 0)
    images = g(torch.randn(6, 16))
    assert images.shape == (6, channels, 28, 28)
    assert images.min() >= -1.0 and images.max() <= 1.0
    scores = d(images)
    assert scores.shape == (6,)
    assert scores.abs().max() > 0  # raw scores, not probabilities squeezed into (0, 1) by a sigmoid
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in d.modules())


@pytest.mark.parametrize("arch", list(ARCHS))
def test_conditional_networks_use_the_label(arch):
    torch.manual_seed(0)
    make_g, make_d = ARCHS[arch]
    embed = LabelEmbedding(10, 10)
    g, d = make_g(1, 10).eval(), make_d(1, 10).eval()
    z = torch.randn(1, 16).repeat(2, 1)
    images = g(z, embed(torch.tensor([3, 7])))
    assert not torch.allclose(images[0], images[1])  # same z, different digit
    scores = d(images[:1].repeat(2, 1, 1, 1), embed(torch.tensor([3, 7])))
    assert scores[0] != scores[1]


def test_infogan_head_recovers_logits_per_code():
    d = InfoGANDiscriminator(DCGANDiscriminator(channels=1, ndf=8), feature_dim=2 * 8 * 7 * 7, n_codes=10)
    x = torch.randn(4, 1, 28, 28)
    score, code = d.score_and_code(x)
    assert score.shape == (4,) and code.shape == (4, 10)
    assert torch.allclose(score, d(x))  # the same trunk serves D's score and Q


@pytest.mark.parametrize("arch", list(ARCHS))
@pytest.mark.parametrize("loss", ["minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp", "fgan-kl", "ragan"])
def test_one_training_step_per_loss_family(arch, loss):
    torch.manual_seed(0)
    make_g, make_d = ARCHS[arch]
    g, d = make_g(1, 0), make_d(1, 0)
    spec = LOSSES[loss]
    g_opt, d_opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(
        d.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    fake = g(torch.randn(8, 16))
    d_loss = spec.d_loss(d(real), d(fake.detach()))
    if spec.gradient_penalty:
        d_loss = d_loss + 10 * one_centred_penalty(d, random_interpolates(real, fake, torch.Generator()))
    before = [p.clone() for p in d.parameters()]
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    assert torch.isfinite(d_loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, d.parameters(), strict=True))
    g_loss = spec.g_loss(d(g(torch.randn(8, 16))), d(real).detach())
    g_before = [p.clone() for p in g.parameters()]
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    assert torch.isfinite(g_loss)
    assert any(not torch.equal(a, b) for a, b in zip(g_before, g.parameters(), strict=True))
