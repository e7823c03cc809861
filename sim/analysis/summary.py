"""Summaries across replications: the mean and its 95% confidence interval.

An outcome that cannot leave a range (a share in [0, 1], a count or a time never below 0) gets a
bootstrap interval of the mean (bias-corrected and accelerated, seeded so it is reproducible): it
stays inside the range the values can take, where a Student's t interval would give a share of
[0.770, 1.040] or a rare count a negative lower bound. Differences between scenarios, which can
take either sign, keep Student's t.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

#: Bootstrap resamples of a bounded outcome's mean; and the fixed seed that makes them reproducible.
BOOTSTRAP_RESAMPLES = 2_000
BOOTSTRAP_SEED = 20_081_231


def mean_and_interval(values: Sequence[float], confidence: float = 0.95,
                      bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """(mean, low, high) of the mean of `values`; NaNs are left out. One value, or all equal: the
    interval is that value. No value: all NaN.

    With `bounds` (the values the outcome can take), the interval is a seeded BCa bootstrap of the
    mean, which never leaves them; without, Student's t.
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if data.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if data.size == 1 or np.all(data == data[0]):
        return mean, mean, mean
    if bounds is not None:
        low, high = _bootstrap_interval(data, confidence)
        return mean, max(low, bounds[0]), min(high, bounds[1])
    half = float(stats.t.ppf(0.5 + confidence / 2, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    return mean, mean - half, mean + half


def _bootstrap_interval(data: np.ndarray, confidence: float) -> tuple[float, float]:
    """The BCa bootstrap interval of the mean; the percentile interval where BCa is undefined (too few
    distinct values for its acceleration)."""
    generator = np.random.default_rng(BOOTSTRAP_SEED)
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap((data,), np.mean, confidence_level=confidence, method=method,
                                     n_resamples=BOOTSTRAP_RESAMPLES, rng=generator, vectorized=True)
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return low, high
        generator = np.random.default_rng(BOOTSTRAP_SEED)
    return float(data.min()), float(data.max())
