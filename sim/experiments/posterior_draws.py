"""Parameter draws from a posterior, for runs that carry what nobody knows into their intervals.

`draw_from_posterior` resamples N particles by weight (multinomial, so the draws are independent
samples of the posterior) with a generator seeded from the base seed alone: the same seed gives the
same draws, whatever the number of workers or scenarios. Each draw replaces the scenario's
calibrated values by the particle's, except the values the scenario sets itself above its
calibration file (`Scenario.set_above_calibration`: a scenario lever wins).

Draw d has its own base seed, `draw_base_seed(seed, d)`; replication i of draw d uses
`replication_seed(draw_base_seed(seed, d), i)` in every scenario compared: common random numbers
within a draw, so that a paired difference per draw is due to the policy alone.

Intervals with parameter uncertainty (`posterior_interval`) are the 5% and 95% quantiles, over the
draws, of each draw's mean across its replications: a 90% interval of the scenario's expected outcome
under the posterior. Each draw's mean also holds its replications' noise (variance sigma^2 / R), so
the interval errs on the wide side: with a posterior that is a single point it is the spread of a
mean of R replications, not zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.experiments.replications import ReplicationResult, run_replications_of_each
from sim.inputs.input_error import ScenarioError
from sim.inputs.posterior import Posterior
from sim.model.parameters import ParameterError, Parameters
from sim.model.random_streams import stream_key

if TYPE_CHECKING:
    from sim.experiments.replication_journal import ReplicationJournal

#: Quantiles over draws that bound the interval with parameter uncertainty (a 90% interval).
POSTERIOR_QUANTILES = (0.05, 0.95)
#: How the interval with parameter uncertainty is estimated, in words (manifests, briefs, docs).
POSTERIOR_ESTIMATOR = ("5% and 95% quantiles over the posterior draws of each draw's mean across its "
                       "replications (a 90% interval including parameter uncertainty; each draw's mean "
                       "also carries its replications' noise, so it errs on the wide side)")
_DRAW_STREAM = "posterior draws"
_DRAW_SEEDS = "posterior draw seeds"


@dataclass(frozen=True)
class PosteriorDraw:
    """Draw `index`: particle `particle` of the posterior (0 = its first line after the header)."""

    index: int
    particle: int
    values: dict[str, Any]
    base_seed: int


def draw_base_seed(base_seed: int, draw: int) -> int:
    """The base seed of draw `draw`; its replication i uses `replication_seed` of it and i."""
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(stream_key(_DRAW_SEEDS), int(draw)))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def draw_from_posterior(posterior: Posterior, draws: int, base_seed: int) -> list[PosteriorDraw]:
    """`draws` particles resampled by weight, reproducibly from `base_seed`."""
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(stream_key(_DRAW_STREAM),))
    generator = np.random.Generator(np.random.PCG64(sequence))
    chosen = generator.choice(posterior.particles, size=draws, replace=True, p=posterior.weights)
    return [PosteriorDraw(d, int(k), posterior.particle(int(k)), draw_base_seed(base_seed, d))
            for d, k in enumerate(chosen)]


@dataclass(frozen=True)
class DrawnScenario:
    """A scenario's parameters under each draw, and which posterior values it kept out."""

    parameters: list[Parameters]
    set_by_posterior: tuple[str, ...]
    kept_by_scenario: tuple[str, ...]


def apply_draws(parameters: Parameters, kept: Sequence[str], posterior: Posterior,
                draws: Sequence[PosteriorDraw]) -> DrawnScenario:
    """`parameters` with each draw's values, except the names in `kept` (the scenario's own values).
    A combination the model refuses raises `ScenarioError` naming the posterior file and line."""
    kept_names = tuple(name for name in posterior.names if name in set(kept))
    applied = tuple(name for name in posterior.names if name not in set(kept))
    drawn = []
    for draw in draws:
        try:
            drawn.append(parameters.replace(**{name: draw.values[name] for name in applied}))
        except ParameterError as error:
            name, message = error.problems[0]
            raise ScenarioError(posterior.path, f"line {draw.particle + 2}",
                                f"this particle, with the scenario's other values, is not allowed: "
                                f"{name}: {message}") from None
    return DrawnScenario(drawn, applied, kept_names)


def posterior_interval(draw_means: Sequence[float]) -> tuple[float, float, float]:
    """(mean over draws, 5% quantile, 95% quantile) of the draws' means; NaNs are left out."""
    data = np.asarray(draw_means, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        return np.nan, np.nan, np.nan
    low, high = np.quantile(data, POSTERIOR_QUANTILES)
    return float(data.mean()), float(low), float(high)


def posterior_record(posterior: Posterior, draws: Sequence[PosteriorDraw], replications: int,
                     scenarios: dict[str, DrawnScenario]) -> dict[str, Any]:
    """What a result's manifest says about the posterior it used."""
    return {"draws": len(draws), "file": str(posterior.path), "sha256": posterior.sha256,
            "particles": posterior.particles,
            "effective_sample_size": round(posterior.effective_sample_size(), 1),
            "replications_per_draw": replications, "estimator": POSTERIOR_ESTIMATOR,
            "parameters": list(posterior.names),
            "set_by_posterior": {name: list(s.set_by_posterior) for name, s in scenarios.items()},
            "kept_by_scenario": {name: list(s.kept_by_scenario) for name, s in scenarios.items()},
            "drawn": [{"draw": d.index, "particle": d.particle, "line": d.particle + 2,
                       "base_seed": d.base_seed, "values": d.values} for d in draws]}


def run_posterior_draws(drawn: Sequence[Sequence[Parameters]], draws: Sequence[PosteriorDraw],
                        replications: int, years: float, executor: Executor | None = None,
                        on_done: Callable[[ReplicationResult], None] | None = None,
                        journal: ReplicationJournal | None = None,
                        first_set: int = 0) -> list[list[list[ReplicationResult]]]:
    """The replications of every scenario under every draw, all in one batch: `drawn[s][d]` is
    scenario s's parameters under draw d, and the result's `[s][d]` its replications (outcomes
    only, no tables). Replication i of draw d uses the same seed in every scenario. In `journal` the
    sets are numbered from `first_set`, draw by draw, so a killed run resumes."""
    sets = [scenario[d] for d in range(len(draws)) for scenario in drawn]
    seeds = [draw.base_seed for draw in draws for _ in drawn]
    results = run_replications_of_each(sets, replications, 0, years, executor, keep_tables=(),
                                       on_done=on_done, journal=journal, base_seeds=seeds,
                                       first_set=first_set)
    return [[results[d * len(drawn) + s] for d in range(len(draws))] for s in range(len(drawn))]


def draw_means(by_draw: Sequence[Sequence[ReplicationResult]], outcome: str) -> np.ndarray:
    """Each draw's mean of `outcome` across its replications (NaNs left out)."""
    return np.array([np.nanmean([r.outcomes[outcome] for r in results])
                     if any(not np.isnan(r.outcomes[outcome]) for r in results) else np.nan
                     for results in by_draw], dtype=float)
