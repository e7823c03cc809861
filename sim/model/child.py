"""The child: a Mesa agent while in Mexico's protection system.

A child is drawn at departure (as one entry of a batch, see `sim.model.stages.origin`) and becomes a Mesa
agent when they meet the protection system: handed back at the northern border unaccompanied, or
apprehended in transit. The agent leaves the model the moment the child leaves the system's
custody: when they exit, or when they set off home after family contact (`sim.model.stages.return_home`).

A child carries who they are (age, sex, origin, reason for leaving, whether accompanied), what
screening may or may not detect (hidden needs), where they are now and what has happened to them.
All of a child's personal chances are drawn in one batch when they depart (see `Chance`), and what
they decide is worked out then (`sim.model.journey_plans`): the same child meets the same luck in every
scenario, which is what common random numbers need.
"""

from __future__ import annotations

from mesa import Agent, Model

from sim.model.codes import WHO_ACCOMPANIED, WHO_AGE, WHO_CHILD_ID, WHO_POINT, Exit, Stage


class Child(Agent):
    """A migrating child. State changes are made by the stage that holds the child.

    `who` is the child's fixed description, as recorded (id, route, origin, age, sex, ...); `plan`
    holds what their personal draws decide, turned into days and outcomes when they departed (see
    `sim.model.journey_plans`). What screening and placement change starts as a class attribute: a new
    child stores only what differs.
    """

    # what screening found
    screened_by_officer = False
    needs_detected = False
    path = None  # at the northern border, what follows screening (`sim.model.stages.northern_rules`)
    # protection failures experienced
    held_with_adults = False
    detained = False
    diverted_to_detention = False  # sent to a station because alternative care was full
    # where the child is
    apprehended_at = float("nan")
    exit = Exit.NONE
    exited_at = float("nan")
    # places currently held (see sim.model.resources)
    place_visit = None  # the place the child holds now (care unit, bed, station, ...)
    transfer_visit = None  # a request to move on while keeping the current place

    def __init__(self, model: Model, who: tuple, stage: Stage, departed_at: float,
                 plan: tuple) -> None:
        super().__init__(model)
        # the child's id in every table: given at departure, before the child became an agent
        self.unique_id = who[WHO_CHILD_ID]
        self.who = who
        self.accompanied = who[WHO_ACCOMPANIED]
        self.age = who[WHO_AGE]
        self.point = who[WHO_POINT]  # the northern repatriation point whose resources they use
        self.stage = stage
        self.departed_at = departed_at
        (self.care_days, self.case_days, self.case_share_to_detect, self.detected_by_agent,
         self.family_pickup, self.family_contact_days, self.return_travel_days,
         self.return_arrangement_days, self.protection_days) = plan

    def record(self) -> tuple:
        """The child's row in the children table, as things stand: the fields of `ChildRow`, in
        order (a plain tuple: made for every child, a named one costs several times more)."""
        return self.who + (self.screened_by_officer, self.needs_detected, self.held_with_adults,
                           self.detained, self.diverted_to_detention, self.departed_at, self.apprehended_at,
                           self.exit, self.exited_at)
