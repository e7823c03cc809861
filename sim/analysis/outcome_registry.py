"""The one registry of outcomes: every reported number's name, plain-language label, unit, kind,
family, whether more of it is better, and the views that show it.

Every table, chart, the brief, the explorer and the command line read outcome names, labels and
units from here; no other module lists outcomes. `sim.analysis.outcomes` computes the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from sim.model.parameters import CENTRAL_AMERICAN_ORIGINS
from sim.model.schema import RESOURCE_LABEL, RESOURCE_NAMES


class Kind(StrEnum):
    """What sort of number an outcome is; it sets how it is summarised and drawn."""

    FLOW = "flow"          # children (or child-days) per year
    SHARE = "share"        # a proportion in [0, 1]; differences are drawn in percentage points
    DURATION = "duration"  # days
    STOCK = "stock"        # places or children present on an average or peak day


class Family(StrEnum):
    """The question an outcome answers; charts and the brief group outcomes by family."""

    JOURNEYS = "journeys and returns"
    PROTECTION = "protection and screening"
    DETENTION = "detention and holding with adults"
    TIME = "time to go home"
    CAPACITY = "capacity in use and waits"


class View(StrEnum):
    """Where an outcome is among the few shown first."""

    RUN = "run"                  # the key figures after a run, and in the brief
    COMPARE = "compare"          # the comparison table and chart
    SWEEP = "sweep"              # the sweep charts
    SENSITIVITY = "sensitivity"  # the outcomes screened by the sensitivity analysis
    EXPLORER = "explorer"        # the explorer's live outcomes


UNIT_BY_KIND = {Kind.SHARE: "share", Kind.DURATION: "days"}


@dataclass(frozen=True)
class Outcome:
    """One reported number. `higher_is_better` is None where more is neither better nor worse: a
    count of departures, or a count that grows with arrivals whatever the policy (children reunified,
    needs detected: their shares say whether the system did better)."""

    name: str
    label: str
    unit: str
    kind: Kind
    family: Family
    higher_is_better: bool | None
    description: str
    views: frozenset[View] = field(default_factory=frozenset)

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the outcome can take: every outcome is a count, a share, a time or a stock."""
        return (0.0, 1.0) if self.kind is Kind.SHARE else (0.0, float("inf"))


def _outcome(name: str, label: str, kind: Kind, family: Family, higher_is_better: bool | None,
             description: str, *views: View, unit: str = "children/year") -> Outcome:
    return Outcome(name, label, UNIT_BY_KIND.get(kind, unit), kind, family, higher_is_better, description,
                   frozenset(views))


J, P, D, T, C = Family.JOURNEYS, Family.PROTECTION, Family.DETENTION, Family.TIME, Family.CAPACITY
RUN, COMPARE, SWEEP, SENSITIVITY, EXPLORER = (View.RUN, View.COMPARE, View.SWEEP, View.SENSITIVITY,
                                             View.EXPLORER)
FLOW, SHARE, DURATION, STOCK = Kind.FLOW, Kind.SHARE, Kind.DURATION, Kind.STOCK

_MODEL_OUTCOMES: tuple[Outcome, ...] = (
    _outcome("new_departures_mexico", "Mexican children leaving home", FLOW, J, None,
             "Mexican children leaving home"),
    _outcome("new_departures_central_america", "Central American children entering Mexico", FLOW, J, None,
             "Central American children entering Mexico"),
    _outcome("new_repatriated_north", "Handovers of children by the United States", FLOW, J, None,
             "handovers of children by the United States at the northern border, a child handed back "
             "twice counting twice (tot01: 34,083 handovers in 2008)", RUN),
    _outcome("new_repatriated_north_unaccompanied",
             "Handovers of unaccompanied children by the United States", FLOW, J, None,
             "of those, of unaccompanied children", RUN),
    _outcome("new_repatriated_north_accompanied", "Handovers of accompanied children by the United States",
             FLOW, J, None, "of those, of children accompanied by family"),
    _outcome("new_children_repatriated_north", "Children repatriated by the United States", FLOW, J, None,
             "children handed back at the northern border, each counted once a calendar year (F01); "
             "averaged over where the year starts, so any measured period counts as a year would", RUN),
    _outcome("new_repatriated_north_again", "Handovers of unaccompanied children handed back before", FLOW, J,
             None, "handovers of unaccompanied children on a second or later crossing (of F02)"),
    _outcome("new_children_repatriated_north_unaccompanied",
             "Unaccompanied children repatriated by the United States", FLOW, J, None,
             "of those, unaccompanied (F02; rep08 counts 17,772 in 2008)", RUN),
    _outcome("new_children_repatriated_north_twice_or_more",
             "Unaccompanied children repatriated twice or more", FLOW, J, False,
             "of those, handed back at least twice in the same calendar year (rep10: 3,397 in 2008)"),
    _outcome("share_children_repatriated_north_twice_or_more",
             "Share of unaccompanied children repatriated twice or more", SHARE, J, False,
             "children handed back twice or more / children handed back, unaccompanied, per measured year "
             "(rep10: 3,397 / 17,772 = 19.1%)"),
    _outcome("new_returned_with_family_north", "Accompanied children gone home with their family", FLOW, J,
             None, "accompanied children gone home with their family"),
    _outcome("new_reunified_north", "Unaccompanied children reunified with their family", FLOW, J, None,
             "unaccompanied children returned to their family in Mexico"),
    _outcome("new_protection_route_north", "Northern children on the protection route", FLOW, P, None,
             "northern children who took the protection route"),
    _outcome("new_shelter_admissions", "Admissions to transitory shelters", FLOW, C, None,
             "children admitted to transitory shelters (F10: ~15,300/year)", RUN),
    _outcome("new_transferred_north", "Children taken to another city's shelter", FLOW, C, False,
             "unaccompanied children given a bed at another repatriation point's shelter because their "
             "own point's was full (by road, nearest free bed first)"),
    _outcome("new_station_admissions", "Admissions of children to migration stations", FLOW, D, False,
             "stays of children begun in migration stations (rep21: 4,160 minors lodged in 2011)"),
    _outcome("new_apprehended_south", "Central American children apprehended in Mexico", FLOW, J, None,
             "Central American children apprehended in transit"),
    _outcome("new_apprehended_south_unaccompanied", "Unaccompanied children apprehended in Mexico", FLOW, J,
             None, "of those, unaccompanied"),
    _outcome("new_returned_south", "Children returned via the southern border", FLOW, J, None,
             "children returned to their country via the southern border"),
    _outcome("new_returned_south_unaccompanied", "Unaccompanied children returned via the southern border",
             FLOW, J, None, "of those, unaccompanied (F03)", RUN),
    _outcome("new_protection_route_south", "Southern children on the protection route", FLOW, P, None,
             "southern children who took the protection route (asylum, care)"),
    _outcome("new_reached_united_states", "Central American children who crossed Mexico unapprehended",
             FLOW, J, None, "Central American children who crossed Mexico unapprehended"),
    _outcome("new_harmed_in_transit", "Children harmed or exploited in transit", FLOW, P, False,
             "children harmed or exploited in transit through Mexico"),
    _outcome("new_protected_by_system", "Children protected by the system", FLOW, P, True,
             "children repatriated to or from Mexico who met the protection system (unaccompanied north, "
             "all apprehended south) and met no protection failure: never held with adults, never "
             "detained (F11: >25,000, with 'separate accommodation from adults')", RUN),
    _outcome("victims_detected", "Children whose protection need was detected", FLOW, P, None,
             "children with a hidden need (victim or protection need) whose need screening detected",
             RUN, COMPARE, SENSITIVITY),
    _outcome("victims_missed", "Children whose protection need was missed", FLOW, P, False,
             "children with a hidden need that screening missed"),
    _outcome("share_needs_detected", "Share of protection needs detected", SHARE, P, True,
             "detected / (detected + missed)", RUN, COMPARE, SENSITIVITY),
    _outcome("new_screened_by_officer_north", "Unaccompanied children interviewed by an officer (north)",
             FLOW, P, True, "unaccompanied children handed back whose screening was by a child protection "
             "officer (opi05: 11,520 Mexican children attended by officers in 2011)"),
    _outcome("share_screened_by_officer", "Share screened by a child protection officer", SHARE, P, True,
             "screened children seen by an officer, not a regular agent"),
    _outcome("detention_child_days", "Days children spent in migration stations", FLOW, D, False,
             "days children spent in migration stations", RUN, COMPARE, SWEEP, SENSITIVITY, EXPLORER,
             unit="child-days/year"),
    _outcome("detention_days_mean", "Mean stay in a migration station", DURATION, D, False,
             "mean length of a stay in a migration station", EXPLORER),
    _outcome("detention_limit_breaches", "Stays beyond the legal maximum", FLOW, D, False,
             "stays in detention longer than the legal maximum", EXPLORER),
    _outcome("share_unaccompanied_detained", "Share of unaccompanied children detained", SHARE, D, False,
             "unaccompanied children apprehended in the south who spent any time in a migration station",
             RUN, COMPARE),
    _outcome("new_diverted_to_detention", "Children sent to detention because alternative care was full",
             FLOW, D, False,
             "children due an alternative-care place (young and unaccompanied, los07; or by the scenario's "
             "rules) who were sent to a migration station because none was free", RUN, COMPARE),
    _outcome("share_unaccompanied_held_with_adults", "Share of unaccompanied children held with adults",
             SHARE, D, False,
             "unaccompanied children (both borders) who waited in a holding area with adults, or spent "
             "time in a migration station that does not keep children apart (det07)",
             RUN, COMPARE, SWEEP),
    _outcome("share_unaccompanied_detained_or_with_adults",
             "Share of unaccompanied children detained or held with adults", SHARE, D, False,
             "unaccompanied children who were detained or held with adults"),
    _outcome("days_to_reunification_mean", "Days from handover to reunification", DURATION, T, False,
             "handover to reunification, unaccompanied north", RUN, COMPARE),
    _outcome("days_to_reunification_p95", "Days to reunification, slowest 5%", DURATION, T, False,
             "95th percentile of the same"),
    _outcome("days_to_return_south_mean", "Days from apprehension to return south", DURATION, T, False,
             "apprehension to return via the southern border", COMPARE),
)

#: Which per-resource outcomes are shown first, by view.
_RESOURCE_VIEWS: dict[str, tuple[View, ...]] = {
    "wait_officers_north_days_mean": (RUN, COMPARE, SWEEP, SENSITIVITY, EXPLORER),
    "wait_officers_south_days_mean": (COMPARE, EXPLORER),
    "wait_shelters_days_mean": (RUN, SENSITIVITY, EXPLORER),
    "wait_care_units_days_mean": (EXPLORER,),
    "wait_migration_stations_days_mean": (EXPLORER,),
    "wait_alternative_care_days_mean": (EXPLORER,),
    "occupancy_shelters": (RUN, COMPARE, SENSITIVITY),
    "occupancy_migration_stations": (RUN, COMPARE, SENSITIVITY),
    "occupancy_alternative_care": (RUN,),
    "occupancy_shelters_peak_month": (RUN,),
    "occupancy_care_units_peak_month": (RUN,),
    "overflow_alternative_care": (COMPARE, SWEEP, EXPLORER),
    "overflow_care_units": (EXPLORER,),
    "overflow_migration_stations": (EXPLORER,),
}


def _resource_outcomes(name: str) -> tuple[Outcome, ...]:
    short = RESOURCE_LABEL[name]
    label = short[0].lower() + short[1:]

    def made(outcome: str, text: str, kind: Kind, higher_is_better: bool | None, description: str,
             unit: str = "children/year") -> Outcome:
        return _outcome(outcome, text, kind, C, higher_is_better, description,
                        *_RESOURCE_VIEWS.get(outcome, ()), unit=unit)

    return (
        made(f"wait_{name}_days_mean", f"Mean wait for {label}", DURATION, False,
             f"mean wait for {name} (children who had to ask)"),
        made(f"wait_{name}_days_median", f"Median wait for {label}", DURATION, False,
             f"median wait for {name}"),
        made(f"wait_{name}_days_p95", f"Wait for {label}, slowest 5%", DURATION, False,
             f"95th percentile wait for {name}"),
        made(f"wait_{name}_days_p95_peak_month", f"Wait for {label} in the busiest month, slowest 5%",
             DURATION, False, f"95th percentile wait for {name} of requests made in its busiest calendar "
             "month (the month of highest occupancy, all measured years pooled)"),
        made(f"mean_n_in_{name}", f"{short}: places in use on an average day", STOCK, None,
             f"mean places of {name} in use", unit="places"),
        made(f"peak_n_in_{name}", f"{short}: most places in use on a day", STOCK, None,
             f"most places of {name} in use at a day's end", unit="places"),
        made(f"occupancy_{name}", f"{short}: share of capacity in use", SHARE, None,
             f"mean share of {name} capacity in use"),
        made(f"occupancy_{name}_peak_month", f"{short}: share of capacity in use in the busiest month",
             SHARE, None, f"mean share of {name} capacity in use in its busiest calendar month (all "
             "measured years pooled): what seasonal peaks ask of it"),
        made(f"mean_n_waiting_{name}", f"Children waiting for {label} on an average day", STOCK, False,
             f"mean children waiting for {name}", unit="children"),
        made(f"overflow_{name}", f"Requests for {label} that had to wait", FLOW, False,
             f"requests for {name} that had to wait"),
        made(f"unserved_{name}", f"Requests for {label} given up", FLOW, False,
             f"requests for {name} given up after the longest wait allowed (officers: screened by a "
             "regular agent; places: went on from holding)"),
    )


class Group(NamedTuple):
    """A group of children an outcome is broken down by: `dimension=name` in the outcome's name."""

    dimension: str
    name: str
    label: str


#: The groups of children outcomes are broken down by: nationality (Mexican children are those
#: handed back in the north), age band and sex. Within a dimension the groups cover every child once.
BREAKDOWN_GROUPS: tuple[Group, ...] = (
    Group("nationality", "mexico", "Mexican"),
    *(Group("nationality", origin.lower().replace(" ", "_"),
            origin if origin != "other" else "other nationalities") for origin in CENTRAL_AMERICAN_ORIGINS),
    Group("age", "under_12", "under 12"),
    Group("age", "12_to_17", "aged 12-17"),
    Group("sex", "girl", "girls"),
    Group("sex", "boy", "boys"),
)
#: The outcomes broken down by group (`BREAKDOWN_GROUPS`): counted and computed as for all children,
#: among the group's children only.
BROKEN_DOWN: tuple[str, ...] = ("new_protected_by_system", "share_unaccompanied_held_with_adults",
                                "share_unaccompanied_detained", "share_needs_detected",
                                "days_to_reunification_mean")


def breakdown_name(outcome: str, group: Group) -> str:
    """The name of `outcome` among the children of `group`, e.g.
    `share_unaccompanied_held_with_adults[nationality=honduras]`."""
    return f"{outcome}[{group.dimension}={group.name}]"


def _breakdown_outcomes() -> tuple[Outcome, ...]:
    by_name = {outcome.name: outcome for outcome in _MODEL_OUTCOMES}
    return tuple(Outcome(breakdown_name(name, group), f"{by_name[name].label}: {group.label}",
                         by_name[name].unit, by_name[name].kind, by_name[name].family,
                         by_name[name].higher_is_better,
                         f"{by_name[name].description}; {group.dimension}: {group.label} only")
                 for group in BREAKDOWN_GROUPS for name in BROKEN_DOWN)


ALL_OUTCOMES: tuple[Outcome, ...] = _MODEL_OUTCOMES + tuple(
    outcome for name in RESOURCE_NAMES for outcome in _resource_outcomes(name)) + _breakdown_outcomes()
OUTCOME_BY_NAME: dict[str, Outcome] = {outcome.name: outcome for outcome in ALL_OUTCOMES}


def outcomes_in(view: View) -> tuple[str, ...]:
    """Names of the outcomes shown first in `view`, in registry order."""
    return tuple(outcome.name for outcome in ALL_OUTCOMES if view in outcome.views)
