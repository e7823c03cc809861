"""Screening by a child protection officer, or by a regular agent when none is free in time.

A child waits for an officer in the place they already hold; in the north, for an officer of their
own repatriation point (none stationed there: a regular agent screens them). The officer takes the case, the
interview happens at once (hours) and the child moves on; the officer stays busy with the case
work, a full case taking `officer_hours_per_child` of duty time (`sim.model.resources.officer_case_days`;
exponential). An officer who takes a case while others wait shortens it
(`ChildProtectionOfficer.share_of_full_case`): the officer is busy for that share of the case, and
the interview is as much shorter. A child not taken within `officer_max_wait_days` is screened by a
regular migration agent instead.

Detection (written once, `officer_detects`): the chance an officer brings a hidden need out grows
with the share of a full case given and with training (`sim.model.journey_plans.case_share_to_detect`);
a regular agent detects with `detection_without_officer`, from a draw independent of the officer's.
So F12 (detection rose once officers existed) is not built in: officers detect more only while they
have the time, and too few officers, their cases cut short and children sent on to agents, detect
less than enough officers do.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.resources import ChildProtectionOfficer, ResourceAtPoints, Visit

Continuation = Callable[[Child, float], None]

#: The share of a full case given when no child waits for an officer.
FULL_CASE = 1.0


def officer_detects(case_share_to_detect: np.ndarray | float, share_given: float) -> np.ndarray | bool:
    """Whether an officer detects a child's hidden need in a case given `share_given` of its full
    time: the share the need takes to come out (the child's plan) is no more than that."""
    return case_share_to_detect < share_given


class Screening:
    """The interview step of one border; `then(child, time)` is what follows it there."""

    def __init__(self, calendar: EventCalendar, officers: ChildProtectionOfficer | ResourceAtPoints,
                 max_wait_days: float, then: Continuation, shortest_case_share: float = FULL_CASE) -> None:
        """`shortest_case_share`: the least share of a full case an officer gives under a line
        (the parameter of that name; 1: cases never shortened). In the north, `officers` are at
        the repatriation points: a child is seen by those of their own point."""
        self.calendar = calendar
        self.officers = officers
        self.then = then
        self.max_wait_days = max_wait_days
        self.shortest_case_share = shortest_case_share

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
        share = visit.resource.share_of_full_case(self.shortest_case_share)  # the point's line
        child.screened_by_officer = True
        child.needs_detected = officer_detects(child.case_share_to_detect, share)
        days = child.case_days if share == FULL_CASE else child.case_days * share
        # the case is closed (by the officers of the child's point)
        self.calendar.schedule(now + days, visit.resource.release, visit)
        self.then(child, now)

    def _stop_waiting(self, visit: Visit, now: float) -> None:
        if visit.waiting:
            self.officers.cancel(visit, now)
            self._screen_by_regular_agent(visit.child, now)

    def _screen_by_regular_agent(self, child: Child, now: float) -> None:
        child.needs_detected = child.detected_by_agent
        self.then(child, now)
