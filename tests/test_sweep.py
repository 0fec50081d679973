import argparse
import json
import math

import pytest

from ganlab.config import ConfigError
from ganlab.evaluation import MODE_DRAWS
from ganlab.sweep import (
    COLUMNS,
    METRICS,
    SweepSpec,
    add_arguments,
    expand,
    format_table,
    load_preset,
    parse_seeds,
    read_csv,
    run_from_args,
    run_sweep,
    summarize,
)

TINY_BASE = {"batch_size": "32", "g.width": "32", "d.width": "32", "g.depth": "2", "d.depth": "2"}


def tiny_spec(workers: int) -> SweepSpec:
    return SweepSpec(datasets=["ring8", "gaussian"], losses=["nonsaturating", "lsgan"], seeds=[0, 1], steps=30,
                     base=dict(TINY_BASE), workers=workers, eval_samples=500)


def metric_values(row: dict) -> tuple:
    return tuple(row[k] for k in METRICS)


# --- expand -----------------------------------------------------------------------------------------

def test_expand_gives_every_combination_with_its_overrides():
    spec = SweepSpec(datasets=["ring8", "grid25"], losses=["nonsaturating", "wgan-gp"], seeds=[0, 1, 2],
                     steps=100, base={"g.width": "128"},
                     variants=[{"name": "GAN", "overrides": {"pack": "1"}},
                               {"name": "PacGAN4", "overrides": {"pack": "4"}}],
                     dataset_overrides={"ring8": {"data.std": "0.02"}})
    runs = expand(spec)
    assert len(runs) == 24
    keys = {(r.dataset, r.loss, r.variant, r.seed) for r in runs}
    assert len(keys) == 24
    first, last = runs[0], runs[-1]
    assert (first.dataset, first.loss, first.variant, first.seed) == ("ring8", "nonsaturating", "GAN", 0)
    assert (last.dataset, last.loss, last.variant, last.seed) == ("grid25", "wgan-gp", "PacGAN4", 2)
    for run in runs:
        assert run.steps == 100
        assert run.overrides["data.name"] == run.dataset
        assert run.overrides["loss.name"] == run.loss
        assert run.overrides["seed"] == str(run.seed)
        assert run.overrides["pack"] == {"GAN": "1", "PacGAN4": "4"}[run.variant]
        assert run.overrides["eval_samples"] == "2500"
        cfg = run.config()
        assert cfg.g.width == 128
        assert cfg.pack == (4 if run.variant == "PacGAN4" else 1)
        assert cfg.seed == run.seed and cfg.data.name == run.dataset and cfg.loss.name == run.loss
        assert cfg.eval_every == 0
        assert cfg.data.std == (0.02 if run.dataset == "ring8" else None)


def test_expand_rejects_a_bad_override_naming_the_field_before_running(tmp_path):
    spec = SweepSpec(datasets=["ring8"], losses=["nonsaturating"], seeds=[0], steps=10,
                     base={"g_opt.lr": "-1"})
    with pytest.raises(ConfigError) as info:
        expand(spec)
    assert info.value.field == "g_opt.lr"
    assert "g_opt.lr" in str(info.value)
    out = tmp_path / "never.csv"
    with pytest.raises(ConfigError):
        run_sweep(spec, out)
    assert not out.exists()  # failed before anything ran or was written

    bad_variant = SweepSpec(datasets=["ring8"], losses=["nonsaturating"], seeds=[0], steps=10,
                            variants=[{"name": "big", "overrides": {"pack": "99"}}])
    with pytest.raises(ConfigError) as info:
        expand(bad_variant)
    assert info.value.field == "pack"
    with pytest.raises(ConfigError) as info:
        expand(SweepSpec(datasets=["nope"], losses=["nonsaturating"], seeds=[0], steps=10))
    assert info.value.field == "data.name"


def test_expand_rejects_malformed_specs():
    with pytest.raises(ValueError, match="seeds"):
        expand(SweepSpec(datasets=["ring8"], losses=["nonsaturating"], seeds=[], steps=10))
    with pytest.raises(ValueError, match="duplicate"):
        expand(SweepSpec(datasets=["ring8", "ring8"], losses=["nonsaturating"], seeds=[0], steps=10))
    with pytest.raises(ValueError, match="steps"):
        expand(SweepSpec(datasets=["ring8"], losses=["nonsaturating"], seeds=[0], steps=0))
    with pytest.raises(ConfigError) as info:
        expand(SweepSpec(datasets=["ring8"], losses=["nonsaturating"], seeds=[0], steps=10, base={"seed": "3"}))
    assert info.value.field == "seed"


def test_parse_seeds():
    assert parse_seeds("0,1,2") == [0, 1, 2]
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("0-1,7") == [0, 1, 7]
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds("a-b")
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds("4-1")


# --- summarize and table ------------------------------------------------------------------------------

def hand_row(dataset, variant, seed, modes, hq, w1, diverged=False):
    row = {"dataset": dataset, "loss": "nonsaturating", "variant": variant, "seed": seed, "steps": 10,
           "seconds": 1.0, "diverged": diverged, "diverged_at": None, "device": "cpu"}
    row.update(dict.fromkeys(METRICS))
    row.update(modes_covered=modes, modes_total=8, hq_fraction=hq, w1=w1)
    return row


def test_summarize_mean_and_standard_error():
    rows = [hand_row("ring8", "GAN", 0, 6, 0.9, 0.1), hand_row("ring8", "GAN", 1, 7, 0.8, 0.2, diverged=True),
            hand_row("ring8", "GAN", 2, 8, 0.7, 0.3), hand_row("ring8", "PacGAN4", 0, 8, 0.95, 0.05)]
    gan, pac = summarize(rows)
    assert (gan["dataset"], gan["loss"], gan["variant"], gan["n"], gan["n_diverged"]) == \
        ("ring8", "nonsaturating", "GAN", 3, 1)
    assert gan["modes_covered_mean"] == pytest.approx(7.0, abs=1e-12)
    assert gan["modes_covered_se"] == pytest.approx(1 / math.sqrt(3), abs=1e-12)
    assert gan["hq_fraction_mean"] == pytest.approx(0.8, abs=1e-12)
    assert gan["hq_fraction_se"] == pytest.approx(0.1 / math.sqrt(3), abs=1e-12)
    assert gan["w1_se"] == pytest.approx(0.1 / math.sqrt(3), abs=1e-12)
    assert gan["modes_total_mean"] == 8 and gan["modes_total_se"] == 0
    assert gan["jsd_mean"] is None and gan["jsd_se"] is None  # no run has it
    assert (pac["n"], pac["n_diverged"], pac["modes_covered_mean"], pac["modes_covered_se"]) == (1, 0, 8.0, 0.0)


def test_format_table_shows_our_figures_and_the_paper_columns():
    rows = [hand_row("ring8", "GAN", s, m, 0.9, 0.1) for s, m in enumerate((6, 7, 8))]
    summary = summarize(rows)
    plain = format_table(summary)
    assert "paper" not in plain
    lines = plain.splitlines()
    assert lines[0].split()[:3] == ["dataset", "loss", "variant"]
    assert "7.00 ± 0.58 /8" in lines[2] and "90.0 ± 0.0" in lines[2]
    paper = {("ring8", "GAN"): {"modes": 6.3, "modes_se": 0.5, "hq": 98.2}}
    table = format_table(summary, paper)
    assert "paper modes" in table and "paper hq %" in table
    assert "6.3 ± 0.5" in table and "98.2" in table
    widths = {len(line) for line in table.splitlines()[:2]}
    assert len(widths) == 1  # fixed width: header and rule line up


# --- running ------------------------------------------------------------------------------------------

def test_run_sweep_writes_typed_sorted_csv_and_is_deterministic_across_processes(tmp_path):
    calls = []
    out1 = tmp_path / "w1.csv"
    rows1 = run_sweep(tiny_spec(workers=1), out1, progress=lambda d, t, r: calls.append((d, t, r["seed"])))
    assert [c[:2] for c in calls] == [(i, 8) for i in range(1, 9)]
    assert len(rows1) == 8
    order = [(r["dataset"], r["loss"], r["variant"], r["seed"]) for r in rows1]
    assert order == [(r.dataset, r.loss, r.variant, r.seed) for r in expand(tiny_spec(1))]

    back = read_csv(out1)
    assert back == rows1  # same values and types (None stays None)
    for row in back:
        assert list(row) == list(COLUMNS)
        assert isinstance(row["seed"], int) and isinstance(row["steps"], int) and row["steps"] == 30
        assert isinstance(row["diverged"], bool) and row["diverged"] is False
        assert isinstance(row["seconds"], float)
        # modes covered: the mean over MODE_DRAWS draws, so a multiple of 1 / MODE_DRAWS
        assert isinstance(row["modes_covered"], float) and isinstance(row["w1"], float)
        assert row["modes_covered"] * MODE_DRAWS == pytest.approx(round(row["modes_covered"] * MODE_DRAWS))
        assert row["modes_total"] == {"ring8": 8, "gaussian": 1}[row["dataset"]]
        assert 0 <= row["modes_covered"] <= row["modes_total"]
        assert 0.0 <= row["hq_fraction"] <= 1.0

    out2 = tmp_path / "w2.csv"
    rows2 = run_sweep(tiny_spec(workers=2), out2)
    assert read_csv(out2) == rows2
    assert [metric_values(r) for r in rows2] == [metric_values(r) for r in rows1]
    # different seeds give different runs
    assert metric_values(rows1[0]) != metric_values(rows1[1])


def test_a_diverging_run_gives_a_row_and_the_sweep_continues(tmp_path):
    spec = SweepSpec(datasets=["ring8"], losses=["wgan-gp", "nonsaturating"], seeds=[0], steps=20,
                     base={**TINY_BASE, "g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10",
                           "d_opt.lr": "10", "loss.gp_lambda": "10000"},
                     workers=1, eval_samples=500)
    rows = run_sweep(spec, tmp_path / "div.csv")
    assert len(rows) == 2
    wgan = rows[0]
    assert wgan["loss"] == "wgan-gp" and wgan["diverged"] is True
    assert isinstance(wgan["diverged_at"], int) and wgan["steps"] < 20
    assert wgan["modes_total"] == 8 and wgan["w1"] is not None and math.isfinite(wgan["w1"])
    assert rows[1]["loss"] == "nonsaturating"  # the sweep went on after the divergence
    assert read_csv(tmp_path / "div.csv") == rows
    assert summarize(rows)[0]["n_diverged"] == 1


# --- presets ------------------------------------------------------------------------------------------

def test_pacgan_preset_has_the_papers_protocol_and_figures():
    spec, paper, description = load_preset("pacgan")
    assert spec.datasets == ["ring8", "grid25"]
    assert spec.losses == ["nonsaturating"]
    assert spec.seeds == [0, 1, 2, 3, 4]
    assert spec.eval_samples == 2500
    assert "PacGAN" in description
    runs = expand(spec)
    assert len(runs) == 2 * 2 * 5
    by_key = {(r.dataset, r.variant, r.seed): r.config() for r in runs}
    for (dataset, variant, _), cfg in by_key.items():
        assert (cfg.g.depth, cfg.g.width, cfg.g.activation, cfg.g.norm) == (4, 400, "relu", "batch")
        assert (cfg.d.depth, cfg.d.width, cfg.d.activation, cfg.d.maxout_pieces) == (3, 200, "maxout", 5)
        assert cfg.d.norm == "none"
        for opt in (cfg.g_opt, cfg.d_opt):
            assert (opt.name, opt.lr, opt.beta1, opt.beta2) == ("adam", 1e-4, 0.8, 0.999)
        assert (cfg.batch_size, cfg.latent_dim, cfg.noise, cfg.loss.name) == (100, 2, "gaussian", "nonsaturating")
        assert cfg.eval_samples == 2500 and cfg.device == "auto"
        assert cfg.pack == {"GAN": 1, "PacGAN4": 4}[variant]
        assert cfg.data.std == {"ring8": 0.01, "grid25": 0.05}[dataset]
    reduced = spec.steps
    full_spec, _, _ = load_preset("pacgan", full=True)
    assert full_spec.steps == 25_000 and reduced < full_spec.steps
    assert paper[("ring8", "GAN")] == {"modes": 6.3, "modes_se": 0.5, "hq": 98.2}
    assert paper[("grid25", "GAN")] == {"modes": 17.3, "modes_se": 0.8, "hq": 94.8}
    assert paper[("ring8", "PacGAN4")]["modes"] == 7.8 and paper[("ring8", "PacGAN4")]["hq"] == 98.4
    assert paper[("grid25", "PacGAN4")]["modes"] == 24.8 and paper[("grid25", "PacGAN4")]["hq"] == 94.2


def test_unknown_preset_and_bad_preset_file(tmp_path):
    with pytest.raises(ValueError, match="pacgan"):
        load_preset("no-such-preset")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"datasets": ["ring8"], "losses": ["nonsaturating"], "seeds": [0], "steps": 5,
                               "base": {"d.width": "0"}}))
    with pytest.raises(ConfigError) as info:
        load_preset(bad)
    assert info.value.field == "d.width"


# --- command line -------------------------------------------------------------------------------------

def parse(argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_run_from_args_runs_a_sweep_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    args = parse(["--datasets", "ring8", "--losses", "nonsaturating", "--seeds", "0-1", "--steps", "5",
                  "--workers", "1", "--out", str(out), "--json",
                  *[f"--set={k}={v}" for k, v in TINY_BASE.items()], "--set", "g_opt.lr=2e-4"])
    assert run_from_args(args) == 0
    captured = capsys.readouterr()
    assert "[1/2] ring8 nonsaturating - seed 0:" in captured.err
    assert "[2/2] ring8 nonsaturating - seed 1:" in captured.err and " s" in captured.err
    assert "modes (mean ± se)" in captured.out
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary[0]["n"] == 2 and summary[0]["dataset"] == "ring8"
    assert len(read_csv(out)) == 2

    assert run_from_args(parse(["--show", str(out), "--preset", "pacgan", "--quiet"])) == 0
    assert "paper modes" in capsys.readouterr().out

    with pytest.raises(ValueError, match="--full"):
        run_from_args(parse(["--full", "--out", str(tmp_path / "x.csv")]))
    with pytest.raises(ValueError, match="KEY=VALUE"):
        run_from_args(parse(["--set", "g.width", "--out", str(tmp_path / "x.csv")]))
    with pytest.raises(ConfigError) as info:
        run_from_args(parse(["--set", "g_opt.lr=-1", "--out", str(tmp_path / "x.csv")]))
    assert info.value.field == "g_opt.lr"
    assert not (tmp_path / "x.csv").exists()
