"""Amparo's speed and memory, measured side by side with the fixed yardsticks in one run.

    python benchmarks/run_benchmarks.py [--reps 5] [--quick]

Runs, each in a fresh process so imports are excluded fairly: the Mesa and NumPy yardsticks
(`../shared/yardsticks`, never edited), one simulated year of the baseline, the Mesa yardstick and
the baseline timed in turn (paired ratios, wall and CPU time: the fairest comparison on a shared
machine), the peak memory of a 1-year and a 5-year run, the throughput of 1 and 2 workers, and
every shipped scenario with the sweep's scarce corner, each timed in turn with both yardsticks
(`scenario_speed.py`). Prints the tables of medians and ratios with the machine, the load and the
date, and writes them between the figure markers of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from fresh_process import run_in_fresh_process
from scenario_speed import measure as measure_scenarios
from scenario_speed import table as scenario_table

ROOT = Path(__file__).resolve().parents[1]
YARDSTICKS = ROOT.parent / "shared" / "yardsticks"

ONE_YEAR = """
import json, statistics, sys, time
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters
reps = int(sys.argv[1])
AmparoModel(Parameters(), seed=10_000, years=0.1).run()  # warm-up
times = []
for seed in range(reps):
    start = time.perf_counter()
    model = AmparoModel(Parameters(), seed=seed, years=1.0)
    model.run()
    model.tables()
    times.append(time.perf_counter() - start)
print(json.dumps({"median_s": statistics.median(times)}))
"""

#: The Mesa yardstick and Amparo timed in turn, repetition by repetition, in one process (imports
#: excluded): on a machine shared with other work the load changes within a benchmark run, and pairs
#: measured seconds apart see the same load. CPU seconds are reported too: they depend less on load.
PAIRED = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[2])
import pipeline_mesa
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters
reps = int(sys.argv[1])
pipeline_mesa.run(10_000)  # warm-ups, as yardstick.py does
AmparoModel(Parameters(), seed=10_000, years=0.1).run()

def timed(run):
    start, start_cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - start_cpu

def amparo(seed):
    model = AmparoModel(Parameters(), seed=seed, years=1.0)
    model.run()
    model.tables()

wall, cpu = [], []
for seed in range(reps):
    mesa_wall, mesa_cpu = timed(lambda: pipeline_mesa.run(seed))
    amparo_wall, amparo_cpu = timed(lambda: amparo(seed))
    wall.append(amparo_wall / mesa_wall)
    cpu.append(amparo_cpu / mesa_cpu)
print(json.dumps({"wall_ratio": statistics.median(wall), "cpu_ratio": statistics.median(cpu)}))
"""

PEAK_MEMORY = """
import json, resource, sys
from sim.experiments.replications import run_replication
from sim.model.parameters import Parameters
run_replication(Parameters(), seed=1, years=float(sys.argv[1]))
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

THROUGHPUT = """
import json, sys, time
from concurrent.futures import ProcessPoolExecutor
from sim.experiments.replications import run_replications
from sim.model.parameters import Parameters
workers, runs = int(sys.argv[1]), int(sys.argv[2])
# steady state, as in a long sweep: every worker has started and imported the model before timing
if workers == 1:
    run_replications(Parameters(), 1, 99, 0.01, keep_tables=False)
    start = time.perf_counter()
    run_replications(Parameters(), runs, 7, 1.0, keep_tables=False)
else:
    with ProcessPoolExecutor(workers) as executor:
        run_replications(Parameters(), workers, 99, 0.01, executor, keep_tables=False)
        start = time.perf_counter()
        run_replications(Parameters(), runs, 7, 1.0, executor, keep_tables=False)
print(json.dumps({"years_per_minute": runs / (time.perf_counter() - start) * 60}))
"""

IMPORTS = """
import json, sys
from click.testing import CliRunner
import cli
CliRunner().invoke(cli.main, ["--help"])
CliRunner().invoke(cli.main, ["scenarios"])
print(json.dumps({"heavy": sorted(m for m in ("mesa", "scipy", "matplotlib") if m in sys.modules)}))
"""


def _yardstick(variant: str, reps: int) -> float:
    script = YARDSTICKS / "yardstick.py"
    done = subprocess.run([sys.executable, str(script), variant, "--reps", str(reps)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["median_s"]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="repetitions behind each median")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and no 5-year run")
    args = parser.parse_args()
    if not (YARDSTICKS / "yardstick.py").exists():
        sys.exit(f"The yardsticks are not at {YARDSTICKS}: they must sit in ../shared/yardsticks")
    reps = 3 if args.quick else args.reps

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    mesa = _yardstick("mesa", reps)
    numpy = _yardstick("numpy", reps)
    amparo = run_in_fresh_process(ONE_YEAR, str(reps))["median_s"]
    paired = run_in_fresh_process(PAIRED, str(reps), str(YARDSTICKS))
    one_year = run_in_fresh_process(PEAK_MEMORY, "1")["peak_rss_mb"]
    five_years = None if args.quick else run_in_fresh_process(PEAK_MEMORY, "5")["peak_rss_mb"]
    runs = 4 if args.quick else 8
    serial = run_in_fresh_process(THROUGHPUT, "1", str(runs))["years_per_minute"]
    parallel = run_in_fresh_process(THROUGHPUT, "2", str(runs))["years_per_minute"]
    heavy = run_in_fresh_process(IMPORTS)["heavy"]
    scenarios = scenario_table(measure_scenarios(reps, 1.0))

    rows = [
        ("Mesa yardstick, one year (median s)", f"{mesa:.3f}", ""),
        ("NumPy yardstick, one year (median s)", f"{numpy:.3f}", ""),
        ("Amparo baseline, one year + 90-day warm-up (median s)", f"{amparo:.3f}", ""),
        ("Amparo / Mesa yardstick", f"{amparo / mesa:.2f}", "target <= 0.40"),
        ("Amparo / NumPy yardstick", f"{amparo / numpy:.1f}", "reported"),
        ("Amparo / Mesa yardstick, timed in turn (median of paired ratios)", f"{paired['wall_ratio']:.2f}",
         "target <= 0.40; same load for both"),
        ("Amparo / Mesa yardstick, CPU time, timed in turn", f"{paired['cpu_ratio']:.2f}",
         "least sensitive to load"),
        ("Peak RSS, 1-year run (MB)", f"{one_year:.0f}", ""),
        ("Peak RSS, 5-year run (MB)", "not run (--quick)" if five_years is None else f"{five_years:.0f}", ""),
        ("Peak memory 5 years / 1 year", "" if five_years is None else f"{five_years / one_year:.2f}",
         "target <= 1.25"),
        ("Simulated years per minute, 1 worker", f"{serial:.1f}", ""),
        ("Simulated years per minute, 2 workers", f"{parallel:.1f}", "also calibration throughput"),
        ("Throughput 2 workers / 1 worker", f"{parallel / serial:.2f}", "target >= 1.8"),
        ("Heavy imports by `amparo --help` and `amparo scenarios`", ", ".join(heavy) or "none",
         "target: none"),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    stamp = (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_cpu()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; medians of {reps} repetitions, all measured in this one run; "
             f"load average {load_before:.2f} before and {load:.2f} after (other work on the machine "
             "slows every row and lowers the 2-worker gain)")
    table = ["| measure | value | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    scenarios_title = ("Every shipped scenario and the sweep's scarce corner, one simulated year after the "
                       "warm-up with invariants and outcomes, each timed in turn with both yardsticks "
                       "(medians of paired ratios):")
    print(stamp)
    print("\n".join(table))
    print(f"\n{scenarios_title}\n\n{scenarios}")
    _write_figures(ROOT / "docs" / "performance.md",
                   f"{stamp}\n\n" + "\n".join(table) + f"\n\n{scenarios_title}\n\n{scenarios}\n")


#: The benchmark rewrites only what lies between these lines of docs/performance.md.
BEGIN, END = "<!-- figures: begin -->", "<!-- figures: end -->"


def _write_figures(document: Path, figures: str) -> None:
    """Put the latest figures into `document`, keeping the notes written around them."""
    text = document.read_text(encoding="utf-8") if document.exists() else ""
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
    else:
        before = ("# Performance\n\nProduced by `python benchmarks/run_benchmarks.py` (`make benchmark`). "
                  "Ratios are measured side by side in one run; absolute times drift between machines.\n\n")
        after = "\n"
    document.write_text(f"{before}{BEGIN}\n{figures}{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
