"""Optimisers for the trainer: torch's own, plus a lean Adam step for tiny networks.

For a toy MLP the work of one Adam update is a single fused kernel of ~10 us, but
`torch.optim.Adam.step` spends several times that in Python bookkeeping. `LeanAdam` is
`torch.optim.Adam(fused=True)` (same state, same state_dict, same numbers) whose `step` calls the
fused kernel directly with cached tensor lists, through `ganlab.fast_ops.adam_step_` (which falls back to
the same update written with public ops when the kernel is missing or switched off).
"""

from __future__ import annotations

import torch
from torch import nn

from ganlab.fast_ops import adam_step_


class LeanAdam(torch.optim.Adam):
    """Adam (Kingma & Ba 2015) with a direct fused-kernel step; bit-identical to Adam(fused=True).

    Falls back to the parent step when a parameter has no gradient, a closure is given or there are
    several parameter groups. Without the private kernel (ganlab.fast_ops) the step is torch's
    Adam(foreach=False) update, equal to the fused one up to rounding.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr=lr, betas=betas, eps=eps, fused=True)
        self._lists: tuple[list, list, list, list] | None = None

    def _prepare(self) -> tuple[list, list, list, list]:
        params, exp_avgs, exp_avg_sqs, steps = [], [], [], []
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0, dtype=torch.float32, device=p.device)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                params.append(p)
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                steps.append(state["step"])
        return params, exp_avgs, exp_avg_sqs, steps

    def step(self, closure=None):
        if closure is not None or len(self.param_groups) != 1:
            return super().step(closure)
        return self.update()

    @torch.no_grad()
    def update(self) -> None:
        """One Adam step, the same as step(); called directly (optimizer_step) it skips the profiler
        record and the global step hooks torch wraps every Optimizer.step call in (a few us each)."""
        if len(self.param_groups) != 1:
            return super().step()
        if self._lists is None:
            self._lists = self._prepare()
        params, exp_avgs, exp_avg_sqs, steps = self._lists
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            return super().step()
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        adam_step_(params, grads, exp_avgs, exp_avg_sqs, steps, lr=group["lr"], beta1=beta1, beta2=beta2,
                   eps=group["eps"], weight_decay=group["weight_decay"])
        return None

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._lists = None


def optimizer_step(optimizer: torch.optim.Optimizer) -> None:
    """`optimizer.step()`; for a LeanAdam its `update()`, the same step without torch's per-call wrapper
    (so torch.optim's global step hooks do not see the trainer's steps)."""
    update = getattr(optimizer, "update", None)
    if update is not None:
        update()
    else:
        optimizer.step()


def clear_grads(params: list[nn.Parameter]) -> None:
    """optimizer.zero_grad(set_to_none=True) for these parameters, without its profiler record."""
    for p in params:
        p.grad = None


def build_optimizer(params: list[nn.Parameter], name: str, lr: float, beta1: float, beta2: float,
                    momentum: float) -> torch.optim.Optimizer:
    """adam -> LeanAdam where a fused kernel exists for the device, else torch's Adam; rmsprop; sgd."""
    if name == "adam":
        try:
            return LeanAdam(params, lr=lr, betas=(beta1, beta2))
        except (RuntimeError, TypeError, ValueError):
            return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=beta2, momentum=momentum)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimiser {name!r}; valid: adam, rmsprop, sgd")
