"""The calendar of a run: which date each simulated day is, month by month.

A run's measured years start on January 1 of `start_year` (measured day 0); the warm-up comes
before, in the last days of the year before. Years have 365 days (no February 29): a leap day
would move every later date of a multi-year run by a day for nothing a planner could see.
Imports nothing of the model, and numpy only when asked for days as arrays, so the parameters can
check dates with it and listing scenarios stays instant.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: Days in a year of the calendar (and of a run).
YEAR_DAYS = sum(MONTH_DAYS)
#: The day of the year (0 = January 1) each month starts on.
FIRST_DAY_OF_MONTH = (0, *itertools.accumulate(MONTH_DAYS[:-1]))

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2}))?$")


def month_of_day_of_year() -> np.ndarray:
    """The month (0 = January) of each day of the year."""
    import numpy as np

    return np.repeat(np.arange(12), MONTH_DAYS)


def month_of(measured_day: np.ndarray | float) -> np.ndarray:
    """The month (0 = January) of measured days (0 = January 1 of the first measured year; times
    within a day and warm-up days, which are negative, allowed)."""
    import numpy as np

    return month_of_day_of_year()[np.floor(measured_day).astype(np.int64) % YEAR_DAYS]


def year_of(measured_day: np.ndarray | float, start_year: int) -> np.ndarray:
    """The calendar year of measured days."""
    import numpy as np

    return start_year + np.floor_divide(np.floor(measured_day).astype(np.int64), YEAR_DAYS)


def parse_date(text: str) -> tuple[int, int, int]:
    """(year, month, day) of a date written "YYYY" (its January 1) or "YYYY-MM-DD"; ValueError
    saying what is allowed otherwise."""
    match = _DATE.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a date: write a year (2009) or a day (2009-03-27)")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r}: the month must be from 01 to 12")
    if not 1 <= day <= MONTH_DAYS[month - 1]:
        raise ValueError(f"{text!r}: {MONTHS[month - 1]} has days 01 to {MONTH_DAYS[month - 1]:02d} "
                         "(years of the model have 365 days, no February 29)")
    return year, month, day


def measured_day_of(date: str, start_year: int) -> int:
    """The measured day a date falls on (negative before the first measured year)."""
    year, month, day = parse_date(date)
    return (year - start_year) * YEAR_DAYS + FIRST_DAY_OF_MONTH[month - 1] + day - 1


def daily_factors(profile: tuple[float, ...]) -> np.ndarray:
    """Each day of the year's share of a monthly profile, scaled so that the year's mean day is 1:
    the profile moves arrivals between months and leaves the annual total as it was."""
    import numpy as np

    by_day = np.asarray(profile, dtype=float)[month_of_day_of_year()]
    return by_day / by_day.mean()
