import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganlab import fast_ops
from ganlab.fast_ops import adam_step_, clamp_all_, copy_all_, lerp_all_

PACKAGE = Path(__file__).resolve().parents[1] / "ganlab"
SHAPES = [(3,), (4, 5), (2, 3, 4), (), (17, 1)]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _random(seed: int, device: str = "cpu") -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen).to(device) for s in SHAPES]


def _both(name, run):
    """run(): the tensors a call changes, from the fast path and from the fallback (same inputs)."""
    if not fast_ops.uses_private(name):
        pytest.skip(f"no private kernel for {name} in torch {torch.__version__}")
    fast = run()
    fast_ops.PRIVATE_TORCH = False
    try:
        assert not fast_ops.uses_private(name)
        plain = run()
    finally:
        fast_ops.PRIVATE_TORCH = True
    return fast, plain


def _equal(a, b):
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# lerp, copy and clamp do the same arithmetic per element in both paths (the foreach kernels use the
# same lerp formula as Tensor.lerp_), so the results must match bit for bit.

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight", [0.1, 0.5, 0.999, 1.0 / 3])
def test_lerp_fast_and_fallback_agree_bit_for_bit(weight, device):
    ends = _random(1, device)

    def run():
        targets = _random(0, device)
        lerp_all_(targets, ends, weight)
        return targets

    fast, plain = _both("lerp_all_", run)
    _equal(fast, plain)
    _equal(plain, [t.lerp(e, weight) for t, e in zip(_random(0, device), ends, strict=True)])
    _equal(ends, _random(1, device))  # ends untouched


@pytest.mark.parametrize("device", DEVICES)
def test_copy_fast_and_fallback_agree_bit_for_bit(device):
    sources = _random(2, device)

    def run():
        targets = _random(0, device)
        copy_all_(targets, sources)
        return targets

    fast, plain = _both("copy_all_", run)
    _equal(fast, sources)
    _equal(plain, sources)


@pytest.mark.parametrize("device", DEVICES)
def test_clamp_fast_and_fallback_agree_bit_for_bit_nan_included(device):
    def run():
        tensors = [3 * t for t in _random(3, device)]
        tensors[1][0, 0] = float("nan")
        clamp_all_(tensors, -0.5, 0.7)
        return tensors

    fast, plain = _both("clamp_all_", run)
    for x, y in zip(fast, plain, strict=True):
        assert torch.equal(x.isnan(), y.isnan())
        assert torch.equal(x.nan_to_num(), y.nan_to_num())
    assert fast[1][0, 0].isnan()
    finite = torch.cat([t.flatten() for t in plain]).nan_to_num()
    assert finite.min() >= -0.5 and finite.max() <= 0.7


def test_mismatched_lists_are_refused():
    with pytest.raises(ValueError, match="targets"):
        lerp_all_(_random(0), _random(1)[:2], 0.5)
    with pytest.raises(ValueError, match="targets"):
        copy_all_(_random(0), _random(1)[:2])


# --- Adam ---------------------------------------------------------------------------------------------

HYPER = dict(lr=3e-3, betas=(0.5, 0.9), eps=1e-8)


def _adam_run(step_fn, steps=6, weight_decay=0.0, device="cpu"):
    """Parameters and state after `steps` updates with fixed random gradients; step_fn(params, grads, state,
    weight_decay) does one update."""
    params = _random(0, device)
    state = {"m": [torch.zeros_like(p) for p in params], "v": [torch.zeros_like(p) for p in params],
             "t": [torch.tensor(0.0, device=device) for _ in params]}  # as LeanAdam keeps them
    for k in range(steps):
        step_fn(params, _random(10 + k, device), state, weight_decay)
    return params, state


def _ours(params, grads, state, weight_decay):
    beta1, beta2 = HYPER["betas"]
    adam_step_(params, grads, state["m"], state["v"], state["t"], lr=HYPER["lr"], beta1=beta1, beta2=beta2,
               eps=HYPER["eps"], weight_decay=weight_decay)


def _torch_adam(**kind):
    def run(params, grads, state, weight_decay):
        if "opt" not in state:
            state["opt"] = torch.optim.Adam(params, weight_decay=weight_decay, **HYPER, **kind)
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()
        with torch.no_grad():  # the parameters are plain tensors, not leaves that need grad
            state["opt"].step()
    return run


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_fast_and_fallback_agree_with_torch_adam(weight_decay, device):
    fast, plain = _both("adam_step_", lambda: _adam_run(_ours, weight_decay=weight_decay, device=device))
    fused, _ = _adam_run(_torch_adam(fused=True), weight_decay=weight_decay, device=device)
    single, _ = _adam_run(_torch_adam(foreach=False), weight_decay=weight_decay, device=device)
    default, _ = _adam_run(_torch_adam(), weight_decay=weight_decay, device=device)
    # each path is bit for bit the torch Adam it copies: the fused kernel, and the per-tensor update
    _equal(fast[0], fused)
    _equal(plain[0], single)
    # the fused kernel rounds differently (fused multiply-adds, another order of operations), so the two
    # paths and torch's default Adam agree to float32 rounding over a few steps, not bit for bit
    for ours in (fast[0], plain[0]):
        torch.testing.assert_close(ours, default, rtol=1e-6, atol=1e-7)
    # the optimiser state is the same too: step counts exactly, moments to rounding
    assert all(t.item() == 6 for t in plain[1]["t"] + fast[1]["t"])
    torch.testing.assert_close(plain[1]["m"], fast[1]["m"], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(plain[1]["v"], fast[1]["v"], rtol=1e-6, atol=1e-7)


def test_lean_adam_trains_the_same_without_the_private_kernel():
    from ganlab.nets.mlp import MLPDiscriminator
    from ganlab.optim import LeanAdam

    def train():
        torch.manual_seed(0)
        model = MLPDiscriminator(width=16)
        opt = LeanAdam(model.parameters(), **HYPER)
        gen = torch.Generator().manual_seed(1)
        for _ in range(20):
            opt.zero_grad(set_to_none=True)
            model(torch.randn(32, 2, generator=gen)).square().mean().backward()
            opt.step()
        return list(model.parameters()), opt.state_dict()

    (fast, fast_sd), (plain, plain_sd) = _both("adam_step_", train)
    torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-6)  # 20 steps of float32 rounding apart
    assert fast_sd["state"].keys() == plain_sd["state"].keys()
    assert all(s["step"].item() == 20 for s in plain_sd["state"].values())


# --- isolation ------------------------------------------------------------------------------------------

# torch._x / torch.y._x, `from torch... import _x`, getattr(torch, "_x")
PRIVATE = re.compile(r"\btorch(\.\w+)*\._\w"
                     r"|from\s+torch(\.\w+)*\s+import\s+\(?\s*_\w"
                     r"|getattr\(\s*torch\s*,\s*[\"']_")


def test_no_module_but_fast_ops_names_a_private_torch_api():
    allowed = PACKAGE / "fast_ops.py"
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
                 for path in sorted(PACKAGE.rglob("*.py")) if path != allowed
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if PRIVATE.search(line)]
    assert not offenders, "private torch API outside ganlab/fast_ops.py:\n" + "\n".join(offenders)


def test_the_environment_variable_switches_the_private_kernels_off():
    code = ("from ganlab import fast_ops; "
            "print(fast_ops.PRIVATE_TORCH, [fast_ops.uses_private(n) for n in ('lerp_all_', 'adam_step_')])")
    root = PACKAGE.parent
    for value, expected in [("1", "False [False, False]"), ("0", None)]:
        out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                             env={**os.environ, "GANLAB_NO_PRIVATE_TORCH": value}).stdout.strip()
        if expected:
            assert out == expected
        else:
            assert out.startswith("True")
