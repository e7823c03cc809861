"""Custody: children become Mesa agents when they meet the protection system.

A child who will meet the system (handed back unaccompanied at the northern border, apprehended in
transit) is drawn in a batch at departure; their meeting is put in the event calendar, and only then
is the child made a Mesa agent (`sim.model.child.Child`) and passed to the stage that receives them.
The agent leaves the Mesa model when the child leaves custody (`sim.model.ledger.Ledger.exit`).
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from sim.model.calendar import EventCalendar
from sim.model.child import Child
from sim.model.codes import WHO_COLUMNS, WHO_TYPES, Exit, Stage
from sim.model.journey_plans import PLAN_COLUMNS, PLAN_TYPES
from sim.model.rows import ChildRow

NAN = float("nan")
Receive = Callable[[Child, float], None]


class Custody:
    """The children of `model` who are, or will be, agents; meetings go into `calendar`."""

    def __init__(self, model: mesa.Model, calendar: EventCalendar) -> None:
        self.model = model
        self.calendar = calendar

    def new_child(self, who: tuple, stage: Stage, departed_at: float, plan: tuple) -> Child:
        """A child who meets the system now, as a Mesa agent."""
        return Child(self.model, who, stage, departed_at, plan)

    def agents(self) -> list[Child]:
        """The children who are agents now."""
        return list(self.model.agents_by_type.get(Child, []))

    def meet_system(self, children: dict[str, np.ndarray], stage: Stage, receive: Receive) -> None:
        """Each of `children` (now in `stage`; columns as `sim.model.journey_plans.arriving` gives
        them) becomes a Mesa agent when they reach the border (`arrives_at`), and is then passed to
        `receive(child, time)`."""
        times = children["arrives_at"]
        if not times.size:
            return
        who = zip(*(_as_list(children[name], kind)
                    for name, kind in zip(WHO_COLUMNS, WHO_TYPES, strict=True)), strict=True)
        plans = zip(*(_as_list(children[name], kind)
                      for name, kind in zip(PLAN_COLUMNS, PLAN_TYPES, strict=True)), strict=True)
        arrivals = [(receive, person, stage, departed_at, plan) for person, departed_at, plan
                    in zip(who, children["departed_at"].tolist(), plans, strict=True)]
        self.calendar.schedule_many(times, self._become_agent, arrivals)

    def _become_agent(self, arrival: tuple, now: float) -> None:
        receive, who, stage, departed_at, plan = arrival
        receive(Child(self.model, who, stage, departed_at, plan), now)

    def rows_on_the_way(self, now: float) -> list[ChildRow]:
        """Children rows of the children who have left home before `now` and will meet the system
        as agents, but have not yet."""
        return [_row_before_meeting(subject) for action, subject in self.calendar.pending()
                if action == self._become_agent and subject[3] < now]


def _as_list(column: np.ndarray, kind: type) -> list:
    """A column as a list of `kind` values (what agents carry)."""
    if kind is float:
        return column.tolist()
    return column.astype(np.int64 if kind is int else bool).tolist()


def _row_before_meeting(arrival: tuple) -> ChildRow:
    """The row of a child still abroad or in transit who will meet the system."""
    _, who, _, departed_at, _ = arrival
    return ChildRow(*who, screened_by_officer=False, needs_detected=False, held_with_adults=False,
                    detained=False, diverted_to_detention=False, departed_at=departed_at, apprehended_at=NAN,
                    exit=Exit.NONE, exited_at=NAN)
