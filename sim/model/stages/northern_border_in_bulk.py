"""Northern border, a day at a time in bulk, at each repatriation point for as long as no line forms there.

While every care-unit place, officer and shelter bed asked for at the northern border is free when
asked for, an unaccompanied child's whole stay follows from their plan (`sim.model.journey_plans`) the
moment they arrive: care for `care_days`, screening at once, then the path, stay and end that the
northern border's rules give (`sim.model.stages.northern_rules`, the functions the border child by
child calls too). Children then never
wait for one another, so a day's stays can be worked out as numpy arrays, without making each
child a Mesa agent, and give the same tables as agents would (tested).

Each day, before anything happens, `NorthernBorderInBulk.run_day` checks, point by point, that every
request of the day finds its resource with a free place at the child's repatriation point, counting
the places held there by earlier children. At the points where it does, the day's arrivals, stays,
cases and exits are recorded in bulk. At a point where a request would find its resource full, the
children there become Mesa agents in the state they are in, and that point goes on child by child
(`sim.model.stages.northern_border`) for the rest of the run; the other points stay in bulk.

Points share one thing: a child at a point whose shelter is full is transferred to the nearest
other point's shelter with a free bed. So a point stays in bulk only while its shelter keeps, at
every moment of the day, a free bed for each child who might be transferred there that day (every
child not yet screened, or arriving today, at the points going child by child whose shelters can
fill that day; `_may_be_transferred`): then a
transfer finds a bed there whichever moment it comes, as it would child by child, and the point's
own children never wait. Places held there by transferred children are counted with the point's
own (`_held`: what bulk holds at each point, beside them).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.codes import WHO_COLUMNS, WHO_TYPES, Exit, Stage
from sim.model.custody import Custody
from sim.model.journey_plans import PLAN_COLUMNS, PLAN_TYPES
from sim.model.ledger import Ledger
from sim.model.resources import Resource, ResourceAtPoints, Visit
from sim.model.rows import ChildRow, StageRow, VisitRow
from sim.model.stages.crossing_again import CrossingAgain
from sim.model.stages.northern_rules import (
    EXIT_OF_PATH,
    STAGE_AFTER_SCREENING,
    days_home_after_stay,
    days_of_stay,
    goes_home_after_stay,
    needs_a_bed,
    path_after_screening,
    received_in_shelter,
)
from sim.model.stages.screening import FULL_CASE, Screening, officer_detects

#: Columns of the arrays of children handled in bulk: who they are, when they left and arrive,
#: their plan, then their stay as worked out when nobody waits.
#: `in_shelter`: received in the shelter (no care unit at the point); `bed_from`: when the child
#: takes a shelter bed (inf: never); `by_officer`: screened by an officer (one at the point).
COLUMNS = (*WHO_COLUMNS, "departed_at", "arrives_at", *PLAN_COLUMNS, "screened_at", "case_ends_at",
           "needs_detected", "path", "leaves_at", "exits_at", "in_shelter", "bed_from", "by_officer")
(CHILD_ID, POINT, DEPARTED_AT, ARRIVES_AT, SCREENED_AT, CASE_ENDS_AT, NEEDS_DETECTED, PATH, LEAVES_AT,
 EXITS_AT, IN_SHELTER, BED_FROM, BY_OFFICER) = (
    COLUMNS.index(name) for name in ("child_id", "point", "departed_at", "arrives_at", "screened_at",
                                     "case_ends_at", "needs_detected", "path", "leaves_at", "exits_at",
                                     "in_shelter", "bed_from", "by_officer"))
PLAN = slice(COLUMNS.index(PLAN_COLUMNS[0]), COLUMNS.index(PLAN_COLUMNS[-1]) + 1)
WHO = slice(0, len(WHO_COLUMNS))
_EXIT_OF_PATH = np.array(EXIT_OF_PATH)
#: Columns of officers' open cases.
CASE_CHILD, CASE_STARTED, CASE_ENDS, CASE_POINT = 0, 1, 2, 3
CASE_COLUMNS = [CHILD_ID, SCREENED_AT, CASE_ENDS_AT, POINT]
#: How often the rows of children who have left custody are written.
WRITE_EVERY_DAYS = 30


class CaseFile:
    """The case of a child who has left custody while an officer still works on it (only their id
    is needed, for the officer's visit record)."""

    __slots__ = ("unique_id",)

    def __init__(self, child_id: int) -> None:
        self.unique_id = child_id


class ChildByChild(Protocol):
    """What the northern border does child by child, once the children are agents."""

    care_units: ResourceAtPoints
    shelters: ResourceAtPoints
    screening: Screening
    came_home: CrossingAgain
    transfers: bool
    unscreened_at: list[int]

    def receive(self, child: Child, now: float) -> None: ...
    def stay_ends(self, child: Child, now: float) -> None: ...


class NorthernBorderInBulk:
    """The northern border's unaccompanied children, in bulk, while no line forms."""

    def __init__(self, ledger: Ledger, custody: Custody, calendar: EventCalendar,
                 border: ChildByChild) -> None:
        self.ledger = ledger
        self.custody = custody
        self.calendar = calendar
        self.border = border
        self.active = True  # some point is in bulk (set off before a run: every point child by child)
        n_points = len(border.shelters.at)
        self.in_bulk_at = np.ones(n_points, dtype=bool)  # by point
        resources = (border.care_units, border.screening.officers, border.shelters)
        self._held = {resource.code: np.zeros(n_points, dtype=np.int64) for resource in resources}
        # when children at points going child by child arrive (sorted), and where
        self._agents_arriving = (np.empty(0), np.empty(0, dtype=np.int64))
        self._on_the_way = np.empty((0, len(COLUMNS)))  # left home, not handed over; by arrival time
        self._in_custody = np.empty((0, len(COLUMNS)))  # handed over, not yet gone
        self._cases = np.empty((0, 4))  # officers' open cases
        self._gone: list[np.ndarray] = []  # children gone from custody, rows not yet written
        self._closed: list[np.ndarray] = []  # officers' cases closed, rows not yet written

    @property
    def n_in_custody(self) -> int:
        """Children in the northern border's care units and shelters, handled in bulk."""
        return int(self._in_custody.shape[0])

    # --- arrivals --------------------------------------------------------------------------------
    def expect(self, children: dict[str, np.ndarray]) -> None:
        """Unaccompanied children who will be handed back (see `sim.model.journey_plans.arriving`): their
        stays when nobody waits are worked out at once."""
        at_agent_points = ~self.in_bulk_at[children["point"]]
        if at_agent_points.any():
            self._to_agents({name: column[at_agent_points] for name, column in children.items()})
            children = {name: column[~at_agent_points] for name, column in children.items()}
        n = children["child_id"].size
        if not n:
            return
        table = np.empty((n, len(COLUMNS)))
        for i, name in enumerate(COLUMNS[: PLAN.stop]):
            table[:, i] = children[name]
        point = children["point"]
        border = self.border
        by_officer = _capacities(border.screening.officers)[point] > 0
        in_shelter = received_in_shelter(_capacities(border.care_units)[point])
        screened = table[:, ARRIVES_AT] + children["care_days"]
        table[:, SCREENED_AT] = screened
        table[:, CASE_ENDS_AT] = screened + children["case_days"]
        # no line here: officers give full cases
        detected = np.where(by_officer, officer_detects(children["case_share_to_detect"], FULL_CASE),
                            children["detected_by_agent"])
        table[:, NEEDS_DETECTED] = detected
        path = path_after_screening(detected, children["family_pickup"])
        table[:, PATH] = path
        stay = days_of_stay(path, children["family_contact_days"], children["protection_days"])
        table[:, LEAVES_AT] = leaves = screened + stay
        table[:, EXITS_AT] = leaves + days_home_after_stay(path, children["return_travel_days"])
        table[:, IN_SHELTER] = in_shelter
        table[:, BED_FROM] = np.where(in_shelter, table[:, ARRIVES_AT],
                                      np.where(needs_a_bed(path), screened, np.inf))
        table[:, BY_OFFICER] = by_officer
        table = np.concatenate([self._on_the_way, table])
        self._on_the_way = table[np.argsort(table[:, ARRIVES_AT], kind="stable")]

    # --- one day ---------------------------------------------------------------------------------
    def run_day(self, day: int) -> None:
        """Count the day's events in bulk at the points where every request of the day finds a
        free place; at the others, hand the children to the agents (`_become_agents`). The rows
        of children who have left custody are written later, many days at once (`write_records`)."""
        start, end = float(day), float(day + 1)
        times, points = self._agents_arriving
        arrived = int(np.searchsorted(times, start))  # at points going child by child, before today
        if arrived:
            self._agents_arriving = times[arrived:], points[arrived:]
        while True:  # each point handed to the agents may transfer children to the others
            arriving = int(np.searchsorted(self._on_the_way[:, ARRIVES_AT], end))
            arrivals = self._on_the_way[:arriving]
            here = np.concatenate([self._in_custody, arrivals]) if arriving else self._in_custody
            screened_at, leaves_at, path = here[:, SCREENED_AT], here[:, LEAVES_AT], here[:, PATH]
            point, bed_from = here[:, POINT].astype(np.int64), here[:, BED_FROM]
            screened = (screened_at >= start) & (screened_at < end)
            in_care = here[:, IN_SHELTER] == 0  # received in a care unit, not in the shelter
            uses_bed = bed_from < np.inf
            leaves = leaves_at < end
            arrived = np.zeros(here.shape[0], dtype=bool)
            arrived[here.shape[0] - arriving:] = True
            cases = self._cases
            closing = cases[:, CASE_ENDS] < end
            new_cases = screened & (here[:, BY_OFFICER] == 1)
            new_closing = new_cases & (here[:, CASE_ENDS_AT] < end)
            border = self.border
            care, officers, shelters = border.care_units, border.screening.officers, border.shelters
            care_asks, care_frees = arrived & in_care, screened & in_care
            bed_asks, bed_frees = uses_bed & (bed_from >= start) & (bed_from < end), uses_bed & leaves
            waits = (_waits_at_points(care, point[care_asks], here[care_asks, ARRIVES_AT],
                                      point[care_frees], screened_at[care_frees])
                     | _waits_at_points(officers, point[new_cases], screened_at[new_cases],
                                        np.concatenate([cases[closing, CASE_POINT], point[new_closing]]),
                                        np.concatenate([cases[closing, CASE_ENDS],
                                                        here[new_closing, CASE_ENDS_AT]]))
                     | _waits_at_points(shelters, point[bed_asks], bed_from[bed_asks],
                                        point[bed_frees], leaves_at[bed_frees],
                                        margin=self._may_be_transferred(end)))
            waits &= self.in_bulk_at
            if not waits.any():
                break
            self._become_agents(start, waits)
            if not self.active:
                return
        self._on_the_way = self._on_the_way[arriving:]
        self._count(arriving, path[screened], path[leaves],
                    here[leaves & goes_home_after_stay(path), EXITS_AT])
        if leaves.any():
            reunified = leaves & (_EXIT_OF_PATH[path.astype(np.int64)] == Exit.REUNIFIED)
            border.came_home.came_home(here[reunified][:, WHO], here[reunified, EXITS_AT])
            self._gone.append(here[leaves])
            self._in_custody = here[~leaves]
        else:
            self._in_custody = here
        kept = new_cases & ~new_closing
        if closing.any() or new_closing.any():
            self._closed.append(cases[closing])
            self._closed.append(here[new_closing][:, CASE_COLUMNS])
            cases = cases[~closing]
        if kept.any():
            cases = np.concatenate([cases, here[kept][:, CASE_COLUMNS]])
        self._cases = cases
        still = self._in_custody
        still_point = still[:, POINT].astype(np.int64)
        self._hold(care, still_point[(still[:, IN_SHELTER] == 0) & (still[:, SCREENED_AT] >= end)])
        self._hold(officers, cases[:, CASE_POINT].astype(np.int64))
        self._hold(shelters, still_point[still[:, BED_FROM] < end])
        if day % WRITE_EVERY_DAYS == 0:
            self.write_records()

    def _hold(self, resource: ResourceAtPoints, points: np.ndarray) -> None:
        """Bulk holds one place at each entry of `points` (the point of each place held) at the
        end of the day: each point's places in use change by what bulk holds more or less there
        (places held by agents, transferred here, stay counted)."""
        held = self._held[resource.code]
        holds = np.bincount(points, minlength=held.size)
        for point in np.flatnonzero(holds != held).tolist():
            resource.at[point].in_use += int(holds[point] - held[point])
        self._held[resource.code] = holds

    def _may_be_transferred(self, end: float) -> int:
        """How many children might be transferred today from the points going child by child to
        a shelter of a point in bulk.

        A child is transferred at most once, at screening, and only if their own point's shelter
        has no free bed then. The children who may ask for a bed today at a point going child by
        child are those not yet screened there (`unscreened_at`) or arriving there today, and those
        transferred there from points whose shelters can fill. A shelter can fill today if it has a
        line, or fewer free beds than the children who may ask there; the children not yet screened
        or arriving at the points whose shelters can fill bound the transfers."""
        if self.in_bulk_at.all() or not self.border.transfers:
            return 0
        times, points = self._agents_arriving
        today = np.bincount(points[: int(np.searchsorted(times, end))], minlength=self.in_bulk_at.size)
        own = (np.asarray(self.border.unscreened_at) + today).tolist()
        pools = self.border.shelters.at
        agent_points = np.flatnonzero(~self.in_bulk_at).tolist()
        filling = {point for point in agent_points if pools[point].n_waiting}
        while True:  # transfers from a shelter that can fill may fill another
            from_filling = sum(own[point] for point in filling)
            more = {point for point in agent_points if point not in filling
                    and pools[point].capacity - pools[point].in_use < own[point] + from_filling}
            if not more:
                return from_filling
            filling |= more

    def _to_agents(self, children: dict[str, np.ndarray]) -> None:
        """Children of points going child by child meet the system as agents when they arrive."""
        self.custody.meet_system(children, Stage.ABROAD, self.border.receive)
        times = np.concatenate([self._agents_arriving[0], children["arrives_at"]])
        points = np.concatenate([self._agents_arriving[1], children["point"].astype(np.int64)])
        order = np.argsort(times, kind="stable")
        self._agents_arriving = times[order], points[order]

    def _count(self, n_arrived: int, screened: np.ndarray, gone: np.ndarray, home_at: np.ndarray) -> None:
        """The day's moves between stages, counted: `screened` and `gone` are the paths of the
        children screened and leaving custody today, `home_at` when those going home arrive."""
        ledger = self.ledger
        counts = ledger.n_in_stage
        paths = len(STAGE_AFTER_SCREENING)
        counts[Stage.ABROAD] -= n_arrived
        counts[Stage.CARE_UNIT] += n_arrived - screened.size
        for path, n in enumerate(np.bincount(screened.astype(np.int64), minlength=paths).tolist()):
            if needs_a_bed(path):
                counts[STAGE_AFTER_SCREENING[path]] += n
            else:  # picked up: the journey ends
                ledger.n_exited += n
        for path, n in enumerate(np.bincount(gone.astype(np.int64), minlength=paths).tolist()):
            if needs_a_bed(path):  # the others left at screening
                counts[STAGE_AFTER_SCREENING[path]] -= n
                if goes_home_after_stay(path):
                    counts[Stage.RETURN_TRAVEL] += n
                else:
                    ledger.n_exited += n
        ledger.count_handovers_today(n_arrived)
        if home_at.size:
            ledger.count_moves(home_at, Stage.RETURN_TRAVEL, Stage.EXITED)

    def write_records(self) -> None:
        """Write the rows of the children who have left custody and of the officers' closed cases:
        their stage entries, their visits and their children rows."""
        ledger, border = self.ledger, self.border
        if self._gone:
            gone = np.concatenate(self._gone) if len(self._gone) > 1 else self._gone[0]
            self._gone = []
            child_id, path = gone[:, CHILD_ID], gone[:, PATH]
            after_screening = np.array(STAGE_AFTER_SCREENING)[path.astype(np.int64)]
            home, bed = goes_home_after_stay(path), needs_a_bed(path)
            protected = bed & ~home
            in_care, uses_bed, point = gone[:, IN_SHELTER] == 0, gone[:, BED_FROM] < np.inf, gone[:, POINT]
            ledger.record_moves(child_id, np.full(child_id.size, int(Stage.CARE_UNIT)), gone[:, ARRIVES_AT])
            ledger.record_moves(child_id, after_screening, gone[:, SCREENED_AT])
            ledger.record_moves(child_id[home], np.full(np.count_nonzero(home), int(Stage.RETURN_TRAVEL)),
                               gone[home, LEAVES_AT])
            ledger.record_moves(child_id[protected], np.full(np.count_nonzero(protected), int(Stage.EXITED)),
                               gone[protected, LEAVES_AT])
            ledger.record_moves(child_id[home], np.full(np.count_nonzero(home), int(Stage.EXITED)),
                               gone[home, EXITS_AT])
            self._write_visits(border.care_units.code, child_id[in_care], gone[in_care, ARRIVES_AT],
                               gone[in_care, SCREENED_AT], point[in_care])
            self._write_visits(border.shelters.code, child_id[uses_bed], gone[uses_bed, BED_FROM],
                               gone[uses_bed, LEAVES_AT], point[uses_bed])
            how = np.array(EXIT_OF_PATH)[path.astype(np.int64)]
            ledger.children.extend(self._child_columns(gone, gone[:, NEEDS_DETECTED], gone[:, BY_OFFICER],
                                                       how, gone[:, EXITS_AT]))
        if self._closed:
            closed = np.concatenate(self._closed)
            self._closed = []
            self._write_visits(border.screening.officers.code, closed[:, CASE_CHILD], closed[:, CASE_STARTED],
                               closed[:, CASE_ENDS], closed[:, CASE_POINT])

    def _write_visits(self, code: int, child_id: np.ndarray, started: np.ndarray, ended: np.ndarray,
                      place: np.ndarray) -> None:
        """Visits given at once when asked for, from `started` to `ended`, at the points `place`."""
        if child_id.size:
            self.ledger.visits.extend(VisitRow(child_id, np.full(child_id.size, code), started, started,
                                               ended, place))

    def _child_columns(self, children: np.ndarray, needs_detected: np.ndarray | float,
                       screened_by_officer: np.ndarray | float, how: np.ndarray | float,
                       exits_at: np.ndarray | float, handed_over: bool = True) -> ChildRow:
        """Children-table columns of `children` (rows of the arrays handled in bulk)."""
        n = children.shape[0]
        no = np.zeros(n)
        return ChildRow(*children[:, WHO].T, screened_by_officer=np.broadcast_to(screened_by_officer, n),
                        needs_detected=np.broadcast_to(needs_detected, n), held_with_adults=no, detained=no,
                        diverted_to_detention=no,
                        departed_at=children[:, DEPARTED_AT],
                        apprehended_at=children[:, ARRIVES_AT] if handed_over else np.full(n, np.nan),
                        exit=np.broadcast_to(how, n), exited_at=np.broadcast_to(exits_at, n))

    def _rows_so_far(self, now: float,
                     here: np.ndarray | None = None) -> tuple[list[StageRow], list[VisitRow]]:
        """The stage entries and the ended visits, up to `now`, of the children still in custody
        (`here`: some of them; their rows are written once they leave)."""
        here = self._in_custody if here is None else here
        border = self.border
        screened = here[:, SCREENED_AT] < now
        stages = [StageRow(child_id, int(Stage.CARE_UNIT), at)
                  for child_id, at in here[:, [CHILD_ID, ARRIVES_AT]].tolist()]
        stages += [StageRow(child_id, int(STAGE_AFTER_SCREENING[int(path)]), at)
                   for child_id, path, at in here[screened][:, [CHILD_ID, PATH, SCREENED_AT]].tolist()]
        cared = screened & (here[:, IN_SHELTER] == 0)  # care-unit places given back
        visits = [VisitRow(child_id, border.care_units.code, arrived, arrived, screened_at, int(point))
                  for child_id, arrived, screened_at, point
                  in here[cared][:, [CHILD_ID, ARRIVES_AT, SCREENED_AT, POINT]].tolist()]
        return stages, visits

    # --- from bulk to agents ---------------------------------------------------------------------
    def _become_agents(self, now: float, points: np.ndarray) -> None:
        """From `now` on, the northern border goes child by child at `points` (a mask by point):
        the children in its care there become agents in the state they are in, with what is due to
        them scheduled; the cases officers still work on there stay open; the children on their
        way there will arrive as agents."""
        ledger, border, calendar = self.ledger, self.border, self.calendar
        self.in_bulk_at &= ~points
        self.active = bool(self.in_bulk_at.any())
        self.write_records()
        switching = points[self._in_custody[:, POINT].astype(np.int64)]
        here = self._in_custody[switching]
        stages, visits = self._rows_so_far(now, here)
        ledger.stage_rows.flush()
        for row in stages:
            ledger.stage_rows.add(row)
        for row in visits:
            ledger.visit_rows.add(row)
        ledger.record_moves_made(now)  # a child's stage rows to come must follow these
        agents: dict[int, Child] = {}
        for row in here.tolist():
            screened_at, point = row[SCREENED_AT], int(row[POINT])
            shelter = border.shelters.at[point]
            if screened_at >= now:
                stage, holds_since = Stage.CARE_UNIT, row[ARRIVES_AT]
                place = shelter if row[IN_SHELTER] else border.care_units.at[point]
            else:
                stage = STAGE_AFTER_SCREENING[int(row[PATH])]
                place, holds_since = shelter, row[BED_FROM]
            child = self.custody.new_child(_who(row), stage, row[DEPARTED_AT], _plan(row))
            child.apprehended_at = row[ARRIVES_AT]
            child.place_visit = _held(child, place, holds_since)
            agents[child.unique_id] = child
            if stage is Stage.CARE_UNIT:
                border.unscreened_at[point] += 1
                calendar.schedule(screened_at, border.screening.screen, child)
            else:
                child.screened_by_officer = bool(row[BY_OFFICER])
                child.needs_detected = bool(row[NEEDS_DETECTED])
                child.path = int(row[PATH])
                calendar.schedule(row[LEAVES_AT], border.stay_ends, child)
        officers = border.screening.officers
        switching_cases = points[self._cases[:, CASE_POINT].astype(np.int64)]
        for child_id, started_at, ends_at, point in self._cases[switching_cases].tolist():
            holder = agents.get(int(child_id)) or CaseFile(int(child_id))
            pool = officers.at[int(point)]
            calendar.schedule(ends_at, pool.release, _held(holder, pool, started_at))
        self._in_custody = self._in_custody[~switching]
        self._cases = self._cases[~switching_cases]
        for held in self._held.values():  # the places held there are the agents' now
            held[points] = 0
        on_the_way = self._on_the_way
        arriving_there = points[on_the_way[:, POINT].astype(np.int64)]
        self._on_the_way = on_the_way[~arriving_there]
        if arriving_there.any():
            self._to_agents({name: on_the_way[arriving_there, i]
                             for i, name in enumerate(COLUMNS[: PLAN.stop])})

    # --- what the tables show while in bulk --------------------------------------------------------
    def rows_still_here(self, now: float) -> list[ChildRow]:
        """Children rows of the children in custody, as things stand at `now`."""
        here = self._in_custody
        screened = here[:, SCREENED_AT] < now
        by_officer = here[:, BY_OFFICER] * screened  # once screened
        columns = self._child_columns(here, here[:, NEEDS_DETECTED] * screened, by_officer, float(Exit.NONE),
                                      np.nan)
        return list(map(ChildRow._make, zip(*(column.tolist() for column in columns), strict=True)))

    def rows_on_the_way(self, now: float) -> list[ChildRow]:
        """Children rows of the children who have left home and are not yet handed over."""
        gone = self._on_the_way[self._on_the_way[:, DEPARTED_AT] < now]
        columns = self._child_columns(gone, 0.0, 0.0, float(Exit.NONE), np.nan, handed_over=False)
        return list(map(ChildRow._make, zip(*(column.tolist() for column in columns), strict=True)))

    def stage_rows_so_far(self, now: float) -> list[StageRow]:
        """Stage entries so far of the children still in custody."""
        return self._rows_so_far(now)[0]

    def visit_rows_so_far(self, now: float) -> list[VisitRow]:
        """Visits so far of the children still in custody (care places given back, and places still
        held) and officers' open cases."""
        here, cases, border = self._in_custody, self._cases, self.border
        in_care = (here[:, SCREENED_AT] >= now) & (here[:, IN_SHELTER] == 0)
        in_bed = here[:, BED_FROM] < now
        rows = self._rows_so_far(now)[1]
        rows += [VisitRow(child_id, border.care_units.code, at, at, np.nan, int(point))
                 for child_id, at, point in here[in_care][:, [CHILD_ID, ARRIVES_AT, POINT]].tolist()]
        rows += [VisitRow(child_id, border.shelters.code, at, at, np.nan, int(point))
                 for child_id, at, point in here[in_bed][:, [CHILD_ID, BED_FROM, POINT]].tolist()]
        rows += [VisitRow(child_id, border.screening.officers.code, at, at, np.nan, int(point))
                 for child_id, at, _, point in cases.tolist()]
        return rows


def _capacities(resource: ResourceAtPoints) -> np.ndarray:
    """The places of a northern resource at each point."""
    return np.array([pool.capacity for pool in resource.at], dtype=np.int64)


def _waits_at_points(resource: ResourceAtPoints, request_points: np.ndarray, requests: np.ndarray,
                     release_points: np.ndarray, releases: np.ndarray, margin: int = 0) -> np.ndarray:
    """The points (a mask) where one of a day's `requests` (times, at `request_points`) would find no
    free place, given the places in use there at the day's start and the day's `releases` there; or,
    with `margin`, where `margin` places would not stay free all day beside them."""
    pools = resource.at
    waits = np.zeros(len(pools), dtype=bool)
    if len(pools) == 1:
        waits[0] = not _fits(pools[0], requests, releases, margin)
        return waits
    asked = np.bincount(request_points.astype(np.int64), minlength=len(pools)).tolist()
    for point, (pool, n) in enumerate(zip(pools, asked, strict=True)):
        if (n or margin) and pool.in_use + n + margin > pool.capacity:
            waits[point] = not _fits(pool, requests[request_points == point],
                                     releases[release_points == point], margin)
    return waits


def _fits(resource: Resource, requests: np.ndarray, releases: np.ndarray, margin: int = 0) -> bool:
    """Whether each of a day's `requests` (times) finds a free place, given the places in use at the
    day's start and the day's `releases` (times); with `margin`, whether `margin` places more stay
    free at every moment of the day as well."""
    in_use, capacity = resource.in_use, resource.capacity
    if in_use + requests.size + margin <= capacity:  # even with no place given back
        return True
    if margin and in_use + margin > capacity:
        return False
    if not requests.size:
        return True
    requests = np.sort(requests)
    before = in_use + np.arange(requests.size) - np.searchsorted(np.sort(releases), requests)
    return bool(before.max() + margin < capacity)


def _held(holder: object, resource: Resource, since: float) -> Visit:
    """A place `holder` has held since `since` (asked for and given at once)."""
    visit = Visit(holder, resource, since, None)
    visit.started_at = since
    return visit


def _who(row: list[float]) -> tuple:
    return tuple(kind(value) for kind, value in zip(WHO_TYPES, row[WHO], strict=True))


def _plan(row: list[float]) -> tuple:
    return tuple(kind(value) for kind, value in zip(PLAN_TYPES, row[PLAN], strict=True))
