"""Protection standards: measurable conditions on a replication's outcomes, each with its source.

A standards file (`scenarios/standards.toml`) has one table per standard:

    [officer_interview_within_two_days]
    title = "An officer interview within two days of arrival"
    source = "cap05: ... assumption: ..."
    outcome = "share_officer_interview_within_days"   # an outcome of sim.analysis.outcomes
    days = 2                                           # only for the timed outcomes
    at_least = 0.95                                    # or at_most = ...

A replication meets a standard when its outcome is within the limit. An outcome with no child to
measure (NaN) does not: the run shows nothing about the standard, and a system jammed upstream can
leave nobody to measure downstream. Any mistake in the file is one
`ScenarioError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sim.inputs.input_error import ScenarioError
from sim.inputs.toml_file import MAX_DESCRIPTION_CHARACTERS, MAX_TITLE_CHARACTERS, read_toml, text_value

KEYS = ("title", "source", "outcome", "days", "at_least", "at_most")


@dataclass(frozen=True)
class Standard:
    """One protection standard: `outcome` (for `days`, if timed) must be at least or at most `limit`."""

    name: str
    title: str
    source: str
    outcome: str
    limit: float
    at_least: bool  # True: outcome >= limit; False: outcome <= limit
    days: float | None = None

    def meets(self, value: float) -> bool:
        """Whether a replication whose outcome is `value` meets the standard (NaN: it does not)."""
        if math.isnan(value):
            return False
        return value >= self.limit if self.at_least else value <= self.limit

    @property
    def condition(self) -> str:
        """The condition in words, e.g. "share_shelter_place_within_days (2 days) >= 0.95"."""
        timed = f" ({self.days:g} day{'s' if self.days != 1 else ''})" if self.days is not None else ""
        return f"{self.outcome}{timed} {'>=' if self.at_least else '<='} {self.limit:g}"


def _outcome_names() -> tuple[set[str], set[str]]:
    from sim.analysis.outcomes import OUTCOME_BY_NAME, TIMED_OUTCOMES

    return set(OUTCOME_BY_NAME), set(TIMED_OUTCOMES)


def _number(path: Path, key: str, value: object, low: float, high: float) -> float:
    """`value` as a finite number from `low` to `high` (NaN and infinity are refused)."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or not (low <= value <= high)
            or not math.isfinite(value)):
        raise ScenarioError(path, key, f"must be a finite number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _standard(path: Path, name: str, table: object) -> Standard:
    if not isinstance(table, dict):
        raise ScenarioError(path, name, "must be a table [" + name + "] with title, source, outcome and "
                                        "at_least or at_most")
    for key in table:
        if key not in KEYS:
            raise ScenarioError(path, f"{name}.{key}", f"unknown key; allowed: {', '.join(KEYS)}")
    for key, most in (("title", MAX_TITLE_CHARACTERS), ("source", MAX_DESCRIPTION_CHARACTERS)):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ScenarioError(path, f"{name}.{key}", "is required: a non-empty text in quotes (the source "
                                                       "names figure ids, or says 'assumption:' and why)")
        text_value(path, f"{name}.{key}", table[key], most)
    plain, timed = _outcome_names()
    outcome = table.get("outcome")
    if not isinstance(outcome, str) or outcome not in plain | timed:
        raise ScenarioError(path, f"{name}.outcome", f"must be an outcome name of sim/analysis/outcomes.py, "
                            f"got "
                                                     f"{outcome!r}; timed ones: {', '.join(sorted(timed))}")
    days = None
    if outcome in timed:
        if "days" not in table:
            raise ScenarioError(path, f"{name}.days", f"is required for {outcome}: the allowed time in days")
        days = _number(path, f"{name}.days", table["days"], 0, 3650)
    elif "days" in table:
        raise ScenarioError(path, f"{name}.days", f"only applies to the timed outcomes "
                                                  f"({', '.join(sorted(timed))}), not to {outcome}")
    limits = [key for key in ("at_least", "at_most") if key in table]
    if len(limits) != 1:
        raise ScenarioError(path, name, "needs exactly one of at_least or at_most")
    limit = _number(path, f"{name}.{limits[0]}", table[limits[0]], -1e12, 1e12)
    return Standard(name, table["title"].strip(), " ".join(table["source"].split()), outcome, limit,
                    limits[0] == "at_least", days)


def load_standards(path: Path | str) -> dict[str, Standard]:
    """Every standard in a standards file, by name, each checked."""
    path = Path(path)
    content = read_toml(path, "standards file").content
    if not content:
        raise ScenarioError(path, None, "names no standard; add a table [name] per standard")
    return {name: _standard(path, name, table) for name, table in content.items()}
