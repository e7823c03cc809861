"""Capacity-limited resources: pools of places with a first-come-first-served waiting line.

Rules for a full resource (written once, here, and in docs/model.md):

* A child who asks for a place when none is free **waits in line where they are**. What "where
  they are" means depends on the resource and is stated by `waiting_place`; when waiting means
  being held in an inadequate place (with adults, in a migration holding area) the wait is a
  **protection failure** and is counted as an overflow (`waiting_is_protection_failure`).
* A child moving on from one resource to a full one is **blocked**: they keep the place they
  hold until the next place frees (as in ciw's blocking rule), so no child is ever dropped and
  no capacity is ever exceeded.
* Places are given strictly in order of request. A child may leave the line before being served
  (`cancel`), for example when no officer is free within the allowed wait.

Every request produces one `Visit` record (requested, started, ended), from which waiting times,
occupancy and overflows are all derived.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

NAN = float("nan")


class Visit:
    """One child's request for one place: the flat record every outcome is derived from."""

    __slots__ = ("child", "resource", "requested_at", "started_at", "ended_at", "on_granted",
                 "cancelled")

    def __init__(self, child: Any, resource: Resource, requested_at: float,
                 on_granted: Callable[[Visit, float], None]) -> None:
        self.child = child
        self.resource = resource
        self.requested_at = requested_at
        self.started_at = NAN
        self.ended_at = NAN
        self.on_granted = on_granted
        self.cancelled = False

    @property
    def waiting(self) -> bool:
        return self.started_at != self.started_at and not self.cancelled  # started_at is NaN


class Resource:
    """A pool of `capacity` identical places (beds, officers, places in a unit)."""

    #: What the resource is, for tables and charts.
    label = "resource"
    #: Where a child waits while no place is free.
    waiting_place = "where they are"
    #: Whether waiting for this resource is itself a protection failure (an overflow).
    waiting_is_protection_failure = False

    def __init__(self, name: str, code: int, capacity: int, records: list[tuple]) -> None:
        if capacity < 0:
            raise ValueError(f"{name}: capacity must be zero or more, got {capacity}")
        self.name = name
        self.code = code
        self.capacity = capacity
        self.in_use = 0
        self.line: deque[Visit] = deque()
        self.held: dict[Visit, None] = {}  # insertion-ordered, so records come out in a fixed order
        self.n_waiting = 0
        self._records = records
        # running statistics over the measured period
        self._last_change = 0.0
        self._measuring = False
        self.place_days = 0.0  # integral of places in use over measured time
        self.waiting_days = 0.0  # integral of children waiting over measured time
        self.peak_in_use = 0
        self.peak_waiting = 0
        self.n_requests = 0
        self.n_had_to_wait = 0

    # --- statistics ------------------------------------------------------------------------
    def _advance(self, now: float) -> None:
        if self._measuring:
            elapsed = now - self._last_change
            self.place_days += self.in_use * elapsed
            self.waiting_days += self.n_waiting * elapsed
        self._last_change = now

    def start_measuring(self, now: float) -> None:
        """Reset the statistics: from `now` on, everything counts."""
        self._last_change = now
        self._measuring = True
        self.place_days = self.waiting_days = 0.0
        self.peak_in_use = self.in_use
        self.peak_waiting = self.n_waiting
        self.n_requests = self.n_had_to_wait = 0

    # --- requests --------------------------------------------------------------------------
    def request(self, child: Any, now: float, on_granted: Callable[[Visit, float], None]) -> Visit:
        """Ask for a place; `on_granted(visit, time)` is called when the child gets it.

        Called at once if a place is free and nobody is waiting, otherwise when the child's turn
        comes. Returns the visit, which the caller later passes to `release` or `cancel`.
        """
        visit = Visit(child, self, now, on_granted)
        self.n_requests += 1
        if self.in_use < self.capacity and not self.n_waiting:
            self._start(visit, now)
        else:
            self._advance(now)
            self.line.append(visit)
            self.n_waiting += 1
            self.n_had_to_wait += 1
            if self.n_waiting > self.peak_waiting:
                self.peak_waiting = self.n_waiting
        return visit

    def _start(self, visit: Visit, now: float) -> None:
        if self._measuring:  # self._advance(now), inlined: this is the hottest path of a run
            elapsed = now - self._last_change
            self.place_days += self.in_use * elapsed
            self.waiting_days += self.n_waiting * elapsed
        self._last_change = now
        self.in_use += 1
        self.held[visit] = None
        if self.in_use > self.peak_in_use:
            self.peak_in_use = self.in_use
        visit.started_at = now
        visit.on_granted(visit, now)

    def release(self, visit: Visit, now: float) -> None:
        """The child of `visit` gives the place back; the next in line gets it."""
        if self._measuring:  # self._advance(now), inlined
            elapsed = now - self._last_change
            self.place_days += self.in_use * elapsed
            self.waiting_days += self.n_waiting * elapsed
        self._last_change = now
        self.in_use -= 1
        del self.held[visit]
        visit.ended_at = now
        self._records.append((visit.child.unique_id, self.code, visit.requested_at,
                              visit.started_at, now))
        if self.line:
            self._serve_line(now)

    def cancel(self, visit: Visit, now: float) -> None:
        """The child of a waiting `visit` leaves the line without being served."""
        if not visit.waiting:
            return
        self._advance(now)
        visit.cancelled = True
        visit.ended_at = now
        self.n_waiting -= 1
        self._records.append((visit.child.unique_id, self.code, visit.requested_at, NAN, now))
        self._serve_line(now)

    def _serve_line(self, now: float) -> None:
        line = self.line
        while line and self.in_use < self.capacity:
            visit = line.popleft()
            if visit.cancelled:
                continue
            self.n_waiting -= 1
            self._start(visit, now)
        while line and line[0].cancelled:  # drop cancelled visits at the head
            line.popleft()

    def open_visit_rows(self) -> list[tuple]:
        """Rows for visits still open (held or waiting; ended is NaN), without changing state."""
        open_visits = list(self.held) + [v for v in self.line if not v.cancelled]
        return [(v.child.unique_id, self.code, v.requested_at, v.started_at, NAN) for v in open_visits]

    def finish_measuring(self, now: float) -> None:
        self._advance(now)


class ChildProtectionOfficer(Resource):
    """Child protection officers (OPIs, F06): each takes one child's case at a time."""

    label = "child protection officers"
    waiting_place = "in the place the child already holds (care unit, station or alternative care)"


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
