"""Northern border: children handed back by the United States (F01, F02).

Accompanied children are handed over with their family and go home within hours, holding no place
(counted in bulk, never agents). Unaccompanied children, Mesa agents from the handover on, go
through, in order:

1. a special care unit (F04): medical care, food, rest, a call home. With no free place the child
   waits in the migration unit's holding area, with adults: a protection failure; if no place
   comes within the holding limit, they are screened from holding (see `holding`);
2. screening by a child protection officer (see `screening`), still in the care unit;
3. then one of: the protection route (a detected victim stays in a shelter bed for specialised
   care), pick-up by family at the border, or a transitory shelter (F05) until the family is
   contacted (faster with a free phone line, F07), then the journey home (`return_home`).

How long each stay lasts and whether the family picks the child up come from the child's personal
draws, worked out when they departed (`sim.model.journey_plans`); which path follows screening, how
long its stay lasts and how it ends are the rules of `sim.model.stages.northern_rules`, which the
border also applies in bulk, without agents, at each point while no line forms there
(`northern_border_in_bulk`; `tests/regression/test_northern_border_in_bulk.py` checks that both give the
same tables).

Resources live at the repatriation points (`Child.point`): the care unit, the officers and the
shelter of the child's own point. A point with no care unit receives the child in its shelter,
holding a bed from the handover (`northern_rules.received_in_shelter`).

Rules for a full shelter (written once, here): a child who needs a bed when their point's shelter is
full (or has a line) is **transferred** to the nearest other point's shelter with a free bed and no
line, taken there by road (`road_days` between the points; the stay starts on arrival, and the
journey home then starts from there); with a places file only (the pooled north has no other
point). If no point has a free bed, the child **waits** at their own point: moving from the care
unit they keep the care-unit place until a bed frees (blocked); in holding (no care-unit place)
they wait there, within the holding limit, then go on without a bed: family contact, or the
protection route, from holding (the **overflow**, counted as held with adults).
"""

from __future__ import annotations

from collections.abc import Callable

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.codes import WHO_COLUMNS, Exit, Stage
from sim.model.custody import Custody
from sim.model.departures import Departures
from sim.model.geography import travel_days_between_points
from sim.model.journey_plans import arriving, return_travel_days
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters
from sim.model.resources import ResourceAtPoints, Visit
from sim.model.stages.crossing_again import CrossingAgain
from sim.model.stages.holding import Holding
from sim.model.stages.northern_border_in_bulk import NorthernBorderInBulk
from sim.model.stages.northern_rules import (
    EXIT_OF_PATH,
    STAGE_AFTER_SCREENING,
    days_of_stay,
    goes_home_after_stay,
    needs_a_bed,
    path_after_screening,
    received_in_shelter,
)
from sim.model.stages.screening import Screening

WHO_ORIGIN = WHO_COLUMNS.index("origin")


def _has_free_place(pool: object) -> bool:
    """Whether a pool would give a place at once (a free place and nobody in line)."""
    return pool.in_use < pool.capacity and not pool.n_waiting


class NorthernBorder:
    """The care, screening and placement of the children handed back at the northern border."""

    def __init__(self, p: Parameters, calendar: EventCalendar, ledger: Ledger, custody: Custody,
                 care_units: ResourceAtPoints, shelters: ResourceAtPoints, officers: ResourceAtPoints,
                 go_home: Callable[[Child, float], None], came_home: CrossingAgain) -> None:
        """`go_home(child, time)`: the journey home after family contact (`return_home`);
        `came_home` hears of every child reunified, who may cross again (`crossing_again`)."""
        self.p = p
        self.came_home = came_home
        self.calendar = calendar
        self.ledger = ledger
        self.custody = custody
        self.care_units = care_units
        self.shelters = shelters
        self.go_home = go_home
        self.screening = Screening(calendar, officers, p.officer_max_wait_days, self._after_screening,
                                   p.shortest_case_share)
        self.holding = Holding(calendar, p.max_days_waiting_in_holding)
        geography = p.geography
        # children handed back and not yet screened, by point (a transfer comes only at screening)
        self.unscreened_at = [0] * len(geography.points)
        self.transfers = not geography.pooled  # to another point's shelter (see the module's rules)
        if geography.pooled:
            self._transfer_days = self._home_days = None
        else:  # a transfer goes to the nearest point first
            self._transfer_days = travel_days_between_points(geography, p.road_distance_factor,
                                                             p.road_km_per_day)
            self._home_days = return_travel_days(p).tolist()
            self._nearest_first = [sorted((i for i in range(len(row)) if i != here), key=row.__getitem__)
                                   for here, row in enumerate(self._transfer_days)]
        # at each point while no line forms there, unaccompanied children are handled in bulk, not as agents
        self.in_bulk = NorthernBorderInBulk(ledger, custody, calendar, self)

    def expect(self, children: Departures) -> None:
        """A batch of Mexican children who will be handed back by the United States leave home.

        Unaccompanied children meet the border as agents. Accompanied children are handed over with
        their family and go home within hours, holding no place: they are counted in bulk.
        """
        ledger = self.ledger
        ledger.depart(children, Stage.ABROAD)
        alone = arriving(children.subset(~children.accompanied), self.p)
        if self.in_bulk.active:
            self.in_bulk.expect(alone)
        else:
            self.custody.meet_system(alone, Stage.ABROAD, self.receive)
        family = children.subset(children.accompanied)
        handed_over_at = family.reaches_border_at
        gone_home_at = handed_over_at + self.p.accompanied_processing_days
        ledger.move_in_bulk(family.child_id, Stage.ABROAD, Stage.HANDOVER, handed_over_at)
        ledger.move_in_bulk(family.child_id, Stage.HANDOVER, Stage.EXITED, gone_home_at)
        ledger.count_handovers_in_bulk(handed_over_at)
        ledger.record_in_bulk(family, Exit.RETURNED_WITH_FAMILY, apprehended_at=handed_over_at,
                              exited_at=gone_home_at)

    def receive(self, child: Child, now: float) -> None:
        """An unaccompanied child handed back by the United States arrives at the northern border."""
        child.apprehended_at = now
        self.unscreened_at[child.point] += 1
        self.ledger.count_handovers_today(1)
        self.ledger.enter_stage(child, Stage.CARE_UNIT, now)
        reception = self.care_units.serving(child)
        if received_in_shelter(reception.capacity):  # no care unit at this point
            reception = self.shelters.serving(child)
        visit = reception.request(child, now, self._admit_to_care_unit)
        if visit.waiting:  # screened from holding if no place comes in time
            self.holding.wait(visit, now, self.screening.screen)

    def _admit_to_care_unit(self, visit: Visit, now: float) -> None:
        child = visit.child
        child.place_visit = visit
        self.calendar.schedule(now + child.care_days, self.screening.screen, child)

    def _after_screening(self, child: Child, now: float) -> None:
        self.unscreened_at[child.point] -= 1
        child.path = path = path_after_screening(child.needs_detected, child.family_pickup)
        if not needs_a_bed(path):  # picked up by family at the border
            self._leave_care_unit(child, now)
            self.ledger.exit(child, EXIT_OF_PATH[path], now)
            self.came_home.came_home_one(child.who, now)
            return
        self.ledger.enter_stage(child, STAGE_AFTER_SCREENING[path], now)
        held = child.place_visit
        if held is not None and held.resource.code == self.shelters.code:  # received in the shelter
            self._start_stay(child, now)
            return
        shelter = self.shelters.serving(child)
        if not _has_free_place(shelter) and self._transfer_days is not None:
            elsewhere = self._nearest_with_a_free_bed(child.point)
            if elsewhere is not None:
                self._transfer(child, elsewhere, now)
                return
        visit = shelter.request(child, now, self._admit_to_bed)
        if visit.waiting:
            if child.place_visit is not None:
                child.transfer_visit = visit  # blocked: keeps the care-unit place meanwhile
            else:  # in holding (no care-unit place came in time); the stay goes on without a bed
                self.holding.wait(visit, now, self._start_stay)

    def _nearest_with_a_free_bed(self, point: int) -> int | None:
        pools = self.shelters.at
        return next((other for other in self._nearest_first[point] if _has_free_place(pools[other])), None)

    def _transfer(self, child: Child, point: int, now: float) -> None:
        """`child` is taken to the shelter of `point` (a bed free there now, held from now): the
        stay starts on arrival, and the journey home starts from there."""
        self.shelters.at[point].request(child, now, self._admit_to_transferred_bed)

    def _admit_to_transferred_bed(self, visit: Visit, now: float) -> None:
        child = visit.child
        self._leave_care_unit(child, now)
        child.place_visit = visit
        child.transfer_visit = None
        point = visit.resource.place
        child.return_travel_days = self._home_days[point][child.who[WHO_ORIGIN]]
        days = self._transfer_days[child.point][point]
        self.calendar.schedule(now + days, self._start_stay, child)

    def _leave_care_unit(self, child: Child, now: float) -> None:
        """Give back the place held at reception (a care-unit place, or a shelter bed)."""
        if child.place_visit is not None:
            child.place_visit.resource.release(child.place_visit, now)

    def _admit_to_bed(self, visit: Visit, now: float) -> None:
        child = visit.child
        self._leave_care_unit(child, now)
        child.place_visit = visit
        child.transfer_visit = None
        self._start_stay(child, now)

    def _start_stay(self, child: Child, now: float) -> None:
        days = days_of_stay(child.path, child.family_contact_days, child.protection_days)
        self.calendar.schedule(now + days, self.stay_ends, child)

    def stay_ends(self, child: Child, now: float) -> None:
        """The stay after screening ends (family contacted, or the protection route over): the
        child leaves the bed and goes home, or their journey ends."""
        if child.place_visit is not None:
            child.place_visit.resource.release(child.place_visit, now)
            child.place_visit = None
        if goes_home_after_stay(child.path):
            self.go_home(child, now)
            self.came_home.came_home_one(child.who, child.exited_at)
        else:
            self.ledger.exit(child, EXIT_OF_PATH[child.path], now)
