"""The Amparo model: children moving through origin, transit and border stages.

Time is continuous, in days. The Mesa step is one day; within a day, the model touches a child only
when something happens to them (a stay ends, a place frees), in time order, from one model-level
event calendar. Departing children are drawn in numpy batches of several days; a child becomes a
Mesa agent when they meet the protection system (handed back unaccompanied at the northern border,
apprehended in transit) and leaves the Mesa model the moment they leave its custody. Children who
never meet the system (accompanied children handed over with their family, children who cross
Mexico unapprehended) are never agents: their whole path is known at departure, so they are
recorded as a batch and their moves between stages are counted per day. Nor, while no line forms
there, are the northern border's children: their stays follow from their own draws and are worked
out a day at a time in bulk (`sim.model.stages.northern_border_in_bulk`).

The model does no input or output and draws no charts: `tables()` returns plain column tables
(children, visits to resources, stage entries, daily stocks) from which `sim.analysis.outcomes` derives
every reported number. Rows are gathered in flat buffers and compacted into small numpy columns
every few thousand rows (`sim.model.records.Records`), so memory grows by a few dozen bytes per child,
not by Python objects, or not at all when the records are kept on disk (`record_storage`).
"""
from __future__ import annotations

import gc
import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model.child import Child
from sim.model.codes import WHO_COLUMNS, WHO_TYPES, Exit, Stage
from sim.model.journey_plans import PLAN_COLUMNS, PLAN_TYPES
from sim.model.parameters import DAYS_PER_YEAR, Parameters, children_per_year
from sim.model.random_streams import RandomStreams
from sim.model.records import CHUNK_ROWS, ColumnStorage, Records, Table, column_type, rows_as_matrix
from sim.model.resources import (
    AlternativeCare,
    CareUnit,
    ChildProtectionOfficer,
    MigrationStation,
    Resource,
    Shelter,
)
from sim.model.row_buffer import RowBuffer
from sim.model.schema import (
    CHILD_COLUMNS,
    RESOURCE_NAMES,
    STAGE_COLUMNS,
    VISIT_COLUMNS,
    daily_columns,
    resource_capacities,
)
from sim.model.stages.northern_border import NorthernBorder
from sim.model.stages.origin import Origin
from sim.model.stages.return_home import ReturnHome
from sim.model.stages.southern_border import SouthernBorder
from sim.model.stages.transit import Transit

if TYPE_CHECKING:
    from sim.model.stages.origin import Departures

NAN = float("nan")
Event = tuple[float, int, Callable[[Any, float], None], Any]

#: How often the stage rows of children counted in bulk are moved into the stage records.
MOVES_RECORDED_EVERY_DAYS = 30
#: Days of departures drawn at a time (see `Origin.depart`).
DEPARTURE_DAYS_PER_BATCH = 16


class AmparoModel(mesa.Model):
    """Child migration through origin, transit and the northern and southern borders."""

    def __init__(self, parameters: Parameters | None = None, seed: int = 0, years: float = 1.0,
                 record_storage: ColumnStorage | None = None) -> None:
        """`record_storage` makes the store of each table's records (default: in memory; see
        `sim.model.records` and `sim.experiments.record_spool`)."""
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
        per_day = children_per_year(p) / DAYS_PER_YEAR
        expected = int(per_day * self.end_day * 1.1) + CHUNK_ROWS
        self.visits = Records(VISIT_COLUMNS, expected * 2, record_storage)
        self.stages = Records(STAGE_COLUMNS, expected * 4, record_storage)
        self.children = Records(CHILD_COLUMNS, expected, record_storage)
        # rows written one at a time (agents' stage entries, visits and exits) gather here first
        self.visit_rows = RowBuffer(self.visits)
        self.stage_rows = RowBuffer(self.stages)
        self.child_rows = RowBuffer(self.children)
        self.daily_records: list[tuple] = []
        self.n_in_stage = [0] * len(Stage)
        self.n_created = 0
        self.n_exited = 0
        # moves of children counted in bulk, by the day they happen (applied at the day's end):
        # one column per stage, then exits, then accompanied handovers
        self._final_tables: dict[str, Table] | None = None
        self._moves_to_record: list[list[np.ndarray]] = []  # stage rows of bulk moves, see move_in_bulk
        self._exits_by_day: dict[int, list[tuple]] = {}  # exits to come, by day: see exit_later
        self._bulk_changes = np.zeros((self.end_day, len(Stage) + 1), dtype=np.int64)
        # departures drawn ahead, by day: Mexican, Mexican returned by the US, Central American
        self._departures = np.zeros((self.end_day, 3), dtype=np.int64)
        self._created = np.zeros(self.end_day, dtype=np.int64)  # children departing, by day
        self._drawn_until = 0  # departures of the days before this one are drawn
        self._next_child_id = 0
        self._departing: list[list[np.ndarray]] = []  # departure rows not yet recorded (see depart)
        self._departing_day = np.empty(0, dtype=np.int64)
        self._handovers_today = [0, 0]  # accompanied, unaccompanied

        # resources (capacities from the parameters)
        records = self.visit_rows.add
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
        self.northern_border = NorthernBorder(self, self.care_units, self.shelters, self.officers_north)
        self.southern_border = SouthernBorder(self, self.migration_stations, self.alternative_care,
                                              self.officers_south)
        self.return_home = ReturnHome(self)

    # --- the schedule ------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day.

        1. Origin: every 16 days, the departures of the next 16 days are drawn (each day from its
           own random streams) as one batch with all their personal draws, and set on their way
           (abroad, or in transit through Mexico); each day's departures are recorded that day.
        2. The northern border, while no line has formed there, runs the day in bulk
           (`sim.model.stages.northern_border_in_bulk`); the first day one would form, its children
           become agents.
        3. Events: everything due before the end of the day happens in time order: handovers at
           the northern border, apprehensions in transit, the end of care, screening, stays in
           shelters, stations and alternative care, returns and reunifications. A freed place goes
           at once to the first child waiting for it. Children counted in bulk move between
           stages at the end of the day.
        4. Stocks: children in each stage and in (or waiting for) each resource are recorded,
           once the warm-up is over; the run stops after the measured years.
        """
        day = self.day
        if day >= self._drawn_until:
            self._drawn_until = min(day + DEPARTURE_DAYS_PER_BATCH, self.end_day)
            self.origin.depart(day, self._drawn_until)
            self._sort_departures()
        self._record_departures(day)
        if self.northern_border.in_bulk.active:
            self.northern_border.in_bulk.run_day(day)
        self._process_events_until(day + 1.0)
        self._apply_bulk_changes(day)
        exits = self._exits_by_day.pop(day, None)
        if exits:
            self._record_exits(exits)
        if self.day % MOVES_RECORDED_EVERY_DAYS == 0:
            self.stages.extend(self._moves_due(self.now))
        for rows in (self.visit_rows, self.stage_rows, self.child_rows):
            rows.flush_if_full()
            rows.records.compact_if_full()
        self.day = day + 1
        self.now = float(self.day)
        if day >= self.warmup_days:
            self._record_day(day)
        self._handovers_today = [0, 0]
        if self.day >= self.end_day:
            self.running = False

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

    # --- Mesa's agent registry -------------------------------------------------------------------
    def register_agent(self, agent: mesa.Agent) -> None:
        """Add `agent` to the model's agent sets (`agents`, `agents_by_type`), as Mesa does, but
        without Mesa's agent-added signal and debug log line, which nothing in Amparo observes:
        about 30,000 children a year become agents and leave, and with them an agent's
        registration and removal cost 4.0 µs, without them 1.6 (measured with Mesa 3.5.1, about
        a tenth of a run). Relies on Mesa 3.5's agent sets (pinned in pyproject.toml; tested)."""
        self._all_agents.add(agent)
        agent.unique_id = self.agent_id_counter
        self.agent_id_counter += 1
        agents_of_type = self._agents_by_type.get(type(agent))
        if agents_of_type is None:
            # the kind of set Mesa keeps its agents in (strong references)
            self._agents_by_type[type(agent)] = type(self._all_agents)([agent], random=self.random)
        else:
            agents_of_type.add(agent)

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """Remove `agent` from the model's agent sets (see `register_agent`)."""
        self._agents_by_type[type(agent)].remove(agent)
        self._all_agents.remove(agent)

    # --- the event calendar ----------------------------------------------------------------------
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
        self.n_created += int(self._created[day])

    # --- what stages call --------------------------------------------------------------------
    def new_child_ids(self, n: int, day: int) -> np.ndarray:
        """Ids for `n` children departing on `day` (the ids of every table; agents keep theirs).
        They count as created at the end of that day."""
        first = self._next_child_id
        self._next_child_id += n
        self._created[day] += n
        return np.arange(first, first + n, dtype=np.int64)

    def depart(self, children: Departures, stage: Stage) -> None:
        """A batch of `children` leave home into `stage` (abroad or in transit), each at their
        `departed_at` (counted, like every move in bulk, at the end of that day)."""
        np.add.at(self._bulk_changes[:, stage], children.departed_at.astype(np.int64), 1)
        self._departing.append([children.child_id, np.full(len(children), int(stage)), children.departed_at])

    def _sort_departures(self) -> None:
        """Put the departure rows of the batch just drawn in the order children leave: day by day,
        a day's northern children first (each day's rows are written as the day starts, before
        anything else happens to its children)."""
        if not self._departing:
            return
        child_id, stage, departed_at = (np.concatenate(column)
                                        for column in zip(*self._departing, strict=True))
        day = departed_at.astype(np.int64)
        order = np.lexsort((departed_at, stage, day))  # ABROAD (north) sorts before TRANSIT (south)
        self._departing = [[child_id[order], stage[order], departed_at[order]]]
        self._departing_day = day[order]

    def _record_departures(self, day: int) -> None:
        if not self._departing:
            return
        end = int(np.searchsorted(self._departing_day, day, side="right"))
        if end:
            rows = self._departing[0]
            self.stages.extend([column[:end] for column in rows])
            self._departing = [[column[end:] for column in rows]]
            self._departing_day = self._departing_day[end:]

    def meet_system(self, children: dict[str, np.ndarray], stage: Stage,
                    receive: Callable[[Child, float], None]) -> None:
        """Each of `children` (now in `stage`; columns as `sim.model.journey_plans.arriving` gives them)
        becomes a Mesa agent when they reach the border (`arrives_at`), and is then passed to
        `receive(child, time)`."""
        times = children["arrives_at"]
        n = times.size
        if not n:
            return
        who = zip(*(_as_list(children[name], kind)
                    for name, kind in zip(WHO_COLUMNS, WHO_TYPES, strict=True)), strict=True)
        plans = zip(*(_as_list(children[name], kind)
                      for name, kind in zip(PLAN_COLUMNS, PLAN_TYPES, strict=True)), strict=True)
        # arrivals go straight into the calendar, day by day, in time order
        order = np.argsort(times, kind="stable")
        times = times[order]
        arrivals = [(receive, person, stage, departed_at, plan) for person, departed_at, plan
                    in zip(who, children["departed_at"].tolist(), plans, strict=True)]
        first = next(self._sequence)
        self._sequence = itertools.count(first + n)
        become = self._become_agent
        events = [(time, first + i, become, arrivals[k])
                  for i, (time, k) in enumerate(zip(times.tolist(), order.tolist(), strict=True))]
        days = times.astype(np.int64)
        bounds = np.flatnonzero(np.diff(days)) + 1
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), n], strict=True):
            day = int(days[start])
            if day <= self.day:
                for event in events[start:end]:
                    heapq.heappush(self._events, event)
            else:
                self._later.setdefault(day, []).extend(events[start:end])

    def _become_agent(self, arrival: tuple, now: float) -> None:
        receive, who, stage, departed_at, plan = arrival
        receive(Child(self, who, stage, departed_at, plan), now)

    def record_moves(self, child_id: np.ndarray, entering: np.ndarray, times: np.ndarray) -> None:
        """Stage rows of children counted in bulk (their counts are kept by whoever moves them):
        held until they have happened, like those of `move_in_bulk`."""
        if child_id.size:
            self._moves_to_record.append([child_id, entering, times])

    def count_moves(self, times: np.ndarray, leaving: Stage, entering: Stage) -> None:
        """Children counted in bulk move from `leaving` into `entering` (or exit) at `times`:
        counted at the end of the day each move happens."""
        day = times.astype(np.int64)
        day = day[day < self.end_day]
        changes = self._bulk_changes
        np.subtract.at(changes[:, leaving], day, 1)
        np.add.at(changes[:, entering], day, 1)  # the column of EXITED counts exits

    def record_moves_made(self) -> None:
        """Write now every stage row, held or buffered, of what has happened so far (rows written
        later, child by child, then follow them in the stage table)."""
        self.stage_rows.flush()
        self.stages.extend(self._moves_due(self.now))

    def count_handovers_today(self, unaccompanied: int) -> None:
        """Unaccompanied children handed over today (accompanied ones: `count_handovers_in_bulk`)."""
        self._handovers_today[1] += unaccompanied

    def move_in_bulk(self, child_id: np.ndarray, leaving: Stage, entering: Stage, times: np.ndarray) -> None:
        """Children counted in bulk move from stage `leaving` into `entering` (or exit) at `times`.

        The moves are counted at the end of the day they happen; their stage rows wait apart until
        the tables are read (`tables` keeps those that have happened by then)."""
        self.count_moves(times, leaving, entering)
        self.record_moves(child_id, np.full(child_id.size, int(entering)), times)

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
        self.stage_rows.add((child.unique_id, stage, now))

    def exit(self, child: Child, how: Exit, now: float) -> None:
        """`child`'s journey ends: record them and remove them from the Mesa model."""
        self.n_in_stage[child.stage] -= 1
        self.n_exited += 1
        child.stage = Stage.EXITED
        child.exit = how
        child.exited_at = now
        self.stage_rows.add((child.unique_id, Stage.EXITED, now))
        self.child_rows.add(child.record())
        child.place_visit = child.transfer_visit = None  # no child <-> visit cycle outlives the child
        child.remove()

    def exit_later(self, child: Child, how: Exit, at: float) -> None:
        """`child`'s journey will end at `at` whatever happens meanwhile (they hold no place and
        wait for nothing): they leave the Mesa model now, and their exit counts, like a move in
        bulk, at the end of the day it happens (the tables show it only once it has happened)."""
        child.exit = how
        child.exited_at = at
        self.child_rows.add(child.record())
        day = int(at)
        later = self._exits_by_day.get(day)
        if later is None:
            self._exits_by_day[day] = [(child.unique_id, at, child.stage)]
        else:
            later.append((child.unique_id, at, child.stage))
        child.place_visit = child.transfer_visit = None
        child.remove()

    def _record_exits(self, exits: list[tuple]) -> None:
        """Exits announced by `exit_later` for the day that has just ended happen."""
        counts = self.n_in_stage
        add = self.stage_rows.add
        for child_id, at, leaving in exits:
            counts[leaving] -= 1
            add((child_id, Stage.EXITED, at))
        self.n_exited += len(exits)

    def count_departures(self, first_day: int, departures: np.ndarray) -> None:
        """Departures of the days from `first_day` on, one row a day: Mexican, Mexican returned by
        the United States, Central American."""
        self._departures[first_day:first_day + len(departures)] = departures

    # --- records -----------------------------------------------------------------------------
    def _record_day(self, day: int) -> None:
        row = [day - self.warmup_days]
        row.extend(self.n_in_stage[: Stage.EXITED])
        for resource in self.resources:
            row.append(resource.in_use)
            row.append(resource.n_waiting)
        row.extend(self._departures[day].tolist())
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
        in_bulk = self.northern_border.in_bulk
        in_bulk.write_records()
        for rows in (self.visit_rows, self.stage_rows, self.child_rows):
            rows.flush()
        final = not self.running
        agents = list(self.agents_by_type.get(Child, []))
        still_here = [child.record() for child in agents]
        now = self.now
        not_yet_agents = [_row_before_meeting(subject) for _, _, action, subject in self._pending_events()
                          if action == self._become_agent and subject[3] < now]
        still_here += in_bulk.rows_still_here(now)
        not_yet_agents += in_bulk.rows_on_the_way(now)
        children = self.children.table(still_here + not_yet_agents, final)
        departed = children["departed_at"] < now  # rows are written when departures are drawn
        if not departed.all():
            children = {name: column[departed] for name, column in children.items()}
        in_future = children["exited_at"] >= now  # rows written in bulk at departure
        children["exit"][in_future] = Exit.NONE
        children["exited_at"][in_future] = np.nan
        children["apprehended_at"][children["apprehended_at"] >= now] = np.nan
        # visits still open: places held by children, officers' open cases, children in line
        open_visits = [child.place_visit.row() for child in agents if child.place_visit is not None]
        open_visits += [subject.row() for _, _, action, subject in self._pending_events()
                        if getattr(action, "__func__", None) is Resource.release]
        open_visits += [row for resource in self.resources for row in resource.waiting_visit_rows()]
        open_visits += in_bulk.visit_rows_so_far(now)
        visits = self.visits.table(open_visits, final)
        stages = self.stages.table(in_bulk.stage_rows_so_far(now), final, extra_columns=self._moves_due(now))
        daily_matrix = rows_as_matrix(self.daily_records, daily_columns())
        daily = {name: daily_matrix[:, i].astype(np.int64) for i, name in enumerate(daily_columns())}
        tables = {"children": children, "visits": visits, "stages": stages, "daily": daily}
        if final:
            self._final_tables = tables
        return tables


def _as_list(column: np.ndarray, kind: type) -> list:
    """A column as a list of `kind` values (what agents carry)."""
    if kind is float:
        return column.tolist()
    return column.astype(np.int64 if kind is int else bool).tolist()


def _row_before_meeting(arrival: tuple) -> tuple:
    """The row of a child still abroad or in transit who will meet the system (see `meet_system`)."""
    _, who, _, departed_at, _ = arrival
    return who + (False, False, False, False, departed_at, NAN, Exit.NONE, NAN)


__all__ = ["AmparoModel", "CHILD_COLUMNS", "RESOURCE_NAMES", "Records", "Table", "daily_columns",
           "resource_capacities"]
