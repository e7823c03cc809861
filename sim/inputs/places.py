"""The places files a planner edits: the northern repatriation points and the states of origin.

    [places]                                    # in a scenario file; inherited through `extends`
    repatriation_points = "places/repatriation_points.csv"   # relative to the scenario's folder
    states_of_origin = "places/states_of_origin.csv"

`repatriation_points.csv`: one row per border city where the United States hands children back,
**west to east** (longitudes increasing), with its share of the unaccompanied children handed back
in the north, its care units, shelters and officers (the weights that spread the national levers
over the points, `sim.model.geography.spread`), its coordinates and a `source`.
`states_of_origin.csv`: one row for each of Mexico's 32 states, with its share of the children, a
free phone line or not (F07) and its capital's coordinates, and a `source`.

Any mistake is one `ScenarioError` naming the file, the row and column, and what is allowed.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from sim.inputs.input_error import ScenarioError
from sim.inputs.regular_file import UnreadableFile, read_text_file
from sim.model.geography import Geography, RepatriationPoint, StateOfOrigin
from sim.model.parameters import MEXICAN_STATES

#: The shipped places files (used when no scenario file in a chain names others).
SHIPPED_FOLDER = Path(__file__).resolve().parents[2] / "scenarios" / "places"
SHIPPED_POINTS = SHIPPED_FOLDER / "repatriation_points.csv"
SHIPPED_STATES = SHIPPED_FOLDER / "states_of_origin.csv"
#: How far the shares may sum from 1 (rounding in a file written by hand).
SHARE_TOLERANCE = 1e-3
MAX_BYTES = 1_000_000
MAX_POINTS = 100

POINT_COLUMNS = ("point", "share", "care_units", "shelters", "officers", "latitude", "longitude", "source")
STATE_COLUMNS = ("state", "share", "phone_line", "latitude", "longitude", "source")


def read_places(points_file: Path | str = SHIPPED_POINTS,
                states_file: Path | str = SHIPPED_STATES) -> Geography:
    """The geography in the two files, checked."""
    points = tuple(_point(row, cells) for row, cells in _rows(points_file, POINT_COLUMNS))
    if not points:
        raise ScenarioError(points_file, None, "lists no repatriation point; give at least one row")
    if len(points) > MAX_POINTS:
        raise ScenarioError(points_file, None, f"lists {len(points)} points; at most {MAX_POINTS} "
                                               "are allowed")
    _check_unique(points_file, [p.name for p in points], "point")
    _check_shares(points_file, [p.share for p in points])
    for row, (west, east) in enumerate(zip(points, points[1:], strict=False), start=3):
        if east.longitude <= west.longitude:
            raise ScenarioError(points_file, f"row {row}, column longitude",
                                f"the points must be listed west to east (longitudes increasing): "
                                f"{east.name} ({east.longitude:g}) is not east of {west.name} "
                                f"({west.longitude:g})")
    rows = list(_rows(states_file, STATE_COLUMNS))
    by_name = {}
    for row, cells in rows:
        name = cells["state"]
        if name not in MEXICAN_STATES:
            raise ScenarioError(states_file, f"row {row}, column state",
                                f"unknown state {name!r}; the allowed names are {', '.join(MEXICAN_STATES)}")
        if name in by_name:
            raise ScenarioError(states_file, f"row {row}, column state", f"{name} is listed twice; list each "
                                                                         "state once")
        by_name[name] = _state(row, cells)
    missing = [name for name in MEXICAN_STATES if name not in by_name]
    if missing:
        raise ScenarioError(states_file, "column state", f"missing state(s): {', '.join(missing)}; the file "
                                                         "lists each of Mexico's 32 states once")
    states = tuple(by_name[name] for name in MEXICAN_STATES)  # in the model's order of states
    _check_shares(states_file, [s.share for s in states])
    return Geography(points, states, source=f"{points_file}; {states_file}")


def _rows(path: Path | str, columns: tuple[str, ...]):
    """(row number in the file, cells by column) of each data row; the header is row 1."""
    try:
        text, _ = read_text_file(path, MAX_BYTES)
    except UnreadableFile as error:
        raise ScenarioError(path, None, error.reason) from None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip() for cell in next(reader, [])]
    for name in columns:
        if name not in header:
            raise ScenarioError(path, f"row 1, column {name}",
                                f"missing column {name!r}; the columns are {', '.join(columns)}")
    for name in header:
        if name not in columns:
            raise ScenarioError(path, f"row 1, column {name}",
                                f"unknown column {name!r}; the columns are {', '.join(columns)}")
    for row, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise ScenarioError(path, f"row {row}", f"has {len(cells)} cells, the header {len(header)}; "
                                                    "quote a cell holding a comma")
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        for name in columns:
            if not values[name]:
                raise ScenarioError(path, f"row {row}, column {name}", "is empty; every cell needs a value "
                                                                       "(the source too)")
        yield row, _Cells(path, row, values)


class _Cells(dict):
    """One row's cells, with typed readers that raise a `ScenarioError` naming the cell."""

    def __init__(self, path: Path | str, row: int, values: dict[str, str]) -> None:
        super().__init__(values)
        self.path, self.row = path, row

    def _error(self, column: str, allowed: str) -> ScenarioError:
        return ScenarioError(self.path, f"row {self.row}, column {column}", f"must be {allowed}, got "
                                                                            f"{self[column]!r}")

    def number(self, column: str, low: float, high: float) -> float:
        try:
            value = float(self[column])
        except ValueError:
            raise self._error(column, f"a number from {low:g} to {high:g}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise self._error(column, f"a number from {low:g} to {high:g}")
        return value

    def count(self, column: str) -> int:
        try:
            value = int(self[column])
        except ValueError:
            raise self._error(column, "a whole number, zero or more") from None
        if value < 0 or value > 100_000:
            raise self._error(column, "a whole number, zero or more (at most 100,000)")
        return value

    def flag(self, column: str) -> bool:
        value = self[column].lower()
        if value not in ("true", "false"):
            raise self._error(column, "true or false")
        return value == "true"


def _point(row: int, cells: _Cells) -> RepatriationPoint:
    return RepatriationPoint(cells["point"], cells.number("share", 0, 1), cells.count("care_units"),
                             cells.count("shelters"), cells.count("officers"),
                             cells.number("latitude", -90, 90), cells.number("longitude", -180, 180))


def _state(row: int, cells: _Cells) -> StateOfOrigin:
    return StateOfOrigin(cells["state"], cells.number("share", 0, 1), cells.flag("phone_line"),
                         cells.number("latitude", -90, 90), cells.number("longitude", -180, 180))


def _check_unique(path: Path | str, names: list[str], column: str) -> None:
    for row, name in enumerate(names, start=2):
        if names.index(name) != row - 2:
            raise ScenarioError(path, f"row {row}, column {column}",
                                f"{name} is listed twice; list each once")


def _check_shares(path: Path | str, shares: list[float]) -> None:
    total = sum(shares)
    if abs(total - 1) > SHARE_TOLERANCE:
        raise ScenarioError(path, "column share", f"the shares must sum to 1 (within {SHARE_TOLERANCE:g}), "
                                                  f"got {total:.6g}")
