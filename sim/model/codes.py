"""The codes of a child's record: route, reason, stage, exit, and the columns of their draws.

Plain enums with no Mesa, so that the analysis of saved tables can read them without the model.
"""

from __future__ import annotations

from enum import IntEnum


class Route(IntEnum):
    """Which side of Mexico's protection system a child meets."""

    NORTH = 0  # Mexican children returned by the United States at the northern border
    SOUTH = 1  # Central American children in transit through Mexico


class Reason(IntEnum):
    """Why the child left home."""

    WORK = 0
    JOIN_FAMILY = 1
    ESCAPE_VIOLENCE = 2


class Stage(IntEnum):
    """The step of the journey a child is in."""

    ABROAD = 0  # a Mexican child on the way to, or held in, the United States
    TRANSIT = 1  # a Central American child crossing Mexico
    HANDOVER = 2  # accompanied child handed over with the family at the northern border
    CARE_UNIT = 3  # unaccompanied child at a special care unit (or waiting for one)
    SHELTER = 4  # waiting for, or staying in, a transitory shelter until family contact
    RETURN_TRAVEL = 5  # on the way home after family contact
    PLACEMENT = 6  # apprehended in the south: in detention, alternative care, or waiting
    RETURN_ARRANGEMENT = 7  # screened in the south, waiting for the return to be arranged
    PROTECTION_ROUTE = 8  # detected victim or asylum seeker in specialised care
    EXITED = 9


class Exit(IntEnum):
    """How a child's journey ends (as far as the model follows it)."""

    NONE = 0  # still in the system
    RETURNED_WITH_FAMILY = 1  # accompanied child handed over and gone home with family (north)
    REUNIFIED = 2  # unaccompanied child returned to family in Mexico (north)
    RETURNED_SOUTH = 3  # returned to the country of origin via the southern border
    PROTECTION = 4  # took the protection route (specialised care or asylum)
    REACHED_UNITED_STATES = 5  # crossed Mexico without being apprehended


class Chance(IntEnum):
    """Columns of a child's personal uniform draws, drawn in one batch at departure."""

    ACCOMPANIED = 0
    AGE_BAND = 1
    AGE_IN_BAND = 2
    SEX = 3
    REASON = 4
    ORIGIN = 5
    VICTIM = 6
    PROTECTION_NEED = 7
    TRANSIT_DAYS = 8
    APPREHENSION = 9
    HARM = 10
    DAYS_ABROAD = 11
    CARE_DAYS = 12
    CASE_DAYS = 13
    DETECTION_BY_OFFICER = 14
    FAMILY_PICKUP = 15
    PHONE_LINE = 16
    DETECTION_BY_AGENT = 17  # independent of the officer's: F12 is not built in
    REPATRIATION_POINT = 18


class Normal(IntEnum):
    """Columns of a child's standard normal draws (for lognormal stays)."""

    FAMILY_CONTACT = 0
    RETURN_ARRANGEMENT = 1
    PROTECTION_DAYS = 2


N_CHANCES = len(Chance)
N_NORMALS = len(Normal)


#: A child's `who`: the fixed part of their record, in the order of the children table's first
#: columns (see `sim.model.amparo_model.CHILD_COLUMNS`).
#: `child_id` names one crossing's record (the key of every table); `person_id` the child across
#: their crossings (the `child_id` of their first); `crossing` counts them (1: the first journey);
#: `first_departed_at` is when the child first left home (the same in every scenario of a seed that
#: keeps the child, unlike ids: it keys the child's draws for crossing again).
#: `point`: the northern repatriation point a Mexican child is handed back at (its index in
#: `Parameters.geography.points`), -1 in the south.
WHO_COLUMNS = ("child_id", "person_id", "crossing", "first_departed_at", "route", "origin", "age", "girl",
               "accompanied", "reason", "far_from_border", "trafficking_victim", "in_need_of_protection",
               "harmed_in_transit", "point")
WHO_TYPES = (int, int, int, float, int, int, int, bool, bool, int, bool, bool, bool, bool, int)
WHO_CHILD_ID, WHO_AGE, WHO_ACCOMPANIED, WHO_POINT = (WHO_COLUMNS.index(name)
                                                     for name in ("child_id", "age", "accompanied", "point"))
