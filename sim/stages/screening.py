"""Screening by a child protection officer, or by a regular agent when none is free in time.

A child waits for an officer in the place they already hold. The officer takes the case, the
interview happens at once (hours) and the child moves on; the officer stays busy with the case
work for `interview_days_mean` on average (exponential). A child not taken within
`officer_max_wait_days` is screened by a regular migration agent instead, who detects fewer hidden
needs (F12: detection rose once officers existed). With the same personal draw, a need an agent
would detect is always detected by an officer, so more officers never lower detection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.child import Chance, Child
from sim.resources import ChildProtectionOfficer, Visit

if TYPE_CHECKING:
    from sim.model import AmparoModel

Continuation = Callable[[Child, float], None]


class Screening:
    """The interview step shared by the northern and the southern border."""

    def __init__(self, model: AmparoModel, officers: ChildProtectionOfficer) -> None:
        p = model.parameters
        self.model = model
        self.officers = officers
        self.max_wait_days = p.officer_max_wait_days
        self.interview_days_mean = p.interview_days_mean
        self.detection_with_officer = p.detection_with_officer
        self.detection_without_officer = p.detection_without_officer

    def screen(self, child: Child, now: float, then: Continuation) -> None:
        """Screen `child`, then call `then(child, time)` once screening is done."""
        child.after_screening = then
        if self.officers.capacity == 0:
            self._screen_by_regular_agent(child, now)
            return
        visit = self.officers.request(child, now, self._officer_takes_case)
        if visit.waiting and self.max_wait_days < math.inf:
            self.model.schedule(now + self.max_wait_days, self._stop_waiting, visit)

    def _officer_takes_case(self, visit: Visit, now: float) -> None:
        child = visit.child
        child.screened_by_officer = True
        child.needs_detected = child.has_hidden_need and (
            child.chances[Chance.DETECTION] < self.detection_with_officer)
        case_days = -self.interview_days_mean * math.log1p(-child.chances[Chance.INTERVIEW_DAYS])
        self.model.schedule(now + case_days, self.officers.release, visit)  # the case is closed
        child.after_screening(child, now)

    def _stop_waiting(self, visit: Visit, now: float) -> None:
        if visit.waiting:
            self.officers.cancel(visit, now)
            self._screen_by_regular_agent(visit.child, now)

    def _screen_by_regular_agent(self, child: Child, now: float) -> None:
        child.needs_detected = child.has_hidden_need and (
            child.chances[Chance.DETECTION] < self.detection_without_officer)
        child.after_screening(child, now)
