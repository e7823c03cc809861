"""Sizing: the smallest capacity for which a protection standard holds with a given confidence.

A *lever* (officers, shelter beds, care-unit or alternative-care places) is searched over whole
numbers. At each value the same replications are run (replication i always uses
`replication_seed(seed, i)`: common random numbers), and the share of replications meeting the
standard is compared with the required confidence. The search brackets the answer by steps that
double from the scenario's own value, then bisects; the top of the searched range is always
checked too. More capacity should never make the standard fail more often; every evaluated pair
where it does is reported as a monotonicity violation (with a paired sign test saying whether the
drop is beyond noise), never smoothed away.

`find_minimum` knows nothing of the model: it takes any `evaluate(value) -> Evaluation`, so the
search can be tested on synthetic evaluators. `model_evaluator` builds the real one on any
`concurrent.futures`-style executor, running the replications of one lever value in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiments.run_journal import open_journal, read_journal
from sim.inputs.standards import Standard
from sim.model.parameters import Parameters

#: Confidence levels whose answers are reported next to the chosen one.
OTHER_CONFIDENCES = (0.5, 0.8, 0.9, 0.95, 0.99)
#: A drop in the share meeting the standard is "beyond noise" when the paired sign test gives a
#: p-value below this (assumption: the usual 5%).
NOISE_P_VALUE = 0.05


@dataclass(frozen=True)
class Lever:
    """A capacity a planner can size, and how a value of it sets the model's parameters."""

    name: str
    label: str
    unit: str
    description: str
    changes: Callable[[Parameters, int], dict[str, Any]]
    current: Callable[[Parameters], int]
    parameter: str  # the parameter whose allowed range bounds the lever

    def apply(self, parameters: Parameters, value: int) -> Parameters:
        return parameters.replace(**self.changes(parameters, value))


LEVERS: dict[str, Lever] = {lever.name: lever for lever in (
    Lever("officers", "child protection officers", "officers",
          "child_protection_officers, split between the borders by share_officers_north",
          lambda p, v: {"child_protection_officers": v}, lambda p: p.child_protection_officers,
          "child_protection_officers"),
    Lever("shelter_beds", "shelter beds (total)", "beds",
          "all transitory-shelter beds together: the model pools the beds of every shelter in one line "
          "(resource_capacities), so the total is what counts; it is set as one pooled shelter of that "
          "many beds (shelters = 1, beds_per_shelter = value)",
          lambda p, v: {"shelters": 1, "beds_per_shelter": v}, lambda p: p.shelter_beds, "beds_per_shelter"),
    Lever("beds_per_shelter", "beds per shelter", "beds per shelter",
          "beds in each of the scenario's shelters (total = shelters x value)",
          lambda p, v: {"beds_per_shelter": v}, lambda p: p.beds_per_shelter, "beds_per_shelter"),
    Lever("care_unit_places", "care-unit places (total)", "places",
          "all places of the special care units, pooled like shelter beds (care_units = 1, "
          "places_per_care_unit = value)",
          lambda p, v: {"care_units": 1, "places_per_care_unit": v}, lambda p: p.care_unit_places,
          "places_per_care_unit"),
    Lever("alternative_care_places", "alternative-care places", "places",
          "alternative_care_places (southern border)",
          lambda p, v: {"alternative_care_places": v}, lambda p: p.alternative_care_places,
          "alternative_care_places"),
)}


def sizeable_levers() -> dict[str, Lever]:
    """Every lever `amparo size` can size: the named ones above (pooled totals), then every whole-number
    lever parameter of the model as it is, so a new capacity lever is sizeable as soon as it is declared
    in `sim.model.parameters`."""
    from sim.model.parameters import parameter_fields

    levers = dict(LEVERS)
    for f in parameter_fields():
        if f.metadata["kind"] == "lever" and type(f.default) is int and f.name not in levers:
            levers[f.name] = Lever(f.name, f.name.replace("_", " "), f.metadata["unit"],
                                   f"{f.name} as a whole number ({f.metadata['source']})",
                                   lambda p, v, name=f.name: {name: v},
                                   lambda p, name=f.name: getattr(p, name), f.name)
    return levers


def lever_bounds(lever: Lever) -> tuple[int, int]:
    """The widest range the lever's parameter allows."""
    from sim.model.parameters import field_by_name

    metadata = field_by_name()[lever.parameter].metadata
    return int(metadata["low"]), int(metadata["high"])


def default_range(lever: Lever, parameters: Parameters) -> tuple[int, int]:
    """0 to four times the scenario's value (at least 20), within what the parameter allows."""
    low, high = lever_bounds(lever)
    return low, min(high, max(20, 4 * lever.current(parameters)))


@dataclass
class Evaluation:
    """The standard's outcome and verdict in each replication at one lever value."""

    value: int
    outcomes: list[float]
    met: list[bool]
    seeds: list[int] = field(default_factory=list)
    draws: list[int] = field(default_factory=list)  # with a posterior: the draw of each run

    @property
    def n_met(self) -> int:
        return sum(self.met)

    @property
    def share_met(self) -> float:
        return self.n_met / len(self.met)


@dataclass(frozen=True)
class Violation:
    """More capacity, yet the standard held in fewer replications."""

    lower: int
    higher: int
    share_lower: float
    share_higher: float
    p_value: float  # paired sign test: replications lost against replications gained

    @property
    def beyond_noise(self) -> bool:
        return self.p_value < NOISE_P_VALUE

    def describe(self, unit: str = "") -> str:
        kind = "beyond noise" if self.beyond_noise else "within noise"
        return (f"share meeting the standard falls from {self.share_lower:.0%} at {self.lower}{unit} to "
                f"{self.share_higher:.0%} at {self.higher}{unit} ({kind}, sign test p = {self.p_value:.3g})")


@dataclass
class Search:
    """The result of one search: every evaluation, the answer and what was found on the way."""

    confidence: float
    low: int
    high: int
    start: int
    evaluations: dict[int, Evaluation]
    order: list[int]  # lever values in the order they were evaluated
    answer: int | None  # None: the standard does not hold with this confidence anywhere in the range
    violations: list[Violation]

    @property
    def status(self) -> str:
        if self.answer is None:
            return "not met within the range"
        return "met at the bottom of the range" if self.answer == self.low else "met"


def find_minimum(evaluate: Callable[[int], Evaluation], low: int, high: int, start: int,
                 confidence: float) -> Search:
    """The smallest whole value in [low, high] whose share of replications meeting the standard is
    at least `confidence`: bracketing by doubling steps from `start`, then bisection.

    Assumes the share grows with the value; where the evaluations say otherwise the violations are
    returned (the answer is then the bisection's, at the first point found above the confidence).
    """
    if not low <= high:
        raise ValueError(f"the range is empty: low {low} is above high {high}")
    evaluations: dict[int, Evaluation] = {}
    order: list[int] = []

    def holds(value: int) -> bool:
        if value not in evaluations:
            evaluations[value] = evaluate(value)
            order.append(value)
        return evaluations[value].share_met >= confidence

    start = min(max(start, low), high)
    step = max(1, (start - low) // 4 if start > low else (high - low) // 16)
    failing: int | None = None  # the largest value known to fail, below `passing`
    passing: int | None = None
    if holds(start):
        passing = start
        while failing is None and passing > low:
            value = max(low, passing - step)
            if holds(value):
                passing = value
                step *= 2
            else:
                failing = value
    else:
        failing = start
        while passing is None and failing < high:
            value = min(high, failing + step)
            if holds(value):
                passing = value
            else:
                failing = value
                step *= 2
    if passing is not None and failing is not None:
        while passing - failing > 1:
            middle = (failing + passing) // 2
            if holds(middle):
                passing = middle
            else:
                failing = middle
    holds(high)  # the top of the range is always checked, so a falling share shows up
    return Search(confidence, low, high, start, evaluations, order, passing,
                  monotonicity_violations(evaluations))


def monotonicity_violations(evaluations: dict[int, Evaluation]) -> list[Violation]:
    """For each evaluated value, the lower value with the largest share meeting the standard, when
    that share is higher than its own; p-value of a one-sided paired sign test (replications that
    met at the lower value only, against those that met at the higher value only)."""
    from scipy.stats import binomtest

    values = sorted(evaluations)
    found = []
    for i, higher in enumerate(values):
        above = evaluations[higher]
        best = max(values[:i], key=lambda v: (evaluations[v].share_met, -v), default=None)
        if best is None or evaluations[best].share_met <= above.share_met:
            continue
        below = evaluations[best]
        lost = sum(a and not b for a, b in zip(below.met, above.met, strict=True))
        gained = sum(b and not a for a, b in zip(below.met, above.met, strict=True))
        p_value = binomtest(lost, lost + gained, 0.5, alternative="greater").pvalue
        found.append(Violation(best, higher, below.share_met, above.share_met, float(p_value)))
    return found


def share_interval(n_met: int, replications: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for the true share of replications meeting the standard."""
    from scipy.stats import binomtest

    interval = binomtest(n_met, replications).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class OtherConfidence:
    """What the evaluations say the answer would be at another confidence level."""

    confidence: float
    above: int | None  # the answer is above this evaluated value (None: nothing evaluated fails)
    at_most: int | None  # ...and at most this evaluated value (None: nothing evaluated passes)


def other_confidences(search: Search, levels: tuple[float, ...] = OTHER_CONFIDENCES) -> list[OtherConfidence]:
    """Bounds on the answer at other confidence levels, from the values already evaluated."""
    rows = []
    values = sorted(search.evaluations)
    for level in sorted({*levels, search.confidence}):
        passing = [v for v in values if search.evaluations[v].share_met >= level]
        at_most = passing[0] if passing else None
        failing = [v for v in values if search.evaluations[v].share_met < level
                   and (at_most is None or v < at_most)]
        rows.append(OtherConfidence(level, failing[-1] if failing else None, at_most))
    return rows


def replication_uncertainty(search: Search) -> list[str]:
    """Sentences on what more replications could change: exact intervals for the true share at the
    answer and just below it."""
    if search.answer is None:
        return ["The standard was not met with this confidence anywhere in the range: widen the range "
                "or look at another lever; more replications cannot create an answer."]
    sentences = []
    at = search.evaluations[search.answer]
    runs = "runs (posterior draws x replications)" if at.draws else "replications"
    low, high = share_interval(at.n_met, len(at.met))
    sentences.append(f"At the answer ({search.answer}) {at.n_met} of {len(at.met)} {runs} met the "
                     f"standard; the true share is between {low:.0%} and {high:.0%} (95%, exact"
                     + ("; it treats the runs as independent, while runs of one draw share its "
                        "parameters, so it is somewhat narrow)." if at.draws else ")."))
    if low < search.confidence:
        sentences.append("That interval reaches below the required confidence: with more replications "
                         "the answer could move up.")
    below = search.evaluations.get(search.answer - 1)
    if below is not None:
        low, high = share_interval(below.n_met, len(below.met))
        sentences.append(f"Just below ({search.answer - 1}) {below.n_met} of {len(below.met)} met it "
                         f"(true share between {low:.0%} and {high:.0%}).")
        if high >= search.confidence:
            sentences.append("That interval reaches the required confidence: with more replications "
                             "the answer could move down.")
    return sentences


# --- the model as an evaluator --------------------------------------------------------------------

def standard_outcome(standard: Standard, parameters: Parameters, seed: int, years: float,
                     replication: int = 0) -> float:
    """Run one replication and return the outcome the standard is about."""
    from sim.analysis.outcomes import timed_outcome
    from sim.experiments.replications import run_replication

    timed = standard.days is not None
    result = run_replication(parameters, seed, years, replication, keep_tables=timed)
    if timed:
        return timed_outcome(standard.outcome, result.tables, parameters, years, standard.days)
    return float(result.outcomes[standard.outcome])


def _standard_outcome_task(task: tuple[Standard, Parameters, int, float, int]) -> float:
    return standard_outcome(*task)


class OutcomeJournal:
    """The outcome of every finished sizing replication, kept in a `runs.jsonl` journal
    (`sim.experiments.run_journal`) by (first lever value, lever value, replication), so that a killed
    sizing resumes: the search asks for the same values in the same order, and the replications
    already done are read instead of run. Use it as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.finished = read_journal(self.path,
                                     lambda r: (r["first"], int(r["value"]), int(r["replication"])))
        self._journal = None
        self._append: Callable[[dict], None] | None = None

    def __enter__(self) -> OutcomeJournal:
        self._journal = open_journal(self.path)
        self._append = self._journal.__enter__()
        return self

    def __exit__(self, *exception) -> None:
        self._journal.__exit__(*exception)

    def known(self, first: int | None, value: int, replication: int) -> float | None:
        record = self.finished.get((first, value, replication))
        return None if record is None else float(record["outcome"])

    def save(self, first: int | None, value: int, replication: int, seed: int, outcome: float) -> None:
        record = {"first": first, "value": value, "replication": replication, "seed": seed,
                  "outcome": outcome}
        self._append(record)
        self.finished[(first, value, replication)] = record


def model_evaluator(parameters: Parameters, lever: Lever, standard: Standard, replications: int,
                    base_seed: int, years: float, executor: Executor | None = None,
                    on_done: Callable[[Evaluation], None] | None = None,
                    journal: OutcomeJournal | None = None,
                    first_value: int | None = None,
                    draws: Sequence[tuple[Parameters, int]] | None = None) -> Callable[[int], Evaluation]:
    """`evaluate(value)`: run the replications at one lever value (in parallel on `executor`),
    replication i with `replication_seed(base_seed, i)` whatever the value. With `journal`, the
    replications it holds (for `first_value` of a frontier's first lever) are read, not run, and each
    new one is saved to it as it finishes.

    With `draws` (each posterior draw's parameters and base seed), the runs are every draw's
    replications instead, replication i of draw d with `replication_seed` of d's base seed and i
    whatever the value; run k = d x replications + i, and the share meeting the standard is over
    all of them."""
    from sim.model.random_streams import replication_seed

    sets = [(parameters, base_seed)] if draws is None else list(draws)
    seeds = [replication_seed(seed, i) for _, seed in sets for i in range(replications)]
    draw_of = [d for d in range(len(sets)) for _ in range(replications)] if draws is not None else []

    def evaluate(value: int) -> Evaluation:
        changed = [lever.apply(draw_parameters, value) for draw_parameters, _ in sets]
        outcomes: list[float | None] = [journal.known(first_value, value, k) if journal is not None else None
                                        for k in range(len(seeds))]
        missing = [k for k, outcome in enumerate(outcomes) if outcome is None]
        tasks = [(standard, changed[k // replications], seeds[k], years, k % replications) for k in missing]
        found = executor.map(_standard_outcome_task, tasks) if executor is not None else map(
            _standard_outcome_task, tasks)
        for k, outcome in zip(missing, found, strict=True):
            if journal is not None:
                journal.save(first_value, value, k, seeds[k], outcome)
            outcomes[k] = outcome
        evaluation = Evaluation(value, outcomes, [standard.meets(v) for v in outcomes], list(seeds),
                                list(draw_of))
        if on_done is not None:
            on_done(evaluation)
        return evaluation

    return evaluate


@dataclass
class FrontierPoint:
    """The minimum of the second lever for one value of the first."""

    first_value: int
    search: Search


def frontier(evaluator_for: Callable[[int], Callable[[int], Evaluation]], first_values: list[int],
             low: int, high: int, start: int, confidence: float) -> list[FrontierPoint]:
    """For each value of the first lever, the smallest value of the second that meets the standard.

    `evaluator_for(first_value)` gives the evaluator of the second lever with the first set; each
    search starts from the previous answer, as the frontier moves little between neighbours.
    """
    points = []
    for first_value in first_values:
        search = find_minimum(evaluator_for(first_value), low, high, start, confidence)
        points.append(FrontierPoint(first_value, search))
        if search.answer is not None:
            start = search.answer
    return points


def size_levers(parameters: Parameters, levers: list[tuple[Lever, tuple[int, int]]], standard: Standard,
                confidence: float, replications: int, base_seed: int, years: float,
                executor: Executor | None = None, first_values: list[int] | None = None,
                on_done: Callable[[Evaluation], None] | None = None,
                on_first_value: Callable[[int], None] | None = None,
                journal: OutcomeJournal | None = None,
                draws: Sequence[tuple[Parameters, int]] | None = None
                ) -> tuple[list[Search], list[FrontierPoint]]:
    """The searches of a sizing: one lever, or (with two) the frontier over `first_values` of the
    first. The same request always evaluates the same values in the same order, so a journal of
    finished replications (`OutcomeJournal`) makes a killed sizing resume to identical tables.
    With `draws` (posterior draws: parameters and base seed), a value passes when the standard
    holds in at least `confidence` of all draw x replication runs."""
    lever, (low, high) = levers[-1]
    start = lever.current(parameters)
    if len(levers) == 1:
        evaluate = model_evaluator(parameters, lever, standard, replications, base_seed, years, executor,
                                   on_done, journal, draws=draws)
        return [find_minimum(evaluate, low, high, start, confidence)], []
    first = levers[0][0]

    def second_evaluator(first_value: int) -> Callable[[int], Evaluation]:
        if on_first_value is not None:
            on_first_value(first_value)
        drawn = None if draws is None else [(first.apply(p, first_value), seed) for p, seed in draws]
        return model_evaluator(first.apply(parameters, first_value), lever, standard, replications, base_seed,
                               years, executor, on_done, journal, first_value, drawn)

    points = frontier(second_evaluator, list(first_values or []), low, high, start, confidence)
    return [point.search for point in points], points


def frontier_values(low: int, high: int, points: int) -> list[int]:
    """`points` values of a frontier's first lever, evenly spread over [low, high], rounded."""
    return sorted({round(low + i * (high - low) / (points - 1)) for i in range(points)})
