import base64
import json

import numpy as np

from ganlab.ui.live_plot import FRONTEND, frontend_dir, plotly_bundle
from ganlab.viz import unvalidated as fast
from ganlab.viz.spec import figure_spec


def test_frontend_folder_holds_our_page_and_plotlys_own_bundle(tmp_path):
    folder = frontend_dir(tmp_path)
    for name in ("index.html", "fast_frames.js"):
        assert (folder / name).read_bytes() == (FRONTEND / name).read_bytes()
    assert (folder / "plotly.min.js").read_bytes() == plotly_bundle().read_bytes()
    assert frontend_dir(tmp_path) == folder  # made once: a second call finds it
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no staging folder left behind


def test_the_page_speaks_the_component_protocol_and_updates_in_place():
    page = (FRONTEND / "index.html").read_text()
    for message in ("streamlit:componentReady", "streamlit:render", "streamlit:setFrameHeight"):
        assert message in page
    assert "Plotly.react" in page and "Plotly.newPlot" not in page
    assert '<script src="plotly.min.js">' in page  # the local copy: no network
    assert '<script src="fast_frames.js">' in page


def test_figure_spec_sends_float32_arrays_as_base64_that_decode_to_the_same_values():
    z = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    fig = fast.Figure(data=[fast.Heatmap(z=z)], layout=dict(uirevision="plane", height=300))
    spec = json.loads(figure_spec(fig))
    encoded = spec["data"][0]["z"]
    assert encoded["dtype"] == "f4" and encoded["shape"] == "3, 4"
    decoded = np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(decoded, z)
    assert spec["layout"] == {"uirevision": "plane", "height": 300}
