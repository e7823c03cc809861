"""Origin: children leave home, by origin and reason, over the year.

Departures are a Poisson process for Mexico and for Central America whose intensity varies by day:
the calibrated rate, times the month's share of arrivals (`arrival_profile_*`), times the arrival
multipliers (all routes', and the route's own) and one minus the awareness campaign's reduction of
the day's timeline phase. Mexican children who will not be handed back by the United States never
meet Mexico's protection system and are only counted. Every other departing child gets a record;
the departures of several days are drawn and described as one numpy batch (who they are, when
they reach a border, what happens in transit), and a child becomes a Mesa agent only when they
meet the protection system (see `sim.model.custody`).

Common random numbers, by thinning and superposition: potential children are drawn in layers, each
a Poisson process at the calibrated rate with no season and no scenario in it, from generators
keyed by (run seed, stream, day, layer); each potential child carries their own departure time,
personal draws and a uniform mark. Stacked, layer k and mark u put the child at height k + u, and
the children who depart are those below the day's intensity (relative to the calibrated rate):
a −10% campaign keeps those below 0.9, a +50% surge every child of layer 0 and those of layer 1
below 0.5. So the children of a lower intensity are always among those of a higher one, the same
children with the same draws and departure times, whatever else a scenario changes; a child's
(route, departure time) finds them in every scenario of the same seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model.codes import N_CHANCES, N_NORMALS, Chance, Reason, Route
from sim.model.departures import Departures
from sim.model.durations import exponential_days
from sim.model.geography import cumulative_shares
from sim.model.ledger import Ledger
from sim.model.parameters import (
    DAYS_PER_YEAR,
    MEXICAN_STATES,
    NORTHERN_BORDER_STATES,
    Parameters,
    timeline_phases,
)
from sim.model.random_streams import RandomStreams
from sim.model.run_calendar import YEAR_DAYS, daily_factors

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
        share_returned = p.share_of_mexican_departures_returned_by_united_states
        # the calibrated rates per day of each layer (no season, no scenario)
        self.returned_per_day = p.mexican_departures_per_year * share_returned / DAYS_PER_YEAR
        self.not_returned_per_day = p.mexican_departures_per_year * (1 - share_returned) / DAYS_PER_YEAR
        self.central_american_per_day = p.central_american_departures_per_year / DAYS_PER_YEAR
        self.days_abroad_mean = p.days_abroad_mean
        self.p = p
        ca = np.array([p.share_guatemala, p.share_honduras, p.share_el_salvador, p.share_nicaragua])
        self.central_american_cumulative = np.cumsum(ca)
        geography = p.geography
        self.point_cumulative = cumulative_shares([point.share for point in geography.points])
        self.state_cumulative = (None if geography.pooled  # pooled: uniform states
                                 else cumulative_shares([state.share for state in geography.states]))
        self._phases = timeline_phases(p)
        self._season_north = daily_factors(p.arrival_profile_north)
        self._season_south = daily_factors(p.arrival_profile_south)
        # a northern child's month is that of their handover: departure plus the mean time abroad
        self._lead_north = int(round(p.days_abroad_mean))

    def intensity(self, days: np.ndarray, route: Route) -> np.ndarray:
        """Departures on run days `days` relative to the calibrated rate: the season's factor times
        the arrival multipliers and (1 - campaign reduction) of each day's timeline phase."""
        first_days = np.array([day for day, _ in self._phases])
        phase = np.searchsorted(first_days, days, side="right") - 1
        own = "arrival_multiplier_north" if route is Route.NORTH else "arrival_multiplier_south"
        volume = np.array([q.arrival_multiplier * getattr(q, own) * (1.0 - q.awareness_campaign_reduction)
                           for _, q in self._phases])[phase]
        day_of_year = days - self.p.warmup_days
        if route is Route.NORTH:
            season = self._season_north[(day_of_year + self._lead_north) % YEAR_DAYS]
        else:
            season = self._season_south[day_of_year % YEAR_DAYS]
        return volume * season

    def depart(self, first_day: int, end_day: int) -> None:
        """Draw the departing children of days `first_day` to `end_day - 1` and send each on their
        way. Each day's potential children are drawn layer by layer from that day's own streams
        and thinned by the day's intensity (see the module's docstring); the children are then
        described and sent on as one batch: the work per batch is numpy calls on whole columns,
        whose fixed cost would dominate if paid every day."""
        ledger, streams = self.ledger, self.streams
        days = np.arange(first_day, end_day)
        north_height = self.intensity(days, Route.NORTH)
        south_height = self.intensity(days, Route.SOUTH)
        north: list[tuple] = []
        south: list[tuple] = []
        departures = np.zeros((end_day - first_day, 3), dtype=np.int64)
        for row, day in enumerate(days.tolist()):
            counts = streams.for_day("departures", day)
            n_not_returned = int(counts.poisson(self.not_returned_per_day * north_height[row]))
            kept_north = _draw_day(streams, "children north", day, self.returned_per_day, north_height[row])
            kept_south = _draw_day(streams, "children south", day, self.central_american_per_day,
                                   south_height[row])
            n_returned, n_central_american = kept_north[0].size, kept_south[0].size
            departures[row] = n_not_returned + n_returned, n_returned, n_central_american
            # child ids in departure order: a day's northern children, then its southern ones
            if n_returned:
                north.append((ledger.new_child_ids(n_returned, day), *kept_north))
            if n_central_american:
                south.append((ledger.new_child_ids(n_central_american, day), *kept_south))
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
        _set_age_and_sex(children, under_12, girls, p.share_15_to_17_among_adolescents)
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
        girls = np.where(accompanied, p.share_girls_accompanied, p.share_girls_unaccompanied_south)
        _set_age_and_sex(children, p.share_under_12_south, girls, p.share_15_to_17_among_adolescents)
        country = np.searchsorted(self.central_american_cumulative, u[:, Chance.ORIGIN], side="right")
        children.origin = len(MEXICAN_STATES) + country
        children.far_from_border = np.ones(len(children), dtype=bool)
        children.reason = _reason(u[:, Chance.REASON], p.share_leaving_for_work_central_america,
                                  p.share_leaving_to_join_family_central_america)
        children.trafficking_victim = u[:, Chance.VICTIM] < p.share_trafficking_victims_at_departure
        need = p.share_in_need_of_protection_among_violence
        children.in_need_of_protection = ((children.reason == Reason.ESCAPE_VIOLENCE)
                                          & (u[:, Chance.PROTECTION_NEED] < need))


def _draw_day(streams: RandomStreams, stream: str, day: int, per_layer: float, height: float) -> tuple:
    """The children of one route departing on `day`: those of the potential children of each layer
    (a Poisson number at `per_layer`, each with a departure time, a mark, chances and normals, drawn
    from the layer's own stream) whose height, layer + mark, is below `height`. In departure order:
    (departure times, chances, normals)."""
    kept = []
    for layer in range(int(np.ceil(height))):
        generator = streams.for_day(stream, day, layer)
        n = int(generator.poisson(per_layer))
        departed_at = day + generator.random(n)
        mark = generator.random(n)
        chances, normals = generator.random((n, N_CHANCES)), generator.standard_normal((n, N_NORMALS))
        keep = layer + mark < height
        kept.append((departed_at[keep], chances[keep], normals[keep]))
    if not kept:
        return np.empty(0), np.empty((0, N_CHANCES)), np.empty((0, N_NORMALS))
    departed_at, chances, normals = (np.concatenate(column) for column in zip(*kept, strict=True))
    order = np.argsort(departed_at)
    return departed_at[order], chances[order], normals[order]


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


def _set_age_and_sex(children: Departures, share_under_12: np.ndarray | float,
                     share_girls: np.ndarray | float, share_15_to_17: float) -> None:
    """Each child's age and sex from their own chances: the band (under 12, or 12-17) from
    `share_under_12`; under 12, every age equally likely; within 12-17, ages 15-17 take
    `share_15_to_17` (each of them a third of it), ages 12-14 the rest (see the parameter's source).
    One chance sets the age within the band, so no other draw moves."""
    u = children.chances
    in_band = u[:, Chance.AGE_IN_BAND]
    younger_teen = 1.0 - share_15_to_17
    teen = np.where(in_band < younger_teen,
                    12 + np.minimum(in_band / max(younger_teen, 1e-12) * 3, 2.999999),
                    15 + np.minimum((in_band - younger_teen) / max(share_15_to_17, 1e-12) * 3, 2.999999))
    children.age = np.where(u[:, Chance.AGE_BAND] < share_under_12, (in_band * 12).astype(np.int64),
                            teen.astype(np.int64))
    children.girl = u[:, Chance.SEX] < share_girls


def _reason(u: np.ndarray, share_work: float, share_family: float) -> np.ndarray:
    return np.where(u < share_work, Reason.WORK,
                    np.where(u < share_work + share_family, Reason.JOIN_FAMILY, Reason.ESCAPE_VIOLENCE))
