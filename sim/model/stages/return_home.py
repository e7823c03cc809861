"""Return home: after family contact, a child from the north travels to their home state.

Children from the six border states are home within `return_travel_days_near`; others travel
overland for `return_travel_days_far`, or fly in `return_travel_days_by_flight` when free flights
(F08) are on (the child's days are worked out at departure, `sim.model.journey_plans`). Arrival home is
reunification, the end of the journey. The journey holds no place and nothing can change it, so
the child leaves the protection system's custody (and the Mesa model) as they set off, and their
arrival is recorded for the day it happens (`sim.model.ledger.Ledger.exit_later`).
"""

from __future__ import annotations

from sim.model.child import Child
from sim.model.codes import Exit, Stage
from sim.model.ledger import Ledger


class ReturnHome:
    """The journey home of children from the north after family contact."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def travel(self, child: Child, now: float) -> None:
        """`child` sets off home now: they leave custody, and are home `return_travel_days` later."""
        self.ledger.enter_stage(child, Stage.RETURN_TRAVEL, now)
        self.ledger.exit_later(child, Exit.REUNIFIED, now + child.return_travel_days)
