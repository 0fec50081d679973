"""Property test over the whole option space: every config drawn is either rejected with a message that
names its field, or trains ten steps without an exception (a divergence is reported as TrainingDiverged,
naming the step and the quantity, with the run restored).

Valid sizes are drawn from the small end of each range so ten steps stay quick; the large end is
covered by the bounds themselves (values past a bound are drawn and must be rejected).
"""

import math

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ganlab.config import LEAF_PATHS, NOISES, OPTIMIZERS, ConfigError, RunConfig, with_overrides
from ganlab.data import DATASETS
from ganlab.data.images import ImageDataset
from ganlab.losses import LOSSES
from ganlab.nets.mlp import ACTIVATIONS, NORMS
from ganlab.options import OPTIONS
from ganlab.runs import is_image_run
from ganlab.train import Trainer, TrainingDiverged

CHOICES = {"data.name": [*DATASETS, "mnist"], "loss.name": list(LOSSES), "g.arch": ["mlp", "dcgan"],
           "d.arch": ["mlp", "dcgan"], "g.activation": list(ACTIVATIONS), "d.activation": list(ACTIVATIONS),
           "g.norm": list(NORMS), "d.norm": list(NORMS), "g_opt.name": list(OPTIMIZERS),
           "d_opt.name": list(OPTIMIZERS), "noise": list(NOISES), "device": ["auto", "cpu", "cuda", "mps"]}
SMALL = {"depth": (1, 3), "width": (1, 32), "channels": (4, 8), "latent_dim": (1, 16), "batch_size": (1, 32),
         "d_steps": (1, 3), "g_steps": (1, 3), "pack": (1, 4), "info_codes": (0, 10), "maxout_pieces": (2, 4),
         "data.n_modes": (1, 12), "history": (10, 50), "eval_every": (0, 5), "eval_samples": (100, 200),
         "seed": (0, 1000)}
JUNK = st.sampled_from(["", "abc", "nan", "inf", "-inf", "1e999", "None", "1,2", "--", "🙂"])


def bound_key(path: str) -> str:
    return path.split(".")[-1]


def value_for(path: str) -> st.SearchStrategy[str]:
    kind = LEAF_PATHS[path]
    if path in CHOICES:
        return st.one_of(st.sampled_from(CHOICES[path]), st.sampled_from(CHOICES[path]), JUNK)
    if kind is bool:
        return st.one_of(st.sampled_from(["true", "false"]), JUNK)
    if path.startswith("reg."):
        return st.one_of(st.sampled_from(["off", "0", "0.5", "0.9", "1", "10", "-1", "2e4"]), JUNK)
    if path == "data.points":
        return st.sampled_from(["", "0,0;1,1", "0,0;1", "x,y"])
    if path == "data.data_dir":
        return st.just("/nonexistent")
    key = bound_key(path)
    option = OPTIONS.get(path)
    low, high = (option.low, option.high) if option else (-10.0, 10.0)
    beyond = st.sampled_from([str(low - 1), str(high * 2 + 1), str(low), str(high)])
    if kind is int:
        small_low, small_high = SMALL.get(path, SMALL.get(key, (int(low), int(min(high, low + 10)))))
        inside = st.integers(small_low, small_high).map(str)
        return st.one_of(inside, inside, inside, st.one_of(beyond, JUNK, st.just("2.5")))
    if key in ("lr",):
        inside = st.floats(1e-5, 1e-2).map(repr)
    elif key in ("beta1", "beta2", "momentum", "ema"):
        inside = st.floats(0.0, 0.999).map(repr)
    else:
        inside = st.floats(max(low, -5.0), min(high, 5.0)).map(repr)
    return st.one_of(inside, inside, inside, st.one_of(beyond, JUNK))


@st.composite
def overrides(draw) -> dict[str, str]:
    paths = draw(st.lists(st.sampled_from(sorted(LEAF_PATHS)), min_size=1, max_size=6, unique=True))
    if draw(st.booleans()):  # half the draws are image runs
        paths = ["data.name", *(p for p in paths if p != "data.name")]
        return {"data.name": "mnist", **{path: draw(value_for(path)) for path in paths[1:]}}
    return {path: draw(value_for(path)) for path in paths}


TINY_IMAGES = ImageDataset(torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1,
                           torch.arange(32) % 10, "synthetic", "train")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(options=overrides())
def test_every_config_is_rejected_by_field_or_trains_ten_steps(options):
    try:
        cfg = with_overrides(RunConfig(device="cpu"), options)
        trainer = Trainer(cfg, data=TINY_IMAGES) if is_image_run(cfg) else Trainer(cfg)
    except ConfigError as err:
        event(f"rejected: {err.field}")
        assert err.field in LEAF_PATHS or err.field.split(".")[0] in {p.split(".")[0] for p in LEAF_PATHS}
        assert str(err).startswith(f"{err.field}: ") and len(str(err)) > len(err.field) + 5
        return
    except ValueError as err:  # an unavailable device names the field the same way
        event("rejected: device unavailable")
        assert str(err).startswith("device: "), str(err)
        return
    try:
        trainer.step(10)
    except TrainingDiverged as err:
        event("diverged")
        assert 1 <= err.step <= 10 and err.quantity and trainer.step_count == err.restored_step
        return
    event("trained: images" if is_image_run(cfg) else "trained: toy")
    assert trainer.step_count == 10
    assert all(math.isfinite(v) for v in trainer.history.last().values())


@pytest.mark.parametrize("path, value, fragment", [
    ("g.width", "100000", "g.width: must be an integer in [1, 1024]"),
    ("batch_size", "0", "batch_size: must be an integer in [1, 8192]"),
    ("d_steps", "1000", "d_steps: must be an integer in [1, 20]"),
    ("latent_dim", "nan", "latent_dim"),
])
def test_bounds_are_named_in_the_message(path, value, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        with_overrides(RunConfig(), {path: value})


def test_a_dcgan_batch_of_one_is_rejected_by_name():
    with pytest.raises(ConfigError, match="batch_size: must be at least 2 for DCGAN"):
        with_overrides(RunConfig(), {"data.name": "mnist", "g.arch": "dcgan", "d.arch": "dcgan",
                                     "batch_size": "1"})
