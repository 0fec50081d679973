"""Presets in a page's address: every page's parameters parse to widget values or fail naming the field."""

import pytest

from ganlab.config import ConfigError
from ganlab.links import PAGE_FIELDS, TOY_CONTROLS, parse_link, parse_link_partial, parse_overrides


def test_numbers_are_parsed_and_bounded():
    assert parse_link("divergences", {"theta": "-0.25", "distance": "1.5"}) == {"div_theta": -0.25,
                                                                               "div_distance": 1.5}
    with pytest.raises(ConfigError, match=r"theta: 2 is outside \[-1, 1\]"):
        parse_link("divergences", {"theta": "2"})
    with pytest.raises(ConfigError, match="distance: 1.2 is not a multiple of 0.5"):
        parse_link("divergences", {"distance": "1.2"})
    with pytest.raises(ConfigError, match="steps: '12.5' is not a whole number"):
        parse_link("dynamics", {"steps": "12.5"})
    with pytest.raises(ConfigError, match="h: 'fast' is not a number"):
        parse_link("dynamics", {"h": "fast"})


def test_choices_lists_and_flags():
    values = parse_link("dynamics", {"methods": "simultaneous, extragradient", "scheme": "alternating"})
    assert values == {"dyn_methods": ["simultaneous", "extragradient"], "dyn_scheme": "alternating"}
    assert parse_link("mnist-lab", {"kind": "conditional", "batch": "32", "ema": "0", "fm": "1"}) == {
        "mn_kind": "conditional", "mn.batch_size": 32, "mn.ema": 0.0, "mn.tricks.feature_matching": True}
    with pytest.raises(ConfigError, match="methods: 'newton' is not one of simultaneous, alternating"):
        parse_link("dynamics", {"methods": "simultaneous,newton"})
    with pytest.raises(ConfigError, match="fm: 'yes' is not allowed; use 0 or 1"):
        parse_link("mnist-lab", {"fm": "yes"})


def test_unknown_parameters_are_named_with_what_is_allowed_and_common_ones_are_ignored():
    with pytest.raises(ConfigError, match="colour: not a parameter of this page; use theta, distance, race"):
        parse_link("divergences", {"colour": "red"})
    assert parse_link("divergences", {"open": "3", "presenter": "1"}) == {}


def test_partial_parsing_keeps_the_valid_parameters():
    values, errors = parse_link_partial("dynamics", {"h": "0.5", "gamma": "9"})
    assert values == {"dyn_h": 0.5}
    assert [e.field for e in errors] == ["gamma"]


def test_the_toy_lab_link_is_a_validated_config_plus_view_options():
    values = parse_link("toy-lab", {"data.name": "grid25", "loss.name": "minimax", "layers": "d_star,real",
                                    "vs": "loss.name=wgan-gp; d_steps=5", "play": "1", "speed": "200",
                                    "show": "play,loss"})
    cfg = values.pop("config")
    assert (cfg.data.name, cfg.loss.name) == ("grid25", "minimax")
    assert values == {"toy_layers": ["d_star", "real"], "vs": {"loss.name": "wgan-gp", "d_steps": "5"},
                      "toy_autoplay": True, "toy_speed": 200, "toy_show": ["play", "loss"]}
    with pytest.raises(ConfigError, match="batch_size"):
        parse_link("toy-lab", {"batch_size": "-5"})
    with pytest.raises(ConfigError, match="show: 'everything' is not one of play"):
        parse_link("toy-lab", {"show": "everything"})
    assert set(TOY_CONTROLS) == set(PAGE_FIELDS["toy-lab"]["show"].choices)


def test_overrides_need_path_equals_value():
    assert parse_overrides("tricks.unrolled_steps=0") == {"tricks.unrolled_steps": "0"}
    with pytest.raises(ConfigError, match="vs: 'loss.name' is not path=value"):
        parse_overrides("loss.name")
    with pytest.raises(ConfigError, match="vs: give at least one"):
        parse_overrides(" ; ")
    with pytest.raises(ConfigError, match="vs: loss.name"):
        parse_link("toy-lab", {"vs": "loss.name=alchemy"})


def test_the_latent_explorer_takes_a_shipped_checkpoint_by_its_stem():
    names = ["mnist_dcgan.pt", "toy_ring8.pt"]
    assert parse_link("latent-explorer", {"checkpoint": "mnist_dcgan", "seed": "7"}, names) == {
        "lx_choice": "mnist_dcgan.pt", "lx_seed": 7}
    with pytest.raises(ConfigError, match="checkpoint: 'mine' is not one of mnist_dcgan, toy_ring8"):
        parse_link("latent-explorer", {"checkpoint": "mine"}, names)


def test_an_unknown_page_is_refused():
    with pytest.raises(ValueError, match="page must be one of"):
        parse_link("nowhere", {})


def test_the_mnist_lab_takes_dotted_config_paths_bounded_by_their_declarations():
    from ganlab.options import OPTIONS

    assert parse_link("mnist-lab", {"d_steps": "10", "g_opt.lr": "0.0005", "tricks.virtual_batch_norm": "1",
                                    "reg.r2": "3", "loss.name": "hinge"}) == {
        "mn.d_steps": 10, "mn.g_opt.lr": 5e-4, "mn.tricks.virtual_batch_norm": True, "mn.reg.r2": 3.0,
        "mn.loss.name": "hinge"}
    values, errors = parse_link_partial("mnist-lab", {"d_steps": "21", "latent_dim": "2.5", "ema": "1"})
    assert values == {}
    assert [str(e) for e in errors] == ["d_steps: 21 is outside [1, 20]",
                                        "latent_dim: '2.5' is not a whole number", "ema: 1 is outside [0, 0.9999]"]
    for path in ("d_steps", "batch_size", "g_opt.lr", "loss.clip", "ema", "tricks.historical_averaging"):
        field = PAGE_FIELDS["mnist-lab"][path]
        assert (field.key, field.low, field.high) == ("mn." + path, OPTIONS[path].low, OPTIONS[path].high)


def test_the_gan_labs_refuse_a_link_asking_for_another_model_naming_model():
    for page in ("toy-lab", "mnist-lab"):
        for model in ("vae", "flow", "diffusion"):
            with pytest.raises(ConfigError, match=rf"^model: '{model}' is not trained here: the (Toy|MNIST) Lab "
                                                  r"trains GANs \(model 'gan'\)") as info:
                parse_link(page, {"model": model})
            assert info.value.field == "model"
    assert parse_link("toy-lab", {"model": "gan", "loss.name": "hinge"})["config"].loss.name == "hinge"
    assert parse_link("mnist-lab", {"model": "gan", "batch": "32"}) == {"mn.batch_size": 32}
    with pytest.raises(ConfigError, match=r"^vs: model: 'flow' is not trained here"):
        parse_link("toy-lab", {"vs": "loss.name=hinge;model=flow"})
    with pytest.raises(ConfigError, match=r"^vae.beta: an option of the VAE or the flow, which the Toy Lab"):
        parse_link("toy-lab", {"vae.beta": "2"})
    values, errors = parse_link_partial("toy-lab", {"model": "vae", "loss.name": "hinge"})
    assert [err.field for err in errors] == ["model"] and values["config"].model == "gan"
