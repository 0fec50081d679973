"""A sweep's CSV: one row per run, appended as each run finishes, read back checked against its schema.

Columns (COLUMNS): the run's dataset, loss, variant, seed; steps kept, seconds, diverged (and at which
step), the device; the final METRICS; then

    status        "ok" (the run trained and was evaluated) or "failed" (no metrics: see error)
    attempts      how many times the run was started (1, or more after a lost worker or node)
    error         a failed run's reason, one line of at most MAX_TEXT characters; empty for "ok"
    config_hash   16 hex digits of SHA-256 over the run's options and steps (ganlab.sweep_run): what
                  `--resume` checks a row against before it counts the run as done

Files written before these four columns existed still read (a missing column is simply absent from the
rows; a row without status counts as "ok").

Writing never leaves a partial or duplicated row behind: a running sweep appends each row as one whole
line, flushed and fsynced (`RowLog`), and whole-file writes go to a temporary file that is then renamed
over the old one (`write_csv`). A driver killed inside a write can leave at most a last line without its
line end; `read_csv` drops such a line when it does not parse (and `read_for_resume` says so).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlab import file_checks as fc
from ganlab.sweep_limits import MAX_STEPS, MAX_TEXT

Row = dict[str, Any]

# final metrics kept per run (see ganlab.evaluation); None in a row where a metric does not apply
# (modes_covered and hq_fraction are means over ganlab.evaluation.MODE_DRAWS draws of eval_samples;
# jsd is the sample estimate with its standard error jsd_se and a perfect generator's reading jsd_floor)
METRICS = ("modes_covered", "modes_total", "hq_fraction", "mode_kl", "w1", "w1_floor", "jsd", "jsd_se",
           "jsd_floor", "precision", "recall", "estimate", "reference")
RUN_COLUMNS = ("status", "attempts", "error", "config_hash")
"""How the run went (see the module docstring); the last columns of a row."""
COLUMNS = ("dataset", "loss", "variant", "seed", "steps", "seconds", "diverged", "diverged_at", "device",
           *METRICS, *RUN_COLUMNS)
KEY_COLUMNS = ("dataset", "loss", "variant", "seed")
"""What names a run within a sweep."""
OK, FAILED = "ok", "failed"
MAX_ATTEMPTS = 100
"""Attempts a row may record (a sweep allows at most ganlab.sweep_backends.MAX_RETRIES + 1)."""
_STR_COLUMNS = frozenset({"dataset", "loss", "variant", "device", "error", "status", "config_hash"})
_INT_COLUMNS = frozenset({"seed", "steps", "diverged_at", "modes_total", "attempts"})
_BOOL_COLUMNS = frozenset({"diverged"})
_INT_RANGES = {"steps": (0, MAX_STEPS), "diverged_at": (0, MAX_STEPS), "modes_total": (0, 10**6),
               "attempts": (1, MAX_ATTEMPTS)}  # seed: its option's range
_HEX = frozenset("0123456789abcdef")

MAX_CSV_BYTES = 4 * 1024 * 1024
"""Size of a sweep CSV read back (a sweep of MAX_RUNS runs writes about 40 kB)."""
MAX_CSV_ROWS = 10_000
"""Rows of a sweep CSV read back."""


class SweepFileError(fc.FileError):
    """A sweep CSV or preset file that cannot be used; one line naming the file and what was expected."""


def file_error(what: str, path: Path, detail: str) -> SweepFileError:
    """SweepFileError "{what} 'name': {detail}" on one line."""
    return SweepFileError(fc.one_line(f"{what} {fc.short_repr(path.name, 80)}: {detail}", 500))


def read_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of the regular file `path` of at most `limit` bytes (SweepFileError naming it if not)."""
    try:
        if not path.is_file():
            raise file_error(what, path, "does not exist or is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise file_error(what, path, f"cannot be read ({err.strerror})") from None
    if len(data) > limit:
        raise file_error(what, path, f"more than {limit:,} bytes; a {what} is at most {limit:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise file_error(what, path, f"not UTF-8 text (byte {err.start:,}; a binary file?)") from None


# --- writing --------------------------------------------------------------------------------------------

def one_line_error(text: str) -> str:
    """An error message as a row keeps it: one line of at most MAX_TEXT characters."""
    return fc.one_line(str(text), MAX_TEXT)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_line(cells: list[str] | tuple[str, ...]) -> str:
    """One CSV record as text, with its line end."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def row_line(row: Row) -> str:
    """`row` as one CSV line of COLUMNS (None as an empty cell, floats exact), with its line end."""
    return csv_line([_csv_value(row.get(column)) for column in COLUMNS])


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system allows opening a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_csv(rows: list[Row], path: str | os.PathLike) -> None:
    """Write rows (COLUMNS) atomically: a temporary file beside `path`, fsynced, then renamed over it."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        handle.write(csv_line(COLUMNS) + "".join(row_line(row) for row in rows))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_folder(path.parent)


class RowLog:
    """The CSV of a running sweep: `start` writes the header and the rows already done (atomically),
    `append` adds one finished run's row as one whole line, flushed and fsynced before it returns."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._handle = None

    def start(self, rows: list[Row]) -> None:
        """Replace the file with the header and `rows`, then open it for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(rows, self.path)
        self._handle = self.path.open("a", newline="")

    def append(self, row: Row) -> None:
        """Add `row` as one line: a single write of the whole line, then flush and fsync."""
        self._handle.write(row_line(row))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


# --- reading --------------------------------------------------------------------------------------------

def _parse_text_cell(column: str, text: str) -> Any:
    if column == "config_hash":
        if len(text) != 16 or not set(text) <= _HEX:
            raise fc.SchemaError(column, "16 hexadecimal digits (0-9, a-f)", text)
    elif column == "status" and text not in (OK, FAILED):
        raise fc.SchemaError(column, f"{OK} or {FAILED}", text)
    return text


def _parse_cell(column: str, text: str) -> Any:
    """One cell, typed and bounded by its column (SchemaError naming the column when it does not fit)."""
    if text == "":
        if column in KEY_COLUMNS:
            raise fc.SchemaError(column, "a value", got="an empty cell")
        return None
    if len(text) > MAX_TEXT:
        raise fc.SchemaError(column, f"at most {MAX_TEXT} characters", got=f"{len(text):,}")
    if column in _STR_COLUMNS:
        return _parse_text_cell(column, text)
    if column in _BOOL_COLUMNS:
        if text.lower() not in ("true", "1", "false", "0"):
            raise fc.SchemaError(column, "true or false", text)
        return text.lower() in ("true", "1")
    try:
        number = float(text)
    except ValueError:
        raise fc.SchemaError(column, "a number", text) from None
    whole = int(number) if number.is_integer() else text
    if column == "seed":
        return fc.option_value(whole, column, "seed")
    if column in _INT_COLUMNS:
        return fc.integer(whole, column, *_INT_RANGES[column])
    return fc.number(number, column, finite=False)


def _csv_header(cells: list[str]) -> list[str]:
    """The header row: known COLUMNS only, each once, the dataset, loss, variant and seed among them."""
    missing = [c for c in KEY_COLUMNS if c not in cells]
    if missing:
        raise fc.SchemaError("header", f"a sweep CSV's columns ({', '.join(KEY_COLUMNS)}, ...)",
                             got=f"no column {missing[0]!r}")
    unknown = [c for c in cells if c not in COLUMNS]
    if unknown:
        raise fc.SchemaError("header", f"only the columns {', '.join(COLUMNS)}",
                             got=f"a column {fc.short_repr(unknown[0])}")
    if len(set(cells)) != len(cells):
        raise fc.SchemaError("header", "each column once", got=f"{len(cells) - len(set(cells))} repeated")
    return cells


def _parse_rows(text: str, path: Path) -> tuple[list[str], list[Row]]:
    """(header, typed rows) of the CSV `text`; SweepFileError naming the file and the line."""
    reader = csv.reader(io.StringIO(text))
    rows: list[Row] = []
    try:
        header = _csv_header(next(reader, []))
        for cells in reader:
            if not cells:
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise fc.SchemaError("rows", f"at most {MAX_CSV_ROWS:,} rows", show_value=False)
            if len(cells) != len(header):
                raise fc.SchemaError("row", f"{len(header)} cells, one per column of the header",
                                     got=f"{len(cells):,}")
            rows.append({column: _parse_cell(column, cell) for column, cell in zip(header, cells, strict=True)})
    except csv.Error as err:
        raise file_error("sweep CSV", path, f"line {reader.line_num}: not a CSV file ({err})") from None
    except fc.SchemaError as err:
        raise file_error("sweep CSV", path, f"line {max(reader.line_num, 1)}: {err}") from None
    return header, rows


@dataclass
class SweepCsv:
    """A sweep CSV as read: its header, its typed rows, and the unfinished last line dropped ('' if none)."""

    header: list[str]
    rows: list[Row]
    dropped_tail: str = ""


def read_sweep_csv(path: str | os.PathLike) -> SweepCsv:
    """`read_csv`, keeping the header and any unfinished last line it dropped (see read_csv)."""
    path = Path(path)
    text = read_text(path, MAX_CSV_BYTES, "sweep CSV")
    try:
        return SweepCsv(*_parse_rows(text, path))
    except SweepFileError as err:
        refused = err
    cut = text.rfind("\n") + 1
    if not text.endswith(("\n", "\r")) and cut > 0:
        try:  # the last line has no line end and does not parse: a write a killed sweep did not finish
            return SweepCsv(*_parse_rows(text[:cut], path), dropped_tail=text[cut:])
        except SweepFileError:
            pass
    raise refused


def read_csv(path: str | os.PathLike) -> list[Row]:
    """Rows of a sweep CSV, typed back (str, int, float, bool; None for an empty cell), in file order.

    The file is checked against its schema first: a regular UTF-8 file of at most MAX_CSV_BYTES; a header of
    known COLUMNS (dataset, loss, variant and seed among them, none twice); at most MAX_CSV_ROWS rows of
    exactly the header's number of cells, each typed and bounded by its column (text of at most MAX_TEXT
    characters, seed and step counts in range, numbers, status ok or failed, config_hash 16 hex digits).
    A last line without a line end that does not parse is a write a killed sweep did not finish: it is
    dropped (the rows before it are whole). Raises SweepFileError, a ValueError whose one-line message
    names the file and the line.
    """
    return read_sweep_csv(path).rows


def is_ok(row: Row) -> bool:
    """Whether `row` is a run that trained and was evaluated (old files without a status: yes)."""
    return row.get("status") in (None, OK)
