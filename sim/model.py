"""The Amparo model: children moving through origin, transit and border stages.

Time is continuous, in days. The Mesa step is one day; within a day, the model touches a child only
when something happens to them (a stay ends, a place frees), in time order, from one model-level
event calendar. A day's departing children are drawn as one numpy batch; a child becomes a Mesa
agent only when they meet the protection system (handed back unaccompanied at the northern border,
apprehended in transit) and leaves the Mesa model the moment they exit. Children who never meet the
system (accompanied children handed over with their family, children who cross Mexico unapprehended)
are never agents: their whole path is known at departure, so they are recorded as a batch and their
moves between stages are counted per day.

The model does no input or output and draws no charts: `tables()` returns plain column tables
(children, visits to resources, stage entries, daily stocks) from which `sim.outcomes` derives
every reported number. Records are appended as plain rows and compacted into small numpy columns
every few thousand rows (`Records`), so memory grows by a few dozen bytes per child, not by Python
objects.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.child import Child, Exit, Route, Stage
from sim.parameters import DAYS_PER_YEAR, Parameters
from sim.random_streams import RandomStreams
from sim.records import CHUNK_ROWS, ColumnStorage, Records, Table, column_type, rows_as_matrix
from sim.resources import AlternativeCare, CareUnit, ChildProtectionOfficer, MigrationStation, Shelter
from sim.stages.northern_border import NorthernBorder
from sim.stages.origin import Origin
from sim.stages.return_home import ReturnHome
from sim.stages.screening import Screening
from sim.stages.southern_border import SouthernBorder
from sim.stages.transit import Transit

if TYPE_CHECKING:
    from sim.stages.origin import Departures

NAN = float("nan")
Event = tuple[float, int, Callable[[Any, float], None], Any]

#: Resource names, in the order of their codes in the visit table.
RESOURCE_NAMES = ("officers_north", "officers_south", "care_units", "shelters",
                  "migration_stations", "alternative_care")

CHILD_COLUMNS = ("child_id", "route", "origin", "age", "girl", "accompanied", "reason",
                 "far_from_border", "trafficking_victim", "in_need_of_protection",
                 "harmed_in_transit", "screened_by_officer", "needs_detected", "held_with_adults",
                 "detained", "departed_at", "apprehended_at", "exit", "exited_at")
VISIT_COLUMNS = ("child_id", "resource", "requested_at", "started_at", "ended_at")
STAGE_COLUMNS = ("child_id", "stage", "entered_at")
#: How often the stage rows of children counted in bulk are moved into the stage records.
MOVES_RECORDED_EVERY_DAYS = 30


class AmparoModel(mesa.Model):
    """Child migration through origin, transit and the northern and southern borders."""

    def __init__(self, parameters: Parameters | None = None, seed: int = 0, years: float = 1.0,
                 record_storage: ColumnStorage | None = None) -> None:
        """`record_storage` makes the store of each table's records (default: in memory; see
        `sim.records` and `sim.record_spool`)."""
        super().__init__(rng=seed)
        self.parameters = p = parameters or Parameters()
        self.seed = seed
        self.streams = RandomStreams(seed)
        self.warmup_days = p.warmup_days
        self.end_day = p.warmup_days + int(round(years * DAYS_PER_YEAR))
        self.day = 0
        self.now = 0.0
        # the event calendar: today's events in a heap, later ones in one list per day (heapified
        # when their day comes), so the heap stays small; order is by time, ties by scheduling order
        self._events: list[Event] = []
        self._later: dict[int, list[Event]] = {}
        self._sequence = itertools.count()

        # records, one row each (see tables()), with room for the rows expected
        per_day = (p.mexican_departures_per_year * p.share_of_mexican_departures_returned_by_united_states
                   + p.central_american_departures_per_year) * p.arrival_multiplier / DAYS_PER_YEAR
        expected = int(per_day * self.end_day * 1.1) + CHUNK_ROWS
        self.visits = Records(VISIT_COLUMNS, expected * 2, record_storage)
        self.stages = Records(STAGE_COLUMNS, expected * 4, record_storage)
        self.children = Records(CHILD_COLUMNS, expected, record_storage)
        self.visit_records = self.visits.rows
        self.stage_records = self.stages.rows
        self.child_records = self.children.rows
        self.daily_records: list[tuple] = []
        self.n_in_stage = [0] * len(Stage)
        self.n_created = 0
        self.n_exited = 0
        # moves of children counted in bulk, by the day they happen (applied at the day's end):
        # one column per stage, then exits, then accompanied handovers
        self._final_tables: dict[str, Table] | None = None
        self._moves_to_record: list[list[np.ndarray]] = []  # stage rows of bulk moves, see move_in_bulk
        self._bulk_changes = np.zeros((self.end_day, len(Stage) + 1), dtype=np.int64)
        self._departures_today = [0, 0, 0]  # Mexican, Mexican returned by the US, Central American
        self._handovers_today = [0, 0]  # accompanied, unaccompanied

        # resources (capacities from the parameters)
        records = self.visit_records
        capacity = resource_capacities(p)
        kinds = (ChildProtectionOfficer, ChildProtectionOfficer, CareUnit, Shelter, MigrationStation,
                 AlternativeCare)
        self.resources = tuple(kind(name, code, capacity[name], records)
                               for code, (name, kind) in enumerate(zip(RESOURCE_NAMES, kinds, strict=True)))
        (self.officers_north, self.officers_south, self.care_units, self.shelters,
         self.migration_stations, self.alternative_care) = self.resources

        # stages, in the order a child meets them
        self.origin = Origin(self)
        self.transit = Transit(self)
        self.northern_border = NorthernBorder(self, self.care_units, self.shelters,
                                              Screening(self, self.officers_north))
        self.southern_border = SouthernBorder(self, self.migration_stations, self.alternative_care,
                                              Screening(self, self.officers_south))
        self.return_home = ReturnHome(self)
        if self.warmup_days == 0:
            self._start_measuring()

    # --- the schedule ------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day.

        1. Origin: today's departures are drawn as one batch with all their personal draws and set
           on their way (abroad, or in transit through Mexico).
        2. Events: everything due before the end of the day happens in time order: handovers at
           the northern border, apprehensions in transit, the end of care, screening, stays in
           shelters, stations and alternative care, returns and reunifications. A freed place goes
           at once to the first child waiting for it. Children counted in bulk move between
           stages at the end of the day.
        3. Stocks: children in each stage and in (or waiting for) each resource are recorded.
        4. When the warm-up ends, resource statistics start counting; the run stops after the
           measured years.
        """
        day = self.day
        self.origin.depart(day)
        self._process_events_until(day + 1.0)
        self._apply_bulk_changes(day)
        if self.day % MOVES_RECORDED_EVERY_DAYS == 0:
            self.stages.extend(self._moves_due(self.now))
        for records in (self.visits, self.stages, self.children):
            records.compact_if_full()
        self.day = day + 1
        self.now = float(self.day)
        if day >= self.warmup_days:
            self._record_day(day)
        self._departures_today = [0, 0, 0]
        self._handovers_today = [0, 0]
        if self.day == self.warmup_days:
            self._start_measuring()
        if self.day >= self.end_day:
            self.running = False
            for resource in self.resources:
                resource.finish_measuring(self.now)

    def run(self) -> None:
        """Run the warm-up and the measured years.

        A run makes no reference cycles (an exiting child drops its visits; tested), so Python's
        cyclic garbage collector, which would otherwise scan every young object thousands of times
        a simulated year for nothing (a quarter of the run time), is paused meanwhile. Reference
        counting frees every finished child at once, as always.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            while self.running:
                self.step()
        finally:
            if collecting:
                gc.enable()

    def schedule(self, time: float, action: Callable[[Any, float], None], subject: Any) -> None:
        """Make `action(subject, time)` happen at `time` (ties: in the order they were scheduled)."""
        day = int(time)
        if day > self.day:
            later = self._later.get(day)
            if later is None:
                self._later[day] = [(time, next(self._sequence), action, subject)]
            else:
                later.append((time, next(self._sequence), action, subject))
        else:
            heapq.heappush(self._events, (time, next(self._sequence), action, subject))

    def _process_events_until(self, end: float) -> None:
        events = self._events
        later = self._later.pop(self.day, None)
        if later:
            events.extend(later)
            heapq.heapify(events)
        pop = heapq.heappop
        while events:  # every event in the heap is due before `end`
            time, _, action, subject = pop(events)
            action(subject, time)

    def _pending_events(self) -> Iterator[Event]:
        yield from self._events
        for events in self._later.values():
            yield from events

    def _apply_bulk_changes(self, day: int) -> None:
        changes = self._bulk_changes[day].tolist()
        counts = self.n_in_stage
        for stage in range(Stage.EXITED):
            counts[stage] += changes[stage]
        self.n_exited += changes[Stage.EXITED]
        self._handovers_today[0] += changes[Stage.EXITED + 1]

    def _start_measuring(self) -> None:
        for resource in self.resources:
            resource.start_measuring(float(self.warmup_days))

    # --- what stages call --------------------------------------------------------------------
    def new_child_ids(self, n: int) -> np.ndarray:
        """Ids for `n` departing children (the ids of every table; agents keep theirs)."""
        first = self.n_created
        self.n_created += n
        return np.arange(first, first + n, dtype=np.int64)

    def depart(self, children: Departures, stage: Stage) -> None:
        """A day's batch of `children` leave home into `stage` (abroad or in transit)."""
        self.n_in_stage[stage] += len(children)
        self.stages.extend([children.child_id, np.full(len(children), int(stage)), children.departed_at])

    def meet_system(self, children: Departures, receive: Callable[[Child, float], None]) -> None:
        """Each of `children` becomes a Mesa agent when they reach the border (`reaches_border_at`),
        and is then passed to `receive(child, time)`."""
        route = children.route
        stage = Stage.ABROAD if route is Route.NORTH else Stage.TRANSIT
        schedule, become = self.schedule, self._become_agent
        people = zip(children.child_id.tolist(), itertools.repeat(route), itertools.repeat(stage),
                     children.departed_at.tolist(), children.accompanied.tolist(), children.age.tolist(),
                     children.girl.tolist(), children.origin.tolist(), children.far_from_border.tolist(),
                     children.reason.tolist(), children.trafficking_victim.tolist(),
                     children.in_need_of_protection.tolist(), children.harmed_in_transit.tolist(),
                     children.chances.tolist(), children.normals.tolist())
        for time, who in zip(children.reaches_border_at.tolist(), people, strict=True):
            schedule(time, become, (receive, who))

    def _become_agent(self, arrival: tuple, now: float) -> None:
        receive, who = arrival
        receive(Child(self, *who), now)

    def move_in_bulk(self, child_id: np.ndarray, leaving: Stage, entering: Stage, times: np.ndarray) -> None:
        """Children counted in bulk move from stage `leaving` into `entering` (or exit) at `times`.

        The moves are counted at the end of the day they happen; their stage rows wait apart until
        the tables are read (`tables` keeps those that have happened by then)."""
        day = times.astype(np.int64)
        day = day[day < self.end_day]
        changes = self._bulk_changes
        np.subtract.at(changes[:, leaving], day, 1)
        np.add.at(changes[:, entering], day, 1)  # the column of EXITED counts exits
        self._moves_to_record.append([child_id, np.full(child_id.size, int(entering)), times])

    def _moves_due(self, now: float) -> list[np.ndarray]:
        """The stage rows of bulk moves made before `now`, as columns; later ones wait on."""
        moves = [np.concatenate(column) for column in zip(*self._moves_to_record, strict=True)]
        if not moves:
            return [np.empty(0, dtype=kind) for kind in map(column_type, STAGE_COLUMNS)]
        due = moves[2] < now
        self._moves_to_record = [[column[~due] for column in moves]]
        return [column[due] for column in moves]

    def count_handovers_in_bulk(self, times: np.ndarray) -> None:
        day = times.astype(np.int64)
        np.add.at(self._bulk_changes[:, Stage.EXITED + 1], day[day < self.end_day], 1)

    def record_in_bulk(self, children: Departures, how: Exit, apprehended_at: np.ndarray | None,
                       exited_at: np.ndarray) -> None:
        """The children's rows, written at departure: times still in the future when the tables are
        read show as not yet happened."""
        n = len(children)
        no = np.zeros(n, dtype=np.int8)
        self.children.extend([
            children.child_id, np.full(n, int(children.route)), children.origin, children.age,
            children.girl, children.accompanied, children.reason, children.far_from_border,
            children.trafficking_victim, children.in_need_of_protection, children.harmed_in_transit,
            no, no, no, no, children.departed_at,
            np.full(n, np.nan) if apprehended_at is None else apprehended_at, np.full(n, int(how)),
            exited_at])

    def enter_stage(self, child: Child, stage: Stage, now: float) -> None:
        """Move `child` into `stage` at time `now` and record it."""
        counts = self.n_in_stage
        counts[child.stage] -= 1
        counts[stage] += 1
        child.stage = stage
        child.stage_entered_at = now
        self.stage_records.append((child.unique_id, stage, now))

    def exit(self, child: Child, how: Exit, now: float) -> None:
        """`child`'s journey ends: record them and remove them from the Mesa model."""
        self.n_in_stage[child.stage] -= 1
        self.n_exited += 1
        child.stage = Stage.EXITED
        child.exit = how
        child.exited_at = now
        self.stage_records.append((child.unique_id, Stage.EXITED, now))
        self.child_records.append(_child_row(child))
        child.place_visit = child.transfer_visit = None  # no child <-> visit cycle outlives the child
        child.remove()

    def count_departures(self, mexican: int, mexican_returned: int, central_american: int) -> None:
        today = self._departures_today
        today[0] += mexican
        today[1] += mexican_returned
        today[2] += central_american

    def count_handover(self, child: Child) -> None:
        self._handovers_today[0 if child.accompanied else 1] += 1

    # --- records -----------------------------------------------------------------------------
    def _record_day(self, day: int) -> None:
        row = [day - self.warmup_days]
        row.extend(self.n_in_stage[: Stage.EXITED])
        for resource in self.resources:
            row.append(resource.in_use)
            row.append(resource.n_waiting)
        row.extend(self._departures_today)
        row.extend(self._handovers_today)
        self.daily_records.append(tuple(row))

    def tables(self) -> dict[str, Table]:
        """The run's records as column tables (numpy arrays), times in days from the run start.

        children: one row per child (those still in the system have exit 0 and exited_at NaN);
        visits: one row per request for a resource place (started_at NaN: left the line unserved;
        ended_at NaN: still there at the end); stages: one row per stage entered; daily: stocks at
        the end of each measured day and the day's flows. Identifiers are int32, codes and flags
        int8, times float64, daily counts int64. Once the run has finished the tables are built
        once and the model keeps only them.
        """
        if self._final_tables is not None:
            return self._final_tables
        final = not self.running
        still_here = [_child_row(agent) for agent in self.agents_by_type.get(Child, [])]
        not_yet_agents = [_row_before_meeting(subject[1]) for _, _, action, subject in self._pending_events()
                          if action == self._become_agent]
        children = self.children.table(still_here + not_yet_agents, final)
        now = self.now
        in_future = children["exited_at"] >= now  # rows written in bulk at departure
        children["exit"][in_future] = Exit.NONE
        children["exited_at"][in_future] = np.nan
        children["apprehended_at"][children["apprehended_at"] >= now] = np.nan
        open_visits = [row for resource in self.resources for row in resource.open_visit_rows()]
        visits = self.visits.table(open_visits, final)
        stages = self.stages.table([], final, extra_columns=self._moves_due(now))
        daily_matrix = rows_as_matrix(self.daily_records, daily_columns())
        daily = {name: daily_matrix[:, i].astype(np.int64) for i, name in enumerate(daily_columns())}
        tables = {"children": children, "visits": visits, "stages": stages, "daily": daily}
        if final:
            self._final_tables = tables
        return tables


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


def _child_row(child: Child) -> tuple:
    # enum members are ints: they go into the float matrix as they are
    return (child.unique_id, child.route, child.origin, child.age, child.girl, child.accompanied,
            child.reason, child.far_from_border, child.trafficking_victim,
            child.in_need_of_protection, child.harmed_in_transit, child.screened_by_officer,
            child.needs_detected, child.held_with_adults, child.detained, child.departed_at,
            child.apprehended_at, child.exit, child.exited_at)


def _row_before_meeting(who: list) -> tuple:
    """The row of a child still abroad or in transit who will meet the system (see `meet_system`)."""
    (child_id, route, _, departed_at, accompanied, age, girl, origin, far_from_border, reason,
     trafficking_victim, in_need_of_protection, harmed_in_transit, _, _) = who
    return (child_id, route, origin, age, girl, accompanied, reason, far_from_border, trafficking_victim,
            in_need_of_protection, harmed_in_transit, False, False, False, False, departed_at, NAN,
            Exit.NONE, NAN)


__all__ = ["AmparoModel", "CHILD_COLUMNS", "RESOURCE_NAMES", "Records", "Table", "daily_columns",
           "resource_capacities"]
