"""Provisional holding: where a child waits, with adults, for a place that is not free.

A child who asks for a care-unit, migration-station or alternative-care place when none is free,
or for a shelter bed while holding no place, waits in the migration authority's provisional
holding, with adults: a protection failure (`held_with_adults`). Holding is for short stays
(`max_days_waiting_in_holding`, cap05: 48 hours or 7 days by law): a child still waiting when it
runs out leaves the line unserved (a visit with no start) and goes on with their journey without
that place, still in holding. Without this limit a surge that outgrows the places would make lines
grow for ever, and children would wait in holding for months.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.model.calendar import EventCalendar
from sim.model.resources import Visit

if TYPE_CHECKING:
    from sim.model.child import Child


class Holding:
    """The waits of one border's children in provisional holding."""

    def __init__(self, calendar: EventCalendar, max_days: float) -> None:
        self.calendar = calendar
        self.max_days = max_days

    def wait(self, visit: Visit, now: float, go_on: Callable[[Child, float], None]) -> None:
        """The child of `visit` waits in holding for its place; if it has not come within the
        limit, they leave the line and `go_on(child, time)` happens without it."""
        visit.child.held_with_adults = True
        if self.max_days < math.inf:
            self.calendar.schedule(now + self.max_days, self._stop_waiting, (visit, go_on))

    def _stop_waiting(self, waiting: tuple[Visit, Callable[[Child, float], None]], now: float) -> None:
        visit, go_on = waiting
        if visit.waiting:
            visit.resource.cancel(visit, now)
            go_on(visit.child, now)
