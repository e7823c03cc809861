"""Where runs execute: in this process, on local worker processes, or on a Dask cluster.

`make_executor` is the one entry point: it gives a `concurrent.futures` executor (or None for this
process) that `run`, `compare`, `sweep`, and any other code that takes an executor, pass on
unchanged::

    with make_executor(workers=4, scheduler="tcp://planning-01:8786") as executor:
        results = run_replications(parameters, 30, seed, years, executor)

`map_in_order` and `map_as_finished` group runs into tasks of several runs each, so that the cost
of scheduling one task (a few milliseconds on a cluster, see docs/performance.md) stays small next
to the work it carries, while there are still several tasks per worker to balance the load.
Grouping never changes a number: every run carries its own seed, so where and with whom it runs
does not matter.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any
from urllib.parse import urlsplit

from sim.experiments.execution_error import INSTALL_HINT, ExecutionError

#: Tasks per worker slot that the grouping aims for. Assumption: with four tasks per slot the last
#: wave of tasks leaves a slot idle for at most about a quarter of its share of the work.
TASKS_PER_SLOT = 4
#: The most runs grouped into one task. Chosen from the measured overhead (docs/performance.md,
#: "Runs on a Dask cluster"): 4-6 ms per task on a 2-worker LocalCluster against 0.05 s for
#: the tiniest useful run, so 8 runs per task keeps overhead near 1% even then, and a worker that
#: dies, or an interrupted sweep, loses at most 8 runs per task in flight.
MAX_RUNS_PER_TASK = 8

#: The transports a Dask scheduler listens on.
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")
#: What `--scheduler` needs when Dask is not installed.
class LocalProcesses(ProcessPoolExecutor):
    """A process pool that says how many runs it executes at once (`slots`).

    Its workers ignore Ctrl-C: a worker interrupted inside the pool's queues can hang the pool, so
    the main process stops the workers itself (`stop_workers`). SIGTERM ends a worker at once,
    whatever handler the main process had when the worker was forked, and a worker ends when the
    main process ends, even if it was killed (`sim.experiments.parent_death`).
    """

    def __init__(self, workers: int) -> None:
        super().__init__(workers, initializer=_start_worker)
        self.slots = workers


def _start_worker() -> None:
    import signal

    from sim.experiments.parent_death import end_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are left to the main process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent()


def stop_workers(executor: ProcessPoolExecutor) -> None:
    """Stop a pool's workers at once, neither finishing nor starting runs (after an error or Ctrl-C)."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14 and later
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def make_executor(workers: int = 1, scheduler: str | None = None,
                  connect_timeout: float = 10.0) -> Iterator[Executor | None]:
    """An executor for `workers` local processes, or for the Dask scheduler at `scheduler`.

    None (run in this process) for one local worker. With a scheduler address (for example
    ``tcp://HOST:8786``) the runs go to that cluster's workers and `workers` is not used. Raises
    `ExecutionError` when Dask is not installed, no scheduler answers, or no worker joins.
    """
    if scheduler:
        scheduler = scheduler_address(scheduler)
        try:
            from sim.experiments.cluster import connect
        except ImportError:
            raise ExecutionError(f"--scheduler needs Dask distributed, which is not installed; install "
                                 f"it with {INSTALL_HINT}") from None
        with connect(scheduler, connect_timeout) as executor:
            yield executor
    elif workers > 1:
        executor = LocalProcesses(workers)
        try:
            yield executor
        except BaseException:  # an error or Ctrl-C: stop at once
            stop_workers(executor)
            raise
        executor.shutdown()
    else:
        yield None


def scheduler_address(address: str) -> str:
    """`address` checked and completed (``HOST:PORT`` means ``tcp://HOST:PORT``), or `ExecutionError`."""
    full = address if "://" in address else f"tcp://{address}"
    problem = None
    try:
        parts = urlsplit(full)
        if parts.scheme not in SCHEDULER_PROTOCOLS:
            problem = f"the protocol must be one of {', '.join(SCHEDULER_PROTOCOLS)}"
        elif not parts.hostname or parts.port is None or parts.path not in ("", "/"):
            problem = "it needs a host and a port and nothing else"
    except ValueError as error:
        problem = str(error)
    if problem:
        raise ExecutionError(f"--scheduler {address}: not a Dask scheduler address ({problem}); give "
                             "it as printed by `dask scheduler`, like tcp://HOST:8786")
    return full


def runs_per_task(tasks: int, slots: int) -> int:
    """How many runs one task carries: enough tasks for `TASKS_PER_SLOT` per slot, at most
    `MAX_RUNS_PER_TASK` runs each."""
    return max(1, min(MAX_RUNS_PER_TASK, math.ceil(tasks / (max(1, slots) * TASKS_PER_SLOT))))


def _run_group(function: Callable[[Any], Any], group: Sequence[Any]) -> list[Any]:
    return [function(item) for item in group]


def _submit_groups(function: Callable[[Any], Any], items: Sequence[Any], executor: Executor,
                   size: int | None) -> list[Future]:
    size = size or runs_per_task(len(items), getattr(executor, "slots", len(items)))
    return [executor.submit(_run_group, function, items[start:start + size])
            for start in range(0, len(items), size)]


def map_in_order(function: Callable[[Any], Any], items: Sequence[Any], executor: Executor | None,
                 size: int | None = None) -> Iterator[Any]:
    """`function(item)` for every item, in the items' order, run in groups on `executor`.

    An executor without a `slots` attribute gets one run per task, as `Executor.map` would.
    """
    if executor is None:
        yield from map(function, items)
        return
    futures = _submit_groups(function, items, executor, size)
    futures.reverse()
    try:
        while futures:
            yield from futures.pop().result()  # popped, so that a group's results are freed once used
    finally:
        _cancel(futures)


def map_as_finished(function: Callable[[Any], Any], items: Sequence[Any], executor: Executor | None,
                    size: int | None = None) -> Iterable[Any]:
    """`function(item)` for every item, each group's results as soon as the group finishes."""
    if executor is None:
        yield from map(function, items)
        return
    futures = _submit_groups(function, items, executor, size)
    try:
        for future in as_completed(futures):
            yield from future.result()
    finally:
        _cancel(futures)


def _cancel(futures: list[Future]) -> None:
    """Cancel what has not started (after an error or Ctrl-C; a no-op once all are done)."""
    for future in futures:
        future.cancel()
