"""Stay lengths from personal draws (inverse transforms, so draws stay common across scenarios).

Exponential stays are used where a stay is a memoryless process (care, interviews, journeys);
lognormal stays, with a long right tail, where reports give "days, sometimes weeks" (family
contact, return arrangements, protection cases). Both take numpy arrays: a batch of children's
stays is worked out at once (`sim.model.journey_plans`).
"""

from __future__ import annotations

import numpy as np

#: assumption: spread of lognormal stays; with 0.8 the 95th percentile is about 3 times the mean,
#: matching "a few days to a couple of weeks" (det03) around a mean of a week.
STAY_SIGMA = 0.8


def exponential_days(mean: float, u: np.ndarray) -> np.ndarray:
    """Exponential durations with mean `mean` from uniform draws `u` in [0, 1)."""
    return -mean * np.log1p(-u)


def lognormal_days(mean: float, z: np.ndarray, sigma: float = STAY_SIGMA) -> np.ndarray:
    """Lognormal durations with mean `mean` from standard normal draws `z`."""
    return mean * np.exp(sigma * z - 0.5 * sigma * sigma)
