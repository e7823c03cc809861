"""The Amparo model: children moving through origin, transit and border stages.

Time is continuous, in days. The Mesa step is one day; within a day, the model touches a child only
when something happens to them (a stay ends, a place frees), in time order, from one model-level
event calendar (`sim.model.calendar`); counts and rows are kept by the ledger (`sim.model.ledger`);
the stages are built and wired by `sim.model.builder`. Departing children are drawn in numpy batches
of several days; a child becomes a Mesa agent when they meet the protection system (handed back
unaccompanied at the northern border, apprehended in transit) and leaves the Mesa model the moment
they leave its custody (`sim.model.custody`). Children who never meet the system (accompanied
children handed over with their family, children who cross Mexico unapprehended) are never agents:
their whole path is known at departure, so they are recorded as a batch and their moves between
stages are counted per day. Nor, at each repatriation point for as long as no line forms there, are
the northern border's children: their stays follow from their own draws and are worked out a day at
a time in bulk (`sim.model.stages.northern_border_in_bulk`).

The model does no input or output and draws no charts: `tables()` returns plain column tables
(children, visits to resources, stage entries, daily stocks) from which `sim.analysis.outcomes` derives
every reported number. Rows are gathered in flat buffers and compacted into small numpy columns
every few thousand rows (`sim.model.records.Records`), so memory grows by a few dozen bytes per child,
not by Python objects, or not at all when the records are kept on disk (`record_storage`).
"""
from __future__ import annotations

import gc

import mesa
import numpy as np

from sim.model.builder import build_resources, build_stages
from sim.model.calendar import EventCalendar
from sim.model.codes import Exit
from sim.model.custody import Custody
from sim.model.ledger import Ledger
from sim.model.parameters import DAYS_PER_YEAR, Parameters, timeline_phases
from sim.model.random_streams import RandomStreams
from sim.model.records import ColumnStorage, Records, Table, rows_as_matrix
from sim.model.resources import Resource, ResourceAtPoints
from sim.model.schema import (
    CHILD_COLUMNS,
    RESOURCE_NAMES,
    capacities_by_point,
    daily_columns,
    resource_capacities,
)

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
        self.calendar = EventCalendar()
        self.ledger = Ledger(p, self.end_day, record_storage)
        self.custody = Custody(self, self.calendar)
        self.resources = build_resources(p, self.ledger)
        self.stages = build_stages(p, self.streams, self.calendar, self.ledger, self.custody, self.resources)
        self.northern_border = self.stages.northern_border
        self._drawn_until = 0  # departures of the days before this one are drawn
        # capacities set by the scenario's timeline, by the run day they take effect (day 0: those of
        # a change dated on or before the first measured day)
        # by resource name: the national places, or (north) the places at each repatriation point
        self._capacity_changes = {day: {**resource_capacities(phase), **capacities_by_point(phase)}
                                  for day, phase in timeline_phases(p)}
        self._final_tables: dict[str, Table] | None = None

    # --- the schedule ------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day.

        1. Timeline and origin: on a day the scenario's timeline changes capacities, each resource
           takes its new number of places (a fall evicts nobody: new admissions wait). Every 16
           days, the potential departures of the next 16 days are drawn (each day and layer from
           its own random streams) with all their personal draws, thinned by each day's intensity
           (season, timeline, campaign), and set on their way as one batch (abroad, or in transit
           through Mexico); children reunified from the north the day before who will cross again
           set off (`sim.model.stages.crossing_again`); each day's departures are recorded that day.
        2. The northern border runs the day in bulk at each repatriation point where no line has
           formed (`sim.model.stages.northern_border_in_bulk`); at a point where one would form
           that day, the children there become agents.
        3. Events: everything due before the end of the day happens in time order: handovers at
           the northern border, apprehensions in transit, the end of care, screening, stays in
           shelters, stations and alternative care, returns and reunifications. A freed place goes
           at once to the first child waiting for it.
        4. The day closes: children counted in bulk move between stages; once the warm-up is over,
           children in each stage and in (or waiting for) each resource are recorded; the run stops
           after the measured years.
        """
        day = self.calendar.day
        if day in self._capacity_changes:
            self._change_capacities(day)
        self._depart(day)  # 1
        if self.northern_border.in_bulk.active:  # 2
            self.northern_border.in_bulk.run_day(day)
        self.calendar.run_day()  # 3
        self.ledger.close_day(day, self.warmup_days, self.resources)  # 4
        if self.calendar.day >= self.end_day:
            self.running = False

    def _change_capacities(self, day: int) -> None:
        capacities = self._capacity_changes[day]
        for resource in self.resources:
            if isinstance(resource, ResourceAtPoints):
                resource.set_capacities(capacities[resource.name], float(day))
            elif capacities[resource.name] != resource.capacity:
                resource.set_capacity(capacities[resource.name], float(day))

    def _depart(self, day: int) -> None:
        if day >= self._drawn_until:
            self._drawn_until = min(day + DEPARTURE_DAYS_PER_BATCH, self.end_day)
            self.stages.origin.depart(day, self._drawn_until)
            self.ledger.sort_departures()
        if self.stages.crossing_again.active:
            self.stages.crossing_again.set_off()
            self.ledger.sort_departures()
        self.ledger.record_departures(day)

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

    # --- where the run stands -------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Days run so far (the day the next step runs)."""
        return self.calendar.day

    @property
    def now(self) -> float:
        """The model's time, in days: the start of the next day to run."""
        return float(self.calendar.day)

    @property
    def n_created(self) -> int:
        """Children who have left home so far."""
        return self.ledger.n_created

    @property
    def n_exited(self) -> int:
        """Children whose journey has ended so far."""
        return self.ledger.n_exited

    @property
    def n_in_stage(self) -> list[int]:
        """Children in each stage now, by `sim.model.codes.Stage`."""
        return self.ledger.n_in_stage

    # --- records -----------------------------------------------------------------------------
    @property
    def daily_records(self) -> list[tuple]:
        """The daily table's rows so far (`sim.model.schema.daily_columns`)."""
        return self.ledger.daily_records

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
        ledger, in_bulk, now = self.ledger, self.northern_border.in_bulk, self.now
        in_bulk.write_records()
        ledger.flush()
        final = not self.running
        agents = self.custody.agents()
        rows = [child.record() for child in agents]
        rows += in_bulk.rows_still_here(now)
        rows += self.custody.rows_on_the_way(now)
        rows += in_bulk.rows_on_the_way(now)
        children = ledger.children.table(rows, final)
        departed = children["departed_at"] < now  # rows are written when departures are drawn
        if not departed.all():
            children = {name: column[departed] for name, column in children.items()}
        in_future = children["exited_at"] >= now  # rows written in bulk at departure
        children["exit"][in_future] = Exit.NONE
        children["exited_at"][in_future] = np.nan
        children["apprehended_at"][children["apprehended_at"] >= now] = np.nan
        # visits still open: places held by children, officers' open cases, children in line
        open_visits = [child.place_visit.row() for child in agents if child.place_visit is not None]
        open_visits += [subject.row() for action, subject in self.calendar.pending()
                        if getattr(action, "__func__", None) is Resource.release]
        open_visits += [row for resource in self.resources for row in resource.waiting_visit_rows()]
        open_visits += in_bulk.visit_rows_so_far(now)
        visits = ledger.visits.table(open_visits, final)
        stages = ledger.stages.table(in_bulk.stage_rows_so_far(now), final,
                                     extra_columns=ledger.moves_due(now))
        daily_matrix = rows_as_matrix(ledger.daily_records, daily_columns())
        daily = {name: daily_matrix[:, i].astype(np.int64) for i, name in enumerate(daily_columns())}
        tables = {"children": children, "visits": visits, "stages": stages, "daily": daily}
        if final:
            self._final_tables = tables
        return tables


__all__ = ["AmparoModel", "CHILD_COLUMNS", "RESOURCE_NAMES", "Records", "Table", "daily_columns",
           "resource_capacities"]
