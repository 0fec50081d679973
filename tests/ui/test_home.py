from pathlib import Path

from streamlit.testing.v1 import AppTest

from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.ui.home import SECTION_TITLES, catalogue_rows, device_summary

ROOT = Path(__file__).resolve().parents[2]


def test_device_summary_names_the_cpu_when_there_is_no_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    summary = device_summary()
    assert summary["type"] == "cpu"
    assert summary["description"].startswith("CPU (")
    assert "No GPU found" in summary["note"]


def test_device_summary_names_the_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA Test GPU")
    summary = device_summary()
    assert summary == {"type": "cuda", "description": "CUDA GPU: NVIDIA Test GPU",
                       "note": "Runs train on this GPU unless a run names another device."}


def test_catalogue_rows_cover_every_registry():
    rows = catalogue_rows()
    assert [r["name"] for r in rows["Losses"]] == list(LOSSES)
    assert [r["name"] for r in rows["Datasets"]] == list(DATASETS)


def test_the_app_starts_and_the_home_page_says_what_ganlab_is():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not app.exception
    assert "laboratory for generative adversarial networks" in app.title[0].value
    info = app.info[0].value
    assert "Training device:" in info and device_summary()["description"] in info
    assert [e.label.split(" (")[0] for e in app.expander] == [*SECTION_TITLES.values()]
    assert any("Toy Lab" in str(link.label) for link in app.get("page_link"))
    assert any("2 JSD" in md.value or r"2\,\mathrm{JSD}" in md.value for md in app.markdown)


def test_the_architectures_listed_are_what_the_labs_offer():
    from ganlab.catalogue import IMAGE_KINDS
    from ganlab.nets.images import IMAGE_ARCHITECTURES
    from ganlab.nets.mlp import ARCHITECTURES

    rows = {r["name"]: r["description"] for r in catalogue_rows()["Architectures"]}
    assert list(rows) == ["mlp", "dcgan", "conditional", "infogan"]  # was ["mlp"]: the toy network only
    assert set(rows) == {*ARCHITECTURES, *IMAGE_ARCHITECTURES, *(k for k in IMAGE_KINDS if k != "unconditional")}
    assert rows["mlp"] == ("toy data: fully connected network: depth hidden layers of width units; MNIST: fully "
                           "connected G (256-512-1024) and D (512-256) for 28x28 images (CLI --arch mlp)")
    assert rows["dcgan"] == ("MNIST: DCGAN: strided convolutions, batch norm, ReLU/tanh in G, LeakyReLU 0.2 in D "
                             "(CLI --arch dcgan)")
    assert rows["conditional"].endswith("; MNIST, with dcgan or mlp (CLI --conditional)")
    assert rows["infogan"].endswith("; MNIST, with dcgan or mlp (CLI --info-codes 10)")


def test_the_home_page_shows_four_architectures():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert "Architectures (4)" in [e.label for e in app.expander]
