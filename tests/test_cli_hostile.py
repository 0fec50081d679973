"""The command line refuses hostile or mistaken input with one line and exit status 2, before any work."""

import os

import pytest

from ganlab.cli import main
from ganlab.config import ConfigError, from_json, from_query


def refused(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


@pytest.mark.parametrize(("flag", "path", "message"), [
    ("--save", "", "--save: cannot write '': an empty path names no file"),
    ("--save", "/dev/null", "--save: cannot write '/dev/null': it exists and is not a regular file"),
    ("--export", "/no-such-folder/g.pt", "--export: the folder '/no-such-folder' does not exist"),
])
def test_train_refuses_an_output_path_before_training(flag, path, message, capsys):
    assert message in refused(["train", "--steps", "100000", "--quiet", flag, path], capsys)


def test_train_refuses_a_symlink_as_its_save_target(tmp_path, capsys):
    target, link = tmp_path / "real.pt", tmp_path / "link.pt"
    target.write_bytes(b"keep me")
    os.symlink(target, link)
    assert "it is a symbolic link" in refused(["train", "--steps", "1", "--quiet", "--save", str(link)], capsys)
    assert target.read_bytes() == b"keep me"


def test_a_deeply_nested_config_file_is_a_config_error_not_a_recursion_error(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert "config: nested too deeply" in refused(["train", "--steps", "1", "--config", str(deep)], capsys)
    with pytest.raises(ConfigError, match="a config is at most 1,000,000"):
        from_json(" " * 1_000_001)


def test_eval_samples_and_classifier_epochs_are_bounded(tmp_path, capsys):
    assert "--samples must be an integer in [100, 20000], got 100000000" in refused(
        ["eval", "--checkpoint", str(tmp_path / "missing.pt"), "--samples", "100000000"], capsys)
    assert "--epochs must be an integer in [1, 1000], got 5000" in refused(
        ["train-classifier", "--epochs", "5000"], capsys)
    assert "--out: the folder" in refused(["train-classifier", "--out", str(tmp_path / "a" / "b.pt")], capsys)


def test_a_huge_value_is_echoed_cut_short():
    with pytest.raises(ConfigError) as info:
        from_query({"g.width": "9" * 100_000})
    assert len(str(info.value)) < 2_100 and "(98,0" in str(info.value)
    with pytest.raises(ConfigError) as info:
        from_query({"x" * 100_000: "1"})
    assert info.value.field == "x" * 80 + "… (99,920 more characters)"
