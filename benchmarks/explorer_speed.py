"""How long the explorer takes per simulated day, and so how fast "play" can go.

    python benchmarks/explorer_speed.py [--days 365] [--scenario scenarios/baseline_2008.toml]

Times, for the scenario: the warm-up the page runs before its first frame; then, day by day over
the measured days, the explorer's model step (the Amparo model, the daily live numbers, and the
waits, detention and overflows recomputed monthly) and one frame of the page (the status table and
the three chart options, as `explorer_app.Frame` makes them). Prints the median and the mean time per
simulated day, the slowest day, and the simulated days a second that play can reach when the page
draws a frame after every day.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.inputs.scenario import load_scenario
from sim.presentation.charts.live_charts import occupancy_chart, stages_chart, status_html, waits_chart
from sim.presentation.explorer import ExplorerModel

ROOT = Path(__file__).resolve().parents[1]


def frame(model: ExplorerModel) -> None:
    """What the page computes for one frame."""
    history = model.collected()
    status_html(history, model.warmup_days)
    occupancy_chart(history)
    stages_chart(history)
    waits_chart(history, model.parameters.max_detention_days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="measured days to step")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline_2008.toml")
    options = parser.parse_args()
    parameters = load_scenario(options.scenario).parameters
    start = time.perf_counter()
    model = ExplorerModel(base=parameters, seed=2008)
    warmup = time.perf_counter() - start
    steps, frames = [], []
    for _ in range(options.days):
        start = time.perf_counter()
        model.step()
        middle = time.perf_counter()
        frame(model)
        steps.append(middle - start)
        frames.append(time.perf_counter() - middle)
    days = [step + drawing for step, drawing in zip(steps, frames, strict=True)]
    print(f"{options.scenario.stem}: warm-up of {parameters.warmup_days} days before the first frame "
          f"{warmup:.2f} s; then {options.days} measured days")
    for name, values in (("model step", steps), ("page frame", frames), ("step + frame", days)):
        print(f"  {name:<13} median {statistics.median(values) * 1000:6.1f} ms, mean "
              f"{statistics.fmean(values) * 1000:6.1f} ms, slowest {max(values) * 1000:6.0f} ms per day")
    print(f"  play with a frame after every day: {1 / statistics.median(days):.0f} simulated days a second "
          f"(median day), {1 / statistics.fmean(days):.0f} (mean day)")


if __name__ == "__main__":
    main()
