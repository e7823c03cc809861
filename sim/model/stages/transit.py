"""Transit through Mexico: Central American children cross the country over weeks.

Three clocks run at once for a child in transit, each exponential: the end of the journey (mean
`transit_days_mean`), apprehension by the migration authority, and harm or exploitation. Their
rates are set so that, over a whole journey, a child is apprehended with probability
`share_apprehended_in_transit` and, without Beta Group presence, harmed with probability
`share_harmed_in_transit`. Each Beta Group office (F17) lowers the rate of harm by
`harm_reduction_per_beta_office`. A harmed child becomes an exploitation victim, a hidden need that
screening may detect. Every child's fate is read from their personal draws at entry, a day's
children at once: a journey costs no event, and only apprehended children become agents.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.codes import Chance, Exit, Stage
from sim.model.custody import Custody, Receive
from sim.model.departures import Departures
from sim.model.durations import exponential_days
from sim.model.journey_plans import arriving
from sim.model.ledger import Ledger
from sim.model.parameters import Parameters


def hazard_for_share(share: float, mean_days: float) -> float:
    """The daily rate of an event that beats an exponential journey of mean `mean_days` with
    probability `share` (competing exponential clocks)."""
    if share <= 0:
        return 0.0
    if share >= 1:
        return math.inf
    return share / ((1.0 - share) * mean_days)


def _exponential(rate: float, u: np.ndarray) -> np.ndarray:
    if rate == 0:
        return np.full(u.shape, math.inf)
    if rate == math.inf:
        return np.zeros(u.shape)
    return -np.log1p(-u) / rate


class Transit:
    """Central American children between the southern border and the United States."""

    def __init__(self, p: Parameters, ledger: Ledger, custody: Custody, apprehended: Receive) -> None:
        """`apprehended(child, time)` receives a child apprehended in transit (the southern border)."""
        self.p = p
        self.ledger = ledger
        self.custody = custody
        self.apprehended = apprehended
        self.mean_days = p.transit_days_mean
        self.apprehension_rate = hazard_for_share(p.share_apprehended_in_transit, p.transit_days_mean)
        protection = max(0.0, 1.0 - p.harm_reduction_per_beta_office * p.beta_group_offices)
        # full protection removes even a certain harm (an infinite rate times 0 would be NaN)
        self.harm_rate = (hazard_for_share(p.share_harmed_in_transit, p.transit_days_mean) * protection
                          if protection > 0 else 0.0)

    def enter(self, children: Departures) -> None:
        """A day's Central American children enter Mexico. Those who will be apprehended meet the
        southern border as agents; the others are counted until they reach the United States."""
        u = children.chances
        journey = exponential_days(self.mean_days, u[:, Chance.TRANSIT_DAYS])
        apprehension = _exponential(self.apprehension_rate, u[:, Chance.APPREHENSION])
        harm = _exponential(self.harm_rate, u[:, Chance.HARM])
        harmed = harm < np.minimum(journey, apprehension)
        children.harmed_in_transit = harmed
        children.trafficking_victim = children.trafficking_victim | harmed
        apprehended = apprehension < journey
        children.reaches_border_at = children.departed_at + np.where(apprehended, apprehension, journey)
        ledger = self.ledger
        ledger.depart(children, Stage.TRANSIT)
        self.custody.meet_system(arriving(children.subset(apprehended), self.p), Stage.TRANSIT,
                                 self.apprehended)
        crossing = children.subset(~apprehended)
        ledger.move_in_bulk(crossing.child_id, Stage.TRANSIT, Stage.EXITED, crossing.reaches_border_at)
        ledger.record_in_bulk(crossing, Exit.REACHED_UNITED_STATES, apprehended_at=None,
                              exited_at=crossing.reaches_border_at)
