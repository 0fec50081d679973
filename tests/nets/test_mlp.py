import pytest
import torch
from torch import nn

from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator, batch_norm_free, count_parameters


def test_shapes_and_raw_scores():
    g, d = MLPGenerator(latent_dim=3, depth=2, width=16), MLPDiscriminator(depth=2, width=16)
    z = torch.randn(10, 3)
    x = g(z)
    assert x.shape == (10, 2)
    scores = d(x)
    assert scores.shape == (10,)
    assert not isinstance(d.net[-1], nn.Sigmoid)  # raw logits / critic values


def test_parameter_count_matches_the_layer_sizes():
    # 2 -> 64 -> 64 -> 64 -> 1: (2*64+64) + 2*(64*64+64) + (64+1)
    assert count_parameters(MLPDiscriminator()) == 192 + 2 * 4160 + 65
    assert count_parameters(MLPGenerator(latent_dim=2)) == 192 + 2 * 4160 + 130


@pytest.mark.parametrize("norm, layer", [("batch", nn.BatchNorm1d), ("layer", nn.LayerNorm)])
def test_norm_layers(norm, layer):
    net = MLPDiscriminator(depth=3, width=8, norm=norm)
    assert sum(isinstance(m, layer) for m in net.modules()) == 3
    assert batch_norm_free(net) is (norm != "batch")


def test_spectral_norm_bounds_each_layer():
    net = MLPDiscriminator(depth=2, width=32, spectral_norm=True)
    for _ in range(30):  # power iterations converge in training mode
        net(torch.randn(8, 2))
    net.eval()
    for module in net.modules():
        if isinstance(module, nn.Linear):
            assert torch.linalg.matrix_norm(module.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_initialisation_is_sensible():
    torch.manual_seed(0)
    net = MLPGenerator(depth=3, width=256)
    first = net.net[0]
    assert first.bias.abs().max().item() == 0.0
    # Kaiming normal for ReLU: std = sqrt(2 / fan_in)
    assert first.weight.std().item() == pytest.approx((2 / 2) ** 0.5, rel=0.15)


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="valid: relu"):
        MLPGenerator(activation="swish")
    with pytest.raises(ValueError, match="valid: none, batch, layer"):
        MLPDiscriminator(norm="group")
