"""Presets in a page's address: what each page accepts, validated like any other input.

A lesson's "Open in ..." button and a teacher's link carry a preset as query parameters. `parse_link`
turns them into widget values (or, for the Toy Lab, a validated RunConfig and its view options) and
raises ConfigError naming the parameter and what is allowed.

Parameters every page accepts: `open` (a counter the Lessons page adds so the same preset can be opened
twice), `lesson` (the lesson that opened the page: it offers a way back), `presenter` (0 or 1: presenter
mode) and, on the Toy Lab, `show` (the controls a teacher's link
leaves visible; the others are hidden, keeping their values).

An address is input like any other (issue 18): at most MAX_PARAMETERS parameters, each value at most
MAX_VALUE_CHARS characters (custom points and a second run's overrides: LONG_VALUE_CHARS), numbers finite
and within their declared range, every refusal one message naming the parameter. A Toy Lab link sets only
the Toy Lab's own data: a toy data set, never a folder on the server (`data.data_dir`). The Toy Lab and the
MNIST Lab train GANs: a link asking either for another `model` (a VAE or a flow), or setting a likelihood
model's options (vae.*, flow.*), is refused naming the parameter rather than silently trained as a GAN.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganlab.catalogue import IMAGE_KINDS
from ganlab.config import (
    LEAF_PATHS,
    MAX_CUSTOM_POINTS,
    OPTIMIZERS,
    ConfigError,
    RunConfig,
    from_query,
    with_overrides,
)
from ganlab.data import DATASETS
from ganlab.family_presets import FAMILY_DATASETS, NO_PRESET, PRESETS
from ganlab.file_checks import short_repr
from ganlab.generator_file import generator_checkpoints
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.options import OPTIONS
from ganlab.penalties import REGULARIZERS
from ganlab.theory.bilinear import METHODS as GAME_METHODS
from ganlab.theory.dirac_gan import METHODS as DIRAC_METHODS
from ganlab.viz.toy_plane import LAYERS

COMMON = ("open", "presenter", "lesson")
MAX_SPEED = 2000
MAX_PARAMETERS = 100  # parameters in one address (the Toy Lab declares fewer than 80)
MAX_VALUE_CHARS = 1000  # characters of one parameter's value ...
LONG_VALUE_CHARS = 40 * MAX_CUSTOM_POINTS  # ... but custom points, and a second run's overrides, can be long
LONG_VALUES = ("data.points", "vs")
# config options a Toy Lab link may not set, and why
NOT_IN_LINKS = {"data.data_dir": "a folder on the server is not a link's to choose; the Toy Lab trains on its own "
                                 "toy data sets"}

# the Toy Lab's control groups a teacher's link can leave visible (everything else is hidden)
TOY_CONTROLS: dict[str, str] = {
    "play": "Play / Pause", "step": "Step", "reset": "Reset", "share": "Share", "preset": "Preset",
    "data": "Data", "loss": "Loss", "regularisers": "Regularisers", "tricks": "Training tricks",
    "networks": "Networks", "optimisation": "Optimisation", "speed": "Speed", "compare": "Compare mode",
    "layers": "Layers",
}
TOY_EXTRAS = ("layers", "vs", "play", "speed", "show")


@dataclass(frozen=True)
class Field:
    """One query parameter of a page: the widget key it sets and what it may hold."""

    key: str
    kind: str                          # "float", "int", "choice", "choices" (comma list) or "flag" (0 / 1)
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None       # allowed values ("choice", "choices"), or ints for a select slider
    multiple_of: float | None = None
    labels: Mapping[str, Any] | None = None  # parameter value -> the widget's value (when they differ)

    def parse(self, name: str, text: str) -> Any:
        """The widget value for `text`; ConfigError naming `name` and what is allowed."""
        if self.kind == "flag":
            if text not in ("0", "1", "true", "false"):
                raise ConfigError(name, f"{_echo(text)} is not allowed; use 0 or 1")
            return text in ("1", "true")
        if self.kind in ("choice", "choices"):
            return self._parse_choice(name, text)
        return self._parse_number(name, text)

    def _parse_choice(self, name: str, text: str) -> Any:
        """One of `choices`, or ("choices") a comma list of them, each kept once in the order given."""
        values = [v.strip() for v in text.split(",") if v.strip()] if self.kind == "choices" else [text]
        allowed = [str(c) for c in self.choices]
        for value in values:
            if value not in allowed:
                raise ConfigError(name, f"{_echo(value)} is not one of {', '.join(allowed)}")
        parsed = [self.choices[allowed.index(v)] for v in dict.fromkeys(values)]
        parsed = [self.labels.get(v, v) if self.labels else v for v in parsed]
        return parsed if self.kind == "choices" else parsed[0]

    def _parse_number(self, name: str, text: str) -> int | float:
        """A finite number in [low, high] (whole for "int", a multiple of `multiple_of` when set)."""
        allowed = f"{'a whole' if self.kind == 'int' else 'a'} number in [{self.low:g}, {self.high:g}]"
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(name, f"{_echo(text)} is not a number; use {allowed}") from None
        if not math.isfinite(number):
            raise ConfigError(name, f"{_echo(text)} is not a finite number; use {allowed}")
        if self.kind == "int":
            if not number.is_integer():
                raise ConfigError(name, f"{_echo(text)} is not a whole number")
            number = int(number)
        if not (self.low <= number <= self.high):
            raise ConfigError(name, f"{_echo(text, quote=False)} is outside [{self.low:g}, {self.high:g}]")
        if self.multiple_of and abs(number / self.multiple_of - round(number / self.multiple_of)) > 1e-9:
            raise ConfigError(name, f"{_echo(text, quote=False)} is not a multiple of {self.multiple_of:g}")
        return number


def _echo(text: str, quote: bool = True) -> str:
    """A value from an address as a message shows it: quoted (or bare, for a short plain number), on one
    line, at most 40 characters."""
    plain = text.strip()
    if not quote and len(plain) <= 40 and plain.isprintable():
        return plain
    return short_repr(text, 40)


def _choice(key: str, choices, labels=None) -> Field:
    return Field(key, "choice", choices=tuple(choices), labels=labels)


def _option(key: str, path: str) -> Field:
    """The parameter of the numeric config option `path`: its bounds are its one declaration's (ganlab.options)."""
    option = OPTIONS[path]
    return Field(key, "int" if option.integer else "float", option.low, option.high)


# The MNIST Lab's config options in its address, as in the Toy Lab's: the parameter is the dotted config path
# and the widget key "mn." + path (ganlab.ui.mnist_controls). `arch` sets g.arch and d.arch, `kind` its
# catalogue.IMAGE_KINDS options; the short names after them are earlier links' and set the same widgets.
MNIST_NUMBERS = ("loss.clip", "loss.gp_lambda", "g.channels", "d.channels", "latent_dim", "g_opt.lr", "d_opt.lr",
                 "batch_size", "d_steps", "ema", "tricks.historical_averaging")
MNIST_SWITCHES = ("tricks.feature_matching", "tricks.minibatch_discrimination", "tricks.virtual_batch_norm")


PAGE_FIELDS: dict[str, dict[str, Field]] = {
    "divergences": {
        "theta": Field("div_theta", "float", -1.0, 1.0),
        "distance": Field("div_distance", "float", 0.5, 5.0, multiple_of=0.5),
        "race": _choice("div_race_playing", ("play", "pause"), {"play": True, "pause": False}),
    },
    "dynamics": {
        "h": Field("dyn_h", "float", 0.01, 1.0),
        "steps": Field("dyn_steps", "int", 10, 500),
        "x0": Field("dyn_x0", "float", -3.0, 3.0),
        "y0": Field("dyn_y0", "float", -3.0, 3.0),
        "methods": Field("dyn_methods", "choices", choices=tuple(GAME_METHODS)),
        "dirac_methods": Field("dyn_dirac_methods", "choices", choices=tuple(DIRAC_METHODS)),
        "gamma": Field("dyn_gamma", "float", 0.0, 3.0),
        "sigma": Field("dyn_sigma", "float", 0.0, 2.0),
        "lambda": Field("dyn_lambda", "float", 0.0, 5.0),
        "scheme": _choice("dyn_scheme", ("simultaneous", "alternating")),
        "dirac_h": Field("dyn_dirac_h", "float", 0.01, 1.0),
        "dirac_steps": Field("dyn_dirac_steps", "int", 10, 1000),
        "theta0": Field("dyn_theta0", "float", -2.0, 2.0),
        "psi0": Field("dyn_psi0", "float", -2.0, 2.0),
    },
    "mnist-lab": {
        "arch": _choice("mn_arch", tuple(IMAGE_ARCHITECTURES)),
        "kind": _choice("mn_kind", tuple(IMAGE_KINDS)),
        "loss.name": _choice("mn.loss.name", tuple(LOSSES)),
        **{path: _option("mn." + path, path) for path in MNIST_NUMBERS},
        **{f"{net}_opt.name": _choice(f"mn.{net}_opt.name", tuple(OPTIMIZERS)) for net in "gd"},
        **{path: Field("mn." + path, "flag") for path in MNIST_SWITCHES},
        **{f"reg.{name}": Field(f"mn.reg.{name}", "float", spec.low, spec.high)
           for name, spec in REGULARIZERS.items()},
        "play": Field("mn_autoplay", "flag"),
        "loss": _choice("mn.loss.name", tuple(LOSSES)),
        "batch": _option("mn.batch_size", "batch_size"),
        "latent": _option("mn.latent_dim", "latent_dim"),
        "channels": _option("mn_channels", "g.channels"),  # both networks' (the page sets g.channels, d.channels)
        "ha": _option("mn.tricks.historical_averaging", "tricks.historical_averaging"),
        "fm": Field("mn.tricks.feature_matching", "flag"),
        "mbd": Field("mn.tricks.minibatch_discrimination", "flag"),
        "vbn": Field("mn.tricks.virtual_batch_norm", "flag"),
    },
    "gan-vae-flow": {
        "dataset": _choice("fam_dataset", FAMILY_DATASETS),
        "preset": _choice("fam_preset", (NO_PRESET, *PRESETS)),
    },
    "latent-explorer": {
        "checkpoint": Field("lx_choice", "choice"),  # choices: the shipped files, known at run time
        "seed": Field("lx_seed", "int", 0, 10**6),
    },
    "toy-lab": {
        "layers": Field("toy_layers", "choices", choices=tuple(LAYERS)),
        "play": Field("toy_autoplay", "flag"),
        "speed": Field("toy_speed", "int", 1, MAX_SPEED),
        "show": Field("toy_show", "choices", choices=tuple(TOY_CONTROLS)),
    },
}
PAGES = tuple(PAGE_FIELDS)


def parse_overrides(text: str, name: str = "vs") -> dict[str, str]:
    """ "path=value;path=value" -> {path: value}; each pair is checked when the second run is built."""
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        path, sep, value = part.partition("=")
        if not sep or not path.strip():
            raise ConfigError(name, f"{_echo(part)} is not path=value (pairs are separated by ';')")
        pairs[path.strip()] = value.strip()
    if not pairs:
        raise ConfigError(name, "give at least one path=value pair")
    return pairs


def _check_length(name: str, text: str) -> None:
    limit = LONG_VALUE_CHARS if name in LONG_VALUES else MAX_VALUE_CHARS
    if len(text) > limit:
        raise ConfigError(name, f"a value of {len(text):,} characters; at most {limit:,} are allowed here")


GAN_PAGES = {"toy-lab": "the Toy Lab", "mnist-lab": "the MNIST Lab"}  # pages whose runs are GANs
LIKELIHOOD_SECTIONS = ("vae.", "flow.")


def check_gan_model(page: str, name: str, text: str) -> None:
    """A GAN page's `model` parameter (or a `vs` pair, or a vae.* / flow.* option): only model "gan"."""
    where = GAN_PAGES[page]
    if name == "model" and text.strip() != "gan":
        raise ConfigError(name, f"{_echo(text)} is not trained here: {where} trains GANs (model 'gan'); a VAE "
                                "or a flow trains headless: python -m ganlab train --model vae|flow")
    if name.startswith(LIKELIHOOD_SECTIONS):
        raise ConfigError(name, f"an option of the VAE or the flow, which {where} does not train "
                                f"(it trains GANs; python -m ganlab train --model vae|flow does)")


def check_toy_option(path: str, text: str) -> None:
    """What a Toy Lab link may set beyond the config's own checks: no server folder, a toy data set, a GAN."""
    _check_length(path, text)
    if path in NOT_IN_LINKS:
        raise ConfigError(path, NOT_IN_LINKS[path])
    check_gan_model("toy-lab", path, text)
    if path == "data.name" and text.strip() not in DATASETS:
        raise ConfigError(path, f"{_echo(text)} is not a toy data set; use {', '.join(DATASETS)} "
                                "(image runs are the MNIST Lab's)")


def toy_overrides(text: str) -> dict[str, str]:
    """The Toy Lab's `vs` parameter: the second run's path=value pairs, each a Toy Lab option."""
    pairs = parse_overrides(text)
    for path, value in pairs.items():
        try:
            check_toy_option(path, value)
        except ConfigError as err:
            raise ConfigError("vs", str(err)) from None
    return pairs


def checkpoint_field(names) -> Field:
    """The Latent Explorer's `checkpoint` parameter: a shipped file's stem (".pt" may be left off)."""
    names = tuple(names)
    stems = tuple(n.removesuffix(".pt") for n in names)
    return Field("lx_choice", "choice", choices=stems, labels=dict(zip(stems, names, strict=True)))


def parse_link(page: str, params: Mapping[str, str], checkpoints=None) -> dict[str, Any]:
    """Validated preset: widget key -> value (Toy Lab: also "config" -> RunConfig and "vs" -> overrides).

    `checkpoints` lists the Latent Explorer's shipped file names (default: those in checkpoints/).
    Raises ConfigError naming every parameter that is wrong and what is allowed.
    """
    values, errors = parse_link_partial(page, params, checkpoints)
    if errors:
        raise ConfigError(errors[0].field, "; ".join(str(e) for e in errors).removeprefix(f"{errors[0].field}: "))
    return values


def parse_link_partial(page: str, params: Mapping[str, str], checkpoints=None) -> tuple[dict, list[ConfigError]]:
    """Like `parse_link`, but keeps what is valid: (values, errors). An address of more than MAX_PARAMETERS
    parameters is refused whole (one error, field "address")."""
    if page not in PAGE_FIELDS:
        raise ValueError(f"page must be one of {', '.join(PAGES)}, not {page!r}")
    fields = dict(PAGE_FIELDS[page])
    if page == "latent-explorer":
        fields["checkpoint"] = checkpoint_field(generator_checkpoints() if checkpoints is None else checkpoints)
    values: dict[str, Any] = {"config": RunConfig()} if page == "toy-lab" else {}
    if len(params) > MAX_PARAMETERS:
        return values, [ConfigError("address", f"{len(params):,} parameters; a link has at most "
                                               f"{MAX_PARAMETERS}, so none of them was applied")]
    errors: list[ConfigError] = []
    config_params: dict[str, str] = {}
    allowed = ", ".join([*LEAF_PATHS, *fields, "vs"] if page == "toy-lab" else fields)
    unknown = False  # the first unknown parameter's message lists the page's; the others just say so
    for name, text in params.items():
        if name in COMMON:
            continue
        try:
            _check_length(name, text)
            if page == "toy-lab" and name == "vs":
                values["vs"] = toy_overrides(text)
            elif page == "mnist-lab" and name == "model":
                check_gan_model(page, name, text)  # "gan" is what the page trains anyway
            elif name in fields:
                values[fields[name].key] = fields[name].parse(name, text)
            elif page == "toy-lab" and name in LEAF_PATHS:
                check_toy_option(name, text)
                config_params[name] = text
            else:
                told, unknown = unknown, True
                raise ConfigError(name, "not a parameter of this page" + ("" if told else f"; use {allowed}"))
        except ConfigError as err:
            errors.append(err)
    if page == "toy-lab":
        _toy_config(values, errors, config_params)
    return values, errors


def _toy_config(values: dict[str, Any], errors: list[ConfigError], config_params: dict[str, str]) -> None:
    """The Toy Lab's config from its link's options, all or none (defaults when one is wrong), and a check
    that the second run (`vs`) is a valid config too."""
    own = {*PAGE_FIELDS["toy-lab"], "vs"}
    refused = any(err.field not in own for err in errors)
    try:
        config = from_query(config_params)
    except ConfigError as err:  # name each option that is wrong by itself, else the conflict found
        errors.extend(_wrong_options(config_params) or [err])
    else:
        if not refused:
            values["config"] = config
    if "vs" in values:
        try:
            with_overrides(values["config"], values["vs"])
        except ConfigError as err:
            errors.append(ConfigError("vs", str(err)))
            del values["vs"]


def _wrong_options(options: dict[str, str]) -> list[ConfigError]:
    """The error of each option that the default config refuses on its own."""
    errors = []
    for path, text in options.items():
        try:
            with_overrides(RunConfig(), {path: text})
        except ConfigError as err:
            errors.append(err)
    return errors
