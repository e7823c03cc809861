"""The core parts on their own: a resource's line, holding, screening and the random streams.

A resource driven by Poisson arrivals and exponential service is an M/M/c queue, so its mean wait
must match the Erlang C formula: a known result the model's line discipline has to reproduce.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.calendar import EventCalendar
from sim.model.random_streams import RandomStreams, replication_seed
from sim.model.resources import ChildProtectionOfficer, Resource, Shelter
from sim.model.rows import VisitRow
from sim.model.stages.holding import Holding
from sim.model.stages.screening import Screening


def _child(number: int, **values) -> SimpleNamespace:
    return SimpleNamespace(unique_id=number, held_with_adults=False, **values)


def _resource(capacity: int, kind: type[Resource] = Resource) -> tuple[Resource, list]:
    rows: list = []
    return kind("test", 0, capacity, rows.append), rows


def _run(calendar: EventCalendar, days: int) -> None:
    for _ in range(days):
        calendar.run_day()


def test_places_go_in_order_of_request_and_a_release_serves_the_next():
    resource, rows = _resource(1)
    served: list[int] = []
    visits = [
        resource.request(_child(i), float(i), lambda v, t: served.append(v.child.unique_id)) for i in range(3)
    ]
    assert served == [0] and resource.n_waiting == 2
    resource.release(visits[0], 5.0)
    assert served == [0, 1] and visits[1].started_at == 5.0
    resource.cancel(visits[2], 6.0)  # leaves the line unserved
    assert resource.n_waiting == 0 and math.isnan(VisitRow(*rows[-1]).started_at)
    resource.release(visits[1], 7.0)
    assert resource.in_use == 0 and [VisitRow(*row).child_id for row in rows] == [0, 2, 1]


def test_a_negative_capacity_is_refused():
    with pytest.raises(ValueError, match="capacity must be zero or more"):
        _resource(-1)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 4),
    st.lists(st.tuples(st.sampled_from(["ask", "release", "cancel"]), st.integers(0, 20)), max_size=60),
)
def test_capacity_is_never_exceeded_and_every_request_ends_in_one_row(capacity, actions):
    resource, rows = _resource(capacity)
    holding, waiting, time = [], [], 0.0
    for number, (action, pick) in enumerate(actions):
        time += 1.0
        if action == "ask":
            visit = resource.request(_child(number), time, lambda v, t: holding.append(v))
            if visit.waiting:
                waiting.append(visit)
        elif action == "release" and holding:
            resource.release(holding.pop(pick % len(holding)), time)
        elif action == "cancel" and waiting:
            resource.cancel(waiting.pop(pick % len(waiting)), time)
        waiting = [v for v in waiting if v.waiting]
        assert resource.in_use <= capacity and resource.in_use == len(holding)
        assert resource.n_waiting == len(waiting)
    asked = sum(1 for action, _ in actions if action == "ask")
    assert len(rows) + len(holding) + len(waiting) == asked


def _erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in an M/M/c queue (Erlang C)."""
    load = arrival_rate / service_rate
    utilisation = load / servers
    terms = sum(load**k / math.factorial(k) for k in range(servers))
    last = load**servers / (math.factorial(servers) * (1 - utilisation))
    waiting_probability = last / (terms + last)
    return waiting_probability / (servers * service_rate - arrival_rate)


@pytest.mark.parametrize("servers", [1, 3])
def test_a_resource_fed_poisson_arrivals_waits_as_an_m_m_c_queue(servers):
    arrival_rate, service_rate, n = 0.8 * servers, 1.0, 40_000
    generator = np.random.default_rng(12)
    arrivals = np.cumsum(generator.exponential(1 / arrival_rate, n))
    services = generator.exponential(1 / service_rate, n)
    calendar = EventCalendar()
    resource, rows = _resource(servers)

    def granted(visit, now):
        calendar.schedule(now + services[visit.child.unique_id], resource.release, visit)

    calendar.schedule_many(
        arrivals, lambda child, now: resource.request(child, now, granted), [_child(i) for i in range(n)]
    )
    _run(calendar, int(arrivals[-1]) + 60)
    visits = [VisitRow(*row) for row in rows]
    waits = np.array([visit.started_at - visit.requested_at for visit in visits])[n // 10 :]  # warm-up out
    expected = _erlang_c_wait(arrival_rate, service_rate, servers)
    assert waits.mean() == pytest.approx(expected, rel=0.12)


def test_holding_marks_the_child_and_lets_them_go_on_unserved_when_its_limit_runs_out():
    calendar = EventCalendar()
    beds, rows = _resource(0, Shelter)
    went_on: list[float] = []
    holding = Holding(calendar, max_days=2.0)
    child = _child(1)
    visit = beds.request(child, 0.0, lambda v, t: None)
    holding.wait(visit, 0.0, lambda c, t: went_on.append(t))
    assert child.held_with_adults
    _run(calendar, 3)
    assert went_on == [2.0] and not visit.waiting and math.isnan(VisitRow(*rows[0]).started_at)


def test_screening_by_an_officer_uses_the_officers_detection_and_a_regular_agent_when_none_is_free():
    calendar = EventCalendar()
    officers, _ = _resource(1, ChildProtectionOfficer)
    done: list = []
    screening = Screening(
        calendar, officers, max_wait_days=1.0, then=lambda c, t: done.append((c.unique_id, t))
    )
    first = _child(
        1,
        case_share_to_detect=0.5,  # half a full case brings the need out
        detected_by_agent=False,
        case_days=5.0,
        screened_by_officer=False,
        needs_detected=False,
    )
    second = _child(
        2,
        case_share_to_detect=0.5,  # half a full case brings the need out
        detected_by_agent=False,
        case_days=5.0,
        screened_by_officer=False,
        needs_detected=False,
    )
    screening.screen(first, 0.0)
    screening.screen(second, 0.0)  # the only officer is busy for 5 days: an agent after 1 day
    _run(calendar, 2)
    assert done == [(1, 0.0), (2, 1.0)]
    assert first.screened_by_officer and first.needs_detected
    assert not second.screened_by_officer and not second.needs_detected


def test_an_officer_pressed_by_a_line_gives_shorter_cases_and_detects_less():
    calendar = EventCalendar()
    officers, rows = _resource(1, ChildProtectionOfficer)
    done: list = []
    screening = Screening(calendar, officers, max_wait_days=math.inf,
                          then=lambda c, t: done.append((c.unique_id, t)), shortest_case_share=0.25)
    children = [_child(i, case_share_to_detect=0.5, detected_by_agent=False, case_days=4.0,
                       screened_by_officer=False, needs_detected=False) for i in (1, 2, 3)]
    for child in children:
        screening.screen(child, 0.0)
    _run(calendar, 20)
    # first: nobody waits, a full case (4 days); second: one child waits behind, half a case (2 days),
    # too short for a need that takes half; third: nobody behind, a full case again
    assert done == [(1, 0.0), (2, 4.0), (3, 6.0)]
    assert [child.needs_detected for child in children] == [True, False, True]
    assert all(child.screened_by_officer for child in children)
    assert [VisitRow(*row).ended_at for row in rows] == [4.0, 6.0, 10.0]
    # ten children waiting per officer would cut a case to 1/11: never below the shortest share
    officers.n_waiting, officers.capacity = 10, 1
    assert officers.share_of_full_case(0.25) == 0.25


def test_streams_are_reproducible_and_independent_of_each_other():
    one, two = RandomStreams(7), RandomStreams(7)
    first = one["departures"].random(5)
    one["children north"].random(1000)  # drawing from another stream shifts nothing here
    assert np.array_equal(np.concatenate([first, one["departures"].random(5)]), two["departures"].random(10))
    assert not np.array_equal(
        RandomStreams(8)["departures"].random(5), RandomStreams(7)["departures"].random(5)
    )


def test_a_days_draws_do_not_depend_on_the_days_drawn_before():
    in_order, skipping = RandomStreams(3), RandomStreams(3)
    for day in range(4):
        in_order.for_day("departures", day).random(day * 10 + 1)
    assert np.array_equal(
        in_order.for_day("departures", 4).random(6), skipping.for_day("departures", 4).random(6)
    )


def test_replication_seeds_are_stable_and_distinct():
    seeds = [replication_seed(2008, i) for i in range(50)]
    assert len(set(seeds)) == 50 and seeds == [replication_seed(2008, i) for i in range(50)]
