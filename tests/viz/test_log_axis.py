"""Log axes say which decade a tick is in (they read "5, 2, 1, 5, 2" with Plotly's own ticks)."""

import numpy as np
import pytest

from ganlab.viz import lesson_figures as lf
from ganlab.viz.dynamics import distance_figure
from ganlab.viz.log_axis import decade_label, log_axis, log_ticks, step_label


def test_labels_name_the_decade():
    assert [decade_label(k) for k in (-12, -3, -1, 0, 1, 2, 10)] == [
        "10⁻¹²", "10⁻³", "10⁻¹", "1", "10", "10²", "10¹⁰"]
    assert [step_label(m, k) for m, k in ((2, -5), (1, -4), (5, -3), (2, -1), (1, 0), (5, 3), (2, 4))] == [
        "2×10⁻⁵", "10⁻⁴", "0.005", "0.2", "1", "5000", "2×10⁴"]


def test_several_decades_get_one_tick_per_decade():
    assert log_ticks(1e-3, 10 ** 0.1) == ([0.001, 0.01, 0.1, 1.0], ["10⁻³", "10⁻²", "10⁻¹", "1"])
    assert log_ticks(0.02, 3e3) == ([0.1, 1.0, 10.0, 100.0, 1000.0], ["10⁻¹", "1", "10", "10²", "10³"])


def test_many_decades_are_thinned_to_at_most_eight_ticks():
    values, labels = log_ticks(1e-10, 1.0)
    assert values == [1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0]
    assert labels == ["10⁻¹⁰", "10⁻⁸", "10⁻⁶", "10⁻⁴", "10⁻²", "1"]
    assert log_ticks(1e-20, 1.0)[1] == ["10⁻¹⁸", "10⁻¹⁵", "10⁻¹²", "10⁻⁹", "10⁻⁶", "10⁻³", "1"]


def test_a_decade_or_two_gets_1_2_5_steps_written_in_full():
    # Plotly's own labels here were "5, 2, 1, 5, 2": no way to tell 0.5 from 5
    assert log_ticks(0.15, 7.0) == ([0.2, 0.5, 1.0, 2.0, 5.0], ["0.2", "0.5", "1", "2", "5"])
    assert log_ticks(1e-6, 3e-5) == ([1e-6, 2e-6, 5e-6, 1e-5, 2e-5],
                                     ["10⁻⁶", "2×10⁻⁶", "5×10⁻⁶", "10⁻⁵", "2×10⁻⁵"])


def test_less_than_a_1_2_5_step_gets_every_digit():
    assert log_ticks(0.6, 0.9) == ([0.6, 0.7, 0.8, 0.9], ["0.6", "0.7", "0.8", "0.9"])
    assert log_ticks(0.9, 0.6) == log_ticks(0.6, 0.9)


def test_bad_limits_are_refused():
    for low, high in ((0.0, 1.0), (-1.0, 1.0), (1.0, float("inf")), (float("nan"), 1.0)):
        with pytest.raises(ValueError, match="finite positive limits"):
            log_ticks(low, high)


def test_log_axis_takes_its_ticks_from_the_positive_data():
    axis = log_axis("W1", np.array([4.6, 0.07, 0.0, np.nan]), [1.0, -3.0])
    assert axis == {"type": "log", "title": "W1", "tickmode": "array", "tickvals": [0.1, 0.2, 0.5, 1.0, 2.0],
                    "ticktext": ["0.1", "0.2", "0.5", "1", "2"]}
    assert log_axis("empty", [0.0, -1.0]) == {"type": "log", "title": "empty"}  # Plotly's ticks then
    assert log_axis(None, limits=(1e-3, 1.0), range=[-3, 0])["ticktext"] == ["10⁻³", "10⁻²", "10⁻¹", "1"]


def test_the_app_s_log_axes_use_these_ticks():
    path = np.array([[1.0, 0.0], [0.5, 0.0], [0.2, 0.0], [0.15, 0.0], [7.0, 0.0]])
    axis = distance_figure({"simultaneous": path}, title="t", uirevision="u").layout.yaxis
    assert (axis.type, axis.title.text) == ("log", "distance to equilibrium")
    assert axis.ticktext == ("0.2", "0.5", "1", "2", "5")
    saturation = lf.saturation().layout.yaxis2
    assert (saturation.type, tuple(saturation.range)) == ("log", (-3, 0.1))
    assert saturation.ticktext == ("10⁻³", "10⁻²", "10⁻¹", "1")
    wgan = lf.wgan().layout.yaxis
    assert (wgan.type, wgan.title.text) == ("log", "gradient norm")
    assert all(label == "1" or label.startswith("10") for label in wgan.ticktext)
