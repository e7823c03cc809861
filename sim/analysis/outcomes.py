"""Every reported number, derived from a run's tables (children, visits, daily stocks).

Outcomes refer to the measured period (after the warm-up). Flows are per year: `new_*`; means of
daily stocks: `mean_n_*`, peaks `peak_n_*`; cumulative totals over the whole period: `cum_*`.
Times are in days. A share with no children to share among is NaN, never a silent zero. Names,
labels and units are in `sim.analysis.outcome_registry`.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.outcome_registry import (
    ALL_OUTCOMES,
    BREAKDOWN_GROUPS,
    OUTCOME_BY_NAME,
    Group,
    Outcome,
    breakdown_name,
)
from sim.model.codes import Exit, Route
from sim.model.parameters import (
    CENTRAL_AMERICAN_ORIGINS,
    DAYS_PER_YEAR,
    MEXICAN_STATES,
    Parameters,
    timeline_phases,
)
from sim.model.records import Table
from sim.model.run_calendar import month_of
from sim.model.schema import RESOURCE_NAMES, resource_capacities

RESOURCE_CODE = {name: code for code, name in enumerate(RESOURCE_NAMES)}

__all__ = [
    "ALL_OUTCOMES", "OUTCOME_BY_NAME", "Outcome", "TIMED_OUTCOMES", "capacities_by_day", "compute_outcomes",
    "occupancy_by_month", "timed_outcome",
]


def _share(part: float, whole: float) -> float:
    return float(part) / whole if whole else float("nan")


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    if values.size == 0:
        return 0.0, 0.0, 0.0
    median, p95 = np.percentile(values, [50, 95])
    return float(values.mean()), float(median), float(p95)


def protection_failed(children: Table) -> np.ndarray:
    """Per child, whether they met a protection failure (`scenarios/standards.toml`, F21, F22, F24):
    held with adults (in provisional holding, or in a station that does not keep children apart,
    det07) or detained at all. Such a child is never counted as protected (F11)."""
    return (children["held_with_adults"] == 1) | (children["detained"] == 1)


def capacities_by_day(parameters: Parameters, measured_days: np.ndarray) -> dict[str, np.ndarray]:
    """Places of each resource on each of `measured_days` (0 = the first measured day), as the
    scenario's timeline sets them."""
    phases = timeline_phases(parameters)
    first_days = np.array([day for day, _ in phases]) - parameters.warmup_days
    phase = np.searchsorted(first_days, measured_days, side="right") - 1
    by_phase = [resource_capacities(q) for _, q in phases]
    return {name: np.array([capacity[name] for capacity in by_phase], dtype=float)[np.clip(phase, 0, None)]
            for name in RESOURCE_NAMES}


def _share_in_use(in_use: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Each day's places in use over that day's capacity (NaN on a day with no places)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, in_use / np.where(capacity > 0, capacity, 1), np.nan)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def occupancy_by_month(daily: Table, parameters: Parameters,
                       capacities: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """Per resource, the mean share of its capacity in use on the measured days of each calendar
    month, January to December (the months of every measured year pooled; NaN: no such day, or
    no places). Capacities are the parameters' on each day, or the `capacities` given."""
    day = np.asarray(daily["day"], dtype=np.int64)
    month = month_of(day)
    if capacities is None:
        by_day = capacities_by_day(parameters, day)
    else:
        by_day = {name: np.full(day.size, float(capacities[name])) for name in RESOURCE_NAMES}
    result = {}
    for name in RESOURCE_NAMES:
        share = _share_in_use(np.asarray(daily[f"n_in_{name}"], dtype=float), by_day[name])
        result[name] = np.array([_nanmean(share[month == m]) for m in range(12)])
    return result


def compute_outcomes(tables: dict[str, Table], parameters: Parameters, years: float,
                     from_year: int = 0) -> dict[str, float]:
    """All outcomes of one replication over its measured period (the `years` after the warm-up),
    or over the `years` from measured year `from_year` on (0 is the first: a multi-year run's later
    years, for a scenario's timeline)."""
    start = float(parameters.warmup_days + from_year * DAYS_PER_YEAR)
    end = start + round(years * DAYS_PER_YEAR)
    years = (end - start) / DAYS_PER_YEAR
    capacities = resource_capacities(parameters)
    children, visits, daily = tables["children"], tables["visits"], tables["daily"]
    if from_year or daily["day"].size > end - parameters.warmup_days:
        measured = daily["day"] + float(parameters.warmup_days)
        rows = (measured >= start) & (measured < end)
        daily = {name: column[rows] for name, column in daily.items()}
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
    failed_protection = protection_failed(children)
    out["new_diverted_to_detention"] = per_year(apprehended_now & (children["diverted_to_detention"] == 1))
    out.update(_repeat_outcomes(children, north & apprehended_now, alone, start, years))

    # who met the system, screening, holding with adults, reunification: for all children, and
    # for each group of children (nationality, age band, sex)
    masks = {"north": north, "south": south, "alone": alone, "apprehended_now": apprehended_now,
             "exited_now": exited_now}
    out.update(_group_outcomes(children, masks, None, years))
    for group in BREAKDOWN_GROUPS:
        values = _group_outcomes(children, masks, _group_mask(children, group), years)
        out.update({breakdown_name(name, group): value for name, value in values.items()})

    screened = apprehended_now & ((north & alone) | south) & (exit_kind != Exit.NONE)
    has_need = (children["trafficking_victim"] == 1) | (children["in_need_of_protection"] == 1)
    detected = screened & has_need & (children["needs_detected"] == 1)
    missed = screened & has_need & (children["needs_detected"] == 0)
    out["victims_detected"] = per_year(detected)
    out["victims_missed"] = per_year(missed)
    out["new_screened_by_officer_north"] = per_year(screened & north & (children["screened_by_officer"] == 1))
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
    alone_met = alone & apprehended_now & (north | south)
    failed = alone_met & failed_protection
    out["share_unaccompanied_detained_or_with_adults"] = _share(np.count_nonzero(failed),
                                                                np.count_nonzero(alone_met))

    # time to reunification
    reunified = exited_now & (exit_kind == Exit.REUNIFIED)
    days = children["exited_at"][reunified] - children["apprehended_at"][reunified]
    out["days_to_reunification_p95"] = _percentiles(days)[2]
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
    out["new_station_admissions"] = per_year(station & within(started))

    # resources (the children's masks are freed first: over a long run they are megabytes)
    del north, south, alone, exited_now, apprehended_now, departed_now, returned_south, screened
    del has_need, detected, missed, alone_met, failed, reunified, masks, failed_protection
    asked_now = within(requested)
    requested_month = month_of(requested - start)
    by_month = occupancy_by_month(daily, parameters)
    capacity_by_day = capacities_by_day(parameters, np.asarray(daily["day"], dtype=np.int64))
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
        if parameters.timeline:  # capacity by day
            out[f"occupancy_{name}"] = _nanmean(_share_in_use(in_use.astype(float), capacity_by_day[name]))
        else:
            out[f"occupancy_{name}"] = out[f"mean_n_in_{name}"] / capacity if capacity else float("nan")
        # the resource's busiest month: the calendar month of highest mean occupancy
        months = by_month[name]
        if np.isnan(months).all():
            out[f"occupancy_{name}_peak_month"] = out[f"wait_{name}_days_p95_peak_month"] = float("nan")
        else:
            peak = int(np.nanargmax(months))
            out[f"occupancy_{name}_peak_month"] = float(months[peak])
            in_peak = served & (requested_month == peak)
            out[f"wait_{name}_days_p95_peak_month"] = _percentiles(started[in_peak] - requested[in_peak])[2]
        out[f"mean_n_waiting_{name}"] = float(waiting.mean()) if waiting.size else 0.0
        had_to_wait = mine & (np.isnan(started) | (started > requested))
        out[f"overflow_{name}"] = per_year(had_to_wait)
        out[f"unserved_{name}"] = per_year(mine & np.isnan(started) & within(ended))
    return out


def _group_outcomes(children: Table, masks: dict[str, np.ndarray], among: np.ndarray | None,
                    years: float) -> dict[str, float]:
    """The outcomes broken down by group (`sim.analysis.outcome_registry.BROKEN_DOWN`), among the
    children where `among` is true (None: every child): the one place they are computed."""
    north, south, alone, apprehended_now, exited_now = (
        masks[name] if among is None else masks[name] & among
        for name in ("north", "south", "alone", "apprehended_now", "exited_now"))
    met_system = apprehended_now & ((north & alone) | south)
    out = {"new_protected_by_system": np.count_nonzero(met_system & ~protection_failed(children)) / years}
    # screening: children apprehended in the period whose screening is done
    screened = apprehended_now & ((north & alone) | south) & (children["exit"] != Exit.NONE)
    has_need = (children["trafficking_victim"] == 1) | (children["in_need_of_protection"] == 1)
    n_detected = np.count_nonzero(screened & has_need & (children["needs_detected"] == 1))
    n_missed = np.count_nonzero(screened & has_need & (children["needs_detected"] == 0))
    out["share_needs_detected"] = _share(n_detected, n_detected + n_missed)
    south_alone = south & alone & apprehended_now
    out["share_unaccompanied_detained"] = _share(
        np.count_nonzero(south_alone & (children["detained"] == 1)), np.count_nonzero(south_alone))
    alone_met = alone & apprehended_now & (north | south)
    out["share_unaccompanied_held_with_adults"] = _share(
        np.count_nonzero(alone_met & (children["held_with_adults"] == 1)), np.count_nonzero(alone_met))
    reunified = exited_now & (children["exit"] == Exit.REUNIFIED)
    days = children["exited_at"][reunified] - children["apprehended_at"][reunified]
    # a group with nobody reunified (a Central American nationality) has no time: NaN, not 0
    out["days_to_reunification_mean"] = (_percentiles(days)[0] if days.size or among is None
                                         else float("nan"))
    return out


#: The origin code of each Central American nationality (`sim.model.parameters.ORIGINS`).
_NATIONALITY_CODE = {origin.lower().replace(" ", "_"): len(MEXICAN_STATES) + i
                     for i, origin in enumerate(CENTRAL_AMERICAN_ORIGINS)}


def _group_mask(children: Table, group: Group) -> np.ndarray:
    """Which children belong to `group`."""
    if group.dimension == "nationality":
        if group.name == "mexico":
            return children["route"] == Route.NORTH
        return (children["route"] == Route.SOUTH) & (children["origin"] == _NATIONALITY_CODE[group.name])
    if group.dimension == "age":
        return (children["age"] < 12) if group.name == "under_12" else (children["age"] >= 12)
    if group.dimension == "sex":
        return (children["girl"] == 1) if group.name == "girl" else (children["girl"] == 0)
    raise KeyError(f"no such group of children: {group.dimension}={group.name}")


def _same_year_chances(children: Table) -> tuple[np.ndarray, np.ndarray]:
    """Per child record, the chance that the child's previous handover in the north, and the one
    before it, fell in the same calendar year as this one (0 for a first crossing), over where the
    year's first day falls: a gap of g days shares a year with probability max(0, 1 - g / 365)."""
    at = children["apprehended_at"]
    person = children["person_id"].astype(np.int64)
    n = at.size
    order = np.lexsort((at, person))
    p, t = person[order], at[order]
    previous = np.zeros(n)
    before_previous = np.zeros(n)
    if n > 1:
        same = (p[1:] == p[:-1]) & np.isfinite(t[:-1])
        previous[1:] = np.where(same, np.clip(1 - (t[1:] - t[:-1]) / DAYS_PER_YEAR, 0, 1), 0)
    if n > 2:
        same = (p[2:] == p[:-2]) & np.isfinite(t[:-2])
        before_previous[2:] = np.where(same, np.clip(1 - (t[2:] - t[:-2]) / DAYS_PER_YEAR, 0, 1), 0)
    chance_previous, chance_before = np.empty(n), np.empty(n)
    chance_previous[order], chance_before[order] = previous, before_previous
    return np.nan_to_num(chance_previous), np.nan_to_num(chance_before)


def _repeat_outcomes(children: Table, handed_back: np.ndarray, alone: np.ndarray, start: float,
                     years: float) -> dict[str, float]:
    """Handovers of children handed back before, and children (not handovers) handed back once or
    more in a calendar year, and (unaccompanied) twice or more, as a yearly statistic counts them
    (F01, rep10), per year: `handed_back` marks the handovers in the north of the measured period.

    A child is counted once a calendar year. Rather than fix where the year starts (which would
    make a period shorter than a year count children differently from a whole year), each handover
    counts the chance that it is the child's first of its calendar year, over where the year's first
    day falls: 1 minus the chance the previous handover fell in the same year. The expected number
    of children a year is then the same whatever the measured period's length, so short calibration
    runs measure what the yearly figures count (the chain of handovers 'previous, before previous'
    likewise gives the children handed back twice or more in a year).
    """
    alone_back = handed_back & alone
    out = {"new_repatriated_north_again": np.count_nonzero(alone_back & (children["crossing"] >= 2)) / years}
    previous, before_previous = _same_year_chances(children)
    first_of_year = 1 - previous
    for suffix, mask in (("", handed_back), ("_unaccompanied", alone_back)):
        out[f"new_children_repatriated_north{suffix}"] = float(first_of_year[mask].sum()) / years
    twice = float((previous - before_previous)[alone_back].sum()) / years
    out["new_children_repatriated_north_twice_or_more"] = twice
    out["share_children_repatriated_north_twice_or_more"] = _share(
        twice, out["new_children_repatriated_north_unaccompanied"])
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
