"""Running replications: one seed each, in order, on any `concurrent.futures`-style executor.

Replication i of a run with base seed S always uses `replication_seed(S, i)`, whatever the number
of workers and whatever the scenario: results are identical bit for bit with 1 or N workers, and
scenarios compared with the same base seed share common random numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

from sim.invariants import check_invariants
from sim.model import AmparoModel, Table, resource_capacities
from sim.outcomes import compute_outcomes
from sim.parameters import Parameters
from sim.random_streams import replication_seed


@dataclass
class ReplicationResult:
    """What one replication produced: its outcomes and, when kept, its tables."""

    replication: int
    seed: int
    outcomes: dict[str, float]
    tables: dict[str, Table] | None
    wall_seconds: float


def run_replication(parameters: Parameters, seed: int, years: float = 1.0, replication: int = 0,
                    keep_tables: bool = True) -> ReplicationResult:
    """Run one replication, check its invariants and derive its outcomes."""
    start = time.perf_counter()
    model = AmparoModel(parameters, seed=seed, years=years)
    model.run()
    tables = model.tables()
    check_invariants(tables, resource_capacities(parameters), model.n_created,
                     model.n_created - model.n_exited, parameters.warmup_days)
    outcomes = compute_outcomes(tables, parameters, years)
    return ReplicationResult(replication, seed, outcomes, tables if keep_tables else None,
                             time.perf_counter() - start)


def _run_task(task: tuple[Parameters, int, float, int, bool]) -> ReplicationResult:
    parameters, seed, years, replication, keep_tables = task
    return run_replication(parameters, seed, years, replication, keep_tables)


def iterate_replications(parameters: Parameters, replications: int, base_seed: int, years: float = 1.0,
                         executor: Executor | None = None,
                         keep_tables: bool = True) -> Iterator[ReplicationResult]:
    """Yield the replications' results in replication order (run in parallel on `executor`)."""
    tasks = [(parameters, replication_seed(base_seed, i), years, i, keep_tables)
             for i in range(replications)]
    if executor is None:
        yield from map(_run_task, tasks)
    else:
        yield from executor.map(_run_task, tasks)


def run_replications(parameters: Parameters, replications: int, base_seed: int, years: float = 1.0,
                     executor: Executor | None = None, keep_tables: bool = True,
                     on_done: Callable[[ReplicationResult], None] | None = None,
                     ) -> list[ReplicationResult]:
    """All replications' results, in replication order; `on_done` is told of each as it finishes."""
    results = []
    for result in iterate_replications(parameters, replications, base_seed, years, executor, keep_tables):
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results
