"""Stay lengths from a child's personal draws (inverse transforms, so draws stay common).

Exponential stays are used where a stay is a memoryless process (care, interviews, journeys);
lognormal stays, with a long right tail, where reports give "days, sometimes weeks" (family
contact, return arrangements, protection cases).
"""

from __future__ import annotations

import math

#: assumption: spread of lognormal stays; with 0.8 the 95th percentile is about 3 times the mean,
#: matching "a few days to a couple of weeks" (det03) around a mean of a week.
STAY_SIGMA = 0.8


def exponential_days(mean: float, u: float) -> float:
    """An exponential duration with mean `mean` from a uniform draw `u` in [0, 1)."""
    return -mean * math.log1p(-u)


def lognormal_days(mean: float, z: float, sigma: float = STAY_SIGMA) -> float:
    """A lognormal duration with mean `mean` from a standard normal draw `z`."""
    return mean * math.exp(sigma * z - 0.5 * sigma * sigma)
