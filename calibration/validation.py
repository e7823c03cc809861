"""Judging a calibration: the fit table (calibration targets) and the held-out validation table.

The calibrated point is run for whole years with fresh seeds (the same seeds with no officers, for
the direction of F12). The posterior predictive comes from runs of whole years at parameters drawn
from the posterior (`calibration.fit.resampled`), each with its own seed, so its intervals carry
both what the figures leave open and the randomness of a year. Runs are streamed to the
calibration's `runs.jsonl`, so a resumed calibration does not repeat them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calibration.fit import run_streamed
from calibration.targets import Target
from sim.model.parameters import Parameters
from sim.model.random_streams import replication_seed

#: Seeds of the check runs are derived from the base seed plus this, apart from the fitting runs.
CHECK_SEED_OFFSET = 1_000_003
#: And those of the posterior predictive runs from this.
PREDICTIVE_SEED_OFFSET = 2_000_003


@dataclass(frozen=True)
class CheckSettings:
    """Runs of the calibrated point (`replications` of `years`) and of the posterior predictive
    (`predictive` draws of `years`)."""

    replications: int = 10
    years: float = 1.0
    predictive: int = 40


def parameters_key(parameters: Parameters) -> str:
    """A short digest of exact values, so a resumed run never reuses runs of another point."""
    return hashlib.sha256(repr(sorted(vars(parameters).items())).encode("utf-8")).hexdigest()[:12]


def check_runs(calibrated: Parameters, seed: int, settings: CheckSettings, runs_file: Path,
               executor: Executor | None = None, on_done: Callable[[int], None] | None = None,
               ) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Outcomes of the calibrated point, and of the same point with no officers (same seeds)."""
    seeds = [replication_seed(seed + CHECK_SEED_OFFSET, i) for i in range(settings.replications)]
    without = calibrated.replace(child_protection_officers=0)
    point = parameters_key(calibrated)
    tasks = [(f"calibrated-{point}-{i}", calibrated, s, {}) for i, s in enumerate(seeds)]
    tasks += [(f"no-officers-{point}-{i}", without, s, {"child_protection_officers": 0})
              for i, s in enumerate(seeds)]
    records = run_streamed(tasks, settings.years, runs_file, executor, on_done)
    return ([records[f"calibrated-{point}-{i}"]["outcomes"] for i in range(settings.replications)],
            [records[f"no-officers-{point}-{i}"]["outcomes"] for i in range(settings.replications)])


def predictive_runs(draws: Sequence[Parameters], seed: int, settings: CheckSettings, runs_file: Path,
                    executor: Executor | None = None, on_done: Callable[[int], None] | None = None,
                    ) -> list[dict[str, float]]:
    """Outcomes of one run of `settings.years` at each posterior draw."""
    tasks = []
    for i, parameters in enumerate(draws):
        inputs: Mapping[str, float] = {}
        tasks.append((f"predictive-{parameters_key(parameters)}-{i}", parameters,
                      replication_seed(seed + PREDICTIVE_SEED_OFFSET, i), inputs))
    records = run_streamed(tasks, settings.years, runs_file, executor, on_done)
    return [records[key]["outcomes"] for key, _, _, _ in tasks]


def _predictive(runs: Sequence[dict[str, float]], target: Target) -> tuple[float, float, float]:
    return _mean_and_90([target.simulated(o) for o in runs])


def _mean_and_90(values: Sequence[float]) -> tuple[float, float, float]:
    array = np.asarray(values, dtype=float)
    low, high = np.percentile(array, [5, 95])
    return float(array.mean()), float(low), float(high)


def fit_table(targets: Sequence[Target], predictive: Sequence[dict[str, float]],
              calibrated_runs: Sequence[dict[str, float]]) -> list[dict[str, Any]]:
    """Per target: the reported value; the calibrated point's mean, 90% interval over replications
    and relative error; the posterior predictive 90% interval; and whether it hits."""
    rows = []
    for target in targets:
        mean, low, high = _mean_and_90([target.simulated(o) for o in calibrated_runs])
        _, post_low, post_high = _predictive(predictive, target)
        error = mean / target.value - 1
        rows.append({"figure": target.figure, "outcome": target.outcome, "reported": target.value,
                     "simulated_mean": mean, "simulated_p5": low, "simulated_p95": high,
                     "relative_error": error, "tolerance": target.tolerance,
                     "posterior_p5": post_low, "posterior_p95": post_high,
                     "hit": abs(error) <= target.tolerance and post_low <= target.value <= post_high})
    return rows


def validation_table(figures: Sequence[Target], predictive: Sequence[dict[str, float]],
                     calibrated_runs: Sequence[dict[str, float]],
                     no_officer_runs: Sequence[dict[str, float]]) -> list[dict[str, Any]]:
    """Per held-out figure: reported, predicted (posterior mean and 90% interval), the calibrated
    point's mean, the rule, pass or miss."""
    rows = []
    for figure in figures:
        point = float(np.mean([figure.simulated(o) for o in calibrated_runs]))
        if figure.compare == "direction":
            differences = [figure.simulated(a) - figure.simulated(b)
                           for a, b in zip(calibrated_runs, no_officer_runs, strict=True)]
            mean, low, high = _mean_interval_of_mean(differences)
            passed = low > 0
            reported = "rose (direction)"
            predicted = f"{mean:+,.1f} a year with 172 officers vs none"
        else:
            mean, low, high = _predictive(predictive, figure)
            if figure.compare == "lower bound":
                passed = point > figure.value  # the baseline planners use must clear the bound
                reported = f"over {figure.value:,.0f}"
            else:
                passed = low <= figure.value <= high
                reported = f"{figure.value:,.0f}"
            predicted = f"{mean:,.0f}"
        rows.append({"figure": figure.figure, "outcome": figure.outcome, "reported": reported,
                     "predicted": predicted, "predicted_mean": mean, "predicted_p5": low,
                     "predicted_p95": high, "calibrated_point": point, "rule": figure.pass_when,
                     "result": "pass" if passed else "miss"})
    return rows


def _mean_interval_of_mean(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and its 90% t-interval (needs two or more values)."""
    from scipy import stats

    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if array.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.95, array.size - 1) * array.std(ddof=1) / math.sqrt(array.size))
    return mean, mean - half, mean + half
