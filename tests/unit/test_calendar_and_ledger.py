"""The event calendar and the ledger on their own: order of events, counts and rows of moves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.amparo_model import AmparoModel
from sim.model.calendar import EventCalendar
from sim.model.codes import Stage
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters
from sim.model.rows import ChildRow, VisitRow


def _run(calendar: EventCalendar, days: int) -> None:
    for _ in range(days):
        calendar.run_day()


def test_events_happen_in_time_order_ties_in_scheduling_order():
    calendar, happened = EventCalendar(), []
    record = lambda name, time: happened.append((name, time))  # noqa: E731
    for name, time in [("c", 2.5), ("a", 0.5), ("b", 0.5), ("d", 1.0), ("e", 0.25)]:
        calendar.schedule(time, record, name)
    calendar.run_day()
    assert happened == [("e", 0.25), ("a", 0.5), ("b", 0.5)]  # later days wait
    _run(calendar, 2)
    assert happened[3:] == [("d", 1.0), ("c", 2.5)] and calendar.day == 3


def test_an_event_scheduled_for_today_while_the_day_runs_happens_today():
    calendar, happened = EventCalendar(), []

    def chain(n: int, time: float) -> None:
        happened.append(time)
        if n:
            calendar.schedule(time + 0.25, chain, n - 1)

    calendar.schedule(0.1, chain, 5)
    calendar.run_day()
    assert happened == [0.1, 0.35, 0.6, 0.85]
    assert [subject for _, subject in calendar.pending()] == [1]  # due tomorrow, at 1.1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=30), st.integers(0, 3))
def test_scheduling_many_at_once_is_scheduling_them_one_by_one(times, today):
    one_by_one, at_once = EventCalendar(), EventCalendar()
    seen: dict[int, list] = {0: [], 1: []}
    for calendar in (one_by_one, at_once):
        _run(calendar, today)
    times = [today + time for time in times]
    for k, time in enumerate(times):
        one_by_one.schedule(time, lambda subject, time: seen[0].append((subject, time)), k)
    at_once.schedule_many(np.array(times), lambda subject, time: seen[1].append((subject, time)),
                          list(range(len(times))))
    _run(one_by_one, 7)
    _run(at_once, 7)
    assert seen[0] == seen[1] and len(seen[0]) == len(times)


def test_moves_in_bulk_count_at_the_end_of_their_day_and_show_once_they_have_happened():
    ledger = Ledger(Parameters(), end_day=10)
    ids = np.arange(3)
    ledger.n_in_stage[Stage.TRANSIT] = 3
    ledger.move_in_bulk(ids, Stage.TRANSIT, Stage.EXITED, np.array([0.5, 2.25, 2.75]))
    ledger.close_day(0, warmup_days=0, resources=[])
    assert (ledger.n_in_stage[Stage.TRANSIT], ledger.n_exited) == (2, 1)
    assert ledger.moves_due(1.0).child_id.tolist() == [0]
    assert ledger.moves_due(1.0).child_id.size == 0  # given once
    ledger.close_day(1, warmup_days=0, resources=[])
    ledger.close_day(2, warmup_days=0, resources=[])
    assert (ledger.n_in_stage[Stage.TRANSIT], ledger.n_exited) == (0, 3)
    assert ledger.moves_due(3.0).entered_at.tolist() == [2.25, 2.75]
    assert [row[0] for row in ledger.daily_records] == [0, 1, 2]


def test_rows_written_one_at_a_time_line_up_with_their_named_records():
    model = AmparoModel(Parameters(arrival_multiplier=0.2, warmup_days=5), seed=3, years=0.05)
    for _ in range(20):
        model.step()
    child = next(child for child in model.custody.agents() if child.place_visit is not None)
    row = ChildRow(*child.record())
    assert (row.child_id, row.age, row.accompanied, row.departed_at, row.apprehended_at) == (
        child.unique_id, child.age, child.accompanied, child.departed_at, child.apprehended_at)
    visit = child.place_visit
    row = VisitRow(*visit.row(ended_at=99.0))
    assert (row.child_id, row.resource, row.requested_at, row.started_at, row.ended_at) == (
        child.unique_id, visit.resource.code, visit.requested_at, visit.started_at, 99.0)
    model.ledger.stage_rows.flush()
    stages = model.tables()["stages"]
    mine = stages["child_id"] == child.unique_id
    assert stages["stage"][mine][-1] == child.stage
