"""How fast the explorer's model steps compared with the plain model, and how long its charts take.

    python benchmarks/explorer_speed.py [--days 365]

Prints the milliseconds per simulated day of the plain `AmparoModel`, of `ExplorerModel` (which also
collects the live numbers every day and recomputes waits, detention and overflows weekly), and the
milliseconds to draw the three live charts once at the end. A step of the page is one simulated day
plus a redraw, so these bound how fast "play" can go.
"""

from __future__ import annotations

import argparse
import time

from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters
from sim.presentation.charts.live_charts import occupancy_figure, stages_figure, waits_figure
from sim.presentation.explorer import ExplorerModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="simulated days to step")
    days = parser.parse_args().days
    parameters = Parameters()
    timings = {}
    for name, model in (("plain model", AmparoModel(parameters, seed=1, years=10)),
                        ("explorer model", ExplorerModel(base=parameters, seed=1))):
        start = time.perf_counter()
        for _ in range(days):
            model.step()
        timings[name] = (time.perf_counter() - start) / days * 1000
    history = model.history()
    start = time.perf_counter()
    stages_figure(history, "baseline")
    occupancy_figure(history, "baseline")
    waits_figure(history, "baseline", parameters.max_detention_days)
    timings["draw the three live charts"] = (time.perf_counter() - start) * 1000
    print(f"{days} simulated days of the 2008 baseline")
    for name, milliseconds in timings.items():
        unit = "ms per day" if name.endswith("model") else "ms"
        print(f"  {name:<28} {milliseconds:8.1f} {unit}")


if __name__ == "__main__":
    main()
