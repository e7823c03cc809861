"""Origin: children leave home, by origin and reason, over the year.

Departures are a Poisson process per day for Mexico and for Central America. Mexican children who
will not be handed back by the United States never meet Mexico's protection system and are only
counted. Every other departing child gets a record; the departures of several days are drawn and
described as one numpy batch (who they are, when they reach a border, what happens in transit),
and a child becomes a Mesa agent only when they meet the protection system (see `sim.model.custody`).

Each day's draws come from generators seeded by (run seed, stream, day), so a scenario that changes
how many children leave on one day changes nothing about any other day, and the first k children
of a day are the same children in every scenario.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.codes import N_CHANCES, N_NORMALS, Chance, Reason, Route
from sim.model.departures import Departures
from sim.model.durations import exponential_days
from sim.model.ledger import Ledger
from sim.model.parameters import DAYS_PER_YEAR, MEXICAN_STATES, NORTHERN_BORDER_STATES, Parameters
from sim.model.random_streams import RandomStreams

SetOff = Callable[[Departures], None]

_FAR_FROM_BORDER = np.array([state not in NORTHERN_BORDER_STATES for state in MEXICAN_STATES])


class Origin:
    """Draws each day's departures and gives every departing child who they are."""

    def __init__(self, p: Parameters, streams: RandomStreams, ledger: Ledger, abroad: SetOff,
                 into_transit: SetOff) -> None:
        """`abroad` receives a batch of Mexican children who will be handed back (the northern
        border), `into_transit` one of Central American children (transit)."""
        self.streams = streams
        self.ledger = ledger
        self.abroad = abroad
        self.into_transit = into_transit
        scale = p.arrival_multiplier * (1.0 - p.awareness_campaign_reduction) / DAYS_PER_YEAR
        self.mexican_per_day = p.mexican_departures_per_year * scale
        self.central_american_per_day = p.central_american_departures_per_year * scale
        self.share_returned = p.share_of_mexican_departures_returned_by_united_states
        self.days_abroad_mean = p.days_abroad_mean
        self.p = p
        ca = np.array([p.share_guatemala, p.share_honduras, p.share_el_salvador])
        self.central_american_cumulative = np.cumsum(ca)
        geography = p.geography
        self.point_cumulative = _cumulative([point.share for point in geography.points])
        self.state_cumulative = (None if geography.pooled  # pooled: uniform states
                                 else _cumulative([state.share for state in geography.states]))

    def depart(self, first_day: int, end_day: int) -> None:
        """Draw the departing children of days `first_day` to `end_day - 1` and send each on their
        way. The days' draws are made day by day, from each day's own streams, and the children
        are then described and sent on as one batch: the work per batch is numpy calls on whole
        columns, whose fixed cost would dominate if paid every day."""
        ledger, streams = self.ledger, self.streams
        north: list[tuple] = []
        south: list[tuple] = []
        departures = np.zeros((end_day - first_day, 3), dtype=np.int64)
        for row, day in enumerate(range(first_day, end_day)):
            counts = streams.for_day("departures", day)
            n_mexican = int(counts.poisson(self.mexican_per_day))
            n_returned = int(counts.binomial(n_mexican, self.share_returned)) if n_mexican else 0
            n_central_american = int(counts.poisson(self.central_american_per_day))
            departures[row] = n_mexican, n_returned, n_central_american
            # child ids in departure order: a day's northern children, then its southern ones
            if n_returned:
                north.append(_draw_day(n_returned, streams.for_day("children north", day), day,
                                       ledger.new_child_ids(n_returned, day)))
            if n_central_american:
                south.append(_draw_day(n_central_american, streams.for_day("children south", day), day,
                                       ledger.new_child_ids(n_central_american, day)))
        ledger.count_departures(first_day, departures)
        if north:
            children = _batch(Route.NORTH, north)
            self._describe_mexican(children)
            self.abroad(children)
        if south:
            children = _batch(Route.SOUTH, south)
            self._describe_central_american(children)
            self.into_transit(children)

    def _describe_mexican(self, children: Departures) -> None:
        p, u = self.p, children.chances
        children.accompanied = accompanied = u[:, Chance.ACCOMPANIED] >= p.share_unaccompanied_north
        under_12 = np.where(accompanied, p.share_under_12_accompanied_north,
                            p.share_under_12_unaccompanied_north)
        girls = np.where(accompanied, p.share_girls_accompanied, p.share_girls_unaccompanied)
        _set_age_and_sex(children, under_12, girls)
        if self.state_cumulative is None:
            state = (u[:, Chance.ORIGIN] * len(MEXICAN_STATES)).astype(np.int64)
        else:  # the states' shares (scenarios/places/states_of_origin.csv)
            state = np.searchsorted(self.state_cumulative, u[:, Chance.ORIGIN], side="right")
        children.origin = state
        # where the United States hands the child back, from the points' shares
        children.point = np.searchsorted(self.point_cumulative, u[:, Chance.REPATRIATION_POINT], side="right")
        children.far_from_border = _FAR_FROM_BORDER[state]
        children.reason = _reason(u[:, Chance.REASON], p.share_leaving_for_work_mexico,
                                  p.share_leaving_to_join_family_mexico)
        children.trafficking_victim = u[:, Chance.VICTIM] < p.share_trafficking_victims_at_departure
        days_abroad = exponential_days(self.days_abroad_mean, u[:, Chance.DAYS_ABROAD])
        children.reaches_border_at = children.departed_at + days_abroad

    def _describe_central_american(self, children: Departures) -> None:
        p, u = self.p, children.chances
        children.accompanied = accompanied = u[:, Chance.ACCOMPANIED] >= p.share_unaccompanied_south
        girls = np.where(accompanied, p.share_girls_accompanied, p.share_girls_unaccompanied)
        _set_age_and_sex(children, p.share_under_12_south, girls)
        country = np.searchsorted(self.central_american_cumulative, u[:, Chance.ORIGIN], side="right")
        children.origin = len(MEXICAN_STATES) + country
        children.far_from_border = np.ones(len(children), dtype=bool)
        children.reason = _reason(u[:, Chance.REASON], p.share_leaving_for_work_central_america,
                                  p.share_leaving_to_join_family_central_america)
        children.trafficking_victim = u[:, Chance.VICTIM] < p.share_trafficking_victims_at_departure
        need = p.share_in_need_of_protection_among_violence
        children.in_need_of_protection = ((children.reason == Reason.ESCAPE_VIOLENCE)
                                          & (u[:, Chance.PROTECTION_NEED] < need))


def _draw_day(n: int, generator: np.random.Generator, day: int, child_id: np.ndarray) -> tuple:
    """One day's draws for `n` children of one route: departure times, chances and normals."""
    departed_at = day + np.sort(generator.random(n))
    return child_id, departed_at, generator.random((n, N_CHANCES)), generator.standard_normal((n, N_NORMALS))


def _batch(route: Route, days: list[tuple]) -> Departures:
    """Several days' draws of one route as one batch of children, not yet described."""
    child_id, departed_at, chances, normals = (np.concatenate(column) for column in zip(*days, strict=True))
    n = child_id.size
    no = np.zeros(n, dtype=bool)
    return Departures(route, child_id, departed_at, chances, normals, accompanied=no,
                      age=np.zeros(n, dtype=np.int64), girl=no, origin=np.zeros(n, dtype=np.int64),
                      far_from_border=no, reason=np.zeros(n, dtype=np.int64), trafficking_victim=no,
                      in_need_of_protection=no, harmed_in_transit=no.copy(),
                      point=np.full(n, -1, dtype=np.int64), reaches_border_at=departed_at)


def _cumulative(shares: list[float]) -> np.ndarray:
    """Cumulative shares for drawing by `searchsorted`, the last one exactly 1 (shares sum to 1
    within a tolerance, checked when the places file is read)."""
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0 + 1e-12  # a draw just below 1 still finds the last place
    return cumulative


def _set_age_and_sex(children: Departures, share_under_12: np.ndarray | float,
                     share_girls: np.ndarray | float) -> None:
    u = children.chances
    in_band = u[:, Chance.AGE_IN_BAND]
    children.age = np.where(u[:, Chance.AGE_BAND] < share_under_12, (in_band * 12).astype(np.int64),
                            12 + (in_band * 6).astype(np.int64))
    children.girl = u[:, Chance.SEX] < share_girls


def _reason(u: np.ndarray, share_work: float, share_family: float) -> np.ndarray:
    return np.where(u < share_work, Reason.WORK,
                    np.where(u < share_work + share_family, Reason.JOIN_FAMILY, Reason.ESCAPE_VIOLENCE))
