"""Return home: after family contact, a child from the north travels to their home state.

Children from the six border states are home within `return_travel_days_near`; others travel
overland for `return_travel_days_far`, or fly in `return_travel_days_by_flight` when free flights
(F08) are on. Arrival home is reunification, the end of the journey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.child import Child, Exit, Stage

if TYPE_CHECKING:
    from sim.model import AmparoModel


class ReturnHome:
    def __init__(self, model: AmparoModel) -> None:
        p = model.parameters
        self.model = model
        self.near_days = p.return_travel_days_near
        self.far_days = p.return_travel_days_by_flight if p.free_flights else p.return_travel_days_far

    def travel(self, child: Child, now: float) -> None:
        self.model.enter_stage(child, Stage.RETURN_TRAVEL, now)
        days = self.far_days if child.far_from_border else self.near_days
        self.model.schedule(now + days, self._arrive_home, child)

    def _arrive_home(self, child: Child, now: float) -> None:
        self.model.exit(child, Exit.REUNIFIED, now)
