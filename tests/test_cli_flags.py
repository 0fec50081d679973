"""`train`'s flags come from the options' declarations (ganlab.cli_flags)."""

import argparse

import pytest

from ganlab import cli_flags
from ganlab.cli import main
from ganlab.data.toy import PARAMETER_OPTIONS
from ganlab.options import OPTIONS


def parsed(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_flags.add_option_flags(parser)
    return parser.parse_args(list(argv))


def test_every_dataset_parameter_has_a_flag_of_its_declared_type():
    for name in PARAMETER_OPTIONS:
        assert cli_flags.FLAGS["data and loss"][name] == (f"data.{name}",)
    args = parsed("--n-modes", "12", "--rare-weight", "0.5", "--separation", "2")
    assert (args.n_modes, args.rare_weight, args.separation) == (12, 0.5, 2.0)
    assert isinstance(args.n_modes, int) and isinstance(args.rare_weight, float)
    with pytest.raises(SystemExit):
        parsed("--n-modes", "2.5")  # an integer option


def test_overrides_name_every_path_a_flag_sets():
    args = parsed("--lr", "0.002", "--spectral-norm", "--dataset", "ring", "--feature-matching")
    assert cli_flags.overrides(args) == {
        "g_opt.lr": "0.002", "d_opt.lr": "0.002", "g.spectral_norm": "true", "d.spectral_norm": "true",
        "data.name": "ring", "tricks.feature_matching": "true"}
    assert cli_flags.overrides(parsed()) == {}


def test_help_states_the_declared_range_and_default():
    parser = argparse.ArgumentParser()
    cli_flags.add_option_flags(parser)
    text = " ".join(parser.format_help().split())
    assert "an integer in [1, 20] (sets d_steps; default 1)" in text
    assert f"{OPTIONS['g_opt.lr'].help}: a number in [1e-06, 10] (sets g_opt.lr and d_opt.lr; default 0.001)" \
        in text


def test_a_value_outside_the_declared_range_is_refused_with_path_and_range(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "ring", "--n-modes", "101", "--steps", "1", "--quiet"])
    assert info.value.code == 2
    assert "data.n_modes: must be an integer in [1, 100], got 101" in capsys.readouterr().err


def test_a_switch_on_by_default_has_a_no_form_and_gan_only_flags_say_so():
    assert cli_flags.overrides(parsed("--no-learn-variance")) == {"vae.learn_variance": "false"}
    assert cli_flags.overrides(parsed("--learn-variance", "--model", "vae")) == {"vae.learn_variance": "true",
                                                                               "model": "vae"}
    assert cli_flags.overrides(parsed("--flow-depth", "4", "--beta", "0.5")) == {"flow.depth": "4",
                                                                                "vae.beta": "0.5"}
    parser = argparse.ArgumentParser()
    cli_flags.add_option_flags(parser)
    text = " ".join(parser.format_help().split())
    assert "(sets d_steps; default 1) [GAN only]" in text and "list describes each) [GAN only]" in text
    assert "an integer in [2, 16] (sets flow.depth; default 8)" in text
    assert "(sets batch_size; default 256) [GAN only]" not in text  # a likelihood model reads it too
