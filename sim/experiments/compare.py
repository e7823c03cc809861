"""Comparing scenarios with common random numbers: paired differences, not just two means.

Replication i of every scenario uses the same seed, so it sees the same children departing on the
same days with the same personal draws; the difference between two scenarios in replication i is
then due to the policy alone. Each outcome's difference to the first scenario is summarised by the
mean of the per-replication differences and its 95% confidence interval (Student's t; for shares a
bootstrap interval, which cannot leave [-1, 1]). Levels get the bounded intervals of `sim.analysis.summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from sim.analysis.outcome_registry import ALL_OUTCOMES, Kind, View, outcomes_in
from sim.analysis.summary import mean_and_interval
from sim.experiments.posterior_draws import draw_means, posterior_interval
from sim.experiments.replication_journal import ReplicationJournal
from sim.experiments.replications import ReplicationResult, run_replications_of_each
from sim.model.parameters import Parameters

#: The outcomes shown in the terminal table and the comparison chart.
KEY_OUTCOMES: tuple[str, ...] = outcomes_in(View.COMPARE)


@dataclass
class ScenarioRuns:
    name: str
    parameters: Parameters
    results: list[ReplicationResult]

    def values(self, outcome: str) -> np.ndarray:
        return np.array([r.outcomes[outcome] for r in self.results], dtype=float)


def run_scenarios(scenarios: Sequence[tuple[str, Parameters]], replications: int, base_seed: int,
                  years: float, executor: Executor | None = None,
                  on_done: Callable[[ReplicationResult], None] | None = None,
                  journal: ReplicationJournal | None = None) -> list[ScenarioRuns]:
    """Run each scenario's replications with the same seeds, all in one batch; keep only the daily
    stocks of the tables (trimmed where the run executes, so little travels back). With `journal`,
    finished replications are saved as they finish and not run again (see `run_replications`)."""
    results = run_replications_of_each([parameters for _, parameters in scenarios], replications,
                                       base_seed, years, executor, keep_tables=("daily",), on_done=on_done,
                                       journal=journal)
    return [ScenarioRuns(name, parameters, scenario_results)
            for (name, parameters), scenario_results in zip(scenarios, results, strict=True)]


def comparison_rows(runs: Sequence[ScenarioRuns],
                    by_draw: Sequence[Sequence[Sequence[ReplicationResult]]] | None = None) -> list[dict]:
    """For each outcome and scenario: mean and 95% CI, and the paired difference to the first, at the
    scenarios' point values. With `by_draw` (`[scenario][draw]`: the replications of each posterior
    draw), also the 90% interval including parameter uncertainty of the level and of the difference:
    quantiles over the draws of each draw's mean and of each draw's mean paired difference."""
    reference = runs[0]
    rows = []
    for outcome in ALL_OUTCOMES:
        base = reference.values(outcome.name)
        for index, run in enumerate(runs):
            values = run.values(outcome.name)
            mean, low, high = mean_and_interval(values, bounds=outcome.bounds)
            # a difference of shares cannot leave [-1, 1]: bootstrap; other differences: Student's t
            bounds = (-1.0, 1.0) if outcome.kind is Kind.SHARE else None
            difference, difference_low, difference_high = mean_and_interval(values - base, bounds=bounds)
            rows.append({"outcome": outcome.name, "unit": outcome.unit, "scenario": run.name,
                         "mean": mean, "ci_low": low, "ci_high": high,
                         "difference": difference, "difference_ci_low": difference_low,
                         "difference_ci_high": difference_high, "replications": len(values)})
            if by_draw is not None:
                rows[-1].update(_posterior_columns(by_draw[index], by_draw[0], outcome.name))
    return rows


def _posterior_columns(runs: Sequence[Sequence[ReplicationResult]],
                       reference: Sequence[Sequence[ReplicationResult]], outcome: str) -> dict:
    """The level's and the paired difference's interval over the posterior draws."""
    centre, low, high = posterior_interval(draw_means(runs, outcome))
    differences = []
    for results, base in zip(runs, reference, strict=True):
        paired = np.array([r.outcomes[outcome] - b.outcomes[outcome]
                           for r, b in zip(results, base, strict=True)])
        differences.append(np.nanmean(paired) if not np.all(np.isnan(paired)) else np.nan)
    difference, difference_low, difference_high = posterior_interval(differences)
    return {"posterior_mean": centre, "posterior_low": low, "posterior_high": high,
            "difference_posterior": difference, "difference_posterior_low": difference_low,
            "difference_posterior_high": difference_high, "draws": len(runs)}


def unpaired_half_width(a: np.ndarray, b: np.ndarray) -> float:
    """Half-width of the 95% interval of mean(a) - mean(b) if the runs were independent (Welch)."""
    from scipy import stats

    variance_a, variance_b = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    standard_error = np.sqrt(variance_a + variance_b)
    if standard_error == 0:
        return 0.0
    freedom = (variance_a + variance_b) ** 2 / (variance_a**2 / (a.size - 1) + variance_b**2 / (b.size - 1))
    return float(stats.t.ppf(0.975, freedom) * standard_error)
