"""The explorer's page: Mesa's model controls around `ExplorerModel`, served by `amparo explore`.

Solara imports this module and shows `Page`, once per browser session: each session makes its own
model (warm-up included, before its first frame), so two tabs never share a run. The scenario and
seed come from the environment variables `AMPARO_EXPLORE_SCENARIO` (a scenario file; default the
2008 baseline) and `AMPARO_EXPLORE_SEED`, which `amparo explore` sets. Sliders start at the
scenario's values and show their value and unit; moving one and pressing Reset starts a fresh run
with the new value and the same seed (the same children arrive), and Step or the play button
advance it day by day. Mesa's `ModelController` gives the buttons; the charts are ECharts drawn in
the browser (`sim.presentation.charts.live_charts`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

from sim.inputs.scenario import load_scenario
from sim.model.parameters import parameter_fields
from sim.presentation.charts.live_charts import (
    MAX_POINTS,
    occupancy_chart,
    stages_chart,
    status_html,
    waits_chart,
)
from sim.presentation.explorer import ExplorerModel, explorer_inputs, value_label

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline_2008.toml"
SCENARIO = load_scenario(Path(os.environ.get("AMPARO_EXPLORE_SCENARIO", DEFAULT_SCENARIO)))
SEED = int(os.environ.get("AMPARO_EXPLORE_SEED", "2008"))
INPUTS = explorer_inputs(SCENARIO.parameters, SEED)
#: Pause between two simulated days while playing (ms): a day takes about 10 ms and a frame about
#: as long, so play runs at 20-30 days a second.
PLAY_INTERVAL_MS = 10
#: Height of each chart's card (px); the width is the card's.
CHART_HEIGHTS = {"occupancy": 620, "stages": 400, "waits": 380}
CHART_STYLES = {name: {"style": f"height: {height}px; width: 100%;"}
                for name, height in CHART_HEIGHTS.items()}
#: What the chart widgets are made with: their options are set on them afterwards.
NO_OPTION: dict[str, Any] = {}
#: Pauses (s) before a new chart sends its option again, in case the page was still loading ECharts.
RESEND_SECONDS = (1.0, 1.0, 2.0, 4.0, 8.0, 16.0)


def changed_parameters(model: ExplorerModel) -> list[str]:
    """'name: scenario value -> explored value' for each parameter the sliders changed."""
    changes = []
    for f in parameter_fields():
        before, now = getattr(SCENARIO.parameters, f.name), getattr(model.parameters, f.name)
        if before != now:
            changes.append(f"{f.name} {before:g} → {now:g}" if not isinstance(now, bool)
                           else f"{f.name} {before} → {now}")
    return changes


def new_model(values: dict[str, Any]) -> ExplorerModel:
    """A fresh explored run from the page's current slider values (the scenario as base)."""
    return ExplorerModel(**values)


@solara.component
def Inputs(values: solara.Reactive[dict[str, Any]]):
    """A slider or switch per explored parameter, each labelled with its current value and unit."""
    for name, spec in INPUTS.items():
        if not isinstance(spec, dict):
            continue  # the base scenario and the seed, fixed

        def on_value(value: Any, name: str = name) -> None:
            values.value = {**values.value, name: value}

        value = values.value.get(name, spec["value"])
        label = value_label(spec, value)
        if spec["type"] == "Checkbox":
            solara.Checkbox(label=label, value=bool(value), on_value=on_value)
        elif spec["type"] == "SliderInt":
            solara.SliderInt(label, value=int(value), min=spec["min"], max=spec["max"], step=spec["step"],
                             on_value=on_value)
        else:
            solara.SliderFloat(label, value=float(value), min=spec["min"], max=spec["max"],
                               step=spec["step"], on_value=on_value)


def charts(history: dict[str, list], max_detention_days: float, points: int = MAX_POINTS) -> dict[str, Any]:
    """The three charts' options."""
    return {"occupancy": occupancy_chart(history, points), "stages": stages_chart(history, points),
            "waits": waits_chart(history, max_detention_days, points)}


class Frame:
    """One frame's status and chart options, held in an object reacton does not walk into (it walks
    every list and dict it is given as a prop looking for elements: for charts of a few thousand
    points that took seconds a frame)."""

    def __init__(self, model: ExplorerModel) -> None:
        history = model.collected()
        self.day = len(history["day"])
        self.status = status_html(history, model.warmup_days, changed_parameters(model))
        self.charts = charts(history, model.parameters.max_detention_days)


@solara.component
def Live(model: ExplorerModel):
    """The status table and the three charts, redrawn after every simulated day."""
    update_counter.get()  # Mesa's controller bumps this after each step
    frame = solara.use_memo(lambda: Frame(model), dependencies=[model, model.day])
    with solara.Card("Today"):
        solara.HTML(tag="div", unsafe_innerHTML=frame.status)
    for name in CHART_HEIGHTS:
        with solara.Card(classes=[f"amparo-chart-{name}"]):
            Chart(frame, name)


@solara.component
def Chart(frame: Frame, name: str):
    """One of the frame's charts: solara.FigureEcharts's own widget, given its option directly.

    Each option is set on the widget, not passed as a prop (see `Frame`). The page only draws an
    option that comes once it has loaded ECharts, which a session's first one may beat, so the
    chart sets its option again a few times in its first seconds (marked with a key ECharts does
    not read: the page ignores a value equal to the one it has)."""
    # made here, as this component's root, so that `get_widget` can reach it
    element = EchartsWidget.element(option=NO_OPTION, responsive=True, attributes=CHART_STYLES[name])
    again = solara.use_reactive(0)

    def draw() -> None:
        option = frame.charts[name]
        solara.get_widget(element).option = {**option, "sentAgain": again.value} if again.value else option

    def send_again() -> None:
        for pause in RESEND_SECONDS:
            time.sleep(pause)
            again.value += 1

    solara.use_effect(draw, dependencies=[frame, again.value])
    solara.use_thread(send_again, dependencies=[])
    return element


@solara.component
def Page():
    # one model per session: made (and warmed up) at the session's first render, kept across renders
    values = solara.use_reactive({name: spec["value"] if isinstance(spec, dict) else spec
                                  for name, spec in INPUTS.items()})
    first = solara.use_memo(lambda: new_model(values.value), dependencies=[])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    solara.Title(f"Amparo explorer: {SCENARIO.title}")
    with solara.AppBar():
        solara.AppBarTitle(f"Amparo explorer: {SCENARIO.title}")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            ModelController(model, model_parameters=values, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
        with solara.Card("Levers and uncertainties (Reset to apply)"):
            Inputs(values)
    Live(model.value)
