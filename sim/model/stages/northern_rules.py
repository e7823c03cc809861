"""The northern border's rules, written once: what follows screening, for how long, and how it ends.

Each rule is a function of numpy arrays, one entry per child, that also takes one child's plain
values (an array of one). The border child by child (`sim.model.stages.northern_border`) calls them
for one child at a time; the border in bulk (`sim.model.stages.northern_border_in_bulk`) for a day's
children at once. A rule changed here changes both.

After screening an unaccompanied child takes one of three paths:

* `PROTECTION`: a detected hidden need (trafficking, international protection): a shelter bed for
  specialised care for `protection_days`, then the protection route ends (`Exit.PROTECTION`);
* `PICKUP`: otherwise, if the family picks the child up at the border: reunified at once;
* `SHELTER`: otherwise a transitory-shelter bed until the family is contacted
  (`family_contact_days`), then the journey home (`return_travel_days`), reunified on arrival.

A child on the protection or shelter path who finds no bed free waits for one (see
`northern_border`); the stay's length counts from when it starts.
"""

from __future__ import annotations

import numpy as np

from sim.model.codes import Exit, Stage

#: The paths after screening.
PICKUP, SHELTER, PROTECTION = 0, 1, 2
#: The stage a child enters on each path after screening (pick-up: the journey ends).
STAGE_AFTER_SCREENING = (Stage.EXITED, Stage.SHELTER, Stage.PROTECTION_ROUTE)
#: How the journey of a child on each path ends.
EXIT_OF_PATH = (Exit.REUNIFIED, Exit.REUNIFIED, Exit.PROTECTION)


def path_after_screening(needs_detected: np.ndarray, family_pickup: np.ndarray) -> np.ndarray:
    """Each child's path: protection if a need was detected, else pick-up if the family comes,
    else a shelter bed."""
    return np.where(needs_detected, PROTECTION, np.where(family_pickup, PICKUP, SHELTER))


def needs_a_bed(path: np.ndarray) -> np.ndarray:
    """Whether the path asks for a shelter bed (every path but pick-up)."""
    return path != PICKUP


def days_of_stay(path: np.ndarray, family_contact_days: np.ndarray,
                 protection_days: np.ndarray) -> np.ndarray:
    """How long the stay after screening lasts, from when it starts (pick-up: none)."""
    return np.where(path == PROTECTION, protection_days,
                    np.where(path == SHELTER, family_contact_days, 0.0))


def goes_home_after_stay(path: np.ndarray) -> np.ndarray:
    """Whether the stay ends with the journey home (shelter), rather than the journey's end."""
    return path == SHELTER


def days_home_after_stay(path: np.ndarray, return_travel_days: np.ndarray) -> np.ndarray:
    """How long after the stay ends the journey ends: the journey home, on the shelter path."""
    return np.where(goes_home_after_stay(path), return_travel_days, 0.0)
