"""Every reported number, derived from a run's tables (children, visits, daily stocks).

Outcomes refer to the measured period (after the warm-up). Flows are per year: `new_*`; means of
daily stocks: `mean_n_*`, peaks `peak_n_*`; cumulative totals over the whole period: `cum_*`.
Times are in days. A share with no children to share among is NaN, never a silent zero. Names,
labels and units are in `sim.analysis.outcome_registry`.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.outcome_registry import ALL_OUTCOMES, OUTCOME_BY_NAME, Outcome
from sim.model.codes import Exit, Route
from sim.model.parameters import DAYS_PER_YEAR, Parameters
from sim.model.records import Table
from sim.model.schema import RESOURCE_NAMES, resource_capacities

RESOURCE_CODE = {name: code for code, name in enumerate(RESOURCE_NAMES)}

__all__ = [
    "ALL_OUTCOMES", "OUTCOME_BY_NAME", "Outcome", "TIMED_OUTCOMES", "compute_outcomes", "timed_outcome",
]


def _share(part: float, whole: float) -> float:
    return float(part) / whole if whole else float("nan")


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    if values.size == 0:
        return 0.0, 0.0, 0.0
    median, p95 = np.percentile(values, [50, 95])
    return float(values.mean()), float(median), float(p95)


def compute_outcomes(tables: dict[str, Table], parameters: Parameters, years: float) -> dict[str, float]:
    """All outcomes of one replication over its measured period (the `years` after the warm-up)."""
    start = float(parameters.warmup_days)
    end = start + round(years * DAYS_PER_YEAR)
    years = (end - start) / DAYS_PER_YEAR
    capacities = resource_capacities(parameters)
    children, visits, daily = tables["children"], tables["visits"], tables["daily"]
    out: dict[str, float] = {}

    def within(times: np.ndarray) -> np.ndarray:
        return (times >= start) & (times < end)

    route = children["route"]
    north, south = route == Route.NORTH, route == Route.SOUTH
    alone = children["accompanied"] == 0
    exit_kind = children["exit"]
    exited_now = within(children["exited_at"])
    apprehended_now = within(children["apprehended_at"])
    departed_now = within(children["departed_at"])

    def per_year(mask: np.ndarray) -> float:
        return float(np.count_nonzero(mask)) / years

    out["new_departures_mexico"] = float(daily["new_departures_mexico"].sum()) / years
    out["new_departures_central_america"] = per_year(south & departed_now)
    out["new_repatriated_north"] = per_year(north & apprehended_now)
    out["new_repatriated_north_unaccompanied"] = per_year(north & apprehended_now & alone)
    out["new_repatriated_north_accompanied"] = per_year(north & apprehended_now & ~alone)
    out["new_returned_with_family_north"] = per_year(exited_now & (exit_kind == Exit.RETURNED_WITH_FAMILY))
    out["new_reunified_north"] = per_year(exited_now & (exit_kind == Exit.REUNIFIED))
    out["new_protection_route_north"] = per_year(exited_now & north & (exit_kind == Exit.PROTECTION))
    out["new_apprehended_south"] = per_year(south & apprehended_now)
    out["new_apprehended_south_unaccompanied"] = per_year(south & apprehended_now & alone)
    returned_south = exited_now & (exit_kind == Exit.RETURNED_SOUTH)
    out["new_returned_south"] = per_year(returned_south)
    out["new_returned_south_unaccompanied"] = per_year(returned_south & alone)
    out["new_protection_route_south"] = per_year(exited_now & south & (exit_kind == Exit.PROTECTION))
    out["new_reached_united_states"] = per_year(exited_now & (exit_kind == Exit.REACHED_UNITED_STATES))
    out["new_harmed_in_transit"] = per_year(departed_now & (children["harmed_in_transit"] == 1))
    out["new_protected_by_system"] = (out["new_repatriated_north_unaccompanied"]
                                      + out["new_apprehended_south"])

    # screening: children apprehended in the period whose screening is done
    screened = apprehended_now & ((north & alone) | south) & (exit_kind != Exit.NONE)
    has_need = (children["trafficking_victim"] == 1) | (children["in_need_of_protection"] == 1)
    detected = screened & has_need & (children["needs_detected"] == 1)
    missed = screened & has_need & (children["needs_detected"] == 0)
    out["victims_detected"] = per_year(detected)
    out["victims_missed"] = per_year(missed)
    out["share_needs_detected"] = _share(np.count_nonzero(detected),
                                         np.count_nonzero(detected) + np.count_nonzero(missed))
    out["share_screened_by_officer"] = _share(
        np.count_nonzero(screened & (children["screened_by_officer"] == 1)), np.count_nonzero(screened))

    # detention
    resource = visits["resource"]
    started, ended, requested = visits["started_at"], visits["ended_at"], visits["requested_at"]
    station = (resource == RESOURCE_CODE["migration_stations"]) & ~np.isnan(started)
    station_started, station_ended = started[station], ended[station]  # small: only station stays
    stay_end = np.where(np.isnan(station_ended), end, station_ended)
    overlap = np.clip(np.minimum(stay_end, end) - np.maximum(station_started, start), 0, None)
    out["detention_child_days"] = float(overlap.sum()) / years
    finished_stays = within(station_ended)
    stays = (station_ended - station_started)[finished_stays]
    out["detention_days_mean"] = float(stays.mean()) if stays.size else 0.0
    limit = parameters.max_detention_days
    out["detention_limit_breaches"] = float(np.count_nonzero(stays > limit + 1e-9)) / years
    south_alone = south & alone & apprehended_now
    out["share_unaccompanied_detained"] = _share(
        np.count_nonzero(south_alone & (children["detained"] == 1)), np.count_nonzero(south_alone))
    alone_met = alone & apprehended_now & (north | south)
    with_adults = alone_met & (children["held_with_adults"] == 1)
    out["share_unaccompanied_held_with_adults"] = _share(np.count_nonzero(with_adults),
                                                         np.count_nonzero(alone_met))
    failed = alone_met & ((children["held_with_adults"] == 1) | (children["detained"] == 1))
    out["share_unaccompanied_detained_or_with_adults"] = _share(np.count_nonzero(failed),
                                                                np.count_nonzero(alone_met))

    # time to reunification
    reunified = exited_now & (exit_kind == Exit.REUNIFIED)
    days = children["exited_at"][reunified] - children["apprehended_at"][reunified]
    mean, _, p95 = _percentiles(days)
    out["days_to_reunification_mean"], out["days_to_reunification_p95"] = mean, p95
    days = children["exited_at"][returned_south] - children["apprehended_at"][returned_south]
    out["days_to_return_south_mean"] = _percentiles(days)[0]

    shelter_admissions = (resource == RESOURCE_CODE["shelters"]) & within(started)
    out["new_shelter_admissions"] = per_year(shelter_admissions)
    # a bed at another point than the one the child was handed back at: their own was full
    beds = np.flatnonzero(shelter_admissions)
    order = np.argsort(children["child_id"])
    ids = children["child_id"][order]
    at = np.clip(np.searchsorted(ids, visits["child_id"][beds]), 0, max(ids.size - 1, 0))
    own_point = children["point"][order][at] if ids.size else np.zeros(0)
    out["new_transferred_north"] = per_year(visits["place"][beds] != own_point)

    # resources (the children's masks are freed first: over a long run they are megabytes)
    del north, south, alone, exited_now, apprehended_now, departed_now, returned_south, screened
    del has_need, detected, missed, south_alone, alone_met, with_adults, failed, reunified
    asked_now = within(requested)
    for name in RESOURCE_NAMES:
        code = RESOURCE_CODE[name]
        mine = (resource == code) & asked_now
        served = mine & ~np.isnan(started)
        waits = started[served] - requested[served]
        mean, median, p95 = _percentiles(waits)
        out[f"wait_{name}_days_mean"] = mean
        out[f"wait_{name}_days_median"] = median
        out[f"wait_{name}_days_p95"] = p95
        in_use = daily[f"n_in_{name}"]
        waiting = daily[f"n_waiting_{name}"]
        out[f"mean_n_in_{name}"] = float(in_use.mean()) if in_use.size else 0.0
        out[f"peak_n_in_{name}"] = float(in_use.max()) if in_use.size else 0.0
        capacity = capacities[name]
        out[f"occupancy_{name}"] = out[f"mean_n_in_{name}"] / capacity if capacity else float("nan")
        out[f"mean_n_waiting_{name}"] = float(waiting.mean()) if waiting.size else 0.0
        had_to_wait = mine & (np.isnan(started) | (started > requested))
        out[f"overflow_{name}"] = per_year(had_to_wait)
        out[f"unserved_{name}"] = per_year(mine & np.isnan(started) & within(ended))
    return out


#: Shares of children served within a stated number of days, for protection standards
#: (`sim.inputs.standards`): name -> what is timed. Not in `ALL_OUTCOMES` because the number of days is
#: set by each standard, not by the model.
TIMED_OUTCOMES: dict[str, str] = {
    "share_officer_interview_within_days": "unaccompanied children (north) and apprehended children "
                                           "(south) interviewed by a child protection officer within "
                                           "the stated days of arrival (handover or apprehension)",
    "share_shelter_place_within_days": "unaccompanied northern children who needed a shelter bed (all but "
                                       "those picked up by family at the border) who had one within the "
                                       "stated days of handover",
    "share_reunified_within_days": "unaccompanied northern children not on the protection route who "
                                   "were reunified with their family within the stated days of handover",
}


def _first_start(children: Table, visits: Table, codes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per child (in the children table's order): when they first got a place of one of the resources
    `codes` (inf: never), and whether they ever asked for one."""
    mine = np.isin(visits["resource"], codes)
    order = np.argsort(children["child_id"])
    rows = order[np.searchsorted(children["child_id"], visits["child_id"][mine], sorter=order)]
    first = np.full(children["child_id"].size, np.inf)
    started = visits["started_at"][mine]
    np.minimum.at(first, rows, np.where(np.isnan(started), np.inf, started))
    asked = np.zeros(children["child_id"].size, dtype=bool)
    asked[rows] = True
    return first, asked


def timed_outcome(name: str, tables: dict[str, Table], parameters: Parameters, years: float,
                  days: float) -> float:
    """One of `TIMED_OUTCOMES` over the measured period, for a limit of `days`.

    Only children who arrived at least `days` before the end of the run count, so every one of them
    was watched for the whole allowed time. A child held up anywhere on the way (waiting with adults
    for a care-unit place, for an officer, for a bed) counts as late: so a system jammed upstream
    never looks on time. NaN when nobody arrived in that window.
    """
    start = float(parameters.warmup_days)
    end = start + round(years * DAYS_PER_YEAR)
    children, visits = tables["children"], tables["visits"]
    arrived = children["apprehended_at"]
    watched = (arrived >= start) & (arrived < end - days)
    north, alone = children["route"] == Route.NORTH, children["accompanied"] == 0
    if name == "share_shelter_place_within_days":
        first_bed, asked = _first_start(children, visits, [RESOURCE_CODE["shelters"]])
        picked_up_at_border = (children["exit"] == Exit.REUNIFIED) & ~asked
        concerned = watched & north & alone & ~picked_up_at_border
        on_time = first_bed - arrived <= days
        return _share(np.count_nonzero(concerned & on_time), np.count_nonzero(concerned))
    if name == "share_reunified_within_days":
        concerned = watched & north & alone & (children["exit"] != Exit.PROTECTION)
        on_time = ((children["exit"] == Exit.REUNIFIED)
                   & (children["exited_at"] - arrived <= days))
        return _share(np.count_nonzero(concerned & on_time), np.count_nonzero(concerned))
    if name == "share_officer_interview_within_days":
        concerned = watched & ((north & alone) | (children["route"] == Route.SOUTH))
        first_interview, _ = _first_start(children, visits, [RESOURCE_CODE["officers_north"],
                                                             RESOURCE_CODE["officers_south"]])
        return _share(np.count_nonzero(concerned & (first_interview - arrived <= days)),
                      np.count_nonzero(concerned))
    raise KeyError(f"{name!r} is not a timed outcome; allowed: {', '.join(TIMED_OUTCOMES)}")
