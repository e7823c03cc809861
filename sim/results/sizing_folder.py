"""Writing a sizing result folder, atomically: tables, a plain-language summary, charts, manifest.

    evaluations.csv      every evaluated lever value: share of replications meeting the standard
                         (with its exact 95% interval), the outcome's mean and 95% interval, whether
                         it reaches the confidence, the chosen point, any monotonicity violation
    by_replication.csv   the outcome and verdict of every replication at every value, with its seed
    frontier.csv         (two levers) the minimum of the second lever for each value of the first
    summary.md           the answer and its uncertainty, as `amparo size` prints it
    charts/              the standard's outcome against the lever, or the frontier; captions.md
    manifest.json        everything needed to run it again; "complete": true written last
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.summary import mean_and_interval
from sim.experiments.sizing import (
    FrontierPoint,
    Lever,
    Search,
    other_confidences,
    replication_uncertainty,
    share_interval,
)
from sim.inputs.standards import Standard
from sim.model.parameters import Parameters
from sim.results.run_folder import (
    parameters_as_dict,
    run_metadata,
    write_atomically,
    write_csv,
    write_final_manifest,
    write_json,
)


@dataclass
class SizingRequest:
    """What was asked: the scenario, the lever(s) and ranges, the standard and the design."""

    scenario: dict[str, str]  # file, title, text
    parameters: Parameters
    levers: list[Lever]
    ranges: list[tuple[int, int]]
    standard: Standard
    standards_file: str
    confidence: float
    replications: int
    base_seed: int
    years: float
    posterior: dict[str, Any] | None = None  # with posterior draws: what the manifest records of them

    @property
    def runs_described(self) -> str:
        """The runs behind each lever value, in words."""
        if self.posterior is None:
            return f"{self.replications} replications"
        draws = self.posterior["draws"]
        return (f"{draws * self.replications} runs ({draws} posterior draws x {self.replications} "
                "replications)")


def evaluation_rows(search: Search, unit: str = "") -> list[dict[str, Any]]:
    """One row per evaluated value of the lever, in lever order."""
    flagged = {v.higher: v for v in search.violations}
    rows = []
    for value in sorted(search.evaluations):
        evaluation = search.evaluations[value]
        low, high = share_interval(evaluation.n_met, len(evaluation.met))
        mean, mean_low, mean_high = mean_and_interval(evaluation.outcomes)
        violation = flagged.get(value)
        rows.append({"value": value, "evaluated_order": search.order.index(value) + 1,
                     "replications": len(evaluation.met), "n_met": evaluation.n_met,
                     "share_met": evaluation.share_met, "share_ci_low": low, "share_ci_high": high,
                     "outcome_mean": mean, "outcome_ci_low": mean_low, "outcome_ci_high": mean_high,
                     "meets_confidence": int(evaluation.share_met >= search.confidence),
                     "chosen": int(value == search.answer),
                     "monotonicity_violation": violation.describe(unit) if violation else ""})
    return rows


def summary_lines(request: SizingRequest, searches: Sequence[Search],
                  points: Sequence[FrontierPoint] = ()) -> list[str]:
    """The answer in plain language: what `amparo size` prints and `summary.md` holds."""
    standard = request.standard
    lines = [f"Standard: {standard.title} [{standard.name}]: {standard.condition} in at least "
             f"{request.confidence:.0%} of {request.runs_described} of {request.years:g} year(s).",
             f"Source: {standard.source}"]
    if request.posterior is not None:
        lines.append(f"Parameter uncertainty: {request.posterior['draws']} draws from the posterior "
                     f"{request.posterior['file']} (SHA-256 {request.posterior['sha256'][:12]}); a value "
                     "passes when the standard holds in that share of all runs of all draws.")
    lever = request.levers[-1]
    if points:
        first = request.levers[0]
        lines.append(f"Frontier: the fewest {lever.label} for each number of {first.label}:")
        for point in points:
            answer = point.search.answer
            shown = f"{answer} {lever.unit}" if answer is not None else f"none up to {point.search.high}"
            lines.append(f"  {first.label} {point.first_value}: {shown}"
                         + (f"  ({len(point.search.violations)} monotonicity violation(s))"
                            if point.search.violations else ""))
        return lines
    search = searches[0]
    low, high = request.ranges[-1]
    if search.answer is None:
        lines.append(f"Answer: no number of {lever.label} from {low} to {high} meets the standard with "
                     f"{request.confidence:.0%} confidence.")
    else:
        lines.append(f"Answer: {search.answer} {lever.unit} ({lever.label}; the scenario has "
                     f"{lever.current(request.parameters)}).")
        if search.answer == low:
            lines.append(f"The standard already holds at the bottom of the range ({low}).")
    values = sorted(search.evaluations)
    means = [mean_and_interval(search.evaluations[v].outcomes)[0] for v in (values[0], values[-1])]
    lines.append(f"The outcome ({standard.outcome}) averages {means[0]:.4g} at {values[0]} and "
                 f"{means[1]:.4g} at {values[-1]} {lever.unit}; if it hardly moves, the bottleneck is "
                 "elsewhere.")
    per_value = request.replications * (request.posterior["draws"] if request.posterior else 1)
    lines.append(f"Evaluated {len(search.evaluations)} values ({', '.join(map(str, search.order))}), "
                 f"{len(search.evaluations) * per_value} {'runs' if request.posterior else 'replications'} "
                 "in all.")
    lines.append("Other confidence levels (from the values evaluated):")
    for row in other_confidences(search):
        if row.at_most is None:
            shown = f"above {row.above}" if row.above is not None else "not evaluated"
        elif row.above is None:
            shown = f"at most {row.at_most}"
        elif row.at_most == row.above + 1:
            shown = f"{row.at_most}"
        else:
            shown = f"from {row.above + 1} to {row.at_most}"
        lines.append(f"  {row.confidence:.0%}: {shown}")
    lines.extend(replication_uncertainty(search))
    if search.violations:
        lines.append(f"WARNING: the share meeting the standard does not rise steadily with {lever.label}:")
        lines.extend(f"  {violation.describe()}" for violation in search.violations)
    else:
        lines.append(f"Monotone: the share meeting the standard never fell as {lever.label} rose.")
    return lines


def write_sizing_folder(target: Path, request: SizingRequest, searches: Sequence[Search],
                        points: Sequence[FrontierPoint] = (), wall_seconds: float = 0.0,
                        overwrite: bool = False, draw_charts: Callable[[Path], Any] | None = None,
                        unique: bool = False) -> Path:
    """Write the folder of a finished sizing and return its path."""
    lines = summary_lines(request, searches, points)

    def fill(folder: Path) -> None:
        first_values = [p.first_value for p in points] if points else [None]
        rows, replication_rows = [], []
        for first_value, search in zip(first_values, searches, strict=True):
            for row in evaluation_rows(search):
                rows.append(({"first_lever_value": first_value} if points else {}) | row)
            for value in sorted(search.evaluations):
                evaluation = search.evaluations[value]
                for i, (outcome, met) in enumerate(zip(evaluation.outcomes, evaluation.met, strict=True)):
                    run = ({"draw": evaluation.draws[i], "replication": i % request.replications}
                           if evaluation.draws else {"replication": i})
                    replication_rows.append(({"first_lever_value": first_value} if points else {})
                                            | {"value": value} | run
                                            | {"seed": evaluation.seeds[i], "outcome": outcome,
                                               "met": int(met)})
        for name, table in (("evaluations.csv", rows), ("by_replication.csv", replication_rows)):
            write_csv(folder / name, {key: [row[key] for row in table] for key in table[0]})
        if points:
            write_csv(folder / "frontier.csv", {
                "first_lever_value": [p.first_value for p in points],
                "minimum_second_lever": ["" if p.search.answer is None else p.search.answer for p in points],
                "status": [p.search.status for p in points],
                "monotonicity_violations": [len(p.search.violations) for p in points]})
        (folder / "summary.md").write_text("# Sizing\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
        manifest = _manifest(request, searches, points, wall_seconds)
        write_json(folder / "manifest.json", {**manifest, "complete": False})
        if draw_charts is not None:
            draw_charts(folder)
        write_final_manifest(folder, manifest)

    return write_atomically(target, fill, overwrite, unique)


def _manifest(request: SizingRequest, searches: Sequence[Search], points: Sequence[FrontierPoint],
              wall_seconds: float) -> dict[str, Any]:
    from sim.model.random_streams import replication_seed

    standard = request.standard
    manifest: dict[str, Any] = {
        "kind": "sizing",
        "scenario": request.scenario,
        "parameters": parameters_as_dict(request.parameters),
        "standard": {"name": standard.name, "title": standard.title, "source": standard.source,
                     "outcome": standard.outcome, "days": standard.days, "limit": standard.limit,
                     "direction": "at_least" if standard.at_least else "at_most",
                     "condition": standard.condition, "file": request.standards_file},
        "levers": [{"name": lever.name, "label": lever.label, "unit": lever.unit,
                    "description": lever.description, "scenario_value": lever.current(request.parameters),
                    "low": low, "high": high}
                   for lever, (low, high) in zip(request.levers, request.ranges, strict=True)],
        "confidence": request.confidence,
        "replications": request.replications,
        "years": request.years,
        "base_seed": request.base_seed,
        "seeds": [replication_seed(request.base_seed, i) for i in range(request.replications)],
        "wall_seconds": round(wall_seconds, 3),
        **({"posterior": request.posterior} if request.posterior else {}),
        **run_metadata(),
    }
    if points:
        manifest["frontier"] = [{"first_lever_value": p.first_value, "minimum_second_lever": p.search.answer,
                                 "status": p.search.status, "evaluated": p.search.order,
                                 "violations": [v.describe() for v in p.search.violations]} for p in points]
    else:
        search = searches[0]
        manifest.update({
            "answer": search.answer, "status": search.status, "evaluated": search.order,
            "other_confidences": [{"confidence": row.confidence, "above": row.above, "at_most": row.at_most}
                                  for row in other_confidences(search)],
            "replication_uncertainty": replication_uncertainty(search),
            "violations": [{"lower": v.lower, "higher": v.higher, "share_lower": v.share_lower,
                            "share_higher": v.share_higher, "p_value": v.p_value,
                            "beyond_noise": v.beyond_noise} for v in search.violations]})
    return manifest
