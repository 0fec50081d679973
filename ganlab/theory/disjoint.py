"""Optimal discriminator against optimal critic on two disjoint 1-D distributions (WGAN, Figure 2).

Real samples ~ N(0, s^2), fake samples ~ N(distance, s^2). A discriminator trained with the logistic
loss saturates (D -> 1 on the data, 0 on the fakes) and its gradient at the fakes vanishes; a critic
trained with weight clipping or a gradient penalty stays close to linear and keeps a gradient.
"""

from __future__ import annotations

import torch

from ganlab.losses import d_logistic_loss, d_wasserstein_loss
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.penalties import one_centred_penalty, random_interpolates

KINDS = {
    "discriminator (logistic loss)": "minimax / non-saturating D: sigmoid(D) is a probability",
    "critic, weight clipping (c = 0.01)": "WGAN critic with weights clipped to [-0.01, 0.01]",
    "critic, gradient penalty (lambda = 10)": "WGAN-GP critic",
}


def fit_discriminators(distance: float, steps: int = 600, spread: float = 0.1, seed: int = 0,
                       batch: int = 256, grid_points: int = 200) -> dict:
    """Train each kind of D to (near) optimality on real N(0, spread^2) vs fake N(distance, spread^2).

    Returns:
        {"x": (grid_points,), "real": (batch,), "fake": (batch,),
         kind: {"output": (grid_points,) sigmoid(D) for the discriminator, f(x) for critics,
                "grad_at_fake": mean |d output / dx| at the fake samples (for the discriminator the
                gradient of sigmoid(D), i.e. of the probability)}}
    """
    gen = torch.Generator().manual_seed(seed)
    real = spread * torch.randn(batch, 1, generator=gen)
    fake = distance + spread * torch.randn(batch, 1, generator=gen)
    lo, hi = min(0.0, distance) - 1.0, max(0.0, distance) + 1.0
    x = torch.linspace(lo, hi, grid_points).unsqueeze(1)
    out: dict = {"x": x.squeeze(1).numpy(), "real": real.squeeze(1).numpy(), "fake": fake.squeeze(1).numpy()}
    for kind in KINDS:
        torch.manual_seed(seed)
        net = MLPDiscriminator(in_dim=1, depth=2, width=64)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.9))
        params = list(net.parameters())
        for _ in range(steps):
            r, f = net(real), net(fake)
            if kind.startswith("discriminator"):
                loss = d_logistic_loss(r, f)
            elif "clipping" in kind:
                loss = d_wasserstein_loss(r, f)
            else:
                loss = d_wasserstein_loss(r, f) + 10.0 * one_centred_penalty(
                    net, random_interpolates(real, fake, gen))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if "clipping" in kind:
                with torch.no_grad():
                    for p in params:
                        p.clamp_(-0.01, 0.01)
        probability = kind.startswith("discriminator")
        with torch.no_grad():
            values = net(x)
            values = torch.sigmoid(values) if probability else values
        points = fake.clone().requires_grad_(True)
        score = net(points)
        score = torch.sigmoid(score) if probability else score
        (grad,) = torch.autograd.grad(score.sum(), points)
        out[kind] = {"output": values.numpy(), "grad_at_fake": float(grad.abs().mean())}
    return out
