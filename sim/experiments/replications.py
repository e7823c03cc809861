"""Running replications: one seed each, in order, on any `concurrent.futures`-style executor.

Replication i of a run with base seed S always uses `replication_seed(S, i)`, whatever the number
of workers and whatever the scenario: results are identical bit for bit with 1 or N workers, and
scenarios compared with the same base seed share common random numbers.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.analysis.invariants import check_invariants
from sim.analysis.outcomes import compute_outcomes
from sim.experiments.execution import map_as_finished, map_in_order
from sim.experiments.record_spool import RecordSpool
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters, children_per_year, timeline_phases
from sim.model.random_streams import replication_seed
from sim.model.records import Table
from sim.model.schema import capacities_by_point, resource_capacities

if TYPE_CHECKING:
    from sim.experiments.replication_journal import ReplicationJournal

#: Runs longer than this many years of baseline arrivals keep their records on disk while they run
#: (`sim.experiments.record_spool`), so their memory stays flat in simulated time.
#: Assumption: two years of records (about 12 MB at baseline arrivals, docs/reliability.md) are small
#: next to the rest of a run's memory (about 140 MB), so short runs, the great majority (sweeps and
#: calibrations of one year), keep them in memory and need no temporary file; spooling was measured to
#: cost no noticeable time either way.
SPOOL_RECORDS_ABOVE_YEARS = 2.0
#: The same, in children followed (simulated years x `children_per_year`): departures far above the
#: baseline's spool as a longer run would.
SPOOL_RECORDS_ABOVE_CHILDREN = SPOOL_RECORDS_ABOVE_YEARS * children_per_year(Parameters())


@dataclass
class ReplicationResult:
    """What one replication produced: its outcomes and, when kept, its tables."""

    replication: int
    seed: int
    outcomes: dict[str, float]
    tables: dict[str, Table] | None
    wall_seconds: float


def run_replication(parameters: Parameters, seed: int, years: float = 1.0, replication: int = 0,
                    keep_tables: bool | tuple[str, ...] = True,
                    spool_records: bool | None = None) -> ReplicationResult:
    """Run one replication, check its invariants and derive its outcomes. `keep_tables` keeps all
    tables, none, or the named ones (less to send back from another process or machine).
    `spool_records` keeps the records on disk during the run (default: for runs longer than
    `SPOOL_RECORDS_ABOVE_CHILDREN`); the numbers are the same either way, bit for bit."""
    start = time.perf_counter()
    if spool_records is None:
        spool_records = years * children_per_year(parameters) > SPOOL_RECORDS_ABOVE_CHILDREN
    with RecordSpool() if spool_records else contextlib.nullcontext() as spool:
        model = AmparoModel(parameters, seed=seed, years=years, record_storage=spool)
        model.run()
        tables = model.tables()
        phases = timeline_phases(parameters)
        check_invariants(tables, resource_capacities(phases[0][1]), model.n_created,
                         model.n_created - model.n_exited, parameters.warmup_days,
                         capacity_changes=[(float(day), resource_capacities(phase))
                                           for day, phase in phases[1:]],
                         by_place=[capacities_by_point(phase) for _, phase in phases])
        outcomes = compute_outcomes(tables, parameters, years)
    if keep_tables is not True:
        tables = {name: tables[name] for name in keep_tables} if keep_tables else None
    return ReplicationResult(replication, seed, outcomes, tables, time.perf_counter() - start)


def _run_task(task: tuple[Parameters, int, float, int, bool | tuple[str, ...]]) -> ReplicationResult:
    parameters, seed, years, replication, keep_tables = task
    return run_replication(parameters, seed, years, replication, keep_tables)


def _tasks(parameters: Parameters, replications: int, base_seed: int, years: float,
           keep_tables: bool | tuple[str, ...], records_replications: int | None) -> list[tuple]:
    return [(parameters, replication_seed(base_seed, i), years, i,
             keep_tables if records_replications is None or i < records_replications or not keep_tables
             else ("daily",))
            for i in range(replications)]


def iterate_replications(parameters: Parameters, replications: int, base_seed: int, years: float = 1.0,
                         executor: Executor | None = None, keep_tables: bool = True,
                         records_replications: int | None = None) -> Iterator[ReplicationResult]:
    """Yield the replications' results in replication order (run on `executor`). With
    `records_replications`, replications from that index on keep only their daily table (their
    records are not wanted: a long run's records are a hundred megabytes per replication)."""
    tasks = _tasks(parameters, replications, base_seed, years, keep_tables, records_replications)
    # All tables of a run are large (per-child records): one run per task keeps a worker's memory
    # and each message back to one run's worth.
    yield from map_in_order(_run_task, tasks, executor, 1 if keep_tables is True else None)


def run_replications_of_each(parameter_sets: Sequence[Parameters], replications: int, base_seed: int,
                             years: float = 1.0, executor: Executor | None = None,
                             keep_tables: bool | tuple[str, ...] = True,
                             on_done: Callable[[ReplicationResult], None] | None = None,
                             journal: ReplicationJournal | None = None,
                             base_seeds: Sequence[int] | None = None,
                             first_set: int = 0) -> list[list[ReplicationResult]]:
    """`run_replications` for each parameter set, with the same seeds for every set, sent as one batch
    so that a cluster runs all sets side by side rather than one after the other. With `journal`,
    replications already in it are not run again and each new one is saved to it as it finishes.

    `base_seeds` gives each set its own base seed instead (posterior draws: sets of one draw share
    theirs); `first_set` numbers the sets in the journal from there (sets of one result saved in
    several batches)."""
    seeds = list(base_seeds) if base_seeds is not None else [base_seed] * len(parameter_sets)
    numbers = range(first_set, first_set + len(parameter_sets))
    done = [journal.finished(number) if journal is not None else {} for number in numbers]
    tasks = [(parameters, replication_seed(seeds[index], i), years, i, keep_tables, index)
             for index, parameters in enumerate(parameter_sets) for i in range(replications)
             if i not in done[index]]
    for finished in done:
        for result in finished.values():
            if on_done is not None:
                on_done(result)
    results = _run_journaled(tasks, executor, journal, on_done, None, first_set)
    for index, result in results:
        done[index][result.replication] = result
    return [[finished[i] for i in range(replications)] for finished in done]


def _run_set_task(task: tuple) -> tuple[int, ReplicationResult]:
    *run, index = task
    return index, _run_task(tuple(run))


def _run_journaled(tasks: list[tuple], executor: Executor | None, journal: ReplicationJournal | None,
                   on_done: Callable[[ReplicationResult], None] | None,
                   size: int | None, first_set: int = 0) -> list[tuple[int, ReplicationResult]]:
    """Run (..., parameter set) tasks; with a journal, as they finish, each saved at once (as set
    `first_set` + its index)."""
    mapping = map_as_finished if journal is not None else map_in_order
    results = []
    for index, result in mapping(_run_set_task, tasks, executor, size):
        if journal is not None:
            journal.save(result, first_set + index)
        if on_done is not None:
            on_done(result)
        results.append((index, result))
    return results


def run_replications(parameters: Parameters, replications: int, base_seed: int, years: float = 1.0,
                     executor: Executor | None = None, keep_tables: bool = True,
                     on_done: Callable[[ReplicationResult], None] | None = None,
                     records_replications: int | None = None,
                     journal: ReplicationJournal | None = None) -> list[ReplicationResult]:
    """All replications' results, in replication order; `on_done` is told of each as it finishes.
    `records_replications`: see `iterate_replications`. With `journal`, replications already in it
    are not run again and each new one is saved to it as it finishes (so a killed run resumes)."""
    if journal is None:
        results = []
        for result in iterate_replications(parameters, replications, base_seed, years, executor, keep_tables,
                                           records_replications):
            results.append(result)
            if on_done is not None:
                on_done(result)
        return results
    done = journal.finished()
    for result in done.values():
        if on_done is not None:
            on_done(result)
    tasks = [(*task, 0) for task in _tasks(parameters, replications, base_seed, years, keep_tables,
                                            records_replications) if task[3] not in done]
    for _, result in _run_journaled(tasks, executor, journal, on_done, 1 if keep_tables is True else None):
        done[result.replication] = result
    return [done[i] for i in range(replications)]
