"""Builds a model's resources and stages, and wires each stage to the next one a child meets.

Every stage gets only what it uses: the parameters, the event calendar, the ledger, custody (where
children become agents), its own resources, and the next stage's entry point as a plain function.
No stage knows the model.
"""

from __future__ import annotations

from typing import NamedTuple

from sim.model.calendar import EventCalendar
from sim.model.custody import Custody
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters
from sim.model.random_streams import RandomStreams
from sim.model.resources import ResourceAtPoints
from sim.model.schema import RESOURCES, Resources, capacities_by_point, resource_capacities
from sim.model.stages.crossing_again import CrossingAgain
from sim.model.stages.northern_border import NorthernBorder
from sim.model.stages.origin import Origin
from sim.model.stages.return_home import ReturnHome
from sim.model.stages.southern_border import SouthernBorder
from sim.model.stages.transit import Transit


class Stages(NamedTuple):
    """A model's stages, in the order a child meets them."""

    origin: Origin
    transit: Transit
    northern_border: NorthernBorder
    southern_border: SouthernBorder
    return_home: ReturnHome
    crossing_again: CrossingAgain


def build_resources(p: Parameters, ledger: Ledger) -> Resources:
    """One resource of each kind in the registry (`sim.model.schema.RESOURCES`), with the places
    the parameters give: in the north one pool per repatriation point (`ResourceAtPoints`);
    visits are recorded in `ledger`."""
    capacity, by_point = resource_capacities(p), capacities_by_point(p)
    record = ledger.visit_rows.add
    return Resources(*(ResourceAtPoints(entry.kind, entry.name, code, by_point[entry.name], record)
                       if entry.name in by_point
                       else entry.kind(entry.name, code, capacity[entry.name], ledger.visit_rows.add)
                       for code, entry in enumerate(RESOURCES)))


def build_stages(p: Parameters, streams: RandomStreams, calendar: EventCalendar, ledger: Ledger,
                 custody: Custody, resources: Resources) -> Stages:
    """The stages, each wired to the stages a child goes on to."""
    return_home = ReturnHome(ledger)
    crossing_again = CrossingAgain(p, streams, ledger, ledger.end_day, abroad=lambda children: None)
    northern_border = NorthernBorder(p, calendar, ledger, custody, resources.care_units, resources.shelters,
                                     resources.officers_north, go_home=return_home.travel,
                                     came_home=crossing_again)
    crossing_again.abroad = northern_border.expect
    southern_border = SouthernBorder(p, calendar, ledger, resources.migration_stations,
                                     resources.alternative_care, resources.officers_south)
    transit = Transit(p, ledger, custody, apprehended=southern_border.receive)
    origin = Origin(p, streams, ledger, abroad=northern_border.expect, into_transit=transit.enter)
    return Stages(origin, transit, northern_border, southern_border, return_home, crossing_again)
