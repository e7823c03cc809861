"""Transit through Mexico: Central American children cross the country over weeks.

Three clocks run at once for a child in transit, each exponential: the end of the journey (mean
`transit_days_mean`), apprehension by the migration authority, and harm or exploitation. Their
rates are set so that, over a whole journey, a child is apprehended with probability
`share_apprehended_in_transit` and, without Beta Group presence, harmed with probability
`share_harmed_in_transit`. Each Beta Group office (F17) lowers the rate of harm by
`harm_reduction_per_beta_office`. A harmed child becomes an exploitation victim, a hidden need that
screening may detect. The child's fate is read from their personal draws at entry, so the journey
costs one event, not one step a day.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.child import Chance, Child, Exit, Stage

if TYPE_CHECKING:
    from sim.model import AmparoModel


def hazard_for_share(share: float, mean_days: float) -> float:
    """The daily rate of an event that beats an exponential journey of mean `mean_days` with
    probability `share` (competing exponential clocks)."""
    if share <= 0:
        return 0.0
    if share >= 1:
        return math.inf
    return share / ((1.0 - share) * mean_days)


def _exponential(rate: float, u: float) -> float:
    if rate == 0:
        return math.inf
    if rate == math.inf:
        return 0.0
    return -math.log1p(-u) / rate


class Transit:
    """Central American children between the southern border and the United States."""

    def __init__(self, model: AmparoModel) -> None:
        p = model.parameters
        self.model = model
        self.mean_days = p.transit_days_mean
        self.apprehension_rate = hazard_for_share(p.share_apprehended_in_transit, p.transit_days_mean)
        protection = max(0.0, 1.0 - p.harm_reduction_per_beta_office * p.beta_group_offices)
        self.harm_rate = hazard_for_share(p.share_harmed_in_transit, p.transit_days_mean) * protection

    def enter(self, child: Child, now: float) -> None:
        u = child.chances
        journey = -self.mean_days * math.log1p(-u[Chance.TRANSIT_DAYS])
        apprehension = _exponential(self.apprehension_rate, u[Chance.APPREHENSION])
        harm = _exponential(self.harm_rate, u[Chance.HARM])
        ends_after = min(journey, apprehension)
        if harm < ends_after:
            child.harmed_in_transit = True
            child.trafficking_victim = True
        self.model.enter_stage(child, Stage.TRANSIT, now)
        if apprehension < journey:
            self.model.schedule(now + apprehension, self.model.southern_border.receive, child)
        else:
            self.model.schedule(now + journey, self._reach_united_states, child)

    def _reach_united_states(self, child: Child, now: float) -> None:
        self.model.exit(child, Exit.REACHED_UNITED_STATES, now)
