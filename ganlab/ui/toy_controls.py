"""The Toy Lab's widget state <-> RunConfig mapping (no streamlit here: keys and values only).

Every config option on the page has the widget key "cfg:<dotted path>"; a regulariser has an on/off
key "cfg:on.<name>" beside its strength "cfg:reg.<name>". Presets and share links write these keys,
and the page builds its RunConfig from them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from ganlab.config import RunConfig, flatten, with_overrides
from ganlab.data.toy import DEFAULT_STD
from ganlab.penalties import REGULARIZERS
from ganlab.ui.widget_state import overrides_from_state

PREFIX = "cfg:"
MAX_CSV_BYTES = 1_000_000
MAX_CSV_POINTS = 10_000
# shown (as guidance, not an error) while the custom dataset has no point yet
NO_POINTS_YET = ("The custom dataset needs your points: in “Draw the custom distribution” above, click points "
                 "of the grey grid or drag a box or lasso over several, or upload a CSV of x,y rows under "
                 "Data. The run keeps its current data until then.")


def widget_values(cfg: RunConfig) -> dict[str, Any]:
    """Widget key -> value for every option of `cfg` (std None shows the dataset's default)."""
    flat = flatten(cfg)
    values = {PREFIX + path: value for path, value in flat.items() if not path.startswith("reg.")}
    if values[PREFIX + "data.std"] is None:
        values[PREFIX + "data.std"] = DEFAULT_STD.get(cfg.data.name) or 0.05
    values.pop(PREFIX + "data.points", None)
    for name, spec in REGULARIZERS.items():
        values[f"{PREFIX}on.{name}"] = name in cfg.regularizers
        values[f"{PREFIX}reg.{name}"] = float(cfg.regularizers.get(name, spec.default))
    return values


def awaiting_points(state: Mapping[str, Any], points: list[list[float]] | None) -> bool:
    """Whether the widgets choose the custom dataset and no point has been given yet: the user has not had
    a chance to draw or upload any, so the page shows NO_POINTS_YET rather than a validation error."""
    return state.get(PREFIX + "data.name") == "custom" and not points


def config_or_guidance(state: Mapping[str, Any],
                       points: list[list[float]] | None = None) -> tuple[RunConfig | None, str | None]:
    """(the validated RunConfig the widgets describe, None), or (None, NO_POINTS_YET) while the custom
    dataset waits for its points. Input that is wrong still raises ConfigError naming the field."""
    if awaiting_points(state, points):
        return None, NO_POINTS_YET
    return config_from_widgets(state, points), None


def config_from_widgets(state: Mapping[str, Any], points: list[list[float]] | None = None) -> RunConfig:
    """Build and validate the RunConfig the widgets describe (raises ConfigError naming the field)."""
    overrides = overrides_from_state(state, PREFIX)
    name = overrides.get("data.name", "ring8")
    if DEFAULT_STD.get(name) is None:
        overrides.pop("data.std", None)
    if points is not None:
        overrides["data.points"] = ";".join(f"{x!r},{y!r}" for x, y in points)
    return with_overrides(RunConfig(), overrides)


def _csv_rows(text: str):
    """(line number, cells) of each CSV row; a malformed file (a field over the csv module's limit, a
    stray NUL) is a ValueError naming the line, not csv.Error."""
    reader = csv.reader(io.StringIO(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as err:
        raise ValueError(f"line {reader.line_num}: not a CSV of x,y rows ({err})") from None


def parse_points_csv(data: bytes) -> list[list[float]]:
    """Rows "x,y" (an optional header row of non-numbers is skipped) -> list of [x, y].

    Raises ValueError naming the line that is wrong and what is allowed.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"the file is {len(data):,} bytes; at most {MAX_CSV_BYTES:,} are allowed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text; upload a CSV of x,y rows") from None
    points: list[list[float]] = []
    for line_no, row in _csv_rows(text):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValueError(f"line {line_no}: expected two values x,y, found {len(row)}: {','.join(row)!r}")
        try:
            x, y = float(row[0]), float(row[1])
        except ValueError:
            if line_no == 1 and not points:
                continue  # header
            raise ValueError(f"line {line_no}: {','.join(row)!r} is not two numbers") from None
        if not (np.isfinite(x) and np.isfinite(y)) or abs(x) > 1000 or abs(y) > 1000:
            raise ValueError(f"line {line_no}: values must be finite numbers in [-1000, 1000]")
        points.append([x, y])
        if len(points) > MAX_CSV_POINTS:
            raise ValueError(f"more than {MAX_CSV_POINTS:,} points; upload fewer")
    if not points:
        raise ValueError("the file holds no x,y rows")
    return points


def add_selected_points(existing: list[list[float]] | None, selected: list[dict]) -> list[list[float]]:
    """Points chosen on the drawing canvas (plotly selection dicts with x, y) added to `existing`;
    duplicates are kept once, and the total is capped at MAX_CSV_POINTS."""
    points = [list(map(float, p)) for p in (existing or [])]
    seen = {(round(x, 6), round(y, 6)) for x, y in points}
    for item in selected:
        if item.get("curve_number", item.get("curveNumber", 0)) != 0:
            continue  # only the candidate grid adds points
        x, y = float(item["x"]), float(item["y"])
        if (round(x, 6), round(y, 6)) not in seen and len(points) < MAX_CSV_POINTS:
            seen.add((round(x, 6), round(y, 6)))
            points.append([x, y])
    return points
