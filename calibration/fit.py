"""Approximate Bayesian computation on a reference table, with local-linear regression adjustment.

Why this method: the model is a stochastic simulator without a likelihood, and the reported figures
are counts that, on the log scale, are sums of the logs of the fitted quantities (a count is
departures x shares): close to linear. So one table of simulations drawn from the prior, the runs
nearest the figures, and a regression adjustment on the log scale (Beaumont, Zhang and Balding 2002)
give a posterior whose sample is as large as the runs accepted. The same table answers any other
observed figures at no cost (it is amortised), which is what makes the coverage check affordable:
every synthetic truth of the simulation-based calibration is one of the table's own runs, left out,
while a sequential method (ABC-SMC) would need a new calibration per truth. pyabc and ELFI were
considered: neither resumes an interrupted run from its finished simulations nor gives the same
numbers on any number of workers, which the project's journal (`runs.jsonl`) does.

How: the table is a scrambled Sobol design over the prior box of every dimension (fitted quantities
and declared uncertainties, `calibration.priors`), each point simulated once with its own seed. The
`accepted` runs closest to the figures (root mean square relative error over the targets) are kept,
weighted by an Epanechnikov kernel of their distance; the log of each fitted quantity is regressed on
the log of each simulated figure over the observed one, and every accepted particle is moved along
the fit to where its figures would equal the observed ones (kept inside the prior box). Declared
uncertainties keep their simulated values: they are draws from the prior among accepted runs.

Reproducible and resumable: a run's values and seed depend only on the base seed and its index, and
every finished run is appended to `runs.jsonl` (flushed and synced) as it arrives, so the result is
identical whatever the number of workers and however often it was interrupted.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration.priors import Priors
from calibration.targets import Target
from sim.experiments.execution import map_as_finished
from sim.experiments.run_journal import open_journal, read_journal
from sim.model.parameters import Parameters

#: Bins of the rank histograms of the coverage check.
RANK_BINS = 10


@dataclass(frozen=True)
class Settings:
    """How large the calibration is.

    `budget` runs of `years` each in the reference table, of which the `accepted` closest to the
    figures form the posterior; `truths` of the table's runs serve in turn as synthetic truths of the
    coverage check.
    """

    budget: int = 10_000
    accepted: int = 2_000
    truths: int = 100
    seed: int = 2008
    years: float = 0.1
    #: the table's runs start from an empty system: 180 days let repeat crossings (a cycle of about
    #: 50 days, home and back) reach their steady state, which 90 days leave 6% short
    warmup_days: int = 180


def table_parameters(base: Parameters, settings: Settings) -> Parameters:
    """The base of the table's runs: no seasons (each month's profile 1; a profile has mean 1, so
    a year's totals are the same, while a run shorter than a year would see only its months) and
    the table's warm-up."""
    flat = (1.0,) * 12
    return base.replace(warmup_days=settings.warmup_days, arrival_profile_north=flat,
                        arrival_profile_south=flat)


@dataclass
class ReferenceTable:
    """Every run of the calibration: its values (one column per prior dimension), seed and figures."""

    names: tuple[str, ...]
    values: np.ndarray  # runs x dimensions
    seeds: list[int]
    outcomes: list[dict[str, float]]
    simulated: np.ndarray  # runs x targets: each target's simulated figure


@dataclass(frozen=True)
class Posterior:
    """The accepted runs, regression-adjusted, with their weights."""

    names: tuple[str, ...]
    values: np.ndarray  # accepted x dimensions: fitted ones adjusted, declared ones as simulated
    raw: np.ndarray  # accepted x dimensions, as simulated
    weights: np.ndarray  # normalised
    accepted: np.ndarray  # indices into the reference table, closest first
    distances: np.ndarray  # of the accepted runs
    tolerance: float  # the largest accepted distance

    @property
    def effective_sample_size(self) -> float:
        return effective_sample_size(self.weights)


@dataclass(frozen=True)
class Coverage:
    """The simulation-based calibration check, per fitted quantity."""

    names: tuple[str, ...]
    truths: int
    covered: np.ndarray  # share of truths inside their 90% interval, per fitted quantity
    ranks: np.ndarray  # fitted quantities x RANK_BINS: truths whose posterior rank fell in each bin


def simulation_seed(base_seed: int, index: int) -> int:
    """The seed of run `index` of the reference table (depends on nothing else)."""
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(1, index))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def relative_distances(simulated: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Root mean square relative error of each run's figures (rows) against the observed ones."""
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = simulated / observed - 1
    distances = np.sqrt(np.mean(np.square(errors), axis=1))
    return np.where(np.isfinite(distances), distances, np.inf)


def distance(outcomes: dict[str, float], targets: Sequence[Target]) -> float:
    """Root mean square relative error of one run's figures against the reported ones."""
    simulated = np.array([[t.simulated(outcomes) for t in targets]])
    return float(relative_distances(simulated, np.array([t.value for t in targets]))[0])


def _evaluate(task: tuple[str, Parameters, int, float]) -> tuple[str, int, dict[str, float]]:
    from sim.experiments.replications import run_replication

    key, parameters, seed, years = task
    return key, seed, run_replication(parameters, seed, years, keep_tables=False).outcomes


def run_streamed(tasks: Sequence[tuple[str, Parameters, int, dict[str, float]]], years: float,
                 runs_file: Path, executor: Executor | None = None,
                 on_done: Callable[[int], None] | None = None) -> dict[str, dict]:
    """Simulate each (key, parameters, seed, inputs) not yet in `runs_file`; return every task's record.

    Runs go to `executor` in groups (`sim.experiments.execution.map_as_finished`) and are written as
    they finish, in whatever order.
    """
    finished = read_journal(runs_file, lambda record: record["key"])
    wanted = {key for key, _, _, _ in tasks}
    if on_done is not None:
        on_done(len(wanted & set(finished)))
    to_run = [task for task in tasks if task[0] not in finished]
    inputs = {key: values for key, _, _, values in tasks}
    if to_run:
        with open_journal(runs_file) as append:
            for key, seed, outcomes in _results([(k, p, s, years) for k, p, s, _ in to_run], executor):
                record = {"key": key, "seed": seed, "inputs": inputs[key], "outcomes": outcomes}
                append(record)
                finished[key] = record
                if on_done is not None:
                    on_done(1)
    return {key: finished[key] for key in wanted}


def _results(tasks: list, executor: Executor | None) -> Iterable[tuple[str, int, dict[str, float]]]:
    return map_as_finished(_evaluate, tasks, executor)


def prior_design(priors: Priors, settings: Settings) -> np.ndarray:
    """The reference table's points: a scrambled Sobol design scaled to the prior box."""
    from scipy.stats import qmc

    sampler = qmc.Sobol(len(priors.dimensions), scramble=True, seed=settings.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy prefers powers of two; any count is still valid
        unit = sampler.random(settings.budget)
    return qmc.scale(unit, [d.low for d in priors.dimensions], [d.high for d in priors.dimensions])


def reference_table(base: Parameters, priors: Priors, targets: Sequence[Target], folder: Path,
                    settings: Settings, executor: Executor | None = None,
                    on_done: Callable[[int], None] | None = None) -> ReferenceTable:
    """Simulate (or, resuming, read back) every run of the table; runs go to `folder/runs.jsonl`."""
    names = priors.names
    base = table_parameters(base, settings)
    values = prior_design(priors, settings)
    seeds = [simulation_seed(settings.seed, row) for row in range(len(values))]
    tasks = []
    for row, (point, seed) in enumerate(zip(values, seeds, strict=True)):
        inputs = dict(zip(names, (float(v) for v in point), strict=True))
        tasks.append((f"table-{row}", base.replace(**priors.model_values(inputs, base)), seed, inputs))
    records = run_streamed(tasks, settings.years, folder / "runs.jsonl", executor, on_done)
    outcomes = [records[f"table-{row}"]["outcomes"] for row in range(len(values))]
    simulated = np.array([[t.simulated(o) for t in targets] for o in outcomes], dtype=float)
    return ReferenceTable(names, values, seeds, outcomes, simulated)


def posterior(table: ReferenceTable, observed: np.ndarray, priors: Priors, accepted: int,
              leave_out: int | None = None) -> Posterior:
    """The posterior given `observed` figures (one per target): the `accepted` nearest runs of the
    table (without run `leave_out`), kernel-weighted and regression-adjusted (see the module)."""
    distances = relative_distances(table.simulated, observed)
    if leave_out is not None:
        distances[leave_out] = np.inf
    order = np.argsort(distances, kind="stable")[:accepted]
    order = order[np.isfinite(distances[order])]
    if order.size == 0:
        raise ValueError("no run of the reference table has finite figures")
    near = distances[order]
    tolerance = float(near[-1])
    kernel = 1 - np.square(near / tolerance) if tolerance > 0 else np.ones(order.size)
    weights = np.clip(kernel, 0, None)
    if weights.sum() <= 0:
        weights = np.ones(order.size)
    weights = weights / weights.sum()
    raw = table.values[order]
    with np.errstate(divide="ignore", invalid="ignore"):
        deviations = np.log(table.simulated[order] / observed)
    deviations = np.where(np.isfinite(deviations), deviations, 0.0)
    design = np.column_stack([np.ones(order.size), deviations])
    root = np.sqrt(weights)[:, None]
    fitted = [j for j, d in enumerate(priors.dimensions) if d.fitted]
    coefficients = np.linalg.lstsq(design * root, np.log(raw[:, fitted]) * root, rcond=None)[0]
    adjusted = raw.copy()
    low = np.array([priors.dimensions[j].low for j in fitted])
    high = np.array([priors.dimensions[j].high for j in fitted])
    adjusted[:, fitted] = np.clip(np.exp(np.log(raw[:, fitted]) - deviations @ coefficients[1:]), low, high)
    return Posterior(table.names, adjusted, raw, weights, order, near, tolerance)


def coverage(table: ReferenceTable, priors: Priors, settings: Settings) -> Coverage:
    """Simulation-based calibration: `settings.truths` runs spread evenly over the table, each in turn
    the truth whose figures are observed and left out of the table; per fitted quantity, the share of
    truths inside their posterior 90% interval, and the histogram of the truth's weighted rank in its
    posterior (uniform when the posterior is calibrated)."""
    fitted = [j for j, d in enumerate(priors.dimensions) if d.fitted]
    truths = np.unique(np.linspace(0, len(table.values) - 1, settings.truths).round().astype(int))
    covered = np.zeros(len(fitted))
    ranks = np.zeros((len(fitted), RANK_BINS), dtype=int)
    accepted = min(settings.accepted, len(table.values) - 1)
    for truth in truths:
        result = posterior(table, table.simulated[truth], priors, accepted, leave_out=int(truth))
        for k, j in enumerate(fitted):
            value = table.values[truth, j]
            low, high = weighted_quantile(result.values[:, j], result.weights, [0.05, 0.95])
            covered[k] += low <= value <= high
            rank = float(np.sum(result.weights[result.values[:, j] < value]))
            ranks[k, min(int(rank * RANK_BINS), RANK_BINS - 1)] += 1
    names = tuple(priors.dimensions[j].name for j in fitted)
    return Coverage(names, len(truths), covered / len(truths), ranks)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical distribution, interpolated)."""
    order = np.argsort(values, kind="stable")
    values, weights = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(quantiles, cumulative, values)


def point_estimate(result: Posterior, priors: Priors) -> dict[str, float]:
    """The calibrated value of each fitted quantity: its posterior mean on the log scale (weighted
    geometric mean), which keeps a product at the geometric mean of the accepted products."""
    return {d.name: float(np.exp(np.sum(result.weights * np.log(result.values[:, j]))))
            for j, d in enumerate(priors.dimensions) if d.fitted}


def resampled(result: Posterior, draws: int, seed: int) -> np.ndarray:
    """Indices of `draws` particles drawn by weight (systematic resampling, reproducible)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(2,)))
    positions = (rng.random() + np.arange(draws)) / draws
    return np.minimum(np.searchsorted(np.cumsum(result.weights), positions), len(result.weights) - 1)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights."""
    return float(1 / np.sum(np.square(weights))) if np.sum(np.square(weights)) > 0 else 0.0
