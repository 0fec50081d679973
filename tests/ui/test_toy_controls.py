import pytest

from ganlab.config import ConfigError, RunConfig, with_overrides
from ganlab.ui.toy_controls import PREFIX, config_from_widgets, parse_points_csv, widget_values


def test_widgets_round_trip_a_config():
    cfg = with_overrides(RunConfig(), {"loss.name": "wgan-gp", "reg.r1": "5", "g.width": "32",
                                        "data.std": "0.02", "d_opt.lr": "0.0002"})
    state = widget_values(cfg)
    assert state[PREFIX + "on.r1"] is True and state[PREFIX + "reg.r1"] == 5.0
    assert state[PREFIX + "on.r2"] is False
    assert config_from_widgets(state) == cfg


def test_default_std_is_shown_and_used():
    state = widget_values(RunConfig())
    assert state[PREFIX + "data.std"] == 0.01  # ring8's default
    assert config_from_widgets(state).data.std == 0.01


def test_switching_a_regulariser_off():
    state = widget_values(with_overrides(RunConfig(), {"reg.r1": "5"}))
    state[PREFIX + "on.r1"] = False
    assert config_from_widgets(state).regularizers == {}


def test_bad_widget_value_names_the_field():
    state = widget_values(RunConfig())
    state[PREFIX + "g_opt.lr"] = -1.0
    with pytest.raises(ConfigError) as info:
        config_from_widgets(state)
    assert info.value.field == "g_opt.lr"


def test_custom_points_from_csv():
    points = parse_points_csv(b"x,y\n0,0\n1.5,-2\n\n")
    assert points == [[0.0, 0.0], [1.5, -2.0]]
    state = widget_values(RunConfig())
    state[PREFIX + "data.name"] = "custom"
    state[PREFIX + "data.std"] = 0.05
    cfg = config_from_widgets(state, points)
    assert cfg.data.points == [[0.0, 0.0], [1.5, -2.0]]


@pytest.mark.parametrize("data, fragment", [
    (b"0,0\n1,2,3\n", "line 2: expected two values"),
    (b"0,0\n1,abc\n", "line 2: '1,abc' is not two numbers"),
    (b"0,0\nnan,1\n", "line 2: values must be finite"),
    (b"", "no x,y rows"),
    (b"\xff\xfe\x00", "not UTF-8"),
])
def test_bad_csv_says_which_line(data, fragment):
    with pytest.raises(ValueError) as info:
        parse_points_csv(data)
    assert fragment in str(info.value)


def test_canvas_selection_adds_grid_points_once():
    from ganlab.ui.toy_controls import add_selected_points
    from ganlab.viz.draw_canvas import canvas_figure, canvas_grid

    grid = canvas_grid()
    assert grid.shape == (41 * 41, 2) and grid.min() == -2.0 and grid.max() == 2.0
    selected = [{"x": 0.5, "y": -1.0, "curve_number": 0}, {"x": 0.5, "y": -1.0, "curve_number": 0},
                {"x": 9.0, "y": 9.0, "curve_number": 1}]
    points = add_selected_points([[0.0, 0.0]], selected)
    assert points == [[0.0, 0.0], [0.5, -1.0]]
    fig = canvas_figure(points)
    assert list(fig.data[1].x) == [0.0, 0.5] and fig.data[1].name == "your points (2)"


def test_the_custom_dataset_without_points_gets_guidance_not_an_error():
    from ganlab.ui.toy_controls import NO_POINTS_YET, awaiting_points, config_or_guidance

    state = widget_values(RunConfig())
    assert config_or_guidance(state) == (config_from_widgets(state), None)  # ring8: nothing to wait for
    assert not awaiting_points(state, None)
    state[PREFIX + "data.name"] = "custom"
    with pytest.raises(ConfigError):  # what the page caught and showed in red before the user could draw
        config_from_widgets(state, None)
    for nothing_yet in (None, []):
        assert awaiting_points(state, nothing_yet)
        assert config_or_guidance(state, nothing_yet) == (None, NO_POINTS_YET)
    assert NO_POINTS_YET.startswith("The custom dataset needs your points: in “Draw the custom distribution”")
    cfg, guidance = config_or_guidance(state, [[0.0, 0.0], [1.0, 1.0]])
    assert guidance is None and cfg.data.points == [[0.0, 0.0], [1.0, 1.0]]
    state[PREFIX + "g_opt.lr"] = -1.0  # wrong input is still an error, named
    with pytest.raises(ConfigError) as info:
        config_or_guidance(state, [[0.0, 0.0]])
    assert info.value.field == "g_opt.lr"
