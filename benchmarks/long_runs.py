"""Memory of long and large runs: does resident memory stay flat as simulated time goes on?

    python benchmarks/long_runs.py [--years 20] [--surge-years 20] [--surge 5]

Runs, each in a fresh process, a baseline replication of `--years` years and a surge replication
with `arrival_multiplier = --surge`. While a run steps through its days, the process's resident
memory (RSS) is read at the end of simulated years 1, 2, 5, 10, 20 (those within the run); at the
end the tables are built, the invariants checked and the outcomes derived, as every run does, and
the peak RSS of the whole process is read. Prints one table: RSS against simulated years, and the
ratio of the last reading to the year-1 reading (1.0 is perfectly flat).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime

from fresh_process import run_in_fresh_process

#: Simulated years after which the resident memory is read.
CHECKPOINTS = (1, 2, 5, 10, 20, 50)

LONG_RUN = """
import json, resource, sys, time
from sim.experiment import run_replication  # noqa: F401  (the same imports as a real run)
from sim.invariants import check_invariants
from sim.model import AmparoModel, resource_capacities
from sim.outcomes import compute_outcomes
from sim.parameters import DAYS_PER_YEAR, Parameters

years, multiplier, checkpoints = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

parameters = Parameters(arrival_multiplier=multiplier)
start = time.perf_counter()
model = AmparoModel(parameters, seed=1, years=years)
readings = {}
while model.running:
    model.step()
    measured = model.day - model.warmup_days
    if measured > 0 and measured % DAYS_PER_YEAR == 0 and measured // DAYS_PER_YEAR in checkpoints:
        readings[measured // DAYS_PER_YEAR] = round(rss_mb(), 1)
tables = model.tables()
check_invariants(tables, resource_capacities(parameters), model.n_created, model.n_created - model.n_exited)
compute_outcomes(tables, parameters, years)
print(json.dumps({"rss_mb_after_year": readings, "children": model.n_created,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "wall_s": round(time.perf_counter() - start, 1)}))
"""


def measure(years: float, multiplier: float) -> dict:
    """Run one long replication in a fresh process and return its memory readings."""
    checkpoints = [c for c in CHECKPOINTS if c <= years]
    return run_in_fresh_process(LONG_RUN, str(years), str(multiplier), json.dumps(checkpoints))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=20.0, help="Years of the baseline run.")
    parser.add_argument("--surge-years", type=float, default=20.0, help="Years of the surge run.")
    parser.add_argument("--surge", type=float, default=5.0, help="Arrival multiplier of the surge run.")
    args = parser.parse_args()

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} before")
    runs = [("baseline", args.years, 1.0), (f"surge {args.surge:g}x arrivals", args.surge_years, args.surge)]
    checkpoints = [c for c in CHECKPOINTS if c <= max(args.years, args.surge_years)]
    header = " | ".join(f"RSS after {c} y (MB)" for c in checkpoints)
    print(f"| run | years | children | {header} | last / year 1 | peak RSS incl. tables (MB) | wall (s) |")
    print("|---" * (len(checkpoints) + 6) + "|")
    for name, years, multiplier in runs:
        result = measure(years, multiplier)
        readings = {int(k): v for k, v in result["rss_mb_after_year"].items()}
        cells = " | ".join(f"{readings[c]:.0f}" if c in readings else "" for c in checkpoints)
        ratio = readings[max(readings)] / readings[1] if 1 in readings else float("nan")
        print(f"| {name} | {years:g} | {result['children']:,} | {cells} | {ratio:.2f} | "
              f"{result['peak_rss_mb']:.0f} | {result['wall_s']:.0f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
