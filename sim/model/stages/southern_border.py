"""Southern route: Central American children apprehended in transit by the migration authority.

Placement (written rules; F21, F22, F24 for the norms, los07/los08 for 2008 practice):

* A child *prefers alternative care* (DIF shelter, foster care, relatives) when detention is a
  last resort (`detention_last_resort`), when their group may not be detained
  (`detain_unaccompanied`, `detain_accompanied`), or when they are unaccompanied and no older than
  `shelter_age_limit_south`. Everyone else goes to a migration station (detention).
* A child who prefers alternative care but finds it full goes to a station if their group may be
  detained: a protection failure of its own (`diverted_to_detention`: the young unaccompanied
  children whom the 2008 practice, los07, would have placed with DIF); otherwise they wait for an
  alternative place in provisional holding with adults.
* A child who finds the station full waits in provisional holding with adults.
  Waiting in holding is a protection failure (`held_with_adults`); a child with no place within
  the holding limit is screened, and goes on, from holding (see `holding`).
* Time in a migration station is time held with adults (`held_with_adults`, det07, det09) unless
  the scenario says the stations keep children apart from adults (`stations_keep_children_separate`,
  F21, F24). Either way it is detention (`detained`): a detained child is never counted as protected
  (see `sim.analysis.outcomes`).

Once placed, the child is screened (see `screening`). A detected victim or child in need of
international protection takes the protection route (F12, F25) in alternative care, moving out of
detention as soon as a place frees. Everyone else waits in their place for the return to be
arranged and is returned via the southern border (F03).

Detention review (F19, F20, F24): a child still detained `max_detention_days` after entering
detention must leave for alternative care; they keep the station place until one frees, and the
excess counts as a breach of the limit. (A child on the protection route has already asked for
alternative care, so the review changes nothing for them; it is scheduled only for a child who will
still be detained when it is due.) A short limit can come before screening (a child waiting for an
officer); a child asks for an alternative-care place only once, so one whose review already asked
keeps that request when screening then finds a need, and starts the protection route when the place
comes.
"""

from __future__ import annotations

import math

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.codes import Exit, Stage
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters, timeline_phases
from sim.model.resources import AlternativeCare, ChildProtectionOfficer, MigrationStation, Resource, Visit
from sim.model.stages.holding import Holding
from sim.model.stages.screening import Screening


class SouthernBorder:
    """Placement, screening and return of the children apprehended in transit."""

    def __init__(self, p: Parameters, calendar: EventCalendar, ledger: Ledger, stations: MigrationStation,
                 alternative_care: AlternativeCare, officers: ChildProtectionOfficer) -> None:
        self.p = p
        self.calendar = calendar
        self.ledger = ledger
        self.stations = stations
        self.alternative_care = alternative_care
        self.screening = Screening(calendar, officers, p.officer_max_wait_days, self._after_screening,
                                   p.shortest_case_share)
        self.holding = Holding(calendar, p.max_days_waiting_in_holding)
        # whether a child may be detained, by [accompanied]
        self._may_be_detained = (p.detain_unaccompanied, p.detain_accompanied)
        # Detention review: due `max_detention_days` after detention starts. Unless officers may keep
        # a detained child waiting that long, screening comes first, and then it is known whether
        # the child will still be detained when the review is due: only then is it scheduled. A review
        # at detention is right whatever officers there are, so officers at any time of the run count.
        officers = self.screening.officers
        any_officers = officers.capacity > 0 or any(q.officers_south > 0 for _, q in timeline_phases(p))
        self._review_at_detention = (p.max_detention_days < math.inf and any_officers
                                     and p.officer_max_wait_days >= p.max_detention_days)
        self._review_after_screening = p.max_detention_days < math.inf and not self._review_at_detention

    # --- placement ---------------------------------------------------------------------------
    def may_be_detained(self, child: Child) -> bool:
        return self._may_be_detained[child.accompanied]

    def prefers_alternative_care(self, child: Child) -> bool:
        p = self.p
        return (p.detention_last_resort or not self.may_be_detained(child)
                or (not child.accompanied and child.age <= p.shelter_age_limit_south))

    def receive(self, child: Child, now: float) -> None:
        """A child in transit is apprehended."""
        child.apprehended_at = now
        self.ledger.enter_stage(child, Stage.PLACEMENT, now)
        if self.prefers_alternative_care(child):
            care = self.alternative_care
            if care.in_use < care.capacity and not care.n_waiting:
                resource: Resource = care
            elif self.may_be_detained(child):
                resource = self.stations
                child.diverted_to_detention = True  # alternative care is full
            else:
                resource = care
        else:
            resource = self.stations
        visit = resource.request(child, now, self._place)
        if visit.waiting:  # screened from holding if no place comes in time
            self.holding.wait(visit, now, self.screening.screen)

    def _place(self, visit: Visit, now: float) -> None:
        child = visit.child
        child.place_visit = visit
        if visit.resource is self.stations:
            self._start_detention(visit, now)
        self.screening.screen(child, now)

    def _start_detention(self, visit: Visit, now: float) -> None:
        child = visit.child
        child.detained = True
        if not self.p.stations_keep_children_separate:
            child.held_with_adults = True
        if self._review_at_detention:
            self.calendar.schedule(now + self.p.max_detention_days, self._review_detention, visit)

    # --- after screening ---------------------------------------------------------------------
    def _after_screening(self, child: Child, now: float) -> None:
        if child.needs_detected:
            self.ledger.enter_stage(child, Stage.PROTECTION_ROUTE, now)
            if child.place_visit is not None and child.place_visit.resource is self.alternative_care:
                self._start_protection(child, now)
            else:
                self._move_to_alternative_care(child, now)
        else:
            self.ledger.enter_stage(child, Stage.RETURN_ARRANGEMENT, now)
            returns_at = now + child.return_arrangement_days
            self.calendar.schedule(returns_at, self._return_to_country, child)
            place = child.place_visit
            if self._review_after_screening and place is not None and place.resource is self.stations:
                review_at = place.started_at + self.p.max_detention_days
                if review_at < returns_at:  # still detained when the review is due
                    self.calendar.schedule(review_at, self._review_detention, place)

    def _start_protection(self, child: Child, now: float) -> None:
        self.calendar.schedule(now + child.protection_days, self._finish_protection, child)

    def _move_to_alternative_care(self, child: Child, now: float) -> None:
        """Ask for an alternative-care place for `child`, once: a child already in line for one
        (after a detention review that came before screening) keeps that request, and the
        protection route starts when the place comes."""
        if child.transfer_visit is not None:
            return
        visit = self.alternative_care.request(child, now, self._moved_to_alternative_care)
        if visit.waiting:
            if child.place_visit is not None:
                child.transfer_visit = visit  # blocked: stays in the station meanwhile
            else:  # in holding (no place came in time): the protection route goes on without one
                self.holding.wait(visit, now, self._start_protection)

    def _moved_to_alternative_care(self, visit: Visit, now: float) -> None:
        child = visit.child
        if child.place_visit is not None:
            self.stations.release(child.place_visit, now)
        child.place_visit = visit
        child.transfer_visit = None
        if child.stage is Stage.PROTECTION_ROUTE:
            self._start_protection(child, now)

    def _review_detention(self, visit: Visit, now: float) -> None:
        child = visit.child
        if child.place_visit is visit:
            self._move_to_alternative_care(child, now)

    # --- leaving ----------------------------------------------------------------------------
    def _leave_place(self, child: Child, now: float) -> None:
        if child.transfer_visit is not None:
            self.alternative_care.cancel(child.transfer_visit, now)
            child.transfer_visit = None
        place = child.place_visit
        if place is not None:
            place.resource.release(place, now)
            child.place_visit = None

    def _return_to_country(self, child: Child, now: float) -> None:
        self._leave_place(child, now)
        self.ledger.exit(child, Exit.RETURNED_SOUTH, now)

    def _finish_protection(self, child: Child, now: float) -> None:
        self._leave_place(child, now)
        self.ledger.exit(child, Exit.PROTECTION, now)
