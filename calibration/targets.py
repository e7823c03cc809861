"""The targets ledger (what the calibration fits and is validated against) and lists of uncertain
parameters with ranges (what `amparo sensitivity` varies).

Both are TOML files next to this module (`targets.toml`, `uncertain_parameters.toml`; the
calibration's priors are in `calibration.priors`). Reading them checks every entry, so a mistake is
one `ScenarioError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.input_error import ScenarioError
from sim.inputs.toml_file import MAX_DESCRIPTION_CHARACTERS, read_toml, text_value
from sim.model.parameters import check_value, field_by_name

HERE = Path(__file__).resolve().parent
TARGETS_FILE = HERE / "targets.toml"
COMPARISONS = ("count per year", "share", "lower bound", "direction")


@dataclass(frozen=True)
class Target:
    """One reported figure and how a simulated result is compared with it."""

    figure: str
    value: float
    outcome: str  # an outcome name, or "numerator / denominator" for a share
    compare: str
    definition: str
    year: str
    place: str
    tolerance: float = 0.0  # calibration targets: relative error the calibrated baseline may show
    pass_when: str = ""  # validation figures: the rule, in words

    def simulated(self, outcomes: Mapping[str, float]) -> float:
        """The model's counterpart of the figure in one run's outcomes."""
        if "/" in self.outcome:
            numerator, denominator = (part.strip() for part in self.outcome.split("/"))
            whole = outcomes[denominator]
            return outcomes[numerator] / whole if whole else float("nan")
        return outcomes[self.outcome]


@dataclass(frozen=True)
class FreeParameter:
    """An uncertain parameter with its uniform range (for the sensitivity screening)."""

    name: str
    low: float
    high: float
    reason: str


def _read(path: Path) -> dict:
    return read_toml(path, "file").content


def _table(path: Path, content: dict, key: str) -> dict:
    table = content.get(key, {})
    if not isinstance(table, dict):
        raise ScenarioError(path, key, f"must be [{key}.FIGURE] tables")
    return table


def _finite(path: Path, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(path, key, f"must be a finite number, got {value!r}")
    return float(value)


def _target(path: Path, key: str, figure: str, entry: object) -> Target:
    if not isinstance(entry, dict):
        raise ScenarioError(path, key, "must be a table of value, outcome, compare, definition, year, place")
    for name in ("value", "outcome", "compare", "definition", "year", "place"):
        if name not in entry:
            raise ScenarioError(path, f"{key}.{name}", "is required")
    texts = {name: text_value(path, f"{key}.{name}", entry.get(name), MAX_DESCRIPTION_CHARACTERS,
                              required=name != "pass_when")
             for name in ("outcome", "compare", "definition", "year", "place", "pass_when")}
    if texts["compare"] not in COMPARISONS:
        raise ScenarioError(path, f"{key}.compare", f"must be one of {', '.join(COMPARISONS)}")
    value = _finite(path, f"{key}.per_year" if "per_year" in entry else f"{key}.value",
                    entry.get("per_year", entry["value"]))
    tolerance = _finite(path, f"{key}.tolerance", entry.get("tolerance", 0.0))
    return Target(figure, value, texts["outcome"], texts["compare"], texts["definition"], texts["year"],
                  texts["place"], tolerance, texts["pass_when"])


def load_ledger(path: Path = TARGETS_FILE) -> tuple[list[Target], list[Target], list[dict]]:
    """(calibration targets, held-out validation figures, recorded source conflicts)."""
    content = _read(path)
    calibration = [_target(path, f"calibration.{figure}", figure, entry)
                   for figure, entry in _table(path, content, "calibration").items()]
    for target in calibration:
        if not 0 < target.tolerance < 1:
            raise ScenarioError(path, f"calibration.{target.figure}.tolerance",
                                "must be a relative error between 0 and 1")
    validation = [_target(path, f"validation.{figure}", figure, entry)
                  for figure, entry in _table(path, content, "validation").items()]
    if not calibration:
        raise ScenarioError(path, "calibration", "needs at least one calibration target")
    conflicts = content.get("conflict", [])
    if not isinstance(conflicts, list) or not all(isinstance(c, dict) for c in conflicts):
        raise ScenarioError(path, "conflict", "must be [[conflict]] tables")
    return calibration, validation, conflicts


def load_free_parameters(path: Path) -> list[FreeParameter]:
    """The parameters in `path` with their ranges, each checked against what the model allows."""
    content = _read(path)
    fields = field_by_name()
    free = []
    for name, entry in content.items():
        if name not in fields:
            raise ScenarioError(path, name, "is not a model parameter")
        if fields[name].type != "float":
            raise ScenarioError(path, name, "only parameters that take any number can be varied")
        if not isinstance(entry, dict) or not {"low", "high", "reason"} <= set(entry):
            raise ScenarioError(path, name, "needs low, high and reason")
        for bound in ("low", "high"):
            problem = check_value(name, entry[bound])
            if problem or entry[bound] <= 0:
                raise ScenarioError(path, f"{name}.{bound}", problem or "must be above 0")
        if not entry["low"] < entry["high"]:
            raise ScenarioError(path, name, f"low must be below high, got {entry['low']} and {entry['high']}")
        reason = text_value(path, f"{name}.reason", entry["reason"], MAX_DESCRIPTION_CHARACTERS)
        free.append(FreeParameter(name, float(entry["low"]), float(entry["high"]), reason))
    if not free:
        raise ScenarioError(path, None, "names no parameter")
    return free
