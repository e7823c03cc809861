"""The child: a Mesa agent while in Mexico's protection system.

A child is drawn at departure (as one entry of a batch, see `sim.stages.origin`) and becomes a Mesa
agent when they meet the protection system: handed back at the northern border unaccompanied, or
apprehended in transit. The agent leaves the model the moment the child leaves the system's
custody: when they exit, or when they set off home after family contact (`sim.stages.return_home`).

A child carries who they are (age, sex, origin, reason for leaving, whether accompanied), what
screening may or may not detect (hidden needs), where they are now and what has happened to them.
All of a child's personal chances are drawn in one batch when they depart (see `Chance`), and what
they decide is worked out then (`sim.journey_plans`): the same child meets the same luck in every
scenario, which is what common random numbers need.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from mesa import Agent

if TYPE_CHECKING:
    from sim.model import AmparoModel


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
    INTERVIEW_DAYS = 13
    DETECTION = 14
    FAMILY_PICKUP = 15
    PHONE_LINE = 16


class Normal(IntEnum):
    """Columns of a child's standard normal draws (for lognormal stays)."""

    FAMILY_CONTACT = 0
    RETURN_ARRANGEMENT = 1
    PROTECTION_DAYS = 2


N_CHANCES = len(Chance)
N_NORMALS = len(Normal)


#: A child's `who`: the fixed part of their record, in the order of the children table's first
#: columns (see `sim.model.CHILD_COLUMNS`).
WHO_COLUMNS = ("child_id", "route", "origin", "age", "girl", "accompanied", "reason", "far_from_border",
               "trafficking_victim", "in_need_of_protection", "harmed_in_transit")
WHO_TYPES = (int, int, int, int, bool, bool, int, bool, bool, bool, bool)
WHO_CHILD_ID, WHO_AGE, WHO_ACCOMPANIED = (WHO_COLUMNS.index(name)
                                          for name in ("child_id", "age", "accompanied"))


class Child(Agent):
    """A migrating child. State changes are made by the stage that holds the child.

    `who` is the child's fixed description, as recorded (id, route, origin, age, sex, ...); `plan`
    holds what their personal draws decide, turned into days and outcomes when they departed (see
    `sim.journey_plans`). What screening and placement change starts as a class attribute: a new
    child stores only what differs.
    """

    # what screening found
    screened_by_officer = False
    needs_detected = False
    # protection failures experienced
    held_with_adults = False
    detained = False
    # where the child is
    apprehended_at = float("nan")
    exit = Exit.NONE
    exited_at = float("nan")
    # places currently held (see sim.resources)
    place_visit = None  # the place the child holds now (care unit, bed, station, ...)
    transfer_visit = None  # a request to move on while keeping the current place

    def __init__(self, model: AmparoModel, who: tuple, stage: Stage, departed_at: float,
                 plan: tuple) -> None:
        super().__init__(model)
        # the child's id in every table: given at departure, before the child became an agent
        self.unique_id = who[WHO_CHILD_ID]
        self.who = who
        self.accompanied = who[WHO_ACCOMPANIED]
        self.age = who[WHO_AGE]
        self.stage = stage
        self.departed_at = departed_at
        (self.care_days, self.case_days, self.detected_by_officer, self.detected_by_agent,
         self.family_pickup, self.family_contact_days, self.return_travel_days,
         self.return_arrangement_days, self.protection_days) = plan

    def record(self) -> tuple:
        """The child's row in the children table, as things stand."""
        return self.who + (self.screened_by_officer, self.needs_detected, self.held_with_adults,
                           self.detained, self.departed_at, self.apprehended_at, self.exit, self.exited_at)
