"""In-place updates of lists of tensors: the one module that may call private torch APIs.

Each function has a fast path (a private torch kernel: `torch._foreach_*`, `torch._fused_adam_`, one
launch for the whole list) and a fallback written with public torch API only (a loop over the
tensors). The fast path is used when the kernel exists and works on a tiny probe at import; it is
switched off for the whole process by the environment variable GANLAB_NO_PRIVATE_TORCH=1 (read at
import), or at run time by setting `fast_ops.PRIVATE_TORCH = False`. tests/test_fast_ops.py checks
that both paths give the same result. No other ganlab module names `torch._` anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

# Use the private kernels at all? Off with GANLAB_NO_PRIVATE_TORCH=1 (anything but "", "0", "false").
PRIVATE_TORCH: bool = os.environ.get("GANLAB_NO_PRIVATE_TORCH", "").strip().lower() in ("", "0", "false")


def _probe(name: str, call: Callable[[Callable], object]) -> Callable | None:
    """torch.<name> if it exists and `call(fn)` runs on it without error (a changed signature), else None."""
    fn = getattr(torch, name, None)
    if fn is None:
        return None
    try:
        call(fn)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None
    return fn


def _tiny() -> list[Tensor]:
    return [torch.zeros(2)]


_foreach_lerp_ = _probe("_foreach_lerp_", lambda f: f(_tiny(), _tiny(), 0.5))
_foreach_copy_ = _probe("_foreach_copy_", lambda f: f(_tiny(), _tiny()))
_foreach_clamp_min_ = _probe("_foreach_clamp_min_", lambda f: f(_tiny(), -1.0))
_foreach_clamp_max_ = _probe("_foreach_clamp_max_", lambda f: f(_tiny(), 1.0))
_foreach_add_ = _probe("_foreach_add_", lambda f: f(_tiny(), 1))
_fused_adam_ = _probe("_fused_adam_", lambda f: f(
    _tiny(), _tiny(), _tiny(), _tiny(), [], [torch.ones(())], amsgrad=False, lr=1e-3, beta1=0.9, beta2=0.999,
    weight_decay=0.0, eps=1e-8, maximize=False, grad_scale=None, found_inf=None))


# which public function has its private kernels (found and working at import)
_HAS_KERNELS: dict[str, bool] = {
    "lerp_all_": _foreach_lerp_ is not None,
    "copy_all_": _foreach_copy_ is not None,
    "clamp_all_": _foreach_clamp_min_ is not None and _foreach_clamp_max_ is not None,
    "adam_step_": _foreach_add_ is not None and _fused_adam_ is not None,
}


def uses_private(name: str) -> bool:
    """Whether the function `name` of this module ("lerp_all_", ...) takes its fast path right now."""
    return PRIVATE_TORCH and _HAS_KERNELS[name]


def lerp_all_(targets: Sequence[Tensor], ends: Sequence[Tensor], weight: float) -> None:
    """targets[i] <- targets[i] + weight * (ends[i] - targets[i]), in place, for each pair of equal-shape
    tensors (an EMA with decay 1 - weight; a running mean with weight 1 / count). `ends` is not changed.

    Fallback: `t.lerp_(e, weight)` per tensor (the same formula, so the same bits on the CPU).
    """
    targets, ends = list(targets), list(ends)
    if len(targets) != len(ends):
        raise ValueError(f"lerp_all_: {len(targets)} targets but {len(ends)} ends")
    if uses_private("lerp_all_"):
        _foreach_lerp_(targets, ends, weight)
        return
    for t, e in zip(targets, ends, strict=True):
        t.lerp_(e, weight)


def copy_all_(targets: Sequence[Tensor], sources: Sequence[Tensor]) -> None:
    """targets[i] <- sources[i], in place (values copied, broadcast and cast as Tensor.copy_ does).

    Fallback: `t.copy_(s)` per tensor (exact either way).
    """
    targets, sources = list(targets), list(sources)
    if len(targets) != len(sources):
        raise ValueError(f"copy_all_: {len(targets)} targets but {len(sources)} sources")
    if uses_private("copy_all_"):
        _foreach_copy_(targets, sources)
        return
    for t, s in zip(targets, sources, strict=True):
        t.copy_(s)


def clamp_all_(tensors: Sequence[Tensor], low: float, high: float) -> None:
    """tensors[i] <- min(max(tensors[i], low), high), in place (WGAN weight clipping); NaN stays NaN.

    Fallback: `t.clamp_(low, high)` per tensor (exact either way).
    """
    tensors = list(tensors)
    if uses_private("clamp_all_"):
        _foreach_clamp_min_(tensors, low)
        _foreach_clamp_max_(tensors, high)
        return
    for t in tensors:
        t.clamp_(low, high)


def adam_step_(params: Sequence[Tensor], grads: Sequence[Tensor], exp_avgs: Sequence[Tensor],
               exp_avg_sqs: Sequence[Tensor], steps: Sequence[Tensor], *, lr: float, beta1: float, beta2: float,
               eps: float, weight_decay: float = 0.0) -> None:
    """One Adam update (Kingma & Ba 2015; torch.optim.Adam's rule, no AMSGrad, not maximising), in place.

    For each parameter p (any shape) with gradient g, first moment m, second moment v (both p's shape) and
    step count t (a 0-d float tensor, torch.optim.Adam's state["step"]): t += 1; g += weight_decay * p;
    m <- beta1 m + (1 - beta1) g; v <- beta2 v + (1 - beta2) g^2;
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). `grads` is not changed.

    Fast path: one fused kernel for the list (what torch.optim.Adam(fused=True) runs, bit for bit).
    Fallback: the same maths per tensor with public ops in the order of torch.optim.Adam(foreach=False),
    bit for bit equal to that; it differs from the fused kernel only by rounding (a few ulp per step).
    """
    params, grads, exp_avgs, exp_avg_sqs, steps = (list(x) for x in (params, grads, exp_avgs, exp_avg_sqs, steps))
    if not len(params) == len(grads) == len(exp_avgs) == len(exp_avg_sqs) == len(steps):
        raise ValueError("adam_step_: params, grads, exp_avgs, exp_avg_sqs and steps differ in length")
    if uses_private("adam_step_"):
        _foreach_add_(steps, 1)
        _fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=lr, beta1=beta1,
                     beta2=beta2, weight_decay=weight_decay, eps=eps, maximize=False, grad_scale=None,
                     found_inf=None)
        return
    for p, g, m, v, t in zip(params, grads, exp_avgs, exp_avg_sqs, steps, strict=True):
        t += 1
        if weight_decay != 0:
            g = g.add(p, alpha=weight_decay)
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        step = t.item()
        step_size = lr / (1 - beta1**step)
        denom = (v.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)
