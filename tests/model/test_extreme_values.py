"""Every allowed value runs: the model keeps its rules at the edges of every parameter's range.

Hypothesis combines edge values of every parameter, read from its allowed range in
`sim.model.parameters` (lowest and highest value, the default, one more than the lowest for whole
numbers, and half a day or half a share above the lowest for the rest: zero capacities, a capacity
of one, detention limits of 0 and half a day, shares of 0 and 1, infinite waits), with the arrival
volumes at the largest the model allows, and runs each combination for a few simulated days.
`run_replication` checks every invariant itself (every child accounted for on every day, no
capacity exceeded, no child with two records, every time in order), so an example passes only if
they all hold.

The quick search runs in the normal suite. `AMPARO_EXTREME_EXAMPLES=N` runs N examples over longer
warm-ups and horizons instead (the long search, run by hand).
"""

from __future__ import annotations

import dataclasses
import os
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiments.replications import run_replication
from sim.model.parameters import (
    MAX_CHILDREN_PER_YEAR,
    Parameters,
    check_value,
    children_per_year,
    parameter_fields,
    validation_problems,
)

LONG_EXAMPLES = int(os.environ.get("AMPARO_EXTREME_EXAMPLES", "0"))
#: Warm-ups and measured days of the quick search (short, so that the largest arrivals stay quick)
#: and of the long one.
WARMUP_DAYS, MEASURED_DAYS = ((0, 1, 2), (1, 2, 3)) if not LONG_EXAMPLES else ((0, 1, 10, 30), (1, 5, 18, 36))
#: Parameters that set how many children leave: drawn together so that the largest allowed arrivals
#: are reached (see `arrivals`); and the warm-up, drawn with the horizon.
VOLUMES = ("mexican_departures_per_year", "share_of_mexican_departures_returned_by_united_states",
           "central_american_departures_per_year", "arrival_multiplier", "arrival_multiplier_north",
           "arrival_multiplier_south", "awareness_campaign_reduction")
#: Shares that must not add up to more than 1, drawn as a group.
GROUPS = (("share_guatemala", "share_honduras", "share_el_salvador", "share_nicaragua"),
          ("share_leaving_for_work_mexico", "share_leaving_to_join_family_mexico"),
          ("share_leaving_for_work_central_america", "share_leaving_to_join_family_central_america"))
IN_GROUPS = {name for group in GROUPS for name in group}


#: Monthly profiles at their edges: flat, the default, every arrival in one month, half the year empty.
PROFILE_EDGES = [(1.0,) * 12, (12.0,) + (0.0,) * 11, (0.0,) * 6 + (2.0,) * 6]
#: A timeline at its edge: every place and officer gone from the second measured day (dated in 2008,
#: so drawn with that start year), then back on the third.
GONE = ("child_protection_officers", "care_units", "shelters", "migration_station_places",
        "alternative_care_places")
BACK = (("child_protection_officers", 172), ("care_units", 4), ("shelters", 27),
        ("migration_station_places", 150), ("alternative_care_places", 40))
TIMELINE_EDGES = [(), (("2008-01-02", tuple((name, 0) for name in GONE)), ("2008-01-03", BACK))]


def edges(f: dataclasses.Field) -> list:
    """The edge values of one parameter's allowed range."""
    if f.type == "bool":
        return [False, True]
    if f.type == "MonthlyProfile":
        return [f.default, *PROFILE_EDGES]
    if f.type == "TimelineChanges":
        return TIMELINE_EDGES
    low, high = f.metadata["low"], f.metadata["high"]
    values = [low, f.default, high]
    values.append(low + 1 if f.type == "int" else min(low + 0.5, high))
    return sorted(set(values))


def group_edges(names: tuple[str, ...]) -> list[dict[str, float]]:
    """All zero, each one alone at 1, and the defaults."""
    defaults = {f.name: f.default for f in parameter_fields() if f.name in names}
    return [dict.fromkeys(names, 0.0), defaults, *({n: float(n == one) for n in names} for one in names)]


@st.composite
def arrivals(draw: st.DrawFn) -> dict[str, float]:
    """Departures, returned share and campaign at their edges; the multiplier at 0, 1 or the largest
    that keeps the children a year within `MAX_CHILDREN_PER_YEAR` (the corner of what is allowed)."""
    fields = {f.name: f for f in parameter_fields()}
    values = {name: draw(st.sampled_from(edges(fields[name])))
              for name in VOLUMES if name != "arrival_multiplier"}
    unscaled = children_per_year(SimpleNamespace(**values, arrival_multiplier=1.0))
    largest = fields["arrival_multiplier"].metadata["high"]
    if unscaled > 0:
        largest = min(largest, MAX_CHILDREN_PER_YEAR / unscaled)
    values["arrival_multiplier"] = draw(st.sampled_from([0.0, min(1.0, largest), largest]))
    return values


@st.composite
def extreme_parameters(draw: st.DrawFn) -> tuple[Parameters, float]:
    """Parameters with every value at an edge of its range, and the years to simulate."""
    values = {f.name: draw(st.sampled_from(edges(f))) for f in parameter_fields()
              if f.name not in IN_GROUPS and f.name not in VOLUMES and f.name != "warmup_days"}
    for group in GROUPS:
        values.update(draw(st.sampled_from(group_edges(group))))
    values.update(draw(arrivals()))
    values["warmup_days"] = draw(st.sampled_from(WARMUP_DAYS))
    if values["timeline"]:
        values["start_year"] = 2008
    years = draw(st.sampled_from(MEASURED_DAYS)) / 365
    return Parameters(**values), years


def test_edges_are_allowed_values():
    for f in parameter_fields():
        for value in edges(f):
            assert check_value(f.name, value) is None, (f.name, value)
    for group in GROUPS:
        for values in group_edges(group):
            assert not validation_problems(Parameters(**values))


@pytest.mark.skipif(bool(LONG_EXAMPLES), reason="the long search runs instead")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=extreme_parameters(), seed=st.integers(0, 2**31 - 1))
def test_every_invariant_holds_at_the_edges_of_the_allowed_ranges(case, seed):
    parameters, years = case
    run_replication(parameters, seed=seed, years=years, keep_tables=False)  # checks invariants itself


@pytest.mark.skipif(not LONG_EXAMPLES, reason="set AMPARO_EXTREME_EXAMPLES=N to run the long search")
@settings(max_examples=max(LONG_EXAMPLES, 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=extreme_parameters(), seed=st.integers(0, 2**31 - 1))
def test_long_search_every_invariant_holds_at_the_edges(case, seed):
    parameters, years = case
    run_replication(parameters, seed=seed, years=years, keep_tables=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(limit=st.sampled_from([0.0, 0.5]), officers=st.sampled_from([2, 4, 10]),
       wait=st.sampled_from([0.5, 1.0]), interview=st.sampled_from([1.0, 8.0]),
       stations=st.sampled_from([10, 150]), alternative=st.sampled_from([1, 5, 40]),
       stay=st.sampled_from([0.01, 7.0]), seed=st.integers(0, 2**31 - 1))
def test_detention_limits_shorter_than_the_wait_for_an_officer_keep_every_invariant(
        limit, officers, wait, interview, stations, alternative, stay, seed):
    # the southern corner where a detention review can fall due before screening (issue 18)
    parameters = Parameters(
        warmup_days=5, arrival_multiplier=2.0, max_detention_days=limit, child_protection_officers=officers,
        share_officers_north=0.0, officer_max_wait_days=wait, officer_hours_per_child=interview * 24,
        officer_duty_hours_per_week=168.0,
        migration_station_places=stations, alternative_care_places=alternative,
        detection_with_officer=1.0, detection_without_officer=1.0,
        share_trafficking_victims_at_departure=0.5, return_arrangement_days_mean=stay,
        protection_route_days_mean=stay)
    run_replication(parameters, seed=seed, years=0.05, keep_tables=False)  # checks invariants itself


@pytest.mark.parametrize("limit", [0.0, 0.5])
def test_no_detention_under_a_five_fold_surge_runs(limit):
    # issue 18: a detention review due before screening used to ask for a second alternative-care
    # place, giving duplicate records and more children than station places
    parameters = Parameters(arrival_multiplier=5.0, max_detention_days=limit)
    result = run_replication(parameters, seed=2008, years=0.05)  # checks invariants itself
    children = result.tables["children"]
    assert children["child_id"].size == np.unique(children["child_id"]).size
    assert result.outcomes["new_apprehended_south"] > 1000
