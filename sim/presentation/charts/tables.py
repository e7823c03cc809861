"""Reading a result folder's files for the charts: the manifest, summary, daily stocks and visits.

Only the standard library's csv and json and numpy, so charts can be redrawn from any saved result
without the model. Large tables (daily stocks, visits) are read in chunks straight into numpy arrays,
so a folder with many replications' records does not need its text held in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Rows converted to numbers at a time when streaming a large table.
CHUNK_ROWS = 200_000


class ChartDataError(Exception):
    """A result file the charts need is missing or lacks a column."""


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest.json (complete or not: charts are drawn before it is marked complete)."""
    from sim.results.run_folder import OutputError, read_manifest_object

    try:
        return read_manifest_object(folder)
    except OutputError as error:
        raise ChartDataError(str(error)) from None


def as_floats(values: Sequence[str]) -> np.ndarray:
    """Numbers from CSV text; an empty cell or "nan" becomes NaN, "inf" stays infinite."""
    try:
        return np.array(values, dtype=float)
    except ValueError:  # empty cells
        return np.array([value if value != "" else "nan" for value in values], dtype=float)


def read_columns(path: Path, columns: Sequence[str] | None = None) -> dict[str, list[str]]:
    """The named columns (all if None) of a CSV file, as lists of text."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        wanted = list(columns) if columns is not None else header
        indexes = _indexes(path, header, wanted)
        data: dict[str, list[str]] = {name: [] for name in wanted}
        lists = [data[name] for name in wanted]
        for row in reader:
            for values, index in zip(lists, indexes, strict=True):
                values.append(row[index])
    return data


def read_numbers(path: Path, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The named numeric columns of a CSV file as float arrays, read in chunks."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in columns}
    for chunk in _chunks(path, columns):
        for name in columns:
            parts[name].append(as_floats(chunk[name]))
    return {name: np.concatenate(arrays) if arrays else np.empty(0) for name, arrays in parts.items()}


@dataclass(frozen=True)
class ResourceVisits:
    """Every request for a place at one resource: times in days (NaN where it did not happen)."""

    requested_at: np.ndarray
    started_at: np.ndarray
    ended_at: np.ndarray

    @property
    def n_requests(self) -> int:
        return int(self.requested_at.size)

    def waits(self) -> np.ndarray:
        """Days from asking to getting a place, for requests that got one."""
        served = ~np.isnan(self.started_at)
        return self.started_at[served] - self.requested_at[served]

    def stays(self) -> np.ndarray:
        """Days in the place, for stays that ended within the run."""
        ended = ~np.isnan(self.started_at) & ~np.isnan(self.ended_at)
        return self.ended_at[ended] - self.started_at[ended]

    @property
    def n_left_unserved(self) -> int:
        """Requests withdrawn before a place came (no start, but an end)."""
        return int(np.count_nonzero(np.isnan(self.started_at) & ~np.isnan(self.ended_at)))

    @property
    def n_still_waiting(self) -> int:
        """Requests still in line when the run ended (no start, no end)."""
        return int(np.count_nonzero(np.isnan(self.started_at) & np.isnan(self.ended_at)))

    @property
    def n_still_in_place(self) -> int:
        """Places still held when the run ended."""
        return int(np.count_nonzero(~np.isnan(self.started_at) & np.isnan(self.ended_at)))


@dataclass(frozen=True)
class VisitRecords:
    """visits.csv grouped by resource, and which replications it covers."""

    by_resource: dict[str, ResourceVisits]
    replications: tuple[int, ...]

    def of(self, resource: str) -> ResourceVisits:
        """The visits to `resource` (empty if nobody asked for it)."""
        empty = np.empty(0)
        return self.by_resource.get(resource, ResourceVisits(empty, empty, empty))


def read_visits(path: Path) -> VisitRecords:
    """visits.csv, grouped by resource name."""
    times = ("requested_at", "started_at", "ended_at")
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    replications: set[int] = set()
    for chunk in _chunks(path, ("replication", "resource", *times)):
        replications.update(int(r) for r in set(chunk["replication"]))
        resource = np.array(chunk["resource"])
        values = {name: as_floats(chunk[name]) for name in times}
        for name in np.unique(resource):
            mine = resource == name
            target = parts.setdefault(str(name), {t: [] for t in times})
            for t in times:
                target[t].append(values[t][mine])
    by_resource = {name: ResourceVisits(*(np.concatenate(p[t]) for t in times)) for name, p in parts.items()}
    return VisitRecords(by_resource, tuple(sorted(replications)))


@dataclass(frozen=True)
class SummaryRow:
    """One outcome of summary.csv: mean across replications and its 95% confidence interval."""

    outcome: str
    unit: str
    description: str
    mean: float
    ci_low: float
    ci_high: float
    replications: int


def read_summary(path: Path) -> dict[str, SummaryRow]:
    """summary.csv by outcome name."""
    table = read_columns(path, ("outcome", "unit", "description", "mean", "ci_low", "ci_high",
                                "replications"))
    means, lows, highs = (as_floats(table[c]) for c in ("mean", "ci_low", "ci_high"))
    return {name: SummaryRow(name, unit, description, float(mean), float(low), float(high), int(n))
            for name, unit, description, mean, low, high, n
            in zip(table["outcome"], table["unit"], table["description"], means, lows, highs,
                   table["replications"], strict=True)}


def _indexes(path: Path, header: list[str], wanted: Iterable[str]) -> list[int]:
    missing = [name for name in wanted if name not in header]
    if missing:
        raise ChartDataError(f"{path}: no column {', '.join(missing)} (has {', '.join(header)})")
    return [header.index(name) for name in wanted]


def _chunks(path: Path, columns: Sequence[str]) -> Iterable[dict[str, list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        indexes = _indexes(path, next(reader, []), columns)
        while True:
            rows = [row for _, row in zip(range(CHUNK_ROWS), reader, strict=False)]
            if not rows:
                return
            yield {name: [row[i] for row in rows] for name, i in zip(columns, indexes, strict=True)}
