"""The GAN, VAE and flow page (AppTest): three panels and the KL chart, Step, presets, links, presenter mode."""

import json
import re
import time
from concurrent.futures import Future
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ganlab.links import PAGE_FIELDS
from ganlab.runtime.pool import WorkerError
from ganlab.ui import families_mnist
from ganlab.ui.families_mnist import FreshVAE, metrics_table, shipped_reports_job
from ganlab.ui.families_session import FAMILY_DATASETS, NO_PRESET, PRESETS
from ganlab.ui.navigation import APP_PAGES
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread
from tests.ui.apptest import open_with_query

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "gan_vae_flow.py")
HEADING = re.compile(r"(GAN|VAE|Flow) · step (\d+)$")


def live_plots(app: AppTest) -> list[dict]:
    """What each live plot (ganlab.ui.live_plot) was given: spec, header, ... (the panels, then the KL chart)."""
    return [json.loads(c.proto.json_args) for c in app.get("component_instance")]


def panel_steps(app: AppTest) -> dict[str, int]:
    """The panels' headings: family -> step."""
    return {m.group(1): int(m.group(2)) for m in (HEADING.match(a.get("header") or "") for a in live_plots(app))
            if m}


def notices(app: AppTest) -> list[str]:
    """The page's info boxes, but for the note shown while the shipped MNIST models are being scored (in a
    process apart: whether it is still there depends on how far that got)."""
    return [i.value for i in app.info if not i.value.startswith(SCORING_NOTE)]


SCORING_NOTE = "Scoring the shipped VAE and DCGAN"


def charts(app: AppTest) -> dict[str, dict]:
    """The live plots' figures by name: "gan", "vae", "flow" (from their headings) and "kl"."""
    named = {}
    for args in live_plots(app):
        match = HEADING.match(args.get("header") or "")
        named[match.group(1).lower() if match else "kl"] = json.loads(args["spec"])
    return named


def test_the_page_draws_three_panels_and_the_kl_chart_and_step_moves_all_three():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not app.exception
    assert app.title[0].value == "GAN, VAE and flow"
    assert panel_steps(app) == {"GAN": 0, "VAE": 0, "Flow": 0}
    shown = charts(app)
    assert list(shown) == ["gan", "vae", "flow", "kl"]
    assert [t["legendgroup"] for t in shown["vae"]["data"]] == ["density", "data_density", "real", "samples",
                                                                "latent"]
    assert [shown[f]["layout"]["xaxis"]["range"] for f in ("gan", "vae", "flow")] == [[-1.5, 1.5]] * 3
    assert len(shown["kl"]["data"]) == 6 and shown["gan"]["layout"]["title"]["text"] == ""  # the heading says it
    assert any("Metrics every 250 steps: the first at step 250." in c.value for c in app.caption)
    assert any(c.value.startswith("How each is estimated:") for c in app.caption)
    notes = next(c.value for c in app.caption if c.value.startswith("- Green contours: p_data"))
    assert "**VAE**: heatmap: log p(x) by importance sampling, k = 16" in notes
    assert "**Flow**: heatmap: log p(x) exact" in notes and "its top 10 nats" in notes
    intro = app.markdown[0].value
    assert "mode covering" in intro and "mode seeking" in intro and r"\mathrm{ELBO} \le \log p(x)" in intro
    assert [e.label for e in app.expander] == ["More on the maths"]
    assert r"\log p(x) \ge \mathbb{E}_{q(z|x)}" in app.markdown[1].value

    next(b for b in app.button if b.label == "Step").click().run()
    assert panel_steps(app) == {"GAN": 1, "VAE": 1, "Flow": 1}
    session = app.session_state["families_session"]
    assert [t.step_count for t in session.trainers.values()] == [1, 1, 1] and not session.playing
    next(b for b in app.button if b.label == "Reset").click().run()
    assert panel_steps(app) == {"GAN": 0, "VAE": 0, "Flow": 0}
    assert notices(app) == ["Reset: three new runs from step 0."]
    assert not app.exception


def test_a_preset_sets_the_data_set_and_another_data_set_leaves_the_preset():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    assert app.selectbox(key="fam_dataset").options == list(FAMILY_DATASETS)
    app.selectbox(key="fam_preset").set_value("flow-bridges").run()
    session = app.session_state["families_session"]
    assert app.selectbox(key="fam_dataset").value == "grid25" and session.preset == "flow-bridges"
    assert session.configs["flow"].flow.depth == 4 and session.max_steps == 3000
    assert notices(app) == ["Preset Flow bridges: press Play; the runs stop at step 3,000, where "
                                           "the failure shows."]
    table = next(md.value for md in app.markdown if md.value.startswith("| preset |"))
    assert "| Flow bridges | grid25 | flow.depth = 4 | step 3,000 |" in table
    assert "| VAE blur | ring8, std 0.05 | vae.beta = 4 | step 3,000 |" in table
    app.selectbox(key="fam_dataset").set_value("moons").run()
    session = app.session_state["families_session"]
    assert (session.dataset, session.preset, app.selectbox(key="fam_preset").value) == ("moons", None, NO_PRESET)
    assert session.configs["flow"].flow.depth == 8 and not app.exception


def test_a_link_sets_the_preset_and_a_bad_value_is_named():
    assert set(PAGE_FIELDS["gan-vae-flow"]) == {"dataset", "preset"}
    assert PAGE_FIELDS["gan-vae-flow"]["preset"].choices == (NO_PRESET, *PRESETS)
    app = open_with_query(PAGE, timeout=120, preset="gan-dropped-modes")
    session = app.session_state["families_session"]
    assert (session.preset, session.dataset, session.configs["gan"].loss.name) == ("gan-dropped-modes", "ring8",
                                                                                   "minimax")
    assert [c.value for c in app.caption if c.value.startswith("Opened with")] == [
        "Opened with: preset = gan-dropped-modes"]
    app = open_with_query(PAGE, timeout=120, dataset="parallel-lines", preset="vae-blur")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "dataset: 'parallel-lines' is not one of ring8, grid25" in errors[0]
    assert app.session_state["families_session"].preset == "vae-blur"  # the valid part is applied


def test_presenter_mode_folds_the_maths_and_the_controls_and_keeps_the_panels():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["presenter"] = True
    app.run()
    assert not app.exception
    assert [e.label for e in app.expander] == ["The maths on this page", "Controls", "How to read the panels"]
    assert panel_steps(app) == {"GAN": 0, "VAE": 0, "Flow": 0}
    shown = charts(app)  # larger planes for the wider columns, the same size in all three
    heights = {f: shown[f]["layout"]["height"] for f in ("gan", "vae", "flow")}
    assert heights["gan"] == heights["flow"] == 330 + 8 + 36 and heights["vae"] > heights["gan"]


def test_the_page_is_in_the_menu_with_its_main_figure():
    spec = next(p for p in APP_PAGES if p.url_path == "gan-vae-flow")
    assert (spec.file, spec.title, spec.main_figure) == ("pages/gan_vae_flow.py", "GAN, VAE and flow",
                                                         "iframe[title*=live_plot]")


def test_the_mnist_section_shows_the_vae_beside_the_dcgan_with_one_table_and_trains_a_fresh_vae():
    app = AppTest.from_file(PAGE, default_timeout=300)
    app.session_state["families_fresh_vae"] = FreshVAE(steps=8)  # trained here, not in a worker
    app.run()
    assert not app.exception and not app.error
    shipped = shipped_reports_job().result(timeout=600)  # scored in a process apart; the page's own job
    app.run()
    texts = [m.value for m in app.markdown]
    section = texts[texts.index("#### On MNIST"):]
    assert "4,000 digits of the offline MNIST subset" in section[1]
    assert section[2] == "**VAE** · checkpoints/mnist_vae.pt, 2,500 steps (85 s on a CPU)"
    assert section[3] == "**DCGAN** · checkpoints/mnist_dcgan.pt, 15,000 steps (20 min on a CPU)"
    assert section[5] == metrics_table(shipped) and section[5].startswith("| metric | VAE | DCGAN | note |")
    captions = [c for image in app.get("image") for c in image.captions]
    assert captions[0].startswith("32 of the 1,000 samples scored below: the decoder's means")
    assert captions[1].startswith("Top: the first held-out digit of each class, 0 to 9")
    assert captions[2].startswith("32 of the 1,000 samples scored below: the generator's (EMA) digits G(z)")
    assert any(c.value.startswith("LeNet metrics (ganlab.image_eval") and "1,000 samples of each" in c.value
               for c in app.caption)

    next(b for b in app.button if b.label == "Train 8 steps").click().run()
    fresh = app.session_state["families_fresh_vae"]
    deadline = time.monotonic() + 120
    while fresh.status != "done" and time.monotonic() < deadline:  # the fragment's 1 s timer, which AppTest
        app.run()                                                   # does not run: a slow CPU needs more slices
    assert not app.exception and fresh.status == "done" and fresh.trainer.step_count == 8
    table = next(m.value for m in app.markdown if m.value.startswith("| metric |"))
    assert table == metrics_table([*shipped, fresh.report]) and "| Fresh VAE | note |" in table.splitlines()[0]
    assert any(c.value.startswith("Trained here for 8 steps") for c in app.caption)
    assert len(app.get("image")) == 5  # the fresh VAE's samples and reconstructions joined the shipped ones


def test_while_the_shipped_models_are_scored_the_page_says_so_works_and_shows_them_once_scored(monkeypatch):
    scoring: Future = Future()
    monkeypatch.setattr(families_mnist, "shipped_reports_job", lambda: scoring)
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["families_fresh_vae"] = FreshVAE(steps=8)
    app.run()
    assert not app.exception and not app.error
    (note,) = [i.value for i in app.info if i.value.startswith(SCORING_NOTE)]
    assert "on 1,000 digits each, in a process of its own" in note
    assert not any(m.value.startswith("| metric |") for m in app.markdown)  # no table yet
    next(b for b in app.button if b.label == "Step").click().run()  # the rest of the page works meanwhile
    assert panel_steps(app) == {"GAN": 1, "VAE": 1, "Flow": 1}
    assert any(b.label == "Train 8 steps" for b in app.button)

    scoring.set_result(shipped_reports_job().result(timeout=600))  # the real reports, scored apart
    app.run()
    assert not app.exception and len(notices(app)) == len(app.info)
    table = next(m.value for m in app.markdown if m.value.startswith("| metric |"))
    assert table == metrics_table(scoring.result()) and table.startswith("| metric | VAE | DCGAN | note |")


def test_a_shipped_model_that_cannot_be_scored_is_named_and_the_page_goes_on(monkeypatch):
    failed: Future = Future()
    failed.set_exception(WorkerError("CheckpointError: mnist_vae.pt holds a gan run on ring8, not a VAE "
                                     "trained on MNIST"))
    monkeypatch.setattr(families_mnist, "shipped_reports_job", lambda: failed)
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["families_fresh_vae"] = FreshVAE(steps=8)
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == ["The shipped MNIST models could not be scored: CheckpointError: "
                                            "mnist_vae.pt holds a gan run on ring8, not a VAE trained on MNIST"]
    assert panel_steps(app) == {"GAN": 0, "VAE": 0, "Flow": 0}
    assert any(b.label == "Train 8 steps" for b in app.button)
