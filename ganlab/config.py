"""Dataclasses for every option of a run, their validation, and JSON / query-string round trips.

Every number's bounds are declared once, in ganlab.options; a bad value raises `ConfigError` naming the
field (dotted path, e.g. "g_opt.lr") and what is allowed. Dotted paths are also the keys of share links and of
`python -m ganlab train --set key=value`.
"""

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ganlab.data import DATASETS
from ganlab.data.images import IMAGE_DATASETS
from ganlab.data.toy import DATASET_CLASSES, PARAMETER_DEFAULTS, PARAMETER_OPTIONS
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.nets.mlp import ACTIVATIONS, ARCHITECTURES, NORMS
from ganlab.options import OPTIONS
from ganlab.penalties import REGULARIZERS

OPTIMIZERS: dict[str, str] = {
    "adam": "Adam (Kingma & Ba 2015): lr, beta1, beta2",
    "rmsprop": "RMSprop: lr, momentum (beta2 is its smoothing constant alpha)",
    "sgd": "stochastic gradient descent: lr, momentum",
}
NOISES: dict[str, str] = {
    "gaussian": "z ~ N(0, I)",
    "uniform": "z ~ U[-1, 1]^k",
}
DEVICES = ("auto", "cpu", "cuda", "mps")
MODELS: dict[str, str] = {
    "gan": "generative adversarial network (Goodfellow et al. 2014): G against D with the loss, networks and "
           "tricks of the other options",
    "vae": "variational autoencoder (Kingma & Welling 2014): maximises the ELBO; log-likelihood by importance "
           "sampling (Burda et al. 2016); toy data and mnist; options vae.*",
    "flow": "RealNVP normalising flow (Dinh et al. 2017): maximises the exact log-likelihood; 2-D toy data; "
            "options flow.*",
}
"""What a run trains (`model`): the GAN Trainer (ganlab.train) or a likelihood model (ganlab.likelihood). A
likelihood model reads data, batch_size, g_opt (its one optimiser), seed, device, history, eval_every,
eval_samples and its own section; every other option is the GAN's and is unused by it."""
VAE_DECODERS: dict[str, str] = {
    "gaussian": "N(x; mu(z), sigma^2 I), one sigma for every coordinate (learnt or fixed)",
    "bernoulli": "Bernoulli on the grey levels (x + 1) / 2 (images only)",
}
VAE_ARCHITECTURES: dict[str, str] = {
    "mlp": "encoder and decoder MLPs (vae.depth hidden layers of vae.width units)",
    "conv": "two stride-2 convolutions and their transposes (vae.width // 2 and vae.width channels; images only)",
}
MAX_CUSTOM_POINTS = 10_000


MAX_FIELD_SHOWN, MAX_MESSAGE_SHOWN = 80, 2000


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class ConfigError(ValueError):
    """A bad option: `field` is its dotted path, the message says what is allowed.

    Both are cut to a readable length (a 100 kB value from a link is echoed as its first characters):
    `field` keeps the first MAX_FIELD_SHOWN characters, the message the first MAX_MESSAGE_SHOWN."""

    def __init__(self, field_path: str, message: str):
        field_path = _shortened(str(field_path), MAX_FIELD_SHOWN)
        super().__init__(f"{field_path}: {_shortened(str(message), MAX_MESSAGE_SHOWN)}")
        self.field = field_path


def _data_fields() -> list[tuple[str, Any, Any]]:
    """DataConfig's fields: the dataset's name and std, every numeric dataset parameter as its dataset
    declares it (ganlab.data.toy.PARAMETER_OPTIONS, defaults from the constructors), custom points, and
    the image data folder."""
    numeric = [(name, int if PARAMETER_OPTIONS[name].integer else float, field(default=default))
               for name, default in PARAMETER_DEFAULTS.items()]
    return [("name", str, field(default="ring8")), ("std", float | None, field(default=None)), *numeric,
            ("points", list[list[float]] | None, field(default=None)),
            ("data_dir", str | None, field(default=None))]


DataConfig = dataclasses.make_dataclass("DataConfig", _data_fields(), namespace={"__module__": __name__,
    "__doc__": "Which data set, and its parameters (std None = the dataset's default). A toy dataset's own "
               "parameters (n_modes, radius, theta, separation, ...) are fields because its class declares them: "
               "adding one there adds the field, its validation, its CLI flag and its widget."})


@dataclass
class LossConfig:
    """Which loss; `clip` is WGAN's weight-clipping bound c, `gp_lambda` WGAN-GP's weight."""

    name: str = "nonsaturating"
    clip: float = 0.01
    gp_lambda: float = 10.0


@dataclass
class NetConfig:
    """One network's architecture: `depth` hidden layers of `width` units."""

    arch: str = "mlp"
    depth: int = 3
    width: int = 64
    activation: str = "relu"
    norm: str = "none"
    spectral_norm: bool = False
    maxout_pieces: int = 5
    channels: int = 32


@dataclass
class OptimConfig:
    """One network's optimiser."""

    name: str = "adam"
    lr: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0


@dataclass
class TricksConfig:
    """Training tricks beyond the loss (ganlab.tricks; `python -m ganlab list` shows all of them).

    feature_matching: G's loss becomes ||mean f(x) - mean f(G(z))||^2 with f = D's last hidden layer
        (the input of D's final linear layer); D's loss is unchanged (Salimans et al. 2016, sec. 3.1).
    minibatch_discrimination: D appends o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), M_i = f(x_i) T with a
        learned T (A x 8 x 4), to its last hidden layer: 8 more features (Salimans et al. 2016, sec. 3.2).
    historical_averaging: lambda (0 = off); each player's loss gets lambda ||theta - mean of its past
        theta||^2 (Salimans et al. 2016, sec. 3.3).
    virtual_batch_norm: DCGAN G normalises each sample with the statistics of a fixed reference batch of
        64 latents (drawn once from the run's seed) plus the sample itself (Salimans et al. 2016,
        sec. 3.5). Image runs with g.arch dcgan only.
    unrolled_steps: k (0 = off); G's loss is taken against D after k differentiable updates of a copy of D
        (D's optimiser rule and state), D itself unchanged (Metz et al. 2017). Toy runs only.
    """

    feature_matching: bool = False
    minibatch_discrimination: bool = False
    historical_averaging: float = 0.0
    virtual_batch_norm: bool = False
    unrolled_steps: int = 0


@dataclass
class VAEConfig:
    """The VAE's options (model "vae"; ganlab.likelihood.vae). `beta` weights the KL term of the loss (1: the
    ELBO). The Gaussian decoder's sigma is learnt (starting at `decoder_std`) when `learn_variance`, else fixed
    at `decoder_std`. `depth` 0 makes encoder and decoder linear (probabilistic PCA's model)."""

    latent_dim: int = 2
    beta: float = 1.0
    learn_variance: bool = True
    decoder_std: float = 0.1
    decoder: str = "gaussian"
    arch: str = "mlp"
    depth: int = 2
    width: int = 64


@dataclass
class FlowConfig:
    """The normalising flow's options (model "flow"; ganlab.likelihood.flow): `depth` RealNVP affine coupling
    layers, each with an MLP of `hidden_layers` hidden layers of `width` units."""

    depth: int = 8
    width: int = 64
    hidden_layers: int = 2


@dataclass
class RunConfig:
    """Everything that defines a run.

    `ema` is the decay of G's weight average (0 = off). `pack` > 1 makes D a packed discriminator
    (PacGAN, Lin et al. 2018): D judges `pack` samples at once, so a batch is `batch_size` packs, i.e.
    `batch_size * pack` samples of each kind. Every `eval_every` iterations (0 = never) the run is
    evaluated on `eval_samples` generated points (ganlab.evaluation). `tricks` holds the training tricks
    of TricksConfig (all off by default). `model` says what is trained (MODELS): "gan" (everything above),
    or a likelihood model, "vae" or "flow", with its section `vae` or `flow`.
    """

    model: str = "gan"
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    g: NetConfig = field(default_factory=NetConfig)
    d: NetConfig = field(default_factory=NetConfig)
    g_opt: OptimConfig = field(default_factory=OptimConfig)
    d_opt: OptimConfig = field(default_factory=OptimConfig)
    latent_dim: int = 2
    noise: str = "gaussian"
    batch_size: int = 256
    d_steps: int = 1
    g_steps: int = 1
    pack: int = 1
    conditional: bool = False
    info_codes: int = 0
    regularizers: dict[str, float] = field(default_factory=dict)
    ema: float = 0.0
    seed: int = 0
    device: str = "auto"
    history: int = 2000
    eval_every: int = 500
    eval_samples: int = 2500
    tricks: TricksConfig = field(default_factory=TricksConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)


# --- bounds: declared once, in ganlab.options ---------------------------------------------------------

def _describe_range(low: float, high: float, low_in: bool, high_in: bool) -> str:
    return f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"


def _check_number(path: str, value: Any) -> None:
    """`value` must be what OPTIONS[path] allows (ConfigError naming `path` and the range if not)."""
    option = OPTIONS[path]
    if not isinstance(value, int | float) or not option.allows(value):
        raise ConfigError(path, f"must be {option.describe()}, got {value!r}")


def _check_choice(path: str, value: Any, choices: typing.Iterable[str]) -> None:
    choices = list(choices)
    if value not in choices:
        raise ConfigError(path, f"unknown value {value!r}; valid: {', '.join(choices)}")


def _validate_points(points: Any) -> None:
    if points is None:
        return
    if not isinstance(points, list) or not points:
        raise ConfigError("data.points", "must be a non-empty list of [x, y] pairs")
    if len(points) > MAX_CUSTOM_POINTS:
        raise ConfigError("data.points", f"at most {MAX_CUSTOM_POINTS} points, got {len(points)}")
    for row, pair in enumerate(points):
        ok = isinstance(pair, list | tuple) and len(pair) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            and abs(v) <= 1000 for v in pair)
        if not ok:
            raise ConfigError("data.points", f"point {row} must be two finite numbers in [-1000, 1000], "
                              f"got {pair!r}")


def _validate_net(prefix: str, net: NetConfig) -> None:
    _check_choice(f"{prefix}.arch", net.arch, {**ARCHITECTURES, **IMAGE_ARCHITECTURES})
    _check_number(f"{prefix}.depth", net.depth)
    _check_number(f"{prefix}.width", net.width)
    _check_choice(f"{prefix}.activation", net.activation, ACTIVATIONS)
    _check_choice(f"{prefix}.norm", net.norm, NORMS)
    _check_number(f"{prefix}.maxout_pieces", net.maxout_pieces)
    _check_number(f"{prefix}.channels", net.channels)
    if not isinstance(net.spectral_norm, bool):
        raise ConfigError(f"{prefix}.spectral_norm", f"must be true or false, got {net.spectral_norm!r}")


def _validate_optim(prefix: str, opt: OptimConfig) -> None:
    _check_choice(f"{prefix}.name", opt.name, OPTIMIZERS)
    for name in ("lr", "beta1", "beta2", "momentum"):
        _check_number(f"{prefix}.{name}", getattr(opt, name))


def _validate_tricks(cfg: RunConfig, images: bool) -> None:
    tricks = cfg.tricks
    for name in ("feature_matching", "minibatch_discrimination", "virtual_batch_norm"):
        if not isinstance(getattr(tricks, name), bool):
            raise ConfigError(f"tricks.{name}", f"must be true or false, got {getattr(tricks, name)!r}")
    _check_number("tricks.historical_averaging", tricks.historical_averaging)
    _check_number("tricks.unrolled_steps", tricks.unrolled_steps)
    if tricks.virtual_batch_norm and (not images or cfg.g.arch != "dcgan"):
        raise ConfigError("tricks.virtual_batch_norm", "replaces the batch norm of the DCGAN generator: "
                          "image runs with g.arch 'dcgan' only")
    if tricks.unrolled_steps and images:
        raise ConfigError("tricks.unrolled_steps", "unrolled D steps are implemented for toy datasets only")
    penalised = LOSSES[cfg.loss.name].gradient_penalty or any(
        name in cfg.regularizers for name in ("r1", "r2", "gp0", "dragan"))
    if tricks.unrolled_steps and penalised and cfg.d.norm == "batch":
        raise ConfigError("tricks.unrolled_steps", "unrolling a D with batch norm through a gradient penalty "
                          "needs third derivatives, which batch norm lacks: use d.norm 'none' or 'layer', "
                          "or drop the penalty")


def _validate_likelihood_sections(cfg: RunConfig) -> None:
    """The vae and flow sections' own values (checked whatever the model, like every option)."""
    vae = cfg.vae
    if not isinstance(vae, VAEConfig):
        raise ConfigError("vae", "must be an object of VAE options")
    if not isinstance(cfg.flow, FlowConfig):
        raise ConfigError("flow", "must be an object of flow options")
    for name in ("latent_dim", "beta", "decoder_std", "depth", "width"):
        _check_number(f"vae.{name}", getattr(vae, name))
    if not isinstance(vae.learn_variance, bool):
        raise ConfigError("vae.learn_variance", f"must be true or false, got {vae.learn_variance!r}")
    _check_choice("vae.decoder", vae.decoder, VAE_DECODERS)
    _check_choice("vae.arch", vae.arch, VAE_ARCHITECTURES)
    for name in ("depth", "width", "hidden_layers"):
        _check_number(f"flow.{name}", getattr(cfg.flow, name))


def _validate_model(cfg: RunConfig, images: bool) -> None:
    """`model` and the combinations a likelihood model cannot do (the GAN's own options it simply leaves
    unused)."""
    _check_choice("model", cfg.model, MODELS)
    _validate_likelihood_sections(cfg)
    if cfg.model == "gan":
        return
    if cfg.conditional or cfg.info_codes:
        raise ConfigError("conditional" if cfg.conditional else "info_codes",
                          f"conditional runs and InfoGAN codes are GAN options; model {cfg.model!r} is "
                          "unconditional")
    if images and cfg.model == "flow":
        raise ConfigError("model", f"the flow is for 2-D toy data, not {cfg.data.name!r}; for images use "
                                   "model 'vae' or 'gan'")
    if not images and not DATASET_CLASSES[cfg.data.name].has_density:
        raise ConfigError("model", f"{cfg.data.name!r} has no 2-D density (its support is a line), so a "
                                   f"likelihood model's log-likelihood is unbounded there; use model 'gan' or "
                                   "another data set")
    if cfg.model == "vae" and not images:
        if cfg.vae.decoder != "gaussian":
            raise ConfigError("vae.decoder", f"{cfg.vae.decoder!r} is for images (pixels in [0, 1]); toy data "
                                             "use 'gaussian'")
        if cfg.vae.arch != "mlp":
            raise ConfigError("vae.arch", f"{cfg.vae.arch!r} is for images; toy data use 'mlp'")


def validate(cfg: RunConfig) -> RunConfig:
    """Check every field; return `cfg` unchanged or raise ConfigError naming the first bad field."""
    data = cfg.data
    _check_choice("data.name", data.name, {**DATASETS, **IMAGE_DATASETS})
    images = data.name in IMAGE_DATASETS
    for net in ("g", "d"):
        arch = getattr(cfg, net).arch
        if not images and arch != "mlp":
            raise ConfigError(f"{net}.arch", f"{arch!r} is for images; toy datasets use 'mlp'")
    if not images and (cfg.conditional or cfg.info_codes):
        raise ConfigError("conditional" if cfg.conditional else "info_codes",
                          "conditional GANs and InfoGAN codes need a labelled image dataset (mnist)")
    if cfg.conditional and cfg.info_codes:
        raise ConfigError("info_codes", "choose a conditional GAN or an InfoGAN code, not both")
    if data.data_dir is not None and not isinstance(data.data_dir, str):
        raise ConfigError("data.data_dir", f"must be a folder path, got {data.data_dir!r}")
    if data.std is not None:
        _check_number("data.std", data.std)
    for name in PARAMETER_DEFAULTS:
        _check_number(f"data.{name}", getattr(data, name))
    _validate_points(data.points)
    if data.name == "custom" and not data.points:
        raise ConfigError("data.points", "the custom dataset needs at least one [x, y] point")
    _validate_model(cfg, images)

    _check_choice("loss.name", cfg.loss.name, LOSSES)
    _check_number("loss.clip", cfg.loss.clip)
    _check_number("loss.gp_lambda", cfg.loss.gp_lambda)

    _validate_net("g", cfg.g)
    _validate_net("d", cfg.d)
    _validate_optim("g_opt", cfg.g_opt)
    _validate_optim("d_opt", cfg.d_opt)
    _check_choice("noise", cfg.noise, NOISES)
    _check_choice("device", cfg.device, DEVICES)
    for name in ("latent_dim", "batch_size", "d_steps", "g_steps", "pack", "seed", "history", "eval_every",
                 "eval_samples", "info_codes"):
        _check_number(name, getattr(cfg, name))
    _check_number("ema", cfg.ema)
    if images and cfg.batch_size < 2 and "dcgan" in (cfg.g.arch, cfg.d.arch):
        raise ConfigError("batch_size", "must be at least 2 for DCGAN: its batch norm needs two images per batch")
    if not isinstance(cfg.tricks, TricksConfig):
        raise ConfigError("tricks", "must be an object of trick options")
    _validate_tricks(cfg, images)

    if not isinstance(cfg.regularizers, dict):
        raise ConfigError("regularizers", "must be a mapping of regulariser name to strength")
    for name, strength in cfg.regularizers.items():
        _check_choice("regularizers", name, REGULARIZERS)
        spec = REGULARIZERS[name]
        is_number = isinstance(strength, int | float) and not isinstance(strength, bool)
        if not is_number or not math.isfinite(strength) or strength > spec.high or strength < spec.low \
                or (strength == spec.low and not spec.low_inclusive):
            allowed = _describe_range(spec.low, spec.high, spec.low_inclusive, True)
            raise ConfigError(f"reg.{name}", f"{spec.meaning} must be a number in {allowed}, got {strength!r}")
    if "label-smoothing" in cfg.regularizers and not LOSSES[cfg.loss.name].targets:
        with_targets = [n for n, s in LOSSES.items() if s.targets]
        raise ConfigError("reg.label-smoothing", f"applies only to losses with real/fake targets "
                          f"({', '.join(with_targets)}), not {cfg.loss.name!r}")
    return cfg


# --- dict / JSON ---------------------------------------------------------------------------------

def to_dict(cfg: RunConfig) -> dict[str, Any]:
    """Plain nested dict (JSON-serialisable)."""
    return dataclasses.asdict(cfg)


def _from_dict(cls: type, values: Any, prefix: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(prefix or "config", f"must be an object, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        where = prefix or "config"
        raise ConfigError(f"{prefix + '.' if prefix else ''}{unknown[0]}",
                          f"unknown option in {where}; valid: {', '.join(known)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        hint = hints[name]
        path = f"{prefix}.{name}" if prefix else name
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _from_dict(hint, value, path)
        elif name == "regularizers":
            if not isinstance(value, dict):
                raise ConfigError("regularizers", "must be a mapping of regulariser name to strength")
            kwargs[name] = dict(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


def from_dict(values: dict[str, Any]) -> RunConfig:
    """Build and validate a RunConfig; missing keys take their defaults, unknown keys are errors."""
    return validate(_from_dict(RunConfig, values, ""))


def to_json(cfg: RunConfig) -> str:
    return json.dumps(to_dict(cfg), sort_keys=True)


MAX_CONFIG_CHARS = 1_000_000


def from_json(text: str) -> RunConfig:
    """A validated RunConfig from JSON text (at most MAX_CONFIG_CHARS characters, nested as a config is)."""
    if len(text) > MAX_CONFIG_CHARS:
        raise ConfigError("config", f"{len(text):,} characters; a config is at most {MAX_CONFIG_CHARS:,}")
    try:
        values = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError("config", f"not valid JSON ({err.msg} at line {err.lineno})") from None
    except RecursionError:
        raise ConfigError("config", "nested too deeply to be a config (it has two levels, such as g.width)") \
            from None
    return from_dict(values)


# --- dotted paths, overrides and query strings ----------------------------------------------------

def _leaf_paths(cls: type = RunConfig, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> type hint of every scalar leaf (regularizers appear as reg.NAME)."""
    out: dict[str, Any] = {}
    for name, hint in typing.get_type_hints(cls).items():
        path = f"{prefix}{name}"
        if dataclasses.is_dataclass(hint):
            out.update(_leaf_paths(hint, path + "."))
        elif name == "regularizers":
            out.update({f"reg.{reg}": float for reg in REGULARIZERS})
        else:
            out[path] = hint
    return out


LEAF_PATHS = _leaf_paths()


def _parse_points(text: str) -> list[list[float]]:
    pairs = []
    for chunk in text.split(";"):
        xy = chunk.split(",")
        if len(xy) != 2:
            raise ConfigError("data.points", f"write points as x,y;x,y;... — bad pair {chunk!r}")
        try:
            pairs.append([float(xy[0]), float(xy[1])])
        except ValueError:
            raise ConfigError("data.points", f"write points as x,y;x,y;... with numbers — bad pair {chunk!r}") \
                from None
    return pairs


def _parse_value(path: str, hint: Any, text: str) -> Any:
    """Parse one string value for `path` according to its type hint."""
    text = text.strip()
    if path == "data.points":
        return None if text.lower() in ("", "none") else _parse_points(text)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and type(None) in typing.get_args(hint) and text.lower() in ("", "none", "null"):
        return None
    base = args[0] if args else hint
    try:
        if base is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base is int:
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if base is float:
            return float(text)
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}[base]
        raise ConfigError(path, f"must be {kind}, got {text!r}") from None
    return text


def with_overrides(cfg: RunConfig, overrides: dict[str, str]) -> RunConfig:
    """Copy of `cfg` with dotted-path string overrides applied, then validated.

    `reg.NAME=VALUE` switches a regulariser on; `reg.NAME=off` (or `none`, `0` for penalties)
    switches it off.
    """
    values = to_dict(cfg)
    for path, text in overrides.items():
        if path not in LEAF_PATHS:
            raise ConfigError(path, f"unknown option; valid: {', '.join(LEAF_PATHS)}")
        if path.startswith("reg."):
            name = path[4:]
            strength = None if text.strip().lower() in ("off", "none", "") \
                else _parse_value(path, float, text)
            spec = REGULARIZERS[name]
            if strength is None or (strength == 0 and spec.low == 0 and not spec.low_inclusive):
                values["regularizers"].pop(name, None)
            else:
                values["regularizers"][name] = strength
            continue
        node = values
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = _parse_value(path, LEAF_PATHS[path], text)
    return from_dict(values)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, list):
        return ";".join(f"{x!r},{y!r}" for x, y in value)
    return repr(value) if isinstance(value, float) else str(value)


def flatten(cfg: RunConfig) -> dict[str, Any]:
    """Dotted path -> value for every leaf, regularisers as reg.NAME (only those switched on)."""
    values = to_dict(cfg)
    flat: dict[str, Any] = {}
    for path in LEAF_PATHS:
        if path.startswith("reg."):
            continue
        node = values
        for part in path.split("."):
            node = node[part]
        flat[path] = node
    for name, strength in values["regularizers"].items():
        flat[f"reg.{name}"] = strength
    return flat


def to_query(cfg: RunConfig, full: bool = False) -> str:
    """URL query string; by default only the options that differ from the defaults."""
    default = flatten(RunConfig())
    items = [(k, _format_value(v)) for k, v in flatten(cfg).items() if full or default.get(k) != v]
    return urlencode(items)


def from_query(query: "str | dict[str, str]") -> RunConfig:
    """Inverse of `to_query`: defaults plus the given options, validated like any other input."""
    pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True)) if isinstance(query, str) \
        else dict(query)
    return with_overrides(RunConfig(), pairs)


def diff(a: RunConfig, b: RunConfig) -> dict[str, tuple[Any, Any]]:
    """Dotted path -> (value in a, value in b) for every option that differs."""
    fa, fb = flatten(a), flatten(b)
    keys = list(dict.fromkeys([*fa, *fb]))
    return {k: (fa.get(k), fb.get(k)) for k in keys if fa.get(k) != fb.get(k)}


# options an image run starts from (Radford et al. 2016 for DCGAN); the CLI applies them for mnist
IMAGE_DEFAULTS: dict[str, str] = {
    "g.arch": "dcgan", "d.arch": "dcgan", "latent_dim": "100", "batch_size": "64",
    "g_opt.lr": "0.0002", "d_opt.lr": "0.0002", "g_opt.beta1": "0.5", "d_opt.beta1": "0.5",
    "ema": "0.999", "eval_every": "0", "eval_samples": "1000",
}
