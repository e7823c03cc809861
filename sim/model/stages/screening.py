"""Screening by a child protection officer, or by a regular agent when none is free in time.

A child waits for an officer in the place they already hold; in the north, for an officer of their
own repatriation point (none stationed there: a regular agent screens them). The officer takes the case, the
interview happens at once (hours) and the child moves on; the officer stays busy with the case
work for `interview_days_mean` on average (exponential). A child not taken within
`officer_max_wait_days` is screened by a regular migration agent instead, who detects fewer hidden
needs (F12: detection rose once officers existed). With the same personal draw, a need an agent
would detect is always detected by an officer, so more officers never lower detection.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.resources import ChildProtectionOfficer, ResourceAtPoints, Visit

Continuation = Callable[[Child, float], None]


class Screening:
    """The interview step of one border; `then(child, time)` is what follows it there."""

    def __init__(self, calendar: EventCalendar, officers: ChildProtectionOfficer | ResourceAtPoints,
                 max_wait_days: float,
                 then: Continuation) -> None:
        self.calendar = calendar
        self.officers = officers
        self.then = then
        self.max_wait_days = max_wait_days

    def screen(self, child: Child, now: float) -> None:
        """Screen `child`; what follows screening happens once it is done."""
        if self.officers.serving(child).capacity == 0:  # none at the child's point
            self._screen_by_regular_agent(child, now)
            return
        visit = self.officers.request(child, now, self._officer_takes_case)
        if visit.waiting and self.max_wait_days < math.inf:
            self.calendar.schedule(now + self.max_wait_days, self._stop_waiting, visit)

    def _officer_takes_case(self, visit: Visit, now: float) -> None:
        child = visit.child
        child.screened_by_officer = True
        child.needs_detected = child.detected_by_officer
        # the case is closed (by the officers of the child's point)
        self.calendar.schedule(now + child.case_days, visit.resource.release, visit)
        self.then(child, now)

    def _stop_waiting(self, visit: Visit, now: float) -> None:
        if visit.waiting:
            self.officers.cancel(visit, now)
            self._screen_by_regular_agent(visit.child, now)

    def _screen_by_regular_agent(self, child: Child, now: float) -> None:
        child.needs_detected = child.detected_by_agent
        self.then(child, now)
