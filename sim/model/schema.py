"""The tables a run returns, by name and column, and the one registry of resources.

A table's columns are the fields of its row record (`sim.model.rows`). No Mesa here: the analysis
of saved tables reads these names without loading the model.
"""

from __future__ import annotations

from collections import namedtuple
from typing import NamedTuple

from sim.model.codes import Exit, Reason, Route, Stage
from sim.model.geography import spread
from sim.model.parameters import ORIGINS, Parameters
from sim.model.resources import (
    AlternativeCare,
    CareUnit,
    ChildProtectionOfficer,
    MigrationStation,
    Resource,
    Shelter,
)
from sim.model.rows import ChildRow, StageRow, VisitRow


class ResourceEntry(NamedTuple):
    """One capacity-limited resource: its name in every table, its kind, and the parameter that
    gives its number of places."""

    name: str
    kind: type[Resource]
    capacity_parameter: str
    #: whether a child stays in it (a place, bed or unit) rather than being seen by it (an officer)
    holds_children: bool
    #: what tables, charts and the brief call it
    label: str
    #: the border it serves ("north" or "south"): charts draw the north on the left
    border: str
    #: north: the lever counting its units nationally, spread over the repatriation points in
    #: proportion to the points' own counts of it (the `RepatriationPoint` field of that name)
    units_lever: str | None = None
    #: north: the parameter giving the places of one unit (None: a unit is one place)
    places_per_unit: str | None = None


#: Every resource, in the order of their codes in the visit table: the one list of them.
RESOURCES = (
    ResourceEntry("officers_north", ChildProtectionOfficer, "officers_north", False,
                  "Child protection officers (north)", "north", "officers"),
    ResourceEntry("officers_south", ChildProtectionOfficer, "officers_south", False,
                  "Child protection officers (south)", "south"),
    ResourceEntry("care_units", CareUnit, "care_unit_places", True, "Care-unit places (north)", "north",
                  "care_units", "places_per_care_unit"),
    ResourceEntry("shelters", Shelter, "shelter_beds", True, "Transitory-shelter beds (north)", "north",
                  "shelters", "beds_per_shelter"),
    ResourceEntry("migration_stations", MigrationStation, "migration_station_places", True,
                  "Migration-station places (south)", "south"),
    ResourceEntry("alternative_care", AlternativeCare, "alternative_care_places", True,
                  "Alternative-care places (south)", "south"),
)
RESOURCE_NAMES = tuple(entry.name for entry in RESOURCES)
#: The resources children stay in (not officers).
PLACE_NAMES = tuple(entry.name for entry in RESOURCES if entry.holds_children)
#: Resources whose waiting is itself a protection failure (a child held with adults meanwhile).
OVERFLOW_NAMES = tuple(entry.name for entry in RESOURCES if entry.kind.waiting_is_protection_failure)
#: Each resource's plain label, by name.
RESOURCE_LABEL = {entry.name: entry.label for entry in RESOURCES}
#: A model's resources, one field per resource name (iterated in code order).
Resources = namedtuple("Resources", RESOURCE_NAMES)  # noqa: PYI024 - fields come from the registry


#: What each coded column's integer codes mean, by column name (the same in every table).
CODEBOOK: dict[str, tuple[str, ...]] = {
    "route": tuple(code.name.lower() for code in Route),
    "reason": tuple(code.name.lower() for code in Reason),
    "exit": tuple(code.name.lower() for code in Exit),
    "stage": tuple(code.name.lower() for code in Stage),
    "resource": RESOURCE_NAMES,
    "origin": ORIGINS,
}


#: The resources that live at the northern repatriation points.
NORTH_AT_POINTS = tuple(entry.name for entry in RESOURCES if entry.units_lever)


def resource_capacities(p: Parameters) -> dict[str, int]:
    """Places of each resource nationally, by resource name (for the north: the sum over the points)."""
    return {entry.name: getattr(p, entry.capacity_parameter) for entry in RESOURCES}


def capacities_by_point(p: Parameters) -> dict[str, list[int]]:
    """Places of each northern resource at each repatriation point (west to east), by resource name.

    The national number of units (officers in the north, care units, shelters) is spread over the
    points by largest remainder in proportion to the points' own counts (`sim.model.geography.spread`),
    then turned into places (`places_per_care_unit`, `beds_per_shelter`). The national total is
    always kept: the places of a resource sum to `resource_capacities`.
    """
    points = p.geography.points
    found = {}
    for entry in RESOURCES:
        if entry.units_lever is None:
            continue
        national_units = (p.officers_north if entry.units_lever == "officers"
                          else getattr(p, entry.units_lever))
        units = spread(national_units, [getattr(point, entry.units_lever) for point in points])
        per_unit = getattr(p, entry.places_per_unit) if entry.places_per_unit else 1
        found[entry.name] = [n * per_unit for n in units]
    return found


CHILD_COLUMNS = ChildRow._fields
VISIT_COLUMNS = VisitRow._fields
STAGE_COLUMNS = StageRow._fields


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
