import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.cli import main
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.penalties import REGULARIZERS

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganlab", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_list_prints_every_name_with_a_description(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in [*DATASETS, *LOSSES, *REGULARIZERS, "mlp", "adam", "rmsprop", "sgd"]:
        line = next(line for line in out.splitlines() if line.strip().split(" ")[0] == name)
        assert len(line.strip()) > len(name) + 10
    assert main(["list", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)
    assert list(catalogue["losses"]) == list(LOSSES)


def test_train_json_summary_in_a_real_process(tmp_path):
    ckpt = tmp_path / "ring.pt"
    done = run_cli("train", "--dataset", "ring8", "--loss", "wgan-gp", "--steps", "150", "--seed", "0",
                   "--batch-size", "64", "--json", "--save", str(ckpt))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["dataset"] == "ring8" and summary["loss"] == "wgan-gp"
    assert summary["steps"] == 150 and summary["total_steps"] == 150
    assert summary["diverged"] is False
    assert summary["seconds"] > 0
    # seconds are printed to the millisecond and steps/s to 0.1: allow for both roundings
    assert summary["steps_per_second"] == pytest.approx(150 / summary["seconds"],
                                                        rel=0.0005 / summary["seconds"] + 0.001, abs=0.051)
    assert summary["divergence"] == "Wasserstein-1"
    for key in ("d_loss", "g_loss", "estimate", "w1", "modes_covered", "modes_total", "hq_fraction"):
        assert key in summary
    assert summary["modes_total"] == 8
    assert ckpt.is_file()

    resumed = run_cli("train", "--resume", str(ckpt), "--steps", "50", "--json")
    assert resumed.returncode == 0, resumed.stderr
    again = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert (again["steps"], again["total_steps"], again["loss"]) == (50, 200, "wgan-gp")

    refused = run_cli("train", "--resume", str(ckpt), "--loss", "hinge", "--steps", "5")
    assert refused.returncode == 2
    assert "refusing to resume" in refused.stderr and "loss.name" in refused.stderr


def test_progress_bar_and_text_summary(capsys):
    assert main(["train", "--steps", "70", "--batch-size", "32"]) == 0
    captured = capsys.readouterr()
    assert "70/70 steps" in captured.err
    assert "ring8 / nonsaturating" in captured.out
    assert "modes covered" in captured.out


def test_same_seed_gives_the_same_summary(capsys):
    outputs = []
    for _ in range(2):
        assert main(["train", "--steps", "40", "--batch-size", "32", "--seed", "5", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        outputs.append((summary["d_loss"], summary["g_loss"], summary["w1"]))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("args, fragment", [
    (["--dataset", "ring9"], "invalid choice: 'ring9'"),
    (["--loss", "wgan-xx"], "invalid choice: 'wgan-xx'"),
    (["--lr", "-0.1"], "g_opt.lr: must be a number in [1e-06, 10]"),
    (["--batch-size", "0"], "batch_size: must be an integer in [1, 8192]"),
    (["--reg", "r3=1"], "unknown regulariser 'r3'; valid: r1, r2"),
    (["--reg", "r1=-2"], "reg.r1: gamma must be"),
    (["--set", "g.widht=3"], "g.widht: unknown option"),
    (["--steps", "-5"], "--steps must be >= 0"),
    (["--resume", "/nonexistent/run.pt"], "does not exist"),
])
def test_bad_input_exits_2_with_a_message(args, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err


def test_unknown_dataset_message_lists_the_valid_ones(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--dataset", "nope"])
    err = capsys.readouterr().err
    assert all(name in err for name in DATASETS)


def test_a_diverging_run_reports_it(capsys):
    code = main(["train", "--steps", "300", "--optimizer", "sgd", "--lr", "10", "--loss", "wgan-gp",
                 "--gp-lambda", "10000", "--batch-size", "32", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["diverged"] is True
    assert "diverged at step" in summary["diverged_message"]
    assert summary["steps"] < 300


def test_sweep_prints_a_table_and_rejects_bad_names(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    assert main(["sweep", "--datasets", "ring8", "--losses", "hinge", "--seeds", "0-1", "--steps", "20",
                 "--workers", "1", "--out", str(out), "--quiet", "--set", "batch_size=32"]) == 0
    text = capsys.readouterr().out
    assert "ring8" in text and "hinge" in text and "modes (mean ± se)" in text
    assert len(out.read_text().strip().splitlines()) == 3  # header + 2 runs
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--losses", "nope", "--out", str(out)])
    assert info.value.code == 2
    assert "nope" in capsys.readouterr().err


def test_train_mnist_reports_image_metrics_and_the_data_set(capsys):
    assert main(["train", "--dataset", "mnist", "--steps", "4", "--channels", "8", "--batch-size", "16",
                 "--json", "--set", "eval_samples=200"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["dataset"] == "mnist" and summary["arch"] == "dcgan"
    assert "subset" in summary["data"] or "torchvision" in summary["data"]
    assert 1.0 <= summary["classifier_score"] <= 10.0 and summary["fid_lenet"] > 0
    # seconds are printed to the millisecond: allow for that rounding on a run this short
    assert summary["images_per_second"] == pytest.approx(4 * 16 / summary["seconds"], rel=0.05)


def test_eval_reproduces_the_metrics_of_a_saved_run(tmp_path, capsys):
    path = tmp_path / "run.pt"
    assert main(["train", "--steps", "60", "--batch-size", "32", "--json", "--save", str(path)]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["eval", "--checkpoint", str(path), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["steps"] == 60
    for key in ("modes_covered", "hq_fraction", "w1", "jsd", "estimate"):
        assert evaluated[key] == pytest.approx(trained[key], rel=1e-9, abs=1e-12)
    with pytest.raises(SystemExit) as info:
        main(["eval", "--checkpoint", str(tmp_path / "missing.pt")])
    assert info.value.code == 2


def test_export_writes_a_small_generator_file_whose_card_eval_reproduces(tmp_path, capsys):
    path = tmp_path / "ring8.pt"
    assert main(["train", "--steps", "60", "--batch-size", "32", "--json", "--export", str(path)]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["command"].startswith("python -m ganlab train --steps 60") and card["steps"] == 60
    assert card["dataset"] == "ring8" and card["device"] == "cpu" and card["seconds"] == trained["seconds"]
    assert card["metrics"]["w1"] == trained["w1"] and "estimate" not in card["metrics"]
    assert main(["eval", "--checkpoint", str(path), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert evaluated["steps"] == 60 and "estimate" not in evaluated and "d_real" not in evaluated
    for key, value in card["metrics"].items():
        assert evaluated[key] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_image_export_and_eval_agree_on_the_image_metrics(tmp_path, capsys):
    path = tmp_path / "mnist.pt"
    assert main(["train", "--dataset", "mnist", "--steps", "3", "--channels", "8", "--batch-size", "16",
                 "--conditional", "--json", "--set", "eval_samples=200", "--export", str(path)]) == 0
    trained = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["eval", "--checkpoint", str(path), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("fid_lenet", "classifier_score", "class_kl", "precision", "recall", "density", "coverage"):
        assert evaluated[key] == pytest.approx(trained[key], rel=1e-6), key


def test_arch_choices_are_the_architectures_the_config_accepts():
    import argparse

    from ganlab.cli import build_parser
    from ganlab.nets.images import IMAGE_ARCHITECTURES
    from ganlab.nets.mlp import ARCHITECTURES

    parser = build_parser()
    train = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["train"]
    arch = next(a for a in train._actions if "--arch" in a.option_strings)
    assert sorted(arch.choices) == sorted({**ARCHITECTURES, **IMAGE_ARCHITECTURES}) == ["dcgan", "mlp"]


# --- likelihood models: train --model vae|flow (ganlab.likelihood) -------------------------------------------

def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_train_model_flow_json_prints_the_flows_metrics(capsys):
    assert main(["train", "--model", "flow", "--steps", "200", "--json"]) == 0
    summary = last_json(capsys)
    assert (summary["model"], summary["dataset"]) == ("flow", "ring8")
    assert summary["steps"] == summary["total_steps"] == 200
    assert summary["diverged"] is False and "loss" not in summary and "d_loss" not in summary
    assert "elbo" not in summary and "importance_samples" not in summary  # a VAE's, not a flow's
    # measured after 200 steps: test log-likelihood 0.04 nats on one CPU, -1.00 on an AVX-512 one (torch's
    # kernels differ, and so does the trajectory); the untrained flow (1 step) scores -2.30, the data's own 4.30
    assert -1.8 < summary["test_log_likelihood"] < 1.5 and 0 < summary["test_log_likelihood_se"] < 0.05
    assert summary["data_log_likelihood"] == pytest.approx(4.30, abs=0.02)
    assert summary["forward_kl"] == pytest.approx(summary["data_log_likelihood"] - summary["test_log_likelihood"],
                                                  abs=1e-6)
    assert summary["reverse_kl"] > 10 * summary["forward_kl"] > 0
    assert summary["kl_method"].startswith("exact log densities of p_data and the flow")
    assert summary["modes_total"] == 8 and summary["modes_covered"] >= 6
    assert 0 <= summary["hq_fraction"] < 0.2 and summary["w1"] > summary["w1_floor"] > 0
    assert math.isfinite(summary["train_loss"]) and summary["jsd"] <= math.log(2)


def test_a_vae_saved_evaluated_and_resumed(tmp_path, capsys):
    path = tmp_path / "vae.pt"
    assert main(["train", "--model", "vae", "--steps", "64", "--batch-size", "64", "--json", "--save",
                 str(path)]) == 0
    trained = last_json(capsys)
    assert trained["model"] == "vae" and trained["importance_samples"] == 256
    assert trained["elbo"] == pytest.approx(trained["recon"] - trained["kl"], abs=1e-6)
    assert trained["elbo"] < trained["test_log_likelihood"]
    assert trained["train_loss"] == pytest.approx(-trained["train_elbo"], abs=1e-6)  # beta = 1
    assert "importance sampling with k = 256" in trained["kl_method"]
    assert main(["eval", "--checkpoint", str(path), "--json"]) == 0
    evaluated = last_json(capsys)
    assert (evaluated["model"], evaluated["steps"]) == ("vae", 64)
    for key in ("test_log_likelihood", "elbo", "forward_kl", "reverse_kl", "w1", "modes_covered"):
        assert evaluated[key] == trained[key]  # the same weights and seeds: the same numbers
    assert main(["train", "--resume", str(path), "--steps", "64", "--json"]) == 0
    assert last_json(capsys)["total_steps"] == 128
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(path), "--model", "flow", "--steps", "1"])
    assert info.value.code == 2
    assert "refusing to resume" in capsys.readouterr().err


def test_the_text_summary_of_a_vae(capsys):
    assert main(["train", "--model", "vae", "--steps", "64", "--batch-size", "64", "--vae-latent-dim", "1",
                 "--no-learn-variance", "--decoder-std", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "ganlab train: ring8 / vae (seed 0" in out
    assert "(importance sampling, k = 256; the data's own: 4.30" in out
    assert "ELBO" in out and "KL(p_data || p_model)" in out and "modes covered" in out


@pytest.mark.parametrize("args, fragments", [
    (["--model", "bogus"], ["argument --model: invalid choice: 'bogus'", "gan", "vae", "flow"]),
    (["--model", "flow", "--dataset", "mnist"], ["model: the flow is for 2-D toy data, not 'mnist'"]),
    (["--model", "vae", "--decoder", "bernoulli"], ["vae.decoder: 'bernoulli' is for images"]),
    (["--model", "flow", "--flow-depth", "20"], ["flow.depth: must be an integer in [2, 16], got 20"]),
    (["--model", "vae", "--export", "vae_generator.pt"], ["--export writes a GAN's generator file; model 'vae'"]),
])
def test_bad_likelihood_input_exits_2_naming_the_flag_or_field(args, fragments, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--steps", "1", "--quiet", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert all(fragment in err for fragment in fragments), err


def test_a_gans_summary_names_its_model_and_its_kde_kl(capsys):
    assert main(["train", "--steps", "40", "--batch-size", "32", "--json"]) == 0
    summary = last_json(capsys)
    assert summary["model"] == "gan"
    assert summary["reverse_kl"] == summary["kl_fake_data"]
    assert summary["reverse_kl_se"] == summary["kl_fake_data_se"]
    assert summary["forward_kl"] == summary["kl_data_fake"]  # both null (infinite) when modes are dropped
    assert f"h = {summary['divergence_bandwidth']:.3g}" in summary["kl_method"]
    assert "KDE of 2,500 generator samples" in summary["kl_method"]


def test_list_shows_the_models(capsys):
    assert main(["list", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert list(models) == ["gan", "vae", "flow"]
    assert "Dinh et al. 2017" in models["flow"] and "--model vae" in models["vae"]
