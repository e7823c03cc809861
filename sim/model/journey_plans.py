"""What each child's personal draws decide, worked out for a whole batch of children at once.

A child's chances (`sim.model.child.Chance`, `Normal`) are drawn when they depart. Everything they decide
that does not depend on what other children do (how long care, a case, family contact or a return
takes; how much of a full officer's case a hidden need takes to come out, and whether a regular
agent would detect it; whether the family picks the child up at the border) is turned into days
and outcomes here, as numpy columns, for the children who will become agents. The stages then
only look these up: a child costs no logarithm and no draw while the model runs (stay lengths
from `sim.model.durations`, the rules from the stages').
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.codes import WHO_COLUMNS, Chance, Normal, Route
from sim.model.durations import exponential_days, lognormal_days
from sim.model.geography import travel_days_home
from sim.model.resources import officer_case_days

if TYPE_CHECKING:
    from sim.model.departures import Departures
    from sim.model.parameters import Parameters

#: Mexico's 32 states; phone lines (F07) cover `phone_line_states` of them.
N_STATES = 32

#: The plan's entries, in the order `sim.model.child.Child` unpacks them.
PLAN_COLUMNS = ("care_days", "case_days", "case_share_to_detect", "detected_by_agent", "family_pickup",
                "family_contact_days", "return_travel_days", "return_arrangement_days", "protection_days")
PLAN_TYPES = (float, float, float, bool, bool, float, float, float, float)


def arriving(children: Departures, p: Parameters) -> dict[str, np.ndarray]:
    """The columns the border needs of `children` who will meet the system: who they are
    (`sim.model.child.WHO_COLUMNS`), when they left (`departed_at`) and reach the border (`arrives_at`),
    and their plan (`PLAN_COLUMNS`)."""
    columns = {name: getattr(children, name) for name in WHO_COLUMNS if name != "route"}
    columns["route"] = np.full(len(children), int(children.route))
    columns["departed_at"] = children.departed_at
    columns["arrives_at"] = children.reaches_border_at
    columns.update(zip(PLAN_COLUMNS, journey_plans(children, p), strict=True))
    return columns


def journey_plans(children: Departures, p: Parameters) -> list[np.ndarray]:
    """The plan of each of `children`, as one array per entry of `PLAN_COLUMNS`."""
    u, z = children.chances, children.normals
    n = len(children)
    hidden_need = children.trafficking_victim | children.in_need_of_protection
    contact = lognormal_days(p.family_contact_days_mean, z[:, Normal.FAMILY_CONTACT])
    if p.geography.pooled or children.route != Route.NORTH:  # pooled: lines by chance, return near or far
        phone_line = u[:, Chance.PHONE_LINE] < p.phone_line_states / N_STATES
        far_days = p.return_travel_days_by_flight if p.free_flights else p.return_travel_days_far
        travel = np.where(children.far_from_border, far_days, np.full(n, p.return_travel_days_near))
    else:  # the child's state's phone line; the road (or a flight) from their point to their state
        phone_line = phone_line_by_state(p)[children.origin]
        travel = return_travel_days(p)[children.point, children.origin]
    columns = (
        exponential_days(p.care_days_mean, u[:, Chance.CARE_DAYS]),
        exponential_days(officer_case_days(p.officer_hours_per_child, p.officer_duty_hours_per_week),
                         u[:, Chance.CASE_DAYS]),
        case_share_to_detect(hidden_need, u[:, Chance.DETECTION_BY_OFFICER], p),
        hidden_need & (u[:, Chance.DETECTION_BY_AGENT] < p.detection_without_officer),
        u[:, Chance.FAMILY_PICKUP] < p.share_family_pickup_at_border,
        np.where(phone_line, contact * p.phone_line_contact_factor, contact),
        travel,
        lognormal_days(p.return_arrangement_days_mean, z[:, Normal.RETURN_ARRANGEMENT]),
        lognormal_days(p.protection_route_days_mean, z[:, Normal.PROTECTION_DAYS]),
    )
    return list(columns)


def phone_line_by_state(p: Parameters) -> np.ndarray:
    """Whether each state (in `MEXICAN_STATES` order) has a free phone line (F07): the lever
    `phone_line_states` gives the number of states with one, taken first among those the places
    file marks, then among the others, each group by largest share (ties: file order). The shipped
    file marks 21, the baseline's number, so the baseline keeps the file's states."""
    states = p.geography.states
    order = sorted(range(len(states)), key=lambda i: (not states[i].phone_line, -states[i].share, i))
    lines = np.zeros(len(states), dtype=bool)
    lines[order[: p.phone_line_states]] = True
    return lines


def return_travel_days(p: Parameters) -> np.ndarray:
    """Days home from each point (rows) to each state (columns): by road at
    `road_km_per_day` over the great-circle distance times `road_distance_factor`, or, with free
    flights (F08), by air (`return_travel_days_by_flight`) whenever the road takes longer."""
    road = np.array(travel_days_home(p.geography, p.road_distance_factor, p.road_km_per_day))
    if p.free_flights:
        return np.minimum(road, p.return_travel_days_by_flight)
    return road


def case_share_to_detect(hidden_need: np.ndarray, u: np.ndarray, p: Parameters) -> np.ndarray:
    """The share of a full officer's case each child's hidden need takes to come out (inf: no need,
    or officers who never detect it); an officer detects it when the case gets at least that much
    (`sim.model.stages.screening.officer_detects`).

    Detection grows with the time given, at a constant rate: a full case by a trained officer
    detects with probability `detection_with_officer`, by an untrained one `detection_without_officer`
    (as a regular agent); the officers' rate is the mix of the two by `share_officers_trained`. A case
    cut to a share s of its time detects with probability 1 - (1 - p_full) ** s. The child's draw `u`
    is turned into the share they need, -ln(1 - u) / rate, so the model compares two numbers and
    draws nothing as it runs.
    """
    trained, untrained = p.share_officers_trained, 1.0 - p.share_officers_trained
    rates = [share * _rate(probability) for share, probability in
             ((trained, p.detection_with_officer), (untrained, p.detection_without_officer)) if share]
    rate = sum(rates)
    if rate == 0:
        return np.full(u.size, np.inf)
    needed = -np.log1p(-u) / rate  # rate inf (certain detection): 0, detected by any case
    return np.where(hidden_need, needed, np.inf)


def _rate(probability: float) -> float:
    """The detection rate per full case that detects with `probability` (inf when certain)."""
    return math.inf if probability >= 1 else -math.log1p(-probability)
