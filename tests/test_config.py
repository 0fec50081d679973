import json

import pytest

from ganlab.config import (
    ConfigError,
    DataConfig,
    OptimConfig,
    RunConfig,
    diff,
    from_dict,
    from_json,
    from_query,
    to_dict,
    to_json,
    to_query,
    validate,
    with_overrides,
)


def test_defaults_are_the_default_toy_run():
    cfg = validate(RunConfig())
    assert (cfg.g.depth, cfg.g.width, cfg.d.depth, cfg.d.width) == (3, 64, 3, 64)
    assert (cfg.latent_dim, cfg.noise, cfg.batch_size) == (2, "gaussian", 256)
    assert (cfg.g_opt.name, cfg.d_opt.name, cfg.d_steps, cfg.g_steps) == ("adam", "adam", 1, 1)
    assert cfg.data.name == "ring8" and cfg.loss.name == "nonsaturating"


@pytest.mark.parametrize("path, value, fragment", [
    ("g_opt.lr", -1.0, "[1e-06, 10]"),
    ("d_opt.lr", 0.0, "[1e-06, 10]"),
    ("batch_size", 0, "[1, 8192]"),
    ("batch_size", 2.5, "an integer"),
    ("g.width", 5000, "[1, 1024]"),
    ("d.depth", 0, "[1, 8]"),
    ("latent_dim", 257, "[1, 256]"),
    ("ema", 1.0, "[0, 0.9999]"),
    ("g_opt.beta1", 1.0, "[0, 0.9999]"),
    ("d_steps", 0, "[1, 20]"),
    ("data.std", 0.0, "[0.001, 10]"),
    ("seed", -3, "[0, 2147483647]"),
])
def test_bad_numbers_name_the_field_and_the_range(path, value, fragment):
    values = to_dict(RunConfig())
    node = values
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    with pytest.raises(ConfigError) as info:
        from_dict(values)
    assert info.value.field == path
    assert str(info.value).startswith(f"{path}: must be")
    assert fragment in str(info.value)


def test_nan_and_bool_are_not_numbers():
    with pytest.raises(ConfigError, match="g_opt.lr"):
        validate(RunConfig(g_opt=OptimConfig(lr=float("nan"))))
    with pytest.raises(ConfigError, match="batch_size"):
        validate(RunConfig(batch_size=True))


@pytest.mark.parametrize("path, value", [("data.name", "ring9"), ("loss.name", "wgan-xx"),
                                          ("g.activation", "swish"), ("noise", "cauchy"),
                                          ("d_opt.name", "lbfgs")])
def test_unknown_names_list_the_valid_ones(path, value):
    with pytest.raises(ConfigError) as info:
        with_overrides(RunConfig(), {path: value})
    assert info.value.field == path
    assert "valid:" in str(info.value)


def test_unknown_names_message_lists_every_loss():
    with pytest.raises(ConfigError) as info:
        with_overrides(RunConfig(), {"loss.name": "nope"})
    for name in ("minimax", "nonsaturating", "wgan-gp", "fgan-js", "ragan"):
        assert name in str(info.value)


def test_unknown_option_is_rejected():
    with pytest.raises(ConfigError, match="unknown option"):
        from_dict({"data": {"nmodes": 3}})
    with pytest.raises(ConfigError, match="unknown option"):
        with_overrides(RunConfig(), {"g.widht": "3"})


def test_regularizer_strengths_are_checked():
    with pytest.raises(ConfigError) as info:
        validate(RunConfig(regularizers={"r1": -1.0}))
    assert info.value.field == "reg.r1" and "gamma" in str(info.value)
    with pytest.raises(ConfigError, match="label-smoothing"):
        validate(RunConfig(regularizers={"label-smoothing": 0.3}))
    with pytest.raises(ConfigError, match="regularizers: unknown value 'r3'"):
        validate(RunConfig(regularizers={"r3": 1.0}))


def test_label_smoothing_needs_a_loss_with_targets():
    with pytest.raises(ConfigError, match="applies only to losses with real/fake targets"):
        validate(RunConfig(regularizers={"label-smoothing": 0.9}, loss=RunConfig().loss.__class__("wgan")))
    assert validate(RunConfig(regularizers={"label-smoothing": 0.9})).regularizers == {"label-smoothing": 0.9}


def test_custom_dataset_needs_points():
    with pytest.raises(ConfigError) as info:
        validate(RunConfig(data=DataConfig(name="custom")))
    assert info.value.field == "data.points"
    with pytest.raises(ConfigError, match="point 1"):
        validate(RunConfig(data=DataConfig(name="custom", points=[[0, 0], [1, float("inf")]])))


def test_json_round_trip():
    cfg = with_overrides(RunConfig(), {"data.name": "custom", "data.points": "0,0;1,2.5", "reg.r1": "5",
                                        "g_opt.lr": "0.0002", "d.spectral_norm": "true", "data.std": "0.02"})
    again = from_json(to_json(cfg))
    assert again == cfg
    assert json.loads(to_json(cfg))["data"]["points"] == [[0.0, 0.0], [1.0, 2.5]]


def test_query_round_trip_is_short_and_exact():
    assert to_query(RunConfig()) == ""
    cfg = with_overrides(RunConfig(), {"loss.name": "wgan-gp", "g_opt.lr": "1e-4", "d_steps": "5",
                                        "reg.instance-noise": "0.05", "g.spectral_norm": "1",
                                        "data.std": "0.02"})
    query = to_query(cfg)
    assert "loss.name=wgan-gp" in query and "d_steps=5" in query
    assert "batch_size" not in query  # defaults are left out
    assert from_query(query) == cfg
    assert from_query("?" + to_query(cfg, full=True)) == cfg


def test_query_values_are_validated_like_any_input():
    with pytest.raises(ConfigError) as info:
        from_query("batch_size=-4")
    assert info.value.field == "batch_size"
    with pytest.raises(ConfigError, match="must be an integer"):
        from_query("batch_size=lots")


def test_regularizer_can_be_switched_off():
    cfg = with_overrides(RunConfig(), {"reg.r1": "10"})
    assert cfg.regularizers == {"r1": 10.0}
    assert with_overrides(cfg, {"reg.r1": "off"}).regularizers == {}
    assert with_overrides(cfg, {"reg.r1": "0"}).regularizers == {}


def test_diff_lists_changed_options():
    a = RunConfig()
    b = with_overrides(a, {"loss.name": "hinge", "seed": "3"})
    assert diff(a, b) == {"loss.name": ("nonsaturating", "hinge"), "seed": (0, 3)}
    assert diff(a, RunConfig()) == {}


def test_image_options_are_checked_against_the_dataset():
    with pytest.raises(ConfigError) as info:
        with_overrides(RunConfig(), {"g.arch": "dcgan"})
    assert info.value.field == "g.arch" and "toy datasets use 'mlp'" in str(info.value)
    with pytest.raises(ConfigError, match="need a labelled image dataset"):
        with_overrides(RunConfig(), {"conditional": "true"})
    cfg = with_overrides(RunConfig(), {"data.name": "mnist", "g.arch": "dcgan", "d.arch": "dcgan",
                                        "conditional": "true", "latent_dim": "100"})
    assert cfg.conditional and cfg.g.arch == "dcgan"
    with pytest.raises(ConfigError, match="not both"):
        with_overrides(cfg, {"info_codes": "10"})


# --- model: the GAN, or a likelihood model (ganlab.likelihood) ---------------------------------------------

def test_model_defaults_to_gan_with_vae_and_flow_sections_declared_once():
    cfg = RunConfig()
    assert cfg.model == "gan"
    assert (cfg.vae.latent_dim, cfg.vae.beta, cfg.vae.learn_variance, cfg.vae.decoder_std) == (2, 1.0, True, 0.1)
    assert (cfg.vae.decoder, cfg.vae.arch, cfg.vae.depth, cfg.vae.width) == ("gaussian", "mlp", 2, 64)
    assert (cfg.flow.depth, cfg.flow.width, cfg.flow.hidden_layers) == (8, 64, 2)
    flow = with_overrides(cfg, {"model": "flow", "flow.depth": "4", "vae.learn_variance": "false"})
    assert from_query(to_query(flow)) == flow and from_json(to_json(flow)) == flow
    assert to_query(flow) == "model=flow&vae.learn_variance=false&flow.depth=4"
    assert diff(cfg, flow) == {"model": ("gan", "flow"), "vae.learn_variance": (True, False),
                               "flow.depth": (8, 4)}


@pytest.mark.parametrize("overrides, message", [
    ({"model": "diffusion"}, "model: unknown value 'diffusion'; valid: gan, vae, flow"),
    ({"vae.latent_dim": "9"}, "vae.latent_dim: must be an integer in [1, 8], got 9"),
    ({"vae.beta": "-0.5"}, "vae.beta: must be a number in [0, 10], got -0.5"),
    ({"vae.decoder_std": "0"}, "vae.decoder_std: must be a number in [0.001, 10], got 0.0"),
    ({"flow.depth": "1"}, "flow.depth: must be an integer in [2, 16], got 1"),
    ({"flow.depth": "17"}, "flow.depth: must be an integer in [2, 16], got 17"),
    ({"flow.hidden_layers": "0"}, "flow.hidden_layers: must be an integer in [1, 4], got 0"),
    ({"vae.decoder": "poisson"}, "vae.decoder: unknown value 'poisson'; valid: gaussian, bernoulli"),
    ({"model": "flow", "data.name": "mnist"},
     "model: the flow is for 2-D toy data, not 'mnist'; for images use model 'vae' or 'gan'"),
    ({"model": "vae", "vae.decoder": "bernoulli"},
     "vae.decoder: 'bernoulli' is for images (pixels in [0, 1]); toy data use 'gaussian'"),
    ({"model": "vae", "vae.arch": "conv"}, "vae.arch: 'conv' is for images; toy data use 'mlp'"),
    ({"model": "flow", "data.name": "parallel-lines"},
     "model: 'parallel-lines' has no 2-D density (its support is a line)"),
    ({"model": "vae", "data.name": "mnist", "conditional": "true"},
     "conditional: conditional runs and InfoGAN codes are GAN options; model 'vae' is unconditional"),
])
def test_likelihood_options_and_combinations_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ConfigError) as info:
        with_overrides(RunConfig(), overrides)
    assert str(info.value).startswith(message)
    assert info.value.field == message.split(":")[0]


def test_options_a_model_does_not_use_are_accepted_and_left_alone():
    # GAN options with a flow (and likelihood options with a GAN) are unused, not errors
    flow = with_overrides(RunConfig(), {"model": "flow", "loss.name": "wgan-gp", "d_steps": "5", "pack": "2"})
    assert (flow.loss.name, flow.d_steps, flow.pack) == ("wgan-gp", 5, 2)
    gan = with_overrides(RunConfig(), {"vae.decoder": "bernoulli", "vae.arch": "conv", "flow.depth": "2"})
    assert gan.model == "gan" and gan.vae.decoder == "bernoulli"
    assert with_overrides(RunConfig(), {"model": "vae", "data.name": "mnist", "vae.arch": "conv",
                                        "vae.decoder": "bernoulli"}).vae.arch == "conv"
