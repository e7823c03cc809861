"""The northern border in bulk gives the tables the agents give, and hands over to them exactly."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.invariants import check_invariants
from sim.analysis.outcomes import compute_outcomes
from sim.inputs.places import read_places
from sim.model.amparo_model import AmparoModel
from sim.model.parameters import Parameters
from sim.model.schema import resource_capacities

SMALL = Parameters(arrival_multiplier=0.2, warmup_days=30)


def _run(parameters: Parameters, in_bulk: bool, years: float = 0.3, stop_at: int | None = None,
         seed: int = 7):
    model = AmparoModel(parameters, seed=seed, years=years)
    model.northern_border.in_bulk.active = in_bulk  # off: every child in the north is an agent
    days_in_bulk = 0
    while model.running and model.day != stop_at:
        model.step()
        days_in_bulk += model.northern_border.in_bulk.active
    return model, days_in_bulk


def _sorted(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The table's rows in a fixed order (bulk and agents write rows in different orders)."""
    columns = [np.asarray(column, dtype=float) for column in table.values()]
    order = np.lexsort([np.nan_to_num(column, nan=-1.0) for column in reversed(columns)])
    return {name: column[order] for name, column in zip(table, columns, strict=True)}


def _assert_same_tables(first: AmparoModel, second: AmparoModel) -> None:
    one, two = first.tables(), second.tables()
    for name in ("children", "visits", "stages", "daily"):
        a, b = _sorted(one[name]), _sorted(two[name])
        for column in a:
            np.testing.assert_allclose(a[column], b[column], rtol=0, atol=1e-9, err_msg=f"{name}.{column}")
    assert (first.n_created, first.n_exited, first.n_in_stage) == (second.n_created, second.n_exited,
                                                                   second.n_in_stage)


@pytest.mark.parametrize("stop_at", [None, 75])  # a whole run, and the tables read in the middle
def test_in_bulk_and_as_agents_give_the_same_tables_when_no_line_forms(stop_at):
    in_bulk, days = _run(SMALL, True, stop_at=stop_at)
    agents, _ = _run(SMALL, False, stop_at=stop_at)
    assert days == in_bulk.day and in_bulk.northern_border.in_bulk.n_in_custody > 0
    assert len(in_bulk.agents) < len(agents.agents)  # the north's children are not agents
    _assert_same_tables(in_bulk, agents)


def test_the_day_a_line_would_form_the_children_become_agents_and_nothing_else_changes():
    # few beds: the first lines form in the north a few weeks in, while children are in every
    # state (in care, in a bed, cases still open after a child has gone)
    parameters = SMALL.replace(shelters=1, beds_per_shelter=25, max_days_waiting_in_holding=3.0)
    in_bulk, days = _run(parameters, True)
    agents, _ = _run(parameters, False)
    assert 20 < days < in_bulk.day and not in_bulk.northern_border.in_bulk.active
    _assert_same_tables(in_bulk, agents)
    tables = in_bulk.tables()
    check_invariants(tables, resource_capacities(parameters), in_bulk.n_created,
                     in_bulk.n_created - in_bulk.n_exited, parameters.warmup_days)
    assert compute_outcomes(tables, parameters, 0.3)["overflow_shelters"] > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(officers=st.integers(0, 60), care_places=st.integers(0, 30), beds=st.integers(0, 60),
       family_pickup=st.floats(0, 1), max_wait=st.sampled_from([0.5, 3.0, math.inf]),
       seed=st.integers(0, 2**31 - 1))
def test_in_bulk_and_as_agents_agree_for_any_capacities(officers, care_places, beds, family_pickup,
                                                         max_wait, seed):
    # whatever the capacities (none at all included), whether and whenever a line forms
    parameters = SMALL.replace(child_protection_officers=officers, care_units=1,
                               places_per_care_unit=care_places, shelters=1, beds_per_shelter=beds,
                               share_family_pickup_at_border=family_pickup, officer_max_wait_days=max_wait,
                               max_days_waiting_in_holding=max_wait)
    in_bulk, _ = _run(parameters, True, years=0.15, seed=seed)
    agents, _ = _run(parameters, False, years=0.15, seed=seed)
    _assert_same_tables(in_bulk, agents)


def test_children_crossing_again_are_the_same_records_in_bulk_and_as_agents():
    # many repeat crossings (a child comes home, leaves again and is handed back again) before and
    # after the border goes child by child: the same ids, crossings and times either way
    parameters = SMALL.replace(share_reunified_handed_back_again=0.6, days_home_before_leaving_again_mean=5.0,
                               shelters=1, beds_per_shelter=30, max_days_waiting_in_holding=3.0)
    in_bulk, days = _run(parameters, True, years=0.4)
    agents, _ = _run(parameters, False, years=0.4)
    assert 20 < days < in_bulk.day
    children = in_bulk.tables()["children"]
    crossed_again = children["crossing"] >= 2
    assert np.count_nonzero(crossed_again & (children["departed_at"] < days)) > 50  # while in bulk
    assert np.count_nonzero(crossed_again & (children["departed_at"] > days)) > 50  # and after


# --- with places: resources at each repatriation point ----------------------------------------------
PLACES = SMALL.replace(geography=read_places())


@pytest.mark.parametrize("stop_at", [None, 75])
def test_with_places_in_bulk_and_as_agents_give_the_same_tables(stop_at):
    # officers and beds as in the baseline, spread over twelve points: lines form at some point
    in_bulk, days = _run(PLACES, True, stop_at=stop_at)
    agents, _ = _run(PLACES, False, stop_at=stop_at)
    assert days > 0
    _assert_same_tables(in_bulk, agents)


def test_with_places_a_line_at_one_point_hands_that_point_alone_to_the_agents():
    # plenty everywhere but Tijuana's shelter, spread by weights that leave it three beds: Tijuana
    # goes child by child, and its children who find no bed are transferred to points still in bulk
    points = PLACES.geography.points
    weights = [replace(point, shelters=1 if i == 0 else 20) for i, point in enumerate(points)]
    parameters = PLACES.replace(geography=replace(PLACES.geography, points=tuple(weights)),
                                shelters=1 + 20 * (len(points) - 1), beds_per_shelter=3,
                                child_protection_officers=2000, places_per_care_unit=200)
    in_bulk, days = _run(parameters, True)
    agents, _ = _run(parameters, False)
    assert days == in_bulk.day  # some point was in bulk every day
    assert in_bulk.northern_border.in_bulk.in_bulk_at.tolist() == [False] + [True] * (len(points) - 1)
    _assert_same_tables(in_bulk, agents)
    tables = in_bulk.tables()
    check_invariants(tables, resource_capacities(parameters), in_bulk.n_created,
                     in_bulk.n_created - in_bulk.n_exited, parameters.warmup_days)
    visits, children = tables["visits"], tables["children"]
    beds = visits["resource"] == in_bulk.northern_border.shelters.code
    point_of = dict(zip(children["child_id"].tolist(), children["point"].tolist(), strict=True))
    transferred = [place for child, place in zip(visits["child_id"][beds].tolist(),
                                                  visits["place"][beds].tolist(), strict=True)
                   if point_of[child] == 0 and place != 0]
    assert len(transferred) > 50  # into points that stayed in bulk


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(officers=st.integers(0, 120), care_units=st.integers(0, 6), care_places=st.integers(0, 10),
       shelters=st.integers(0, 30), beds=st.integers(0, 10), max_wait=st.sampled_from([0.5, 3.0, math.inf]),
       seed=st.integers(0, 2**31 - 1))
def test_with_places_in_bulk_and_as_agents_agree_for_any_capacities(officers, care_units, care_places,
                                                                     shelters, beds, max_wait, seed):
    parameters = PLACES.replace(child_protection_officers=officers, care_units=care_units,
                                places_per_care_unit=care_places, shelters=shelters, beds_per_shelter=beds,
                                officer_max_wait_days=max_wait, max_days_waiting_in_holding=max_wait)
    in_bulk, _ = _run(parameters, True, years=0.15, seed=seed)
    agents, _ = _run(parameters, False, years=0.15, seed=seed)
    _assert_same_tables(in_bulk, agents)
