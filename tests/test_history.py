import numpy as np

from ganlab.history import History


def test_keeps_everything_below_capacity():
    h = History(("a", "b"), capacity=10)
    h.extend(np.arange(1, 6), np.stack([np.arange(5), -np.arange(5)], axis=1))
    out = h.as_arrays()
    assert out["step"].tolist() == [1, 2, 3, 4, 5]
    assert out["b"].tolist() == [0, -1, -2, -3, -4]
    assert h.last() == {"a": 4.0, "b": -4.0}


def test_is_bounded_and_spans_the_whole_run():
    h = History(("x",), capacity=100)
    for start in range(1, 1_000_001, 1000):
        steps = np.arange(start, start + 1000)
        h.extend(steps, steps.astype(float))
    out = h.as_arrays()
    assert len(h) <= 100
    assert len(h) >= 50
    assert out["step"][-1] >= 1_000_000 - h.stride
    assert out["step"][0] <= 2 * h.stride
    assert np.all(np.diff(out["step"]) == h.stride)
    assert np.array_equal(out["x"], out["step"].astype(float))


def test_state_round_trip():
    h = History(("x",), capacity=8)
    h.extend(np.arange(1, 40), np.arange(1, 40, dtype=float))
    g = History(("x",), capacity=8)
    g.load_state_dict(h.state_dict())
    assert g.stride == h.stride
    assert np.array_equal(g.as_arrays()["step"], h.as_arrays()["step"])
    g.extend(np.arange(40, 50), np.arange(40, 50, dtype=float))
    h.extend(np.arange(40, 50), np.arange(40, 50, dtype=float))
    assert np.array_equal(g.as_arrays()["x"], h.as_arrays()["x"])


def test_loads_a_state_with_other_columns_by_name():
    saved = History(("a", "b"), capacity=8)
    saved.extend(np.array([1, 2]), np.array([[1.0, 10.0], [2.0, 20.0]]))
    newer = History(("b", "c"), capacity=8)  # "a" dropped, "c" added since the save
    newer.load_state_dict(saved.state_dict())
    arrays = newer.as_arrays()
    assert arrays["step"].tolist() == [1, 2]
    assert arrays["b"].tolist() == [10.0, 20.0]
    assert np.isnan(arrays["c"]).all() and "a" not in arrays
