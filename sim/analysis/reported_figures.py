"""The reported figures the model's outcomes are compared with (from figures.csv)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.analysis.outcome_registry import View, outcomes_in


@dataclass(frozen=True)
class ReportedFigure:
    figure: str  # id in shared/reference/figures.csv
    value: float
    role: str  # "calibration-target" or "validation"


#: Outcome name -> the figure it is compared with.
REPORTED: dict[str, ReportedFigure] = {
    "new_children_repatriated_north": ReportedFigure("F01", 32075, "calibration-target"),
    "new_children_repatriated_north_unaccompanied": ReportedFigure("F02", 18129, "calibration-target"),
    "new_returned_south_unaccompanied": ReportedFigure("F03", 4314, "calibration-target"),
    "new_shelter_admissions": ReportedFigure("F10", 92000 / 6, "validation"),
    "new_protected_by_system": ReportedFigure("F11", 25000, "validation"),
}

#: Outcomes the command line prints after a run.
KEY_OUTCOMES: tuple[str, ...] = outcomes_in(View.RUN)
