"""Every shipped generator loads safely, matches its model card, and the smallest one's card is reproduced
by `python -m ganlab eval`."""

import json
from pathlib import Path

import pytest

from ganlab.cli import main
from ganlab.generator_file import CHECKPOINT_DIR, generator_checkpoints, load_generator
from ganlab.ui.latent_session import image_checkpoints, toy_checkpoints

# the shipped files are the generator files with a model card (the MNIST Lab may save others here)
SHIPPED = {name: path for name, path in generator_checkpoints().items()
           if path.with_suffix(".json").is_file()
           and json.loads(path.with_suffix(".json").read_text()).get("format") == "ganlab-generator"}


def card(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def test_the_promised_checkpoints_are_there_and_small():
    assert {"mnist_dcgan.pt", "mnist_cgan.pt", "mnist_infogan.pt"} <= set(image_checkpoints())
    assert {"toy_ring8.pt", "toy_grid25.pt", "toy_disjoint-gaussians.pt"} <= set(toy_checkpoints())
    shipped = {*SHIPPED.values(), CHECKPOINT_DIR / "mnist_classifier.pt"}
    total = sum(p.stat().st_size + p.with_suffix(".json").stat().st_size for p in shipped)
    assert total < 30 * 2**20


@pytest.mark.parametrize("name", list(SHIPPED))
def test_each_shipped_generator_loads_safely_and_matches_its_card(name):
    path = SHIPPED[name]
    loaded = load_generator(path)  # torch.load(weights_only=True) inside
    info = card(path)
    assert loaded.source == "generator file" and loaded.card == info
    assert info["command"].startswith("python -m ganlab train ")
    assert f"--export checkpoints/{name}" in info["command"]
    assert (info["dataset"], info["loss"], info["seed"]) == (loaded.config.data.name, loaded.config.loss.name,
                                                            loaded.config.seed)
    assert info["steps"] > 0 and info["seconds"] > 0 and info["device"] == "cpu" and not info["diverged"]
    if loaded.is_image:
        assert (info["arch"], info["conditional"], info["info_codes"]) == (
            loaded.config.g.arch, loaded.config.conditional, loaded.config.info_codes)
        assert "subset" in info["data"] or "torchvision" in info["data"]
        assert {"fid_lenet", "classifier_score", "class_kl"} <= set(info["metrics"])
    else:
        assert {"modes_covered", "hq_fraction", "w1"} <= set(info["metrics"])


def test_eval_reproduces_the_smallest_card(capsys):
    smallest = min(SHIPPED.values(), key=lambda p: p.stat().st_size)
    assert main(["eval", "--checkpoint", str(smallest), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected = card(smallest)["metrics"]
    assert evaluated["steps"] == card(smallest)["steps"]
    for key, value in expected.items():
        if isinstance(value, str):
            assert evaluated[key] == value
        else:  # same weights, same seeded samples: equal up to float summation order across thread counts
            assert evaluated[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
