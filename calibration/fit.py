"""Approximate Bayesian computation by population Monte Carlo (ABC-PMC), in fixed-size generations.

Why this method: the model is a stochastic simulator without a likelihood, a run costs seconds, and
the three figures pin down products of parameters (departures x returned share), not each one. ABC
gives a posterior sample, hence intervals and correlations that show what is and is not identified;
an optimiser would give one point and hide the ridge.

How: generation 0 is a scrambled Sobol design over the uniform prior box (`scipy.stats.qmc`).
Each later generation draws the same number of candidates from the previous accepted particles,
perturbed by a Gaussian kernel with twice their weighted covariance (Beaumont et al. 2009), kept
inside the prior box. Every candidate is simulated once with its own seed; the generation accepts
its `keep` candidates closest to the figures (the tolerance is that distance quantile) and weights
them by prior / proposal density. The distance is the root mean square relative error over the
targets.

Reproducible and resumable: a candidate's values and seed depend only on the base seed, the
generation and its index, and a generation is built only from the previous one's finished runs, so
the result is identical whatever the number of workers and however often it was interrupted. Every
finished simulation is appended to `runs.jsonl` (flushed and synced) as it arrives.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration.targets import FreeParameter, Target
from sim.experiments.execution import map_as_finished
from sim.experiments.run_journal import open_journal, read_journal
from sim.model.parameters import Parameters


@dataclass(frozen=True)
class Settings:
    """How large the calibration is; `budget` simulations in `generations` equal generations."""

    budget: int = 320
    generations: int = 4
    keep_fraction: float = 0.25
    seed: int = 2008
    years: float = 0.5

    @property
    def batch(self) -> int:
        return self.budget // self.generations

    @property
    def keep(self) -> int:
        return max(2, round(self.batch * self.keep_fraction))


@dataclass
class Generation:
    """One generation's candidates, their runs, and which were accepted with what weight."""

    index: int
    values: np.ndarray  # candidates x parameters
    seeds: list[int]
    outcomes: list[dict[str, float]]
    distances: np.ndarray
    accepted: np.ndarray  # indices of accepted candidates, closest first
    weights: np.ndarray  # normalised, one per accepted candidate
    tolerance: float


def simulation_seed(base_seed: int, generation: int, index: int) -> int:
    """The seed of candidate `index` of `generation` (depends on nothing else)."""
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(1 + generation, index))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def distance(outcomes: dict[str, float], targets: Sequence[Target]) -> float:
    """Root mean square relative error of the simulated figures against the reported ones."""
    errors = [target.simulated(outcomes) / target.value - 1 for target in targets]
    value = math.sqrt(sum(e * e for e in errors) / len(errors))
    return value if math.isfinite(value) else math.inf


def _evaluate(task: tuple[str, Parameters, int, float]) -> tuple[str, int, dict[str, float]]:
    from sim.experiments.replications import run_replication

    key, parameters, seed, years = task
    return key, seed, run_replication(parameters, seed, years, keep_tables=False).outcomes


def run_streamed(tasks: Sequence[tuple[str, Parameters, int, dict[str, float]]], years: float,
                 runs_file: Path, executor: Executor | None = None,
                 on_done: Callable[[int], None] | None = None) -> dict[str, dict]:
    """Simulate each (key, parameters, seed, inputs) not yet in `runs_file`; return every task's record.

    Runs go to `executor` in groups (`sim.experiments.execution.map_as_finished`) and are written as
    they finish,
    in whatever order.
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


def _first_design(free: Sequence[FreeParameter], settings: Settings) -> np.ndarray:
    from scipy.stats import qmc

    sampler = qmc.Sobol(len(free), scramble=True, seed=settings.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy prefers powers of two; any count is still valid
        unit = sampler.random(settings.batch)
    return qmc.scale(unit, [p.low for p in free], [p.high for p in free])


def _unit(values: np.ndarray, free: Sequence[FreeParameter]) -> np.ndarray:
    """Values rescaled to the unit box of the priors (the kernel works there: parameters differ in
    scale by eight orders of magnitude)."""
    low, high = np.array([p.low for p in free]), np.array([p.high for p in free])
    return (values - low) / (high - low)


def _kernel_covariance(previous: Generation, free: Sequence[FreeParameter]) -> np.ndarray:
    """Twice the particles' weighted covariance (unit box), with a floor of 0.01^2 on the diagonal
    so that the kernel stays proper when fewer particles are kept than there are parameters."""
    particles = _unit(previous.values[previous.accepted], free)
    covariance = np.atleast_2d(np.cov(particles, rowvar=False, aweights=previous.weights))
    return 2 * covariance + 1e-4 * np.eye(len(free))


def _proposals(previous: Generation, free: Sequence[FreeParameter], settings: Settings) -> np.ndarray:
    """Candidates of the next generation: resampled accepted particles, perturbed, inside the prior box."""
    rng = np.random.default_rng(np.random.SeedSequence(settings.seed, spawn_key=(0, previous.index + 1)))
    particles = _unit(previous.values[previous.accepted], free)
    covariance = _kernel_covariance(previous, free)
    low, high = np.array([p.low for p in free]), np.array([p.high for p in free])
    candidates = np.empty((settings.batch, len(free)))
    for row in range(settings.batch):
        while True:
            origin = particles[rng.choice(len(particles), p=previous.weights)]
            candidate = rng.multivariate_normal(origin, covariance)
            if np.all(candidate >= 0) and np.all(candidate <= 1):
                candidates[row] = low + candidate * (high - low)
                break
    return candidates


def _weights(accepted_values: np.ndarray, previous: Generation | None,
             free: Sequence[FreeParameter]) -> np.ndarray:
    """Importance weights: uniform prior over the proposal mixture density (uniform in generation 0)."""
    if previous is None:
        return np.full(len(accepted_values), 1 / len(accepted_values))
    from scipy.stats import multivariate_normal

    kernel = multivariate_normal(mean=np.zeros(len(free)), cov=_kernel_covariance(previous, free))
    particles = _unit(previous.values[previous.accepted], free)
    density = np.array([np.sum(previous.weights * kernel.pdf(value - particles))
                        for value in _unit(accepted_values, free)])
    weights = 1 / np.maximum(density, 1e-300)
    return weights / weights.sum()


def calibrate(base: Parameters, free: Sequence[FreeParameter], targets: Sequence[Target], folder: Path,
              settings: Settings, executor: Executor | None = None,
              on_done: Callable[[int], None] | None = None) -> list[Generation]:
    """Run (or resume) the ABC-PMC calibration; every simulation is streamed to `folder/runs.jsonl`."""
    names = [p.name for p in free]
    generations: list[Generation] = []
    previous = None
    for index in range(settings.generations):
        values = _first_design(free, settings) if previous is None else _proposals(previous, free, settings)
        seeds = [simulation_seed(settings.seed, index, row) for row in range(len(values))]
        tasks = []
        for row, (point, seed) in enumerate(zip(values, seeds, strict=True)):
            inputs = dict(zip(names, (float(v) for v in point), strict=True))
            tasks.append((f"g{index}-{row}", base.replace(**inputs), seed, inputs))
        records = run_streamed(tasks, settings.years, folder / "runs.jsonl", executor, on_done)
        outcomes = [records[f"g{index}-{row}"]["outcomes"] for row in range(len(values))]
        distances = np.array([distance(o, targets) for o in outcomes])
        accepted = np.argsort(distances, kind="stable")[: settings.keep]
        weights = _weights(values[accepted], previous, free)
        previous = Generation(index, values, seeds, outcomes, distances, accepted, weights,
                              float(distances[accepted[-1]]))
        generations.append(previous)
    return generations


def weighted_quantile(values: np.ndarray, weights: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical distribution, interpolated)."""
    order = np.argsort(values, kind="stable")
    values, weights = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return np.interp(quantiles, cumulative, values)


@dataclass(frozen=True)
class Posterior:
    """The accepted particles after regression adjustment, with their weights (and the raw values)."""

    values: np.ndarray  # accepted x parameters, adjusted
    raw: np.ndarray  # accepted x parameters, as simulated
    weights: np.ndarray  # normalised


def adjusted_posterior(final: Generation, targets: Sequence[Target],
                       free: Sequence[FreeParameter]) -> Posterior:
    """Local-linear regression adjustment (Beaumont, Zhang and Balding 2002), on the log scale.

    Among the accepted particles, the log of each parameter is regressed on the log of each simulated
    figure over the reported one (weighted: importance weight times an Epanechnikov kernel of the
    distance), and each particle is moved along the fitted line to where its figures would equal the
    reported ones. On the log scale the counts are sums of the logs of departures and shares, so the
    relation is close to linear and the correction removes most of what the tolerance lets through.
    Adjusted values are kept inside the prior box.
    """
    raw = final.values[final.accepted]
    distances = final.distances[final.accepted]
    kernel = 1 - np.square(distances / final.tolerance) if final.tolerance > 0 else np.ones(len(raw))
    weights = final.weights * np.clip(kernel, 0, None)
    if weights.sum() <= 0:
        weights = final.weights.copy()
    weights = weights / weights.sum()
    deviations = np.array([[math.log(max(t.simulated(final.outcomes[i]), 1e-300) / t.value)
                            for t in targets] for i in final.accepted])
    deviations = np.where(np.isfinite(deviations), deviations, 0.0)
    design = np.column_stack([np.ones(len(raw)), deviations])
    root = np.sqrt(weights)[:, None]
    coefficients = np.linalg.lstsq(design * root, np.log(raw) * root, rcond=None)[0]
    adjusted = np.exp(np.log(raw) - deviations @ coefficients[1:])
    low, high = np.array([p.low for p in free]), np.array([p.high for p in free])
    return Posterior(np.clip(adjusted, low, high), raw, weights)


def point_estimate(posterior: Posterior) -> np.ndarray:
    """The calibrated values: the posterior mean on the log scale (the weighted geometric mean).

    The figures identify products of parameters (departures x shares); the mean of logs keeps each
    product at the geometric mean of the accepted products, which the arithmetic mean would not.
    """
    return np.exp(np.sum(posterior.weights[:, None] * np.log(posterior.values), axis=0))


def effective_sample_size(weights: np.ndarray) -> float:
    return float(1 / np.sum(np.square(weights)))
