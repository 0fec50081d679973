"""Presets in a page's address: what each page accepts, validated like any other input.

A lesson's "Open in ..." button and a teacher's link carry a preset as query parameters. `parse_link`
turns them into widget values (or, for the Toy Lab, a validated RunConfig and its view options) and
raises ConfigError naming the parameter and what is allowed.

Parameters every page accepts: `open` (a counter the Lessons page adds so the same preset can be opened
twice), `lesson` (the lesson that opened the page: it offers a way back), `presenter` (0 or 1: presenter
mode) and, on the Toy Lab, `show` (the controls a teacher's link
leaves visible; the others are hidden, keeping their values).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganlab.catalogue import IMAGE_KINDS
from ganlab.config import ConfigError, RunConfig, from_query, with_overrides
from ganlab.generator_file import generator_checkpoints
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.theory.bilinear import METHODS as GAME_METHODS
from ganlab.theory.dirac_gan import METHODS as DIRAC_METHODS
from ganlab.viz.toy_plane import LAYERS

COMMON = ("open", "presenter", "lesson")
MAX_SPEED = 2000

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
                raise ConfigError(name, f"{text!r} is not allowed; use 0 or 1")
            return text in ("1", "true")
        if self.kind in ("choice", "choices"):
            values = [v.strip() for v in text.split(",") if v.strip()] if self.kind == "choices" else [text]
            allowed = [str(c) for c in self.choices]
            for value in values:
                if value not in allowed:
                    raise ConfigError(name, f"{value!r} is not one of {', '.join(allowed)}")
            parsed = [self.choices[allowed.index(v)] for v in values]
            parsed = [self.labels.get(v, v) if self.labels else v for v in parsed]
            return parsed if self.kind == "choices" else parsed[0]
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(name, f"{text!r} is not a number") from None
        if self.kind == "int":
            if number != int(number):
                raise ConfigError(name, f"{text!r} is not a whole number")
            number = int(number)
        if not (self.low <= number <= self.high):
            raise ConfigError(name, f"{text} is outside [{self.low:g}, {self.high:g}]")
        if self.multiple_of and abs(number / self.multiple_of - round(number / self.multiple_of)) > 1e-9:
            raise ConfigError(name, f"{text} is not a multiple of {self.multiple_of:g}")
        return number


def _choice(key: str, choices, labels=None) -> Field:
    return Field(key, "choice", choices=tuple(choices), labels=labels)


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
        "loss": _choice("mn_loss", tuple(LOSSES)),
        "batch": _choice("mn_batch", (16, 32, 64, 128)),
        "d_steps": Field("mn_d_steps", "int", 1, 5),
        "latent": _choice("mn_latent", (8, 16, 32, 64, 100, 128)),
        "channels": _choice("mn_channels", (8, 16, 32, 64)),
        "ema": Field("mn_ema", "flag"),
        "fm": Field("mn_fm", "flag"),
        "mbd": Field("mn_mbd", "flag"),
        "vbn": Field("mn_vbn", "flag"),
        "ha": Field("mn_ha", "float", 0.0, 100.0),
        "play": Field("mn_autoplay", "flag"),
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
            raise ConfigError(name, f"{part!r} is not path=value (pairs are separated by ';')")
        pairs[path.strip()] = value.strip()
    if not pairs:
        raise ConfigError(name, "give at least one path=value pair")
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
    """Like `parse_link`, but keeps what is valid: (values, errors)."""
    if page not in PAGE_FIELDS:
        raise ValueError(f"page must be one of {', '.join(PAGES)}, not {page!r}")
    fields = dict(PAGE_FIELDS[page])
    if page == "latent-explorer":
        if checkpoints is None:
            checkpoints = generator_checkpoints()
        fields["checkpoint"] = checkpoint_field(checkpoints)
    values: dict[str, Any] = {}
    errors: list[ConfigError] = []
    config_params: dict[str, str] = {}
    for name, text in params.items():
        if name in COMMON:
            continue
        if page == "toy-lab" and name == "vs":
            try:
                values["vs"] = parse_overrides(text)
            except ConfigError as err:
                errors.append(err)
            continue
        if name in fields:
            try:
                values[fields[name].key] = fields[name].parse(name, text)
            except ConfigError as err:
                errors.append(err)
        elif page == "toy-lab":
            config_params[name] = text
        else:
            errors.append(ConfigError(name, f"not a parameter of this page; use {', '.join(fields)}"))
    if page == "toy-lab":
        try:
            values["config"] = from_query(config_params)
        except ConfigError as err:
            errors.append(err)
            values["config"] = RunConfig()
        if "vs" in values:  # the second run must be a valid config too
            try:
                with_overrides(values["config"], values["vs"])
            except ConfigError as err:
                errors.append(ConfigError("vs", str(err)))
                del values["vs"]
    return values, errors
