"""The explorer's page: Mesa's SolaraViz around `ExplorerModel`, served by `amparo explore`.

Solara imports this module and shows `page`. The scenario and seed come from the environment
variables `AMPARO_EXPLORE_SCENARIO` (a scenario file; default the 2008 baseline) and
`AMPARO_EXPLORE_SEED`, which `amparo explore` sets. Sliders start at the scenario's values; moving
one and pressing Reset starts a fresh run with the new value and the same seed (the same children
arrive), and Step or the play button advance it day by day.
"""

from __future__ import annotations

import os
from pathlib import Path

import solara
from mesa.visualization import SolaraViz

from sim.inputs.scenario import load_scenario
from sim.model.parameters import parameter_fields
from sim.presentation.charts.live_charts import occupancy_figure, stages_figure, status_html, waits_figure
from sim.presentation.explorer import ExplorerModel, explorer_inputs

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline_2008.toml"
SCENARIO = load_scenario(Path(os.environ.get("AMPARO_EXPLORE_SCENARIO", DEFAULT_SCENARIO)))
SEED = int(os.environ.get("AMPARO_EXPLORE_SEED", "2008"))


def changed_parameters(model: ExplorerModel) -> list[str]:
    """'name: scenario value -> explored value' for each parameter the sliders changed."""
    changes = []
    for f in parameter_fields():
        before, now = getattr(SCENARIO.parameters, f.name), getattr(model.parameters, f.name)
        if before != now:
            changes.append(f"{f.name} {before:g} → {now:g}" if not isinstance(now, bool)
                           else f"{f.name} {before} → {now}")
    return changes


def Status(model: ExplorerModel):
    return solara.HTML(tag="div", unsafe_innerHTML=status_html(model.history(), changed_parameters(model)))


def Stages(model: ExplorerModel):
    return solara.FigureMatplotlib(stages_figure(model.history(), SCENARIO.title), format="png")


def Occupancy(model: ExplorerModel):
    return solara.FigureMatplotlib(occupancy_figure(model.history(), SCENARIO.title), format="png")


def Waits(model: ExplorerModel):
    return solara.FigureMatplotlib(
        waits_figure(model.history(), SCENARIO.title, model.parameters.max_detention_days), format="png")


page = SolaraViz(
    ExplorerModel(base=SCENARIO.parameters, seed=SEED),
    components=[(Status, 0), (Occupancy, 0), (Stages, 0), (Waits, 0)],
    model_params=explorer_inputs(SCENARIO.parameters, SEED),
    name=f"Amparo explorer: {SCENARIO.title}",
    play_interval=150,
)
