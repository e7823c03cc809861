"""Capacity-limited resources: pools of places with a first-come-first-served waiting line.

Rules for a full resource (written once, here, and in docs/model.md):

* A child who asks for a place when none is free **waits in line where they are**. What "where
  they are" means depends on the resource and is stated by `waiting_place`; when waiting means
  being held in an inadequate place (with adults, in a migration holding area) the wait is a
  **protection failure** and is counted as an overflow (`waiting_is_protection_failure`).
* A child moving on from one resource to a full one is **blocked**: they keep the place they
  hold until the next place frees (as in ciw's blocking rule), so no child is ever dropped and
  no capacity is ever exceeded.
* When a resource's capacity falls during a run (a scenario's timeline), **nobody is evicted**:
  children keep the places they hold, and new requests wait until fewer places are in use than
  the new capacity. When it rises, the first in line get the new places at once.
* In the north, resources live at the repatriation points (`ResourceAtPoints`, one pool per
  point); a child needing a bed when their point's shelter is full is first offered the nearest
  other point's free bed (a transfer, `sim.model.stages.northern_border`), and only waits if none
  is free anywhere.
* Places are given strictly in order of request. A child may leave the line before being served
  (`cancel`), for example when no officer is free within the allowed wait.

Every request produces one `Visit` record (requested, started, ended), from which waiting times,
occupancy and overflows are all derived (after the run: the resources keep no running statistics).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

NAN = float("nan")


class Visit:
    """One child's request for one place: the flat record every outcome is derived from."""

    __slots__ = ("child", "resource", "requested_at", "started_at", "on_granted", "waiting", "cancelled")

    def __init__(self, child: Any, resource: Resource, requested_at: float,
                 on_granted: Callable[[Visit, float], None] | None) -> None:
        self.child = child
        self.resource = resource
        self.requested_at = requested_at
        self.started_at = NAN
        self.on_granted = on_granted
        self.waiting = False  # in the line, neither served nor gone
        self.cancelled = False

    def row(self, ended_at: float = NAN) -> tuple:
        """The visit's record (`ended_at` NaN: still open): the fields of `VisitRow`, in order (a
        plain tuple: made for every visit, a named one costs several times more)."""
        resource = self.resource
        return (self.child.unique_id, resource.code, self.requested_at, self.started_at, ended_at,
                resource.place)


class Resource:
    """A pool of `capacity` identical places (beds, officers, places in a unit).

    The resource knows only how many places are in use and who waits, in order: the places held
    are known by the children holding them (and, for officers, by the event that closes the case),
    and every statistic is derived from the visit records after the run.
    """

    #: What the resource is, for tables and charts.
    label = "resource"
    #: Where a child waits while no place is free.
    waiting_place = "where they are"
    #: Whether waiting for this resource is itself a protection failure (an overflow).
    waiting_is_protection_failure = False

    def __init__(self, name: str, code: int, capacity: int, record: Callable[[tuple], None],
                 place: int = -1) -> None:
        """`place`: the index of the northern point the pool is at (-1: not at a point)."""
        if capacity < 0:
            raise ValueError(f"{name}: capacity must be zero or more, got {capacity}")
        self.name = name
        self.code = code
        self.place = place
        self.capacity = capacity
        self.in_use = 0
        self.line: deque[Visit] = deque()
        self.n_waiting = 0
        self._record = record  # writes one visit row

    def request(self, child: Any, now: float, on_granted: Callable[[Visit, float], None]) -> Visit:
        """Ask for a place; `on_granted(visit, time)` is called when the child gets it.

        Called at once if a place is free and nobody is waiting, otherwise when the child's turn
        comes (`visit.waiting` meanwhile). Returns the visit, which the caller later passes to
        `release` or `cancel`.
        """
        visit = Visit(child, self, now, on_granted)
        if self.in_use < self.capacity and not self.n_waiting:
            self.in_use += 1
            visit.started_at = now
            on_granted(visit, now)
        else:
            visit.waiting = True
            self.line.append(visit)
            self.n_waiting += 1
        return visit

    def release(self, visit: Visit, now: float) -> None:
        """The child of `visit` gives the place back; the next in line gets it."""
        self.in_use -= 1
        self._record(visit.row(now))
        if self.n_waiting:
            self._serve_line(now)

    def set_capacity(self, capacity: int, now: float) -> None:
        """From `now` on, the resource has `capacity` places (see the rules above: a fall evicts
        nobody, a rise serves the line)."""
        if capacity < 0:
            raise ValueError(f"{self.name}: capacity must be zero or more, got {capacity}")
        self.capacity = capacity
        if self.n_waiting:
            self._serve_line(now)

    def cancel(self, visit: Visit, now: float) -> None:
        """The child of a waiting `visit` leaves the line without being served."""
        if not visit.waiting:
            return
        visit.waiting = False
        visit.cancelled = True
        self.n_waiting -= 1
        self._record(visit.row(now))  # never started: started_at is NaN
        self._serve_line(now)

    def _serve_line(self, now: float) -> None:
        line = self.line
        while line and self.in_use < self.capacity:
            visit = line.popleft()
            if visit.cancelled:
                continue
            visit.waiting = False
            self.n_waiting -= 1
            self.in_use += 1
            visit.started_at = now
            visit.on_granted(visit, now)
        while line and line[0].cancelled:  # drop cancelled visits at the head
            line.popleft()

    def waiting_visit_rows(self) -> list[tuple]:
        """Records of the visits still waiting in line (ended NaN), without changing state."""
        return [visit.row() for visit in self.line if visit.waiting]

    def serving(self, child: Any) -> Resource:
        """The pool that serves `child`: this one (see `ResourceAtPoints`)."""
        return self


class ResourceAtPoints:
    """One kind of resource in the north, one pool per repatriation point (`at[point]`).

    A child uses the pool of their own point (`child.point`): `request` asks there, and a visit is
    given back to the pool it came from. The national figures (`capacity`, `in_use`, `n_waiting`)
    are the sums over the points.
    """

    def __init__(self, kind: type[Resource], name: str, code: int, capacities: list[int],
                 record: Callable[[tuple], None]) -> None:
        self.name = name
        self.code = code
        self.label = kind.label
        self.at = [kind(name, code, capacity, record, place) for place, capacity in enumerate(capacities)]

    @property
    def capacity(self) -> int:
        return sum(pool.capacity for pool in self.at)

    @property
    def in_use(self) -> int:
        return sum(pool.in_use for pool in self.at)

    @property
    def n_waiting(self) -> int:
        return sum(pool.n_waiting for pool in self.at)

    def set_capacities(self, capacities: list[int], now: float) -> None:
        """From `now` on, each point's pool has its places in `capacities` (see `Resource.set_capacity`)."""
        for pool, capacity in zip(self.at, capacities, strict=True):
            if capacity != pool.capacity:
                pool.set_capacity(capacity, now)

    def serving(self, child: Any) -> Resource:
        """The pool of the child's point."""
        return self.at[child.point]

    def request(self, child: Any, now: float, on_granted: Callable[[Visit, float], None]) -> Visit:
        """Ask for a place at the child's point (see `Resource.request`)."""
        return self.at[child.point].request(child, now, on_granted)

    def release(self, visit: Visit, now: float) -> None:
        visit.resource.release(visit, now)

    def cancel(self, visit: Visit, now: float) -> None:
        visit.resource.cancel(visit, now)

    def waiting_visit_rows(self) -> list[tuple]:
        return [row for pool in self.at for row in pool.waiting_visit_rows()]


class ChildProtectionOfficer(Resource):
    """Child protection officers (OPIs, F06): each takes one child's case at a time.

    Officers work hours, not days: a full case takes `officer_hours_per_child` of an officer's time,
    and the pool's duty hours are spread over the week, so it keeps the officer busy
    `officer_case_days` calendar days (`sim.model.journey_plans` draws each child's). An officer who
    takes a case while children wait for officers in this pool shortens it (`share_of_full_case`).
    The rules hold for any pool of officers (a border's, a city's).
    """

    label = "child protection officers"
    waiting_place = "in the place the child already holds (care unit, station or alternative care)"

    def share_of_full_case(self, shortest: float) -> float:
        """The share of a full case an officer gives the case taken now: all of it with nobody
        waiting, 1 / (1 + children waiting per officer) with a line, never below `shortest`
        (assumption: officers pressed by a line cut case work and interview alike)."""
        if not self.n_waiting:
            return 1.0
        return max(shortest, self.capacity / (self.capacity + self.n_waiting))


def officer_case_days(hours_per_child: float, duty_hours_per_week: float) -> float:
    """Calendar days a full case keeps an officer busy: its officer-hours over the officer's duty
    hours a day, averaged over the week (a pool working in shifts). 4 hours in a 40-hour week:
    0.7 days, so 1.4 children per officer and calendar day, 2 per 8-hour day on duty."""
    return hours_per_child / (duty_hours_per_week / 7.0)


class CareUnit(Resource):
    """Places in the special care units next to northern migration units (F04)."""

    label = "care-unit places"
    waiting_place = "in the migration unit's holding area, with adults"
    waiting_is_protection_failure = True


class Shelter(Resource):
    """Beds in DIF transitory shelters for repatriated children (F05)."""

    label = "shelter beds"
    waiting_place = "in the care unit, keeping that place (blocked)"


class MigrationStation(Resource):
    """Places for children in migration stations: detention (cap01, cap03)."""

    label = "migration-station places"
    waiting_place = "in provisional holding with adults"
    waiting_is_protection_failure = True


class AlternativeCare(Resource):
    """Alternative-care places: DIF shelters, foster care, relatives (F21, F24)."""

    label = "alternative-care places"
    waiting_place = "in provisional holding with adults, or in detention if already there"
    waiting_is_protection_failure = True
