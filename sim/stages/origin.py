"""Origin: children leave home, by origin and reason, over the year.

Departures are a Poisson process per day for Mexico and for Central America. Mexican children who
will be handed back by the United States become agents (they meet the northern border after
`days_abroad_mean` days); the others never meet Mexico's protection system and are only counted.
Every Central American child crossing into Mexico becomes an agent in transit.

Each day's draws come from generators seeded by (run seed, stream, day), so a scenario that changes
how many children leave on one day changes nothing about any other day, and the first k children
of a day are the same children in every scenario.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

import numpy as np

from sim.child import N_CHANCES, N_NORMALS, Chance, Child, Reason, Route, Stage
from sim.parameters import DAYS_PER_YEAR, MEXICAN_STATES, NORTHERN_BORDER_STATES

if TYPE_CHECKING:
    from sim.model import AmparoModel

CENTRAL_AMERICAN_ORIGINS = ("Guatemala", "Honduras", "El Salvador", "other")
#: Every origin a child can have; a child's origin code is its index here.
ORIGINS: tuple[str, ...] = MEXICAN_STATES + CENTRAL_AMERICAN_ORIGINS
ORIGIN_CODE = {name: code for code, name in enumerate(ORIGINS)}
_FAR_FROM_BORDER = tuple(state not in NORTHERN_BORDER_STATES for state in MEXICAN_STATES)
_DAYS_ABROAD = int(Chance.DAYS_ABROAD)


class Origin:
    """Draws each day's departures and gives every departing child who they are."""

    def __init__(self, model: AmparoModel) -> None:
        p = model.parameters
        self.model = model
        scale = p.arrival_multiplier * (1.0 - p.awareness_campaign_reduction) / DAYS_PER_YEAR
        self.mexican_per_day = p.mexican_departures_per_year * scale
        self.central_american_per_day = p.central_american_departures_per_year * scale
        self.share_returned = p.share_of_mexican_departures_returned_by_united_states
        self.days_abroad_mean = p.days_abroad_mean
        self.p = p
        ca = np.array([p.share_guatemala, p.share_honduras, p.share_el_salvador])
        self.central_american_cumulative = np.cumsum(ca).tolist()

    def depart(self, day: int) -> None:
        """Create today's departing children and send each on their way."""
        model = self.model
        streams = model.streams
        counts = streams.for_day("departures", day)
        n_mexican = int(counts.poisson(self.mexican_per_day))
        n_returned = int(counts.binomial(n_mexican, self.share_returned)) if n_mexican else 0
        n_central_american = int(counts.poisson(self.central_american_per_day))
        model.count_departures(n_mexican, n_returned, n_central_american)
        if n_returned:
            self._create(Route.NORTH, n_returned, streams.for_day("children north", day), day)
        if n_central_american:
            self._create(Route.SOUTH, n_central_american, streams.for_day("children south", day), day)

    def _create(self, route: Route, n: int, generator: np.random.Generator, day: int) -> None:
        model = self.model
        departure_times = (day + np.sort(generator.random(n))).tolist()
        chances = generator.random((n, N_CHANCES)).tolist()
        normals = generator.standard_normal((n, N_NORMALS)).tolist()
        rows = zip(departure_times, chances, normals, strict=True)
        if route is Route.NORTH:
            describe, enter_stage, schedule = self._describe_mexican, model.enter_stage, model.schedule
            receive, mean, days_abroad = model.northern_border.receive, self.days_abroad_mean, _DAYS_ABROAD
            for departed_at, child_chances, child_normals in rows:
                child = Child(model, route, departed_at, child_chances, child_normals)
                describe(child)
                enter_stage(child, Stage.ABROAD, departed_at)
                schedule(departed_at + -mean * math.log1p(-child_chances[days_abroad]), receive, child)
        else:
            describe, enter_transit = self._describe_central_american, model.transit.enter
            for departed_at, child_chances, child_normals in rows:
                child = Child(model, route, departed_at, child_chances, child_normals)
                describe(child)
                enter_transit(child, departed_at)

    def _describe_mexican(self, child: Child) -> None:
        p, u = self.p, child.chances
        child.accompanied = u[Chance.ACCOMPANIED] >= p.share_unaccompanied_north
        if child.accompanied:
            under_12, girls = p.share_under_12_accompanied_north, p.share_girls_accompanied
        else:
            under_12, girls = p.share_under_12_unaccompanied_north, p.share_girls_unaccompanied
        _set_age_and_sex(child, under_12, girls)
        state = int(u[Chance.ORIGIN] * len(MEXICAN_STATES))
        child.origin = state
        child.far_from_border = _FAR_FROM_BORDER[state]
        child.reason = _reason(u[Chance.REASON], p.share_leaving_for_work_mexico,
                               p.share_leaving_to_join_family_mexico)
        child.trafficking_victim = u[Chance.VICTIM] < p.share_trafficking_victims_at_departure

    def _describe_central_american(self, child: Child) -> None:
        p, u = self.p, child.chances
        child.accompanied = u[Chance.ACCOMPANIED] >= p.share_unaccompanied_south
        girls = p.share_girls_accompanied if child.accompanied else p.share_girls_unaccompanied
        _set_age_and_sex(child, p.share_under_12_south, girls)
        country = bisect.bisect_right(self.central_american_cumulative, u[Chance.ORIGIN])
        child.origin = len(MEXICAN_STATES) + country
        child.far_from_border = True
        child.reason = _reason(u[Chance.REASON], p.share_leaving_for_work_central_america,
                               p.share_leaving_to_join_family_central_america)
        child.trafficking_victim = u[Chance.VICTIM] < p.share_trafficking_victims_at_departure
        need = p.share_in_need_of_protection_among_violence
        child.in_need_of_protection = (child.reason is Reason.ESCAPE_VIOLENCE
                                       and u[Chance.PROTECTION_NEED] < need)


def _set_age_and_sex(child: Child, share_under_12: float, share_girls: float) -> None:
    u = child.chances
    if u[Chance.AGE_BAND] < share_under_12:
        child.age = int(u[Chance.AGE_IN_BAND] * 12)
    else:
        child.age = 12 + int(u[Chance.AGE_IN_BAND] * 6)
    child.girl = u[Chance.SEX] < share_girls


def _reason(u: float, share_work: float, share_family: float) -> Reason:
    if u < share_work:
        return Reason.WORK
    if u < share_work + share_family:
        return Reason.JOIN_FAMILY
    return Reason.ESCAPE_VIOLENCE
