"""Property tests of share links (issue 18): every parameter a page declares (ganlab.links.PAGE_FIELDS) and
every dotted config path (ganlab.config.LEAF_PATHS, bounds from ganlab.options.OPTIONS / SWITCHES and the
registries), given a hostile value, either parses to a value within its declaration or is refused with a
ConfigError that names the parameter in a message of readable length; no other exception escapes.

Hostile values: huge and negative numbers, NaN and infinity as text, 100 kB strings, unicode, empty text,
lists as text ("1;2;3"), nested separators ("a=b=c;;=", "1,2;3"), and parameters the page does not have.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ganlab.config import (
    DEVICES,
    LEAF_PATHS,
    MAX_CUSTOM_POINTS,
    NOISES,
    OPTIMIZERS,
    ConfigError,
    RunConfig,
    from_query,
    with_overrides,
)
from ganlab.data import DATASETS
from ganlab.data.images import IMAGE_DATASETS
from ganlab.links import (
    MAX_PARAMETERS,
    PAGE_FIELDS,
    PAGES,
    parse_link,
    parse_link_partial,
    parse_overrides,
)
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.nets.mlp import ACTIVATIONS, ARCHITECTURES, NORMS
from ganlab.options import OPTIONS, SWITCHES
from ganlab.penalties import REGULARIZERS

MAX_MESSAGE = 2100  # ConfigError keeps 80 characters of a field and 2,000 of its message
CHECKPOINTS = ("mnist_dcgan.pt", "toy_ring8.pt")
CHOICES = {"data.name": {*DATASETS, *IMAGE_DATASETS}, "loss.name": set(LOSSES), "noise": set(NOISES),
           "device": set(DEVICES), **{f"{n}.arch": {*ARCHITECTURES, *IMAGE_ARCHITECTURES} for n in "gd"},
           **{f"{n}.activation": set(ACTIVATIONS) for n in "gd"}, **{f"{n}.norm": set(NORMS) for n in "gd"},
           **{f"{n}_opt.name": set(OPTIMIZERS) for n in "gd"}}

HOSTILE = st.one_of(
    st.sampled_from(["", " ", "0", "-0", "1", "-1", "2.5", "1e9", "-1e9", "1e308", "1e999", "-1e999", "nan",
                     "NaN", "-nan", "inf", "-inf", "Infinity", "1;2;3", "1,2,3", "a=b=c;;=", "1,2;3",
                     "0,0;1,1", "true", "false", "none", "off", "0x10", "1_0", "١٢", "５", "🙂", "\x00",
                     "a\nb", "9" * 400, "[click](http://x)", "../../etc/passwd"]),
    st.sampled_from(["9" * 100_000, "a" * 100_000, "1;" * 50_000, "0,0;" * 25_000]),
    st.integers(-2**80, 2**80).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30))


def near_bounds(low: float | None, high: float | None) -> st.SearchStrategy[str]:
    """Values at, inside and just past a declared range."""
    if low is None or high is None:
        return st.nothing()
    return st.one_of(st.sampled_from([repr(low), repr(high), repr(low - 1), repr(high + 1), repr(high * 10 + 1),
                                      repr((low + high) / 2), str(int(low)), str(int(high))]),
                     st.floats(low, high).map(repr))


def check_refusal(err: ConfigError, names: set[str]) -> None:
    """A refusal names one of `names` (as ConfigError shortens it) and is of readable length."""
    text = str(err)
    assert len(text) <= MAX_MESSAGE, len(text)
    assert err.field in {ConfigError(name, "").field for name in names}, (err.field, names)
    assert text.startswith(f"{err.field}: ") and len(text) > len(err.field) + 4


# --- each page's own parameters ------------------------------------------------------------------------

def declared(page: str):
    fields = dict(PAGE_FIELDS[page])
    if page == "latent-explorer":
        from ganlab.links import checkpoint_field

        fields["checkpoint"] = checkpoint_field(CHECKPOINTS)
    return fields


PAGE_PARAMETERS = [(page, name) for page in PAGES for name in declared(page)]


def check_widget_value(field, value) -> None:
    """A parsed widget value lies within its field's declaration."""
    if field.kind == "flag":
        assert isinstance(value, bool)
    elif field.kind in ("choice", "choices"):
        allowed = {field.labels.get(c, c) if field.labels else c for c in field.choices}
        values = value if field.kind == "choices" else [value]
        assert all(v in allowed for v in values) and len(values) == len(set(values))
    else:
        assert isinstance(value, int if field.kind == "int" else float) and not isinstance(value, bool)
        assert math.isfinite(value) and field.low <= value <= field.high


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_page_parameter_parses_within_its_declaration_or_is_refused_by_name(data):
    page, name = data.draw(st.sampled_from(PAGE_PARAMETERS), label="parameter")
    field = declared(page)[name]
    choices = st.sampled_from([str(c) for c in field.choices]) if field.choices else st.nothing()
    listed = st.lists(choices, max_size=4).map(",".join) if field.kind == "choices" else st.nothing()
    text = data.draw(st.one_of(HOSTILE, near_bounds(field.low, field.high), choices, listed), label="value")
    try:
        values = parse_link(page, {name: text}, CHECKPOINTS if page == "latent-explorer" else None)
    except ConfigError as err:
        event("refused")
        check_refusal(err, {name})
        return
    event("accepted")
    if page == "toy-lab" and name != "vs":
        values.pop("config")
    assert list(values) == [field.key]
    check_widget_value(field, values[field.key])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(page=st.sampled_from(PAGES), names=st.lists(st.one_of(st.text(max_size=12), st.just("x" * 50_000)),
                                                   min_size=1, max_size=5, unique=True), text=HOSTILE)
def test_unknown_parameters_are_refused_by_name(page, names, text):
    known = {*declared(page), *LEAF_PATHS, "open", "presenter", "lesson", "vs"}
    names = [n for n in names if n not in known]
    if not names:
        return
    values, errors = parse_link_partial(page, dict.fromkeys(names, text), CHECKPOINTS)
    for err in errors:
        check_refusal(err, set(names))
    assert {e.field for e in errors} == {ConfigError(n, "").field for n in names}
    assert values in ({}, {"config": RunConfig()})


# --- the Toy Lab: every config option, and the second run (vs=) ---------------------------------------

def check_config(cfg: RunConfig) -> None:
    """Every option of an accepted link's config lies within its declaration, on the Toy Lab's own data."""
    check_config_options(cfg)
    assert cfg.data.name in DATASETS and cfg.data.data_dir is None  # a link is for the Toy Lab's own data


def check_config_options(cfg: RunConfig) -> None:
    """Every option of an accepted config lies within its declaration."""
    for path, value in _flat(cfg).items():
        if path == "data.std" and value is None:  # the data set's own default
            continue
        if path in OPTIONS:
            assert OPTIONS[path].allows(value), (path, value)
        elif path in SWITCHES:
            assert isinstance(value, bool), (path, value)
        elif path in CHOICES:
            assert value in CHOICES[path], (path, value)
        elif path.startswith("reg."):
            spec = REGULARIZERS[path[4:]]
            assert math.isfinite(value) and spec.low <= value <= spec.high, (path, value)
    assert cfg.data.std is None or OPTIONS["data.std"].allows(cfg.data.std)
    assert cfg.data.points is None or (0 < len(cfg.data.points) <= MAX_CUSTOM_POINTS and all(
        math.isfinite(v) for pair in cfg.data.points for v in pair))


def _flat(cfg: RunConfig) -> dict:
    from ganlab.config import flatten

    return flatten(cfg)


def valid_value(path: str) -> st.SearchStrategy[str]:
    """A value within the declaration of `path` (it may still conflict with another option)."""
    option = OPTIONS.get(path)
    if option is not None:
        if option.integer:
            return st.integers(int(option.low), int(option.high)).map(str)
        return st.floats(option.low, option.high).map(repr)
    if path in CHOICES:
        return st.sampled_from(sorted(CHOICES[path]))
    if LEAF_PATHS[path] is bool:
        return st.sampled_from(["true", "false", "1", "0", "yes", "off"])
    if path.startswith("reg."):
        spec = REGULARIZERS[path[4:]]
        return st.one_of(st.just("off"), st.floats(spec.low, spec.high).map(repr))
    return st.sampled_from(["", "none", "0,0;1,1"])


def config_value(path: str) -> st.SearchStrategy[str]:
    option = OPTIONS.get(path)
    near = near_bounds(option.low, option.high) if option else st.nothing()
    return st.one_of(HOSTILE, near, valid_value(path))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_config_path_in_a_toy_lab_link_is_within_bounds_or_refused_by_name(data):
    path = data.draw(st.sampled_from(sorted(LEAF_PATHS)), label="path")
    text = data.draw(config_value(path), label="value")
    try:
        values = parse_link("toy-lab", {path: text})
    except ConfigError as err:
        event("refused")
        check_refusal(err, set(LEAF_PATHS))  # the path itself, or the option it conflicts with
        return
    event("accepted")
    check_config(values["config"])


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_second_run_of_a_toy_lab_link_is_within_bounds_or_refused_as_vs(data):
    paths = data.draw(st.lists(st.one_of(st.sampled_from(sorted(LEAF_PATHS)), st.sampled_from(sorted(LEAF_PATHS)),
                                         st.text(max_size=8)), min_size=1, max_size=3), label="paths")
    pairs = [f"{path}={data.draw(valid_value(path) if path in LEAF_PATHS else HOSTILE)}" for path in paths]
    if data.draw(st.integers(0, 3), label="hostile pair") == 0:
        path = paths[0] if paths[0] in LEAF_PATHS else "g.width"
        pairs[0] = f"{path}={data.draw(config_value(path), label='hostile value')}"
    glue = data.draw(st.sampled_from([";", ";", ";;", " ; ", ","]), label="separator")
    text = data.draw(st.one_of(st.just(glue.join(pairs)), st.just(glue.join(pairs)), HOSTILE), label="vs")
    try:
        values = parse_link("toy-lab", {"vs": text})
    except ConfigError as err:
        event("refused")
        check_refusal(err, {"vs"})
        return
    event("accepted")
    check_config(with_overrides(values["config"], values["vs"]))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(path=st.sampled_from(sorted(LEAF_PATHS)), text=HOSTILE)
def test_from_query_of_a_query_string_is_within_bounds_or_refused_by_name(path, text):
    try:
        cfg = from_query(f"?{quote(path)}={quote(text)}")
    except ConfigError as err:
        check_refusal(err, set(LEAF_PATHS))
        return
    check_config_options(cfg)
    if path.startswith("reg."):  # a regulariser switched off is absent
        return
    assert _flat(cfg)[path] is not None or path in ("data.std", "data.points", "data.data_dir")


# --- sizes ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_an_address_with_too_many_parameters_is_refused_whole(page):
    params = {f"p{i}": "1" for i in range(MAX_PARAMETERS + 1)}
    values, errors = parse_link_partial(page, params, CHECKPOINTS)
    assert values in ({}, {"config": RunConfig()})
    assert len(errors) == 1 and errors[0].field == "address"
    assert f"at most {MAX_PARAMETERS}" in str(errors[0])


def test_a_long_value_is_refused_saying_the_limit_not_echoed():
    with pytest.raises(ConfigError) as caught:
        parse_link("toy-lab", {"data.name": "x" * 20_000})
    assert str(caught.value).startswith("data.name: ") and "characters" in str(caught.value)
    assert len(str(caught.value)) < 300
    with pytest.raises(ConfigError, match=r"^methods: .{1,45} is not one of simultaneous"):
        parse_link("dynamics", {"methods": "y" * 900})


def test_a_link_cannot_choose_a_server_folder_or_an_image_dataset_for_the_toy_lab():
    with pytest.raises(ConfigError, match="^data.data_dir: "):
        parse_link("toy-lab", {"data.data_dir": "../../etc"})
    with pytest.raises(ConfigError, match="^data.name: .*ring8"):
        parse_link("toy-lab", {"data.name": "mnist"})
    with pytest.raises(ConfigError, match="^vs: data.data_dir"):
        parse_link("toy-lab", {"vs": "data.data_dir=/etc"})


@pytest.mark.parametrize("text", ["1e999", "-1e999", "nan", "inf", "1e308"])
def test_integer_parameters_refuse_infinity_and_nan_by_name(text):
    with pytest.raises(ConfigError, match="^steps: "):
        parse_link("dynamics", {"steps": text})
    with pytest.raises(ConfigError, match="^seed: "):
        parse_link("latent-explorer", {"seed": text}, CHECKPOINTS)


def test_a_listed_choice_is_kept_once():
    assert parse_link("dynamics", {"methods": "simultaneous,simultaneous, simultaneous"}) == {
        "dyn_methods": ["simultaneous"]}


def test_overrides_with_nested_separators():
    assert parse_overrides("g.width=8;;d.width=16;") == {"g.width": "8", "d.width": "16"}
    with pytest.raises(ConfigError, match="^vs: "):
        parse_link("toy-lab", {"vs": "g.width=8=9"})


def test_a_toy_lab_link_names_every_option_it_refuses_and_applies_none():
    values, errors = parse_link_partial("toy-lab", {"g.width": "1e9", "data.data_dir": "/etc", "d_steps": "100",
                                                    "loss.name": "hinge", "speed": "nan"})
    assert [e.field for e in errors] == ["data.data_dir", "speed", "g.width", "d_steps"]
    assert values == {"config": RunConfig()}  # all or none: hinge is not applied either
