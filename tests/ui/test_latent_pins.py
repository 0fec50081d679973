"""The Latent Explorer's choice of pins for each panel (ganlab.ui.latent_session, no streamlit)."""

import pytest

from ganlab.ui.latent_session import default_groups, default_pins, keep_choice, pins_missing, short_name

NAMES = [f"z{k} (seed 0, #{k})" for k in range(1, 13)]


def test_defaults_are_distinct_pins_in_pin_order():
    assert default_pins(NAMES[:2], 2) == ["z1 (seed 0, #1)", "z2 (seed 0, #2)"]
    assert default_pins(NAMES[:9], 4) == NAMES[:4]
    with pytest.raises(ValueError, match="2 different pins are needed, 1 are pinned"):
        default_pins(NAMES[:1], 2)


@pytest.mark.parametrize(("pinned", "sizes"), [(3, 1), (5, 1), (6, 2), (8, 2), (9, 3), (12, 3)])
def test_arithmetic_groups_grow_with_the_pins_and_never_share_one(pinned, sizes):
    groups = default_groups(NAMES[:pinned])
    assert groups == {"A": NAMES[:sizes], "B": NAMES[sizes:2 * sizes], "C": NAMES[2 * sizes:3 * sizes]}
    with pytest.raises(ValueError, match="3 different pins are needed, 2 are pinned"):
        default_groups(NAMES[:2])


def test_too_few_pins_says_how_many_more():
    assert pins_missing("interpolation", 1) == ("Pin 1 more sample to interpolate between two of them: this "
                                                "panel uses 2 different pins and 1 is pinned.")
    assert pins_missing("four corners", 1) == ("Pin 3 more samples to fill the four-corner sheet: this panel "
                                               "uses 4 different pins and 1 is pinned.")
    assert pins_missing("arithmetic", 2) == ("Pin 1 more sample to compute A − B + C: this panel uses 3 "
                                             "different pins and 2 are pinned.")
    assert pins_missing("interpolation", 2) is None and pins_missing("four corners", 4) is None
    assert short_name(NAMES[10]) == "z11"


def test_an_untouched_panel_follows_the_default_and_a_chosen_one_stays():
    two, three = default_groups(NAMES[:3]), default_groups(NAMES[:6])
    last = [two[g] for g in "ABC"]
    new = [three[g] for g in "ABC"]
    assert keep_choice(last, last, new, NAMES[:6]) == new  # never touched: follows the pins
    mine = [[NAMES[4]], [NAMES[0]], [NAMES[2], NAMES[3]]]
    assert keep_choice(mine, last, new, NAMES[:6]) == mine  # the user's groups stay
    assert keep_choice([None, None], None, NAMES[:2], NAMES[:2]) == NAMES[:2]  # first drawn
    # a chosen pin that is gone (dropped past the pin limit, or cleared): the default again
    assert keep_choice([NAMES[0], NAMES[5]], NAMES[:2], NAMES[1:3], NAMES[1:7]) == NAMES[1:3]
    assert keep_choice([[NAMES[0]], [NAMES[1]], [NAMES[2]]], last, new, NAMES[1:7]) == new
