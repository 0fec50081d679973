"""The Toy Lab's upload of custom points (a CSV of x,y rows): anything structurally wrong is a ValueError
naming the line and what is allowed, never another exception (issue 18)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.ui.toy_controls import MAX_CSV_POINTS, parse_points_csv

CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**30, 10**30).map(str),
                  st.text(max_size=6), st.sampled_from(["", '"', '"a,b"', "1e400", "-0", "\0", "x\ny"]))
ROWS = st.lists(st.lists(CELLS, max_size=4).map(",".join), max_size=8).map("\n".join)


@settings(max_examples=50, deadline=None)
@given(st.one_of(ROWS.map(str.encode), st.binary(max_size=64)))
def test_any_upload_gives_points_or_a_value_error(data):
    try:
        points = parse_points_csv(data)
    except ValueError as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert points and len(points) <= MAX_CSV_POINTS
        assert all(len(p) == 2 and all(abs(v) <= 1000 for v in p) for p in points)


def test_a_field_past_the_csv_limit_is_a_value_error():
    for data in (b"1," + b"1" * 200_000 + b"\n", b'"' + b"a" * 140_000):
        with pytest.raises(ValueError, match="line 1: not a CSV of x,y rows"):
            parse_points_csv(data)
