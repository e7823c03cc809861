"""Throughput of local processes and of a Dask cluster, and what one task costs to schedule.

    python benchmarks/cluster_throughput.py [--runs 8] [--years 0.25] [--tiny 160]

Needs the cluster extra (`pip install -e '.[cluster]'`). Measures, on this machine:
- runs per minute of the baseline (`--years` per run) in this process, on a 2-process local pool,
  and on a 2-worker `LocalCluster` (process workers, one thread each);
- the overhead of one task: no-op tasks per second and the CPU time they cost in all processes
  (client, scheduler, workers; median of three batches of 500). CPU time is what a busy machine
  distorts least, so the scaling estimate in docs/performance.md rests on it;
- `--tiny` tiny runs (a few simulated days at a low arrival multiplier) sent one run per task and
  `MAX_RUNS_PER_TASK` runs per task: what grouping saves where the overhead matters most;
- how many result lines per second the launching machine can append to `runs.jsonl` and sync.
Prints one table (markdown) to paste into docs/performance.md. Workers are warmed up first, so
imports are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.experiments.execution import MAX_RUNS_PER_TASK, LocalProcesses, map_in_order  # noqa: E402
from sim.experiments.replications import _run_task  # noqa: E402
from sim.model.parameters import Parameters  # noqa: E402
from sim.model.random_streams import replication_seed  # noqa: E402

SLOTS = 2


def tasks(runs: int, years: float, multiplier: float = 1.0) -> list:
    parameters = Parameters().replace(arrival_multiplier=multiplier) if multiplier != 1.0 else Parameters()
    return [(parameters, replication_seed(7, i), years, i, False) for i in range(runs)]


def cpu_seconds() -> float:
    """CPU time used so far by this process and every process it started (pool workers, or the
    LocalCluster's nannies and workers; its scheduler runs in this process)."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for process in (me, *me.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def timed(items: list, executor, size: int | None = None, function=None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (all processes) to run `items`."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    for _ in map_in_order(function or _run_task, items, executor, size):
        pass
    return time.perf_counter() - wall, cpu_seconds() - cpu


def nothing(item: int) -> int:
    return item


def synced_lines_per_second(count: int = 300) -> float:
    """How fast the launching machine appends and syncs result lines, as `run_sweep` does per run."""
    import json
    import tempfile

    line = json.dumps({"point": 1, "replication": 1, "outcomes": {f"outcome_{i}": 0.5 for i in range(60)}})
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parents[1]) as folder, \
            open(Path(folder) / "runs.jsonl", "a", encoding="utf-8") as handle:
        start = time.perf_counter()
        for _ in range(count):
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return count / (time.perf_counter() - start)


def measure(executor, real: list, tiny: list, warm: list) -> dict[str, float]:
    timed(warm, executor, 1)  # imports and first-run caches on every worker
    noop = [timed(list(range(500)), executor, 1, nothing) for _ in range(3)]
    noop_wall, noop_cpu = (statistics.median(values) for values in zip(*noop, strict=True))
    real_wall, real_cpu = timed(real, executor)
    return {"runs_per_minute": 60 * len(real) / real_wall, "cpu_per_run": real_cpu / len(real),
            "noop_per_second": 500 / noop_wall, "noop_cpu_ms": 1000 * noop_cpu / 500,
            "tiny_one_per_task_s": timed(tiny, executor, 1)[0],
            "tiny_grouped_s": timed(tiny, executor, MAX_RUNS_PER_TASK)[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="baseline runs per configuration")
    parser.add_argument("--years", type=float, default=0.25, help="simulated years per baseline run")
    parser.add_argument("--tiny", type=int, default=160, help="tiny runs for the overhead measure")
    arguments = parser.parse_args()
    from distributed import Client, LocalCluster

    real = tasks(arguments.runs, arguments.years)
    tiny = tasks(arguments.tiny, 3 / 365, 0.05)
    tiny_seconds = timed(tiny[:20], None)[0] / 20
    single_wall, single_cpu = timed(real, None)
    load_before = os.getloadavg()[0]
    with LocalProcesses(SLOTS) as pool:
        local = measure(pool, real, tiny, tiny[:4])
    cluster = LocalCluster(n_workers=SLOTS, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        from sim.experiments.cluster import ClusterExecutor

        dask = measure(ClusterExecutor(client), real, tiny, tiny[:4])
    synced = synced_lines_per_second()
    load_after = os.getloadavg()[0]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; load average {load_before:.2f} "
          f"before, {load_after:.2f} after; baseline runs of {arguments.years:g} year(s) + warm-up; "
          f"tiny runs {1000 * tiny_seconds:.0f} ms each\n")
    print("| measure | this process | 2 local processes | 2-worker LocalCluster |")
    print("|---|---|---|---|")
    print(f"| baseline runs per minute (wall) | {60 * len(real) / single_wall:.1f} | "
          f"{local['runs_per_minute']:.1f} | {dask['runs_per_minute']:.1f} |")
    print(f"| CPU seconds per baseline run, all processes | {single_cpu / len(real):.2f} | "
          f"{local['cpu_per_run']:.2f} | {dask['cpu_per_run']:.2f} |")
    print(f"| {len(tiny)} tiny runs, 1 run per task (s) |  | {local['tiny_one_per_task_s']:.2f} | "
          f"{dask['tiny_one_per_task_s']:.2f} |")
    print(f"| {len(tiny)} tiny runs, {MAX_RUNS_PER_TASK} runs per task (s) |  | "
          f"{local['tiny_grouped_s']:.2f} | {dask['tiny_grouped_s']:.2f} |")
    print(f"| no-op tasks per second (wall) |  | {local['noop_per_second']:.0f} | "
          f"{dask['noop_per_second']:.0f} |")
    print(f"| overhead per task: CPU ms, all processes |  | {local['noop_cpu_ms']:.2f} | "
          f"{dask['noop_cpu_ms']:.2f} |")
    print(f"| result lines appended and synced per second (runs.jsonl) | {synced:.0f} |  |  |")

if __name__ == "__main__":
    main()
