"""Effects of a scenario in natural units, and in plain words.

A paired difference is shown in the outcome's own unit (children a year, days, places), and a
share's in percentage points: never as a percentage of the baseline, which explodes when the
baseline is near zero. Read by the comparison chart, the command line and the brief.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sim.analysis.outcome_registry import OUTCOME_BY_NAME, Kind, Outcome


@dataclass(frozen=True)
class Effect:
    """The paired difference of one outcome between a scenario and the reference, in display units."""

    outcome: Outcome
    scenario: str
    reference: str
    reference_mean: float
    scenario_mean: float
    difference: float
    low: float
    high: float

    @property
    def display_unit(self) -> str:
        return display_unit(self.outcome)

    @property
    def significant(self) -> bool:
        """The 95% interval of the difference excludes zero."""
        return self.low > 0 or self.high < 0

    @property
    def better(self) -> bool | None:
        """Whether the change is an improvement (None: neither, or not clearly away from zero)."""
        if self.outcome.higher_is_better is None or not self.significant:
            return None
        return (self.difference > 0) == self.outcome.higher_is_better

    def sentence(self) -> str:
        """The effect in plain words, e.g. "Share of unaccompanied children detained: 45.0% -> 0.0%,
        -45.0 percentage points (95% interval -46.1 to -43.9); better"."""
        before, after = format_value(self.outcome, self.reference_mean), format_value(self.outcome,
                                                                                     self.scenario_mean)
        change = (f"{format_number(self.difference, signed=True)} {self.display_unit} (95% interval "
                  f"{format_number(self.low, signed=True)} to {format_number(self.high, signed=True)})")
        verdict = {True: "better", False: "worse", None: "no clear change" if not self.significant else ""}
        tail = verdict[self.better]
        return f"{self.outcome.label}: {before} -> {after}, {change}" + (f"; {tail}" if tail else "")


def display_unit(outcome: Outcome) -> str:
    """The unit a difference of `outcome` is shown in."""
    return "percentage points" if outcome.kind is Kind.SHARE else outcome.unit


def display_scale(outcome: Outcome) -> float:
    """What a value of `outcome` is multiplied by for display (shares become percentages)."""
    return 100.0 if outcome.kind is Kind.SHARE else 1.0


def format_number(value: float, signed: bool = False) -> str:
    """A number with digits that mean something: 3 significant digits, thousands separated."""
    if not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:{sign},.0f}"
    if magnitude >= 10:
        return f"{value:{sign},.1f}"
    if magnitude >= 1:
        return f"{value:{sign},.2f}"
    return f"{value:{sign}.3g}"


def format_value(outcome: Outcome, value: float) -> str:
    """A value of `outcome` with its unit, shares as percentages."""
    if outcome.kind is Kind.SHARE:
        return f"{format_number(100 * value)}%"
    return f"{format_number(value)} {outcome.unit}"


def effects_from_rows(rows: Iterable[Mapping[str, object]], reference: str,
                      names: Iterable[str] | None = None) -> list[Effect]:
    """Effects of every scenario but `reference` from comparison rows (comparison.csv or
    `sim.experiments.compare.comparison_rows`), in display units, largest first within each unit.

    `names` limits the outcomes (default: all in the registry); unknown outcomes are skipped.
    """
    rows = list(rows)
    wanted = set(names) if names is not None else None
    means = {(str(row["outcome"]), str(row["scenario"])): float(row["mean"]) for row in rows}
    effects = []
    for row in rows:
        name, scenario = str(row["outcome"]), str(row["scenario"])
        outcome = OUTCOME_BY_NAME.get(name)
        if scenario == reference or outcome is None or (wanted is not None and name not in wanted):
            continue
        scale = display_scale(outcome)
        difference = scale * float(row["difference"])
        low, high = scale * float(row["difference_ci_low"]), scale * float(row["difference_ci_high"])
        effects.append(Effect(outcome, scenario, reference, means.get((name, reference), math.nan),
                              float(row["mean"]), difference, low, high))
    return sorted(effects, key=lambda e: (display_unit(e.outcome), -_size(e.difference)))


def largest_effects(effects: Iterable[Effect], count: int = 5) -> list[Effect]:
    """The `count` clearest improvements or harms: effects on outcomes where more is better or worse
    (not counts of arrivals, which a scenario sets) whose interval excludes zero, ranked by the size
    of the effect relative to its interval's width (a unit-free ranking)."""
    clear = [effect for effect in effects if effect.better is not None]

    def strength(effect: Effect) -> float:
        width = effect.high - effect.low
        return abs(effect.difference) / width if width > 0 else math.inf

    return sorted(clear, key=strength, reverse=True)[:count]


def _size(value: float) -> float:
    return abs(value) if math.isfinite(value) else -1.0
