"""The interactive explorer's model side: a scenario's levers as sliders, and live numbers per day.

`ExplorerModel` is the Amparo model started from a scenario's parameters with some values changed
(those of the sliders), which also collects, every day, what the explorer's charts draw: children in
each stage, places in use and children waiting per resource, and, on its first day and every month
of the measured period, the run's waiting times, detention days and overflows so far (from
`sim.analysis.outcomes`, the same definitions as in every result folder). It runs its warm-up as
soon as it is made, in one go, so the page's first frame already shows lines and waits. The model
itself never imports this module.

`explorer_inputs` turns a scenario into Mesa SolaraViz inputs: a slider or switch for every lever
and for the main uncertainties, with the scenario's value as default and the parameter's own range
(`sim.model.parameters`) as bounds, so nothing is typed twice.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from typing import Any

import mesa

from sim.analysis.outcome_registry import View, outcomes_in
from sim.analysis.outcomes import compute_outcomes
from sim.model.amparo_model import AmparoModel
from sim.model.codes import Stage
from sim.model.parameters import DAYS_PER_YEAR, Parameters, coerce, parameter_fields
from sim.model.schema import OVERFLOW_NAMES, RESOURCE_NAMES

#: Uncertainties offered as sliders next to every lever: what moves the results most.
EXPLORED_UNCERTAINTIES = ("arrival_multiplier", "share_apprehended_in_transit", "officer_hours_per_child",
                          "family_contact_days_mean", "return_arrangement_days_mean")
#: Slider tops are this many times the scenario's value (capped by the parameter's own range).
#: assumption: four times today's capacity or rate covers the policies a planner explores; a
#: bigger value can still be set in a scenario file.
SLIDER_SPAN = 4.0
#: Years the explorer's model runs for before it stops (assumption: longer than anyone watches).
EXPLORER_YEARS = 10.0
#: The live waits, detention days and overflows are recomputed from the run's whole records this
#: often (days): often enough to watch them settle, rarely enough that a day stays quick (the
#: recomputation takes 0.1 s after half a year, 0.35 s after two, so about 10 ms a day once spread).
OUTCOMES_EVERY_DAYS = 30
#: Stages drawn (every stage a child can be in).
STAGES = tuple(stage for stage in Stage if stage is not Stage.EXITED)
#: Resources whose waiting is itself a protection failure, so whose waits count as overflows.
OVERFLOW_RESOURCES = OVERFLOW_NAMES
#: Live outcomes, computed on the first measured day and every `OUTCOMES_EVERY_DAYS` after.
LIVE_OUTCOMES = outcomes_in(View.EXPLORER)


def explored_names() -> list[str]:
    """Parameters the explorer offers: every lever, then the explored uncertainties."""
    levers = [f.name for f in parameter_fields() if f.metadata["kind"] == "lever"]
    return levers + list(EXPLORED_UNCERTAINTIES)


def slider_for(name: str, value: Any) -> dict[str, Any] | None:
    """A SolaraViz input for parameter `name` starting at `value`, or None when no slider can hold
    the value (an infinite limit, which stays as the scenario sets it)."""
    f = {f.name: f for f in parameter_fields()}[name]
    meta = f.metadata
    label = name.replace("_", " ")
    if f.type == "bool":
        return {"type": "Checkbox", "value": bool(value), "label": label, "name": name}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    low = meta["low"] if meta["low"] is not None else 0
    top = SLIDER_SPAN * value if value > 0 else (1 if f.type == "float" else 10)
    high = min(meta["high"], top) if meta["high"] is not None else top
    high = max(high, value)
    if f.type == "int":
        return {"type": "SliderInt", "value": int(value), "label": label, "name": name, "min": int(low),
                "max": int(math.ceil(high)), "step": 1}
    step = _nice_step((high - low) / 200)
    # the page rounds a slider's value to the decimals of its step: a value with more decimals than
    # the step (a calibrated 0.3332, say) gets a finer step, so the slider shows it exactly
    value_decimals = min(6, len(repr(float(value)).partition(".")[2].rstrip("0")))
    if value_decimals > max(0, -math.floor(math.log10(step))):
        step = 10.0 ** -value_decimals
    # the slider's positions are min + k * step: put the scenario's value on one of them
    # (rounded only to drop float noise)
    below, above = math.floor((value - low) / step + 1e-9), math.floor((high - value) / step + 1e-9)
    return {"type": "SliderFloat", "value": float(value), "label": label, "name": name,
            "min": round(value - below * step, 10) + 0.0, "max": round(value + above * step, 10),
            "step": step}


def value_label(spec: dict[str, Any], value: Any) -> str:
    """What a slider or switch shows above it: its label, today's value and the unit."""
    name = spec["label"]
    unit = {f.name: f for f in parameter_fields()}[spec["name"]].metadata["unit"]
    if spec["type"] == "Checkbox":
        return f"{name}: {'on' if value else 'off'}"
    if spec["type"] == "SliderInt":
        return f"{name}: {int(value):,} {unit}"
    decimals = max(0, -math.floor(math.log10(spec["step"])))
    if unit == "factor":
        return f"{name}: ×{value:.{decimals}f}"
    if unit == "share":
        return f"{name}: {value * 100:.{max(0, decimals - 2)}f}%"
    return f"{name}: {value:,.{decimals}f} {unit}"


def _nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or below `raw` (a slider step a person can read)."""
    if raw <= 0:
        return 0.01
    power = 10 ** math.floor(math.log10(raw))
    return float(max(m * power for m in (1, 2, 5) if m * power <= raw))


def explorer_inputs(parameters: Parameters, seed: int = 2008) -> dict[str, Any]:
    """SolaraViz `model_params`: sliders and switches from `parameters`, the scenario fixed as base."""
    inputs: dict[str, Any] = {}
    for name in explored_names():
        slider = slider_for(name, getattr(parameters, name))
        if slider is not None:
            inputs[name] = slider
    inputs["base"] = parameters
    inputs["seed"] = seed
    return inputs


def _reporters() -> dict[str, Any]:
    reporters: dict[str, Any] = {"day": lambda m: m.day, "measured_day": lambda m: m.measured_day}
    for stage in STAGES:
        reporters[f"n_{stage.name.lower()}"] = lambda m, i=int(stage): m.n_in_stage[i]
    for index, name in enumerate(RESOURCE_NAMES):
        reporters[f"n_in_{name}"] = lambda m, i=index: m.resources[i].in_use
        reporters[f"n_waiting_{name}"] = lambda m, i=index: m.resources[i].n_waiting
        reporters[f"capacity_{name}"] = lambda m, i=index: m.resources[i].capacity
    for outcome in LIVE_OUTCOMES:
        reporters[outcome] = lambda m, o=outcome: m.live_outcomes.get(o, math.nan)
    return reporters


class ExplorerModel(AmparoModel):
    """The Amparo model with a scenario's parameters, some changed, collecting live numbers daily.

    `base` is the scenario's `Parameters`; every other keyword names a parameter to change (the
    explorer's sliders), so resetting with new slider values starts a fresh run with the same seed:
    the same children arrive, only the policy differs. The warm-up is run when the model is made.
    """

    def __init__(self, base: Parameters | None = None, seed: int = 2008, years: float = EXPLORER_YEARS,
                 scenario: Any = None, **changes: Any) -> None:
        # `scenario` is Mesa's own (experimental) scenario object, which SolaraViz passes on Reset;
        # Amparo's scenario is `base`, so Mesa's is not used.
        base = base or Parameters()
        known = {f.name for f in dataclasses.fields(Parameters)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"not model parameters: {', '.join(unknown)}")
        parameters = base.replace(**{name: coerce(name, value) for name, value in changes.items()})
        super().__init__(parameters, seed=seed, years=years)
        self.live_outcomes: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(model_reporters=_reporters())
        self.datacollector.collect(self)
        self.warm_up()

    @property
    def measured_day(self) -> int:
        """Days since the warm-up ended (0 during the warm-up)."""
        return max(0, self.day - self.warmup_days)

    def warm_up(self) -> None:
        """Step through the warm-up at once, the cyclic garbage collector paused as in
        `AmparoModel.run` (the run makes no reference cycles)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            while self.day < self.warmup_days and self.running:
                self.step()
        finally:
            if collecting:
                gc.enable()

    def step(self) -> None:
        super().step()
        if self.measured_day == 1 or (self.measured_day and self.measured_day % OUTCOMES_EVERY_DAYS == 0):
            self.live_outcomes = live_outcomes(self)
        self.datacollector.collect(self)

    def history(self):
        """Everything collected so far, one row per day (a pandas DataFrame)."""
        return self.datacollector.get_model_vars_dataframe()

    def collected(self) -> dict[str, list]:
        """Everything collected so far as plain columns (name -> one value per day), without
        building a DataFrame: what the live charts read every frame. The columns are copies cut to
        the same length, so a page drawing them while the model steps (play runs in its own
        thread) never sees a day half collected."""
        columns = self.datacollector.model_vars
        days = min(len(column) for column in columns.values())
        return {name: column[:days] for name, column in columns.items()}


def live_outcomes(model: AmparoModel) -> dict[str, float]:
    """The run's outcomes over the measured days so far (per-year rates scaled to a year)."""
    measured = max(0, model.day - model.warmup_days)
    if measured == 0:
        return {}
    outcomes = compute_outcomes(model.tables(), model.parameters, measured / DAYS_PER_YEAR)
    return {name: outcomes[name] for name in LIVE_OUTCOMES}


__all__ = ["EXPLORED_UNCERTAINTIES", "ExplorerModel", "LIVE_OUTCOMES", "explored_names", "explorer_inputs",
           "live_outcomes", "slider_for", "value_label"]
