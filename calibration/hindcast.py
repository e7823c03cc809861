"""The hindcast: the calibrated model run for later years and set against what was reported then.

`hindcast.toml` gives, for each year, what changed from the 2008 baseline (capacities, the northern
volume, each with its source) and the reported figures of that year with the pass rule written
before any run. Each year is run for one year at each posterior draw (with the draw's own seed), so
the predicted interval carries what the 2008 figures leave open as well as a year's randomness. The
model is never fitted to these figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import run_streamed
from calibration.validation import CheckSettings, parameters_key
from sim.inputs.input_error import ScenarioError
from sim.inputs.toml_file import MAX_DESCRIPTION_CHARACTERS, read_toml, text_value
from sim.model.parameters import Parameters, check_value, field_by_name
from sim.model.random_streams import replication_seed

HINDCAST_FILE = Path(__file__).resolve().parent / "hindcast.toml"
#: Factors on each route's departures, by key in a year's table.
VOLUMES = {"northern_volume": "mexican_departures_per_year",
           "southern_volume": "central_american_departures_per_year"}
#: Seeds of the hindcast runs are derived from the base seed plus this.
HINDCAST_SEED_OFFSET = 3_000_017
LINE_KEYS = ("year", "figure", "reported", "outcome", "definition", "pass_when", "can_fail_because")


@dataclass(frozen=True)
class HindcastYear:
    """What changes from the baseline in one year: parameter values and volume factors, with sources."""

    year: int
    values: dict[str, float]
    sources: dict[str, str]

    def applied_to(self, parameters: Parameters) -> Parameters:
        """`parameters` as they stood that year."""
        changes = {name: value for name, value in self.values.items() if name not in VOLUMES}
        for key, name in VOLUMES.items():
            if key in self.values:
                changes[name] = getattr(parameters, name) * self.values[key]
        return parameters.replace(**changes)


@dataclass(frozen=True)
class HindcastLine:
    """One reported figure of a later year and the outcome it is set against."""

    year: int
    figure: str
    reported: float
    outcome: str
    definition: str
    pass_when: str
    can_fail_because: str


def load_hindcast(path: Path = HINDCAST_FILE) -> tuple[list[HindcastYear], list[HindcastLine]]:
    """The years and lines of `path`, checked (one `ScenarioError` naming the key)."""
    from sim.analysis.outcome_registry import OUTCOME_BY_NAME

    content = read_toml(path, "file").content
    unknown = set(content) - {"year", "line"}
    if unknown:
        raise ScenarioError(path, sorted(unknown)[0], "is not a section here; allowed: [year.YEAR], [[line]]")
    fields = field_by_name()
    years = []
    for label, table in content.get("year", {}).items():
        if not label.isdigit() or not isinstance(table, dict):
            raise ScenarioError(path, f"year.{label}", "must be a [year.YEAR] table with a four-digit year")
        values, sources = {}, {}
        for name, entry in table.items():
            key = f"year.{label}.{name}"
            if name not in fields and name not in VOLUMES:
                raise ScenarioError(path, key, f"is not a model parameter nor one of {', '.join(VOLUMES)}")
            if not isinstance(entry, dict) or set(entry) != {"value", "source"}:
                raise ScenarioError(path, key, "must be { value = ..., source = \"...\" }")
            value = entry["value"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ScenarioError(path, f"{key}.value", f"must be a finite number, got {value!r}")
            if name in fields:
                problem = check_value(name, value)
            else:
                problem = None if value >= 0 else "must be 0 or more"
            if problem:
                raise ScenarioError(path, f"{key}.value", problem)
            values[name] = value
            sources[name] = text_value(path, f"{key}.source", entry["source"], MAX_DESCRIPTION_CHARACTERS)
        years.append(HindcastYear(int(label), values, sources))
    lines = []
    for index, entry in enumerate(content.get("line", [])):
        key = f"line[{index}]"
        if not isinstance(entry, dict) or set(entry) != set(LINE_KEYS):
            raise ScenarioError(path, key, f"needs exactly {', '.join(LINE_KEYS)}")
        if entry["year"] not in {y.year for y in years}:
            raise ScenarioError(path, f"{key}.year", f"{entry['year']!r} has no [year.{entry['year']}] table")
        if entry["outcome"] not in OUTCOME_BY_NAME:
            raise ScenarioError(path, f"{key}.outcome", f"{entry['outcome']!r} is not a model outcome")
        reported = entry["reported"]
        if isinstance(reported, bool) or not isinstance(reported, int | float) or not reported > 0:
            raise ScenarioError(path, f"{key}.reported", "must be a number above 0")
        texts = {name: text_value(path, f"{key}.{name}", entry[name], MAX_DESCRIPTION_CHARACTERS)
                 for name in ("figure", "outcome", "definition", "pass_when", "can_fail_because")}
        lines.append(HindcastLine(int(entry["year"]), texts["figure"], float(reported), texts["outcome"],
                                  texts["definition"], texts["pass_when"], texts["can_fail_because"]))
    return sorted(years, key=lambda y: y.year), lines


def hindcast_runs(years: Sequence[HindcastYear], draws: Sequence[Parameters], seed: int,
                  settings: CheckSettings, runs_file: Path, executor: Executor | None = None,
                  on_done: Callable[[int], None] | None = None) -> dict[int, list[dict[str, float]]]:
    """One run of `settings.years` per year and posterior draw; outcomes by year."""
    tasks, keys = [], {}
    for year in years:
        keys[year.year] = []
        for i, draw in enumerate(draws):
            parameters = year.applied_to(draw)
            key = f"hindcast-{year.year}-{parameters_key(parameters)}-{i}"
            tasks.append((key, parameters, replication_seed(seed + HINDCAST_SEED_OFFSET + year.year, i), {}))
            keys[year.year].append(key)
    records = run_streamed(tasks, settings.years, runs_file, executor, on_done)
    return {year: [records[key]["outcomes"] for key in year_keys] for year, year_keys in keys.items()}


def hindcast_table(lines: Sequence[HindcastLine], outcomes: dict[int, list[dict[str, float]]]
                   ) -> list[dict[str, Any]]:
    """Per line: reported, predicted mean and 90% interval, pass or miss, and why it could miss."""
    rows = []
    for line in lines:
        values = np.array([o[line.outcome] for o in outcomes[line.year]], dtype=float)
        low, high = np.percentile(values, [5, 95])
        rows.append({"year": line.year, "figure": line.figure, "definition": line.definition,
                     "outcome": line.outcome, "reported": line.reported,
                     "predicted_mean": float(values.mean()),
                     "predicted_p5": float(low), "predicted_p95": float(high),
                     "relative_error": float(values.mean() / line.reported - 1), "rule": line.pass_when,
                     "result": "pass" if low <= line.reported <= high else "miss",
                     "can_fail_because": line.can_fail_because})
    return rows
