"""Every shipped scenario, and the scarcest corner of the officers x beds sweep, timed side by side
with the yardsticks in one run.

    python benchmarks/scenario_speed.py [--reps 3] [--years 1.0]

One process (imports excluded), and for each scenario, repetition by repetition: the Mesa yardstick,
the NumPy yardstick, then one replication of the scenario (a simulated year after its warm-up, with
the invariants checked and the outcomes derived, as every run does). Pairs timed seconds apart see
the same load on a shared machine, so the ratios are medians of paired ratios. Prints one table;
`run_benchmarks.py` writes it into docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys

from fresh_process import ROOT, run_in_fresh_process

YARDSTICKS = ROOT.parent / "shared" / "yardsticks"

#: Timed in one fresh process: argv = reps, years, yardsticks folder, then scenario names and files.
PER_SCENARIO = """
import json, statistics, sys, time
reps, years = int(sys.argv[1]), float(sys.argv[2])
sys.path.insert(0, sys.argv[3])
import pipeline_mesa, pipeline_numpy
from sim.experiments.replications import run_replication
from sim.inputs.scenario import load_scenario
from sim.model.parameters import Parameters
pairs = sys.argv[4:]
scenarios = {}
baseline = load_scenario("scenarios/baseline_2008.toml").parameters
for name, where in zip(pairs[::2], pairs[1::2]):
    if where.startswith("{"):  # changes to the baseline
        scenarios[name] = baseline.replace(**json.loads(where))
    else:
        scenarios[name] = load_scenario(where).parameters
pipeline_mesa.run(10_000)  # warm-ups, as yardstick.py does
pipeline_numpy.run(10_000)
run_replication(Parameters(), seed=10_000, years=0.1, keep_tables=False)

def timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start

out = {}
for name, parameters in scenarios.items():
    seconds, to_mesa, to_numpy = [], [], []
    for seed in range(reps):
        mesa = timed(lambda: pipeline_mesa.run(seed))
        numpy = timed(lambda: pipeline_numpy.run(seed))
        amparo = timed(lambda: run_replication(parameters, seed=seed, years=years, keep_tables=False))
        seconds.append(amparo)
        to_mesa.append(amparo / mesa)
        to_numpy.append(amparo / numpy)
    out[name] = {"seconds": statistics.median(seconds), "to_mesa": statistics.median(to_mesa),
                 "to_numpy": statistics.median(to_numpy)}
print(json.dumps(out))
"""

#: The scarce corner of scenarios/sweep_officers_beds.toml: every lever at its low end, arrivals high.
SCARCE_CORNER = ('{"child_protection_officers": 40, "beds_per_shelter": 5, "alternative_care_places": 20, '
                 '"arrival_multiplier": 1.6}')
#: Not scenarios: the standards and the sweep definition.
NOT_SCENARIOS = {"standards.toml", "sweep_officers_beds.toml"}


def shipped_scenarios() -> list[tuple[str, str]]:
    """(name, file) of every scenario in scenarios/, the baseline first."""
    files = sorted(path for path in (ROOT / "scenarios").glob("*.toml") if path.name not in NOT_SCENARIOS)
    files.sort(key=lambda path: path.name != "baseline_2008.toml")
    return [(path.stem, str(path.relative_to(ROOT))) for path in files]


def measure(reps: int, years: float) -> dict[str, dict[str, float]]:
    """Median seconds and paired ratios to the yardsticks, by scenario."""
    names = [*shipped_scenarios(), ("sweep corner: 40 officers, 5 beds a shelter, 20 alternative places, "
                                    "arrivals x1.6", SCARCE_CORNER)]
    arguments = [value for pair in names for value in pair]
    return run_in_fresh_process(PER_SCENARIO, str(reps), str(years), str(YARDSTICKS), *arguments)


def table(results: dict[str, dict[str, float]]) -> str:
    """The results as a Markdown table, with the targets."""
    lines = ["| scenario | one year (median s) | / Mesa yardstick | / NumPy yardstick | target |",
             "|---|---|---|---|---|"]
    for name, figures in results.items():
        target = "<= 0.25 x Mesa, <= 5 x NumPy" if name == "baseline_2008" else "<= 0.40 x Mesa"
        lines.append(f"| {name} | {figures['seconds']:.3f} | {figures['to_mesa']:.2f} | "
                     f"{figures['to_numpy']:.1f} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3, help="repetitions behind each median")
    parser.add_argument("--years", type=float, default=1.0, help="simulated years per run")
    args = parser.parse_args()
    if not (YARDSTICKS / "yardstick.py").exists():
        sys.exit(f"The yardsticks are not at {YARDSTICKS}: they must sit in ../shared/yardsticks")
    print(table(measure(args.reps, args.years)))


if __name__ == "__main__":
    main()
