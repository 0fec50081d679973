import pytest

from ganlab.ui import phase_click
from ganlab.ui.phase_click import clicked_point, start_from_click, start_point

BOUNDS = (-3.0, 3.0, -3.0, 3.0)


def selection(*points):
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_clicked_point_reads_the_first_selected_point():
    state = selection({"x": -2.3, "y": 1.7, "curve_number": 10, "point_index": 431},
                      {"x": 0.0, "y": 0.0, "curve_number": 10, "point_index": 1830})
    assert clicked_point(state) == (-2.3, 1.7)
    assert clicked_point(selection()) is None
    assert clicked_point(None) is None
    assert clicked_point({"selection": {"points": [{"curve_number": 1}]}}) is None  # a line: no coordinates


def test_start_point_is_clamped_into_the_start_widgets_limits_and_rounded():
    assert start_point((-2.3, 1.7), BOUNDS) == (-2.3, 1.7)
    assert start_point((0.30000000000000004, -0.1), BOUNDS) == (0.3, -0.1)
    assert start_point((7.5, -4.0), BOUNDS) == (3.0, -3.0)  # a zoomed-out plot shows points past the limits


@pytest.mark.parametrize(("point", "expected"), [((-2.3, 1.7), (-2.3, 1.7)), ((12.0, 0.05), (3.0, 0.05))])
def test_the_callback_sets_the_start_widgets(monkeypatch, point, expected):
    state = {"dyn_bilinear": selection({"x": point[0], "y": point[1]}), "dyn_x0": 1.0, "dyn_y0": 0.5}
    monkeypatch.setattr(phase_click.st, "session_state", state)
    start_from_click("dyn_bilinear", "dyn_x0", "dyn_y0", BOUNDS)
    assert (state["dyn_x0"], state["dyn_y0"]) == expected


def test_a_click_that_only_clears_the_selection_keeps_the_start(monkeypatch):
    state = {"dyn_dirac_r1": selection(), "dyn_theta0": 1.0, "dyn_psi0": 1.0}
    monkeypatch.setattr(phase_click.st, "session_state", state)
    start_from_click("dyn_dirac_r1", "dyn_theta0", "dyn_psi0", (-2.0, 2.0, -2.0, 2.0))
    assert (state["dyn_theta0"], state["dyn_psi0"]) == (1.0, 1.0)
