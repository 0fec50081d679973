import copy

import pytest
import torch

from ganlab import fast_ops
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.optim import LeanAdam, build_optimizer


def _train(model, opt, steps=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(32, 2, generator=gen)
        opt.zero_grad(set_to_none=True)
        model(x).square().mean().backward()
        opt.step()


@pytest.mark.skipif(not fast_ops.uses_private("adam_step_"),
                    reason="without the fused kernel LeanAdam equals Adam up to rounding (test_fast_ops.py)")
def test_lean_adam_is_bit_identical_to_fused_adam_and_shares_its_state():
    torch.manual_seed(0)
    a, b = MLPDiscriminator(width=16), MLPDiscriminator(width=16)
    b.load_state_dict(a.state_dict())
    lean = LeanAdam(a.parameters(), lr=3e-3, betas=(0.5, 0.9))
    ref = torch.optim.Adam(b.parameters(), lr=3e-3, betas=(0.5, 0.9), fused=True)
    _train(a, lean)
    _train(b, ref)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    # state dicts are interchangeable, and a live lr change takes effect
    lean.load_state_dict(copy.deepcopy(ref.state_dict()))
    for group in (*lean.param_groups, *ref.param_groups):
        group["lr"] = 1e-2
    _train(a, lean, seed=1)
    _train(b, ref, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert lean.state_dict()["state"][0]["step"].item() == pytest.approx(80)


def test_build_optimizer_names():
    params = list(MLPDiscriminator(width=4).parameters())
    assert isinstance(build_optimizer(params, "adam", 1e-3, 0.5, 0.9, 0.0), torch.optim.Adam)
    rms = build_optimizer(params, "rmsprop", 1e-3, 0.5, 0.95, 0.3)
    assert rms.param_groups[0]["alpha"] == 0.95 and rms.param_groups[0]["momentum"] == 0.3
    sgd = build_optimizer(params, "sgd", 0.1, 0.5, 0.9, 0.8)
    assert sgd.param_groups[0]["momentum"] == 0.8
    with pytest.raises(ValueError, match="valid: adam, rmsprop, sgd"):
        build_optimizer(params, "lbfgs", 1e-3, 0.5, 0.9, 0.0)


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
def test_the_trainers_step_helpers_equal_zero_grad_and_step(name):
    """clear_grads + optimizer_step (LeanAdam's update(), unwrapped) give the same weights, bit for bit, as
    zero_grad(set_to_none=True) + step()."""
    from ganlab.optim import clear_grads, optimizer_step

    torch.manual_seed(0)
    a, b = MLPDiscriminator(width=16), MLPDiscriminator(width=16)
    b.load_state_dict(a.state_dict())
    opt_a = build_optimizer(list(a.parameters()), name, 3e-3, 0.5, 0.9, 0.5)
    opt_b = build_optimizer(list(b.parameters()), name, 3e-3, 0.5, 0.9, 0.5)
    _train(b, opt_b)
    gen = torch.Generator().manual_seed(0)
    for _ in range(40):
        x = torch.randn(32, 2, generator=gen)
        clear_grads(list(a.parameters()))
        assert all(p.grad is None for p in a.parameters())
        a(x).square().mean().backward()
        optimizer_step(opt_a)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
