"""The one declaration of each numeric option (ganlab.options) is what the config validates against."""

import pytest

from ganlab.config import LEAF_PATHS, ConfigError, RunConfig, with_overrides
from ganlab.options import OPTIONS

# regularisers' strengths are declared by ganlab.penalties.REGULARIZERS
NUMERIC = [path for path, hint in LEAF_PATHS.items() if hint in (int, float, float | None)
           and not path.startswith("reg.")]
IMAGE_ONLY = {"info_codes": {"data.name": "mnist", "g.arch": "dcgan", "d.arch": "dcgan"}}


def test_every_numeric_option_is_declared_once():
    assert sorted(NUMERIC) == sorted(OPTIONS)
    assert all(option.low < option.high and option.label and option.help for option in OPTIONS.values())


def _text(value: float, integer: bool) -> str:
    return str(int(value)) if integer else repr(float(value))


@pytest.mark.parametrize("path", sorted(OPTIONS))
def test_both_ends_are_allowed_and_just_beyond_is_refused_naming_the_range(path):
    option = OPTIONS[path]
    base = with_overrides(RunConfig(device="cpu"), IMAGE_ONLY.get(path, {}))
    for end in (option.low, option.high):
        assert with_overrides(base, {path: _text(end, option.integer)}) is not None
    nudge = 1 if option.integer else max(abs(option.high), abs(option.low), 1.0) * 1e-6
    for outside in (option.low - nudge, option.high + nudge):
        with pytest.raises(ConfigError) as info:
            with_overrides(base, {path: _text(outside, option.integer)})
        assert info.value.field == path and option.describe() in str(info.value)
