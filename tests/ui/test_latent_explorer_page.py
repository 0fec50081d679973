from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.ui.latent_session import image_checkpoints

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "latent_explorer.py")
SHIPPED = list(image_checkpoints())


def pin_three(app: AppTest) -> AppTest:
    for number in (1, 2, 3):
        app.selectbox(key="lx_pick_number").set_value(number).run()
        next(b for b in app.button if b.label == "Pin").click().run()
    return app


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_checkpoint_renders_every_panel(name):
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = name
    app.run()
    assert not app.exception and not app.error
    assert any("No generator" in i.value or "pin" in i.value.lower() for i in app.info)
    pin_three(app)
    assert not app.exception
    session = app.session_state["latent_session"]
    assert len(session.pins) == 3 and session.name == name
    headers = [h.value for h in app.header]
    for title in ("Interpolation", "Four-corner sheet", "Latent arithmetic", "Attribute directions",
                  "Nearest training digits", "Inversion"):
        assert title in headers
    if session.generator.n_labels:
        assert any("sweep" in h for h in headers)


def test_new_samples_changes_the_seed_and_clear_pins_empties():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    seed = app.session_state["latent_session"].seed
    next(b for b in app.button if b.label == "New samples").click().run()
    assert app.session_state["latent_session"].seed == seed + 1
    pin_three(app)
    next(b for b in app.button if b.label == "Clear pins").click().run()
    assert app.session_state["latent_session"].pins == []


def test_a_bad_upload_gets_a_message_and_keeps_the_open_generator():
    from ganlab.checkpoint import CheckpointError
    from ganlab.ui.latent_session import LatentSession

    with pytest.raises(CheckpointError, match="empty"):
        LatentSession.open(b"", "upload:empty.pt")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        LatentSession.open(b"junk" * 100, "upload:junk.pt")


@pytest.mark.parametrize("name", ["toy_ring8.pt", "toy_grid25.pt", "toy_disjoint-gaussians.pt"])
def test_toy_generators_show_samples_and_latent_paths(name):
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = name
    app.run()
    assert not app.exception
    figure = app.get("plotly_chart")[0].proto.spec
    for trace in ("G(z) samples", "G(linear path)", "G(spherical path)", "mode centres"):
        assert trace in figure
    app.slider(key="lx_toy_steps").set_value(7).run()
    assert not app.exception
