"""The tables a run returns, by name and column, and the one registry of resources.

No Mesa here: the analysis of saved tables reads these names without loading the model.
"""

from __future__ import annotations

from sim.model.codes import Exit, Reason, Route, Stage
from sim.model.parameters import Parameters
from sim.model.stages.origin import ORIGINS

#: Resource names, in the order of their codes in the visit table.
RESOURCE_NAMES = ("officers_north", "officers_south", "care_units", "shelters",
                  "migration_stations", "alternative_care")

CHILD_COLUMNS = ("child_id", "route", "origin", "age", "girl", "accompanied", "reason",
                 "far_from_border", "trafficking_victim", "in_need_of_protection",
                 "harmed_in_transit", "screened_by_officer", "needs_detected", "held_with_adults",
                 "detained", "departed_at", "apprehended_at", "exit", "exited_at")
VISIT_COLUMNS = ("child_id", "resource", "requested_at", "started_at", "ended_at")
STAGE_COLUMNS = ("child_id", "stage", "entered_at")

#: What each coded column's integer codes mean, by column name (the same in every table).
CODEBOOK: dict[str, tuple[str, ...]] = {
    "route": tuple(code.name.lower() for code in Route),
    "reason": tuple(code.name.lower() for code in Reason),
    "exit": tuple(code.name.lower() for code in Exit),
    "stage": tuple(code.name.lower() for code in Stage),
    "resource": RESOURCE_NAMES,
    "origin": ORIGINS,
}


def resource_capacities(p: Parameters) -> dict[str, int]:
    """Places of each resource, by resource name."""
    return {"officers_north": p.officers_north, "officers_south": p.officers_south,
            "care_units": p.care_unit_places, "shelters": p.shelter_beds,
            "migration_stations": p.migration_station_places,
            "alternative_care": p.alternative_care_places}


def daily_columns() -> tuple[str, ...]:
    """Column names of the daily table: stocks `n_*` and the day's flows `new_*`."""
    columns = ["day"]
    columns += [f"n_{stage.name.lower()}" for stage in Stage if stage is not Stage.EXITED]
    for name in RESOURCE_NAMES:
        columns += [f"n_in_{name}", f"n_waiting_{name}"]
    columns += ["new_departures_mexico", "new_departures_mexico_returned_by_united_states",
                "new_departures_central_america", "new_handovers_accompanied",
                "new_handovers_unaccompanied"]
    return tuple(columns)
