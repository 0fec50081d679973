"""Live reconfiguration: a running trainer takes a changed config where the change does not need new
networks or data (learning rates, optimisers, loss, regularisers, update counts, batch size, evaluation,
EMA decay, three tricks); anything else needs a new run."""

from __future__ import annotations

import copy

import torch

from ganlab.config import LEAF_PATHS, RunConfig, diff
from ganlab.optim import build_optimizer

MAX_CONFIG_CHANGES = 200  # mid-run changes remembered for the charts' markers
# what a running trainer takes on the fly: every option of these sections, and these options
LIVE_SECTIONS = frozenset({"loss", "g_opt", "d_opt", "reg"})
LIVE_FIELDS = frozenset({"d_steps", "g_steps", "batch_size", "eval_every", "eval_samples", "ema",
                         "tricks.feature_matching", "tricks.historical_averaging", "tricks.unrolled_steps"})


def is_live(path: str) -> bool:
    """Whether a running trainer takes a change of the option `path` (e.g. "g_opt.lr": yes; "g.width": no;
    anything that is not an option (config.LEAF_PATHS), such as "g_opt" alone: no)."""
    return path in LEAF_PATHS and (path in LIVE_FIELDS or path.split(".", 1)[0] in LIVE_SECTIONS)


def apply_config(trainer, config: RunConfig) -> list[str]:
    """Take `config`, a validated config (with_overrides, from_dict or validate made it), mid-run where
    possible; return the dotted options that need a restart.

    Learning rates, betas and momentum are changed in place (optimiser state kept); a changed optimiser
    name builds a fresh optimiser for that network only; loss, regularisers, update counts and batch size
    apply from the next update. When anything else differs (data, architecture, latent size, noise,
    packing, seed, device, history), or the EMA is switched on or off, nothing is changed and those
    options are returned: the caller must build a new Trainer.
    """
    config = copy.deepcopy(config)  # the trainer's own copy
    changed = diff(trainer.config, config)
    restart = [key for key in changed if not is_live(key)]
    if restart or not changed:
        return restart
    if (config.ema == 0) != (trainer.config.ema == 0):
        return ["ema"]
    for name, params, new in (("g_opt", trainer.g_params, config.g_opt),
                              ("d_opt", trainer.d_params, config.d_opt)):
        if getattr(trainer.config, name).name != new.name:
            setattr(trainer, name, build_optimizer(params, new.name, new.lr, new.beta1, new.beta2, new.momentum))
        else:
            set_hyperparameters(getattr(trainer, name), new)
    trainer.check()
    described = ", ".join(f"{key}: {old} -> {new}" for key, (old, new) in changed.items())
    trainer.config_changes = [*trainer.config_changes, (trainer.step_count, described)][-MAX_CONFIG_CHANGES:]
    trainer.configure(config)
    trainer.rollback.keep()
    return []


def set_hyperparameters(opt: torch.optim.Optimizer, new) -> None:
    """Learning rate, betas (RMSprop: alpha = beta2) and momentum of `opt` from an optimiser config."""
    for group in opt.param_groups:
        group["lr"] = new.lr
        if "betas" in group:
            group["betas"] = (new.beta1, new.beta2)
        if "momentum" in group:
            group["momentum"] = new.momentum
        if "alpha" in group:
            group["alpha"] = new.beta2
