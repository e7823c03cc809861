"""Memory of long and large runs: does resident memory stay flat as simulated time goes on?

    python benchmarks/long_runs.py [--years 20] [--surge-years 20] [--surge 5] [--no-in-memory]

Runs, each in a fresh process, a baseline replication of `--years` years with its records kept in
memory and the same with its records on disk (`sim.experiments.record_spool`, what `run_replication` does for
long runs), and a surge replication with `arrival_multiplier = --surge` (records on disk). While a
run steps through its days, the process's memory is read from /proc/self/status at the end of
simulated years 1, 2, 5, 10, 20 (those within the run): resident memory (VmRSS) and its two parts,
the process's own memory (RssAnon) and pages of mapped files (RssFile: the Python and library code,
and the spooled records while they are read; the kernel can drop them at any time). At the end the
tables are built, the invariants checked and the outcomes derived, as every run does; the table
shows the memory after that, the most the end allocated on top of what the run held (traced by
`tracemalloc`: numpy's arrays and Python objects), and the peak resident memory of the whole
process (VmHWM). The ratio compares the process's own memory after the last year with year 1
(1.0 is perfectly flat).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime

from fresh_process import run_in_fresh_process

#: Simulated years after which the memory is read.
CHECKPOINTS = (1, 2, 5, 10, 20, 50)

LONG_RUN = """
import contextlib, json, sys, time, tracemalloc
from sim.experiments.replications import run_replication  # noqa: F401  (the same imports as a real run)
from sim.analysis.invariants import check_invariants
from sim.model.schema import resource_capacities
from sim.model.amparo_model import AmparoModel
from sim.analysis.outcomes import compute_outcomes
from sim.model.parameters import DAYS_PER_YEAR, Parameters
from sim.experiments.record_spool import RecordSpool

years, multiplier, checkpoints = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
on_disk = sys.argv[4] == "disk"

def memory_mb():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields

parameters = Parameters(arrival_multiplier=multiplier)
start = time.perf_counter()
with RecordSpool() if on_disk else contextlib.nullcontext() as spool:
    model = AmparoModel(parameters, seed=1, years=years, record_storage=spool)
    readings = {}
    while model.running:
        model.step()
        measured = model.day - model.warmup_days
        if measured > 0 and measured % DAYS_PER_YEAR == 0 and measured // DAYS_PER_YEAR in checkpoints:
            readings[measured // DAYS_PER_YEAR] = memory_mb()
    before_end = memory_mb()
    tracemalloc.start()
    tables = model.tables()
    check_invariants(tables, resource_capacities(parameters), model.n_created,
                     model.n_created - model.n_exited, parameters.warmup_days)
    compute_outcomes(tables, parameters, years)
    end_allocated_mb = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    after_end = memory_mb()
print(json.dumps({"after_year": readings, "before_end": before_end, "after_end": after_end,
                  "end_allocated_mb": end_allocated_mb, "children": model.n_created,
                  "wall_s": round(time.perf_counter() - start, 1)}))
"""


def measure(years: float, multiplier: float, where: str) -> dict:
    """Run one long replication in a fresh process (records kept `where`: memory or disk) and
    return its memory readings."""
    checkpoints = [c for c in CHECKPOINTS if c <= years]
    return run_in_fresh_process(LONG_RUN, str(years), str(multiplier), json.dumps(checkpoints), where)


def _cell(reading: dict | None) -> str:
    if reading is None:
        return ""
    return f"{reading['VmRSS']:.0f} = {reading['RssAnon']:.0f} + {reading['RssFile']:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=20.0, help="Years of the baseline runs.")
    parser.add_argument("--surge-years", type=float, default=20.0, help="Years of the surge run.")
    parser.add_argument("--surge", type=float, default=5.0, help="Arrival multiplier of the surge run.")
    parser.add_argument("--no-in-memory", action="store_true",
                        help="Skip the baseline run with its records in memory.")
    args = parser.parse_args()

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} before")
    runs = [("baseline, records in memory", args.years, 1.0, "memory"),
            ("baseline, records on disk", args.years, 1.0, "disk"),
            (f"surge {args.surge:g}x arrivals, records on disk", args.surge_years, args.surge, "disk")]
    if args.no_in_memory:
        runs = runs[1:]
    checkpoints = [c for c in CHECKPOINTS if c <= max(args.years, args.surge_years)]
    header = " | ".join(f"after {c} y" for c in checkpoints)
    print("Memory in MB: resident = own (anonymous) + mapped files.\n")
    print(f"| run | years | children | {header} | own: last / year 1 | after the end (tables, "
          "invariants, outcomes) | allocated by the end | peak resident | wall (s) |")
    print("|---" * (len(checkpoints) + 8) + "|")
    for name, years, multiplier, where in runs:
        result = measure(years, multiplier, where)
        readings = {int(k): v for k, v in result["after_year"].items()}
        cells = " | ".join(_cell(readings.get(c)) for c in checkpoints)
        last = readings[max(readings)] if readings else None
        ratio = last["RssAnon"] / readings[1]["RssAnon"] if 1 in readings else float("nan")
        print(f"| {name} | {years:g} | {result['children']:,} | {cells} | {ratio:.2f} | "
              f"{_cell(result['after_end'])} | {result['end_allocated_mb']:.0f} | "
              f"{result['after_end']['VmHWM']:.0f} | {result['wall_s']:.0f} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
