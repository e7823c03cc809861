"""The northern border's rules, written once: what follows screening, for how long, and how it ends.

Each rule is a function of numpy arrays, one entry per child, that also takes one child's plain
values (then it makes no numpy call: a numpy call on one value costs more than the rest of a
child's step). The border child by child (`sim.model.stages.northern_border`) calls them
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

Where they are: a child uses the care unit, officers and shelter of the repatriation point where
they are handed back. A point with no care-unit place receives its children in its shelter
(`received_in_shelter`): care and screening happen there, in a bed held from the handover (los06:
without a módulo the child is sent to a shelter).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.codes import Exit, Stage

#: The paths after screening.
PICKUP, SHELTER, PROTECTION = 0, 1, 2
#: The stage a child enters on each path after screening (pick-up: the journey ends).
STAGE_AFTER_SCREENING = (Stage.EXITED, Stage.SHELTER, Stage.PROTECTION_ROUTE)
#: How the journey of a child on each path ends.
EXIT_OF_PATH = (Exit.REUNIFIED, Exit.REUNIFIED, Exit.PROTECTION)


Values = Any  # a numpy array (one entry per child), or one child's plain value


def where(condition: Values, if_true: Values, if_false: Values) -> Values:
    """`numpy.where` for arrays; for one child's plain values, the plain choice."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


def path_after_screening(needs_detected: Values, family_pickup: Values) -> Values:
    """Each child's path: protection if a need was detected, else pick-up if the family comes,
    else a shelter bed."""
    return where(needs_detected, PROTECTION, where(family_pickup, PICKUP, SHELTER))


def received_in_shelter(care_unit_places_at_point: Values) -> Values:
    """Whether children handed back at a point are received in its shelter: no care unit there."""
    return care_unit_places_at_point == 0


def needs_a_bed(path: Values) -> Values:
    """Whether the path asks for a shelter bed (every path but pick-up)."""
    return path != PICKUP


def days_of_stay(path: Values, family_contact_days: Values, protection_days: Values) -> Values:
    """How long the stay after screening lasts, from when it starts (pick-up: none)."""
    return where(path == PROTECTION, protection_days, where(path == SHELTER, family_contact_days, 0.0))


def goes_home_after_stay(path: Values) -> Values:
    """Whether the stay ends with the journey home (shelter), rather than the journey's end."""
    return path == SHELTER


def days_home_after_stay(path: Values, return_travel_days: Values) -> Values:
    """How long after the stay ends the journey ends: the journey home, on the shelter path."""
    return where(goes_home_after_stay(path), return_travel_days, 0.0)
