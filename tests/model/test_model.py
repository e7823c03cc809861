"""Behaviour of the model through its public entry points: invariants, known results, directions."""

from __future__ import annotations

import gc
import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.invariants import InvariantViolation, check_invariants, peak_concurrent
from sim.analysis.summary import mean_and_interval
from sim.experiments.replications import run_replication, run_replications
from sim.model.amparo_model import AmparoModel
from sim.model.child import Child
from sim.model.codes import Exit, Stage
from sim.model.parameters import ParameterError, Parameters
from sim.model.schema import RESOURCE_NAMES, resource_capacities

#: A smaller world for fast tests: a fifth of the arrivals, a short warm-up.
SMALL = Parameters(arrival_multiplier=0.2, warmup_days=30)


def run_small(years: float = 0.25, seed: int = 1, **changes):
    return run_replication(SMALL.replace(**changes), seed=seed, years=years)


def test_every_child_is_in_exactly_one_place_every_day():
    model = AmparoModel(SMALL, seed=5, years=0.2)
    while model.running:
        model.step()
        in_stages = sum(model.n_in_stage[stage] for stage in Stage if stage is not Stage.EXITED)
        assert all(count >= 0 for count in model.n_in_stage)
        assert in_stages + model.n_exited == model.n_created
        # children are Mesa agents exactly while in the protection system's custody (not on the way home)
        outside = (Stage.ABROAD, Stage.TRANSIT, Stage.HANDOVER, Stage.RETURN_TRAVEL, Stage.EXITED)
        in_system = sum(model.n_in_stage[stage] for stage in Stage if stage not in outside)
        assert len(model.agents) + model.northern_border.in_bulk.n_in_custody == in_system
    tables = model.tables()
    exits = tables["children"]["exit"]
    assert exits.size == model.n_created
    assert np.count_nonzero(exits == Exit.NONE) == model.n_created - model.n_exited


def test_no_capacity_is_ever_exceeded_under_pressure():
    # tiny capacities and a surge: long lines everywhere, places always full
    result = run_small(arrival_multiplier=1.0, places_per_care_unit=2, shelters=2, beds_per_shelter=5,
                       migration_station_places=10, alternative_care_places=3,
                       child_protection_officers=6)
    tables = result.tables
    capacities = resource_capacities(SMALL.replace(places_per_care_unit=2, shelters=2, beds_per_shelter=5,
                                                   migration_station_places=10,
                                                   alternative_care_places=3,
                                                   child_protection_officers=6))
    visits = tables["visits"]
    for code, name in enumerate(RESOURCE_NAMES):
        served = (visits["resource"] == code) & ~np.isnan(visits["started_at"])
        assert peak_concurrent(visits["started_at"][served], visits["ended_at"][served]) <= capacities[name]
        assert tables["daily"][f"n_in_{name}"].max() <= capacities[name]
    assert result.outcomes["overflow_care_units"] > 0  # the pressure was real
    assert result.outcomes["share_unaccompanied_held_with_adults"] > 0


def test_invariant_check_catches_a_broken_table():
    model = AmparoModel(SMALL, seed=2, years=0.1)
    model.run()
    tables = model.tables()
    capacities = resource_capacities(SMALL)
    check_invariants(tables, capacities, model.n_created, model.n_created - model.n_exited)
    with pytest.raises(InvariantViolation, match="created"):
        check_invariants(tables, capacities, model.n_created + 1, model.n_created - model.n_exited)
    tight = dict(capacities, migration_stations=1)
    with pytest.raises(InvariantViolation, match="migration_stations"):
        check_invariants(tables, tight, model.n_created, model.n_created - model.n_exited)


def test_same_seed_same_numbers_bit_for_bit():
    first = run_small(seed=11)
    second = run_small(seed=11)
    for name, table in first.tables.items():
        for column, values in table.items():
            assert np.array_equal(values, second.tables[name][column], equal_nan=True), (name, column)
    assert first.outcomes == pytest.approx(second.outcomes, nan_ok=True, rel=0, abs=0)
    other = run_small(seed=12)
    assert other.outcomes["new_repatriated_north"] != first.outcomes["new_repatriated_north"]


def test_results_do_not_depend_on_the_number_of_workers():
    serial = run_replications(SMALL, 3, base_seed=7, years=0.1, keep_tables=False)
    with ProcessPoolExecutor(2) as executor:
        parallel = run_replications(SMALL, 3, base_seed=7, years=0.1, executor=executor, keep_tables=False)
    assert [r.seed for r in serial] == [r.seed for r in parallel]
    for a, b in zip(serial, parallel, strict=True):
        assert a.outcomes == pytest.approx(b.outcomes, nan_ok=True, rel=0, abs=0)


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    load = arrival_rate / service_rate
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return (top / bottom) / (servers * service_rate - arrival_rate)


@pytest.mark.slow
def test_officer_stage_as_m_m_c_queue_matches_erlang_c():
    # Unaccompanied children reach the officers as a Poisson stream: Poisson departures, an
    # exponential delay abroad and an ample care unit with exponential stays (M/M/inf keeps it
    # Poisson). Officers serve exponentially, nobody gives up waiting: an M/M/c queue.
    arrivals_per_day = 40.0
    interview_days = 0.2
    servers = 10
    parameters = Parameters(
        mexican_departures_per_year=arrivals_per_day * 365,
        share_of_mexican_departures_returned_by_united_states=1.0,
        share_unaccompanied_north=1.0, central_american_departures_per_year=0.0,
        child_protection_officers=servers, share_officers_north=1.0,
        officer_hours_per_child=interview_days * 24,
        officer_duty_hours_per_week=168.0, shortest_case_share=1.0,
        share_reunified_handed_back_again=0.0, arrival_profile_north=(1.0,) * 12,
        officer_max_wait_days=math.inf, places_per_care_unit=10_000, warmup_days=60)
    results = run_replications(parameters, 6, base_seed=3, years=1.0, keep_tables=False)
    mean, low, high = mean_and_interval([r.outcomes["wait_officers_north_days_mean"] for r in results])
    expected = erlang_c_mean_wait(arrivals_per_day, 1 / interview_days, servers)
    assert low <= expected <= high, (expected, mean, low, high)
    assert expected > 0.01  # the queue is loaded enough for the check to mean something


def test_more_officers_shorten_waits_and_find_more_victims():
    base = SMALL.replace(officer_hours_per_child=3.0 * 24, officer_duty_hours_per_week=168.0,
                        shortest_case_share=1.0, officer_max_wait_days=math.inf)
    few = run_replication(base.replace(child_protection_officers=40), seed=4, years=0.3).outcomes
    many = run_replication(base.replace(child_protection_officers=80), seed=4, years=0.3).outcomes
    assert many["wait_officers_north_days_mean"] < few["wait_officers_north_days_mean"]
    assert many["wait_officers_south_days_mean"] <= few["wait_officers_south_days_mean"]
    none = run_replication(SMALL.replace(child_protection_officers=0), seed=4, years=0.3).outcomes
    usual = run_replication(SMALL, seed=4, years=0.3).outcomes
    assert usual["victims_detected"] > none["victims_detected"]  # F12's direction
    assert none["share_screened_by_officer"] == 0


def test_no_detention_of_unaccompanied_children_with_enough_alternative_care():
    outcomes = run_small(detain_unaccompanied=False, shelter_age_limit_south=17,
                         alternative_care_places=300).outcomes
    assert outcomes["share_unaccompanied_detained"] == 0
    assert outcomes["share_unaccompanied_held_with_adults"] == 0
    baseline = run_small().outcomes
    assert baseline["share_unaccompanied_detained"] > 0.5


def test_detention_limit_is_respected_when_alternative_care_is_free():
    outcomes = run_small(max_detention_days=5, return_arrangement_days_mean=20,
                         alternative_care_places=2000).outcomes
    assert outcomes["detention_limit_breaches"] == 0
    assert outcomes["detention_days_mean"] <= 5 + 1e-9


def test_a_surge_raises_occupancy_and_overflows():
    calm = run_small(seed=8).outcomes
    surge = run_small(seed=8, arrival_multiplier=0.2 * 1.5).outcomes
    assert surge["mean_n_in_migration_stations"] > calm["mean_n_in_migration_stations"]
    assert surge["overflow_alternative_care"] >= calm["overflow_alternative_care"]


@pytest.mark.slow
def test_flows_match_the_inputs_at_the_2008_scale():
    # a whole year: with seasons (March-April peak) half a year is not half the flows
    result = run_replication(Parameters(warmup_days=60), seed=2008, years=1.0)
    outcomes = result.outcomes
    assert outcomes["new_children_repatriated_north"] == pytest.approx(32075, rel=0.05)
    assert outcomes["new_children_repatriated_north_unaccompanied"] == pytest.approx(18129, rel=0.05)
    assert outcomes["new_repatriated_north"] == pytest.approx(34083, rel=0.12)  # handovers (tot01)
    assert outcomes["new_returned_south_unaccompanied"] == pytest.approx(4314, rel=0.08)


def test_invalid_parameters_are_refused_with_the_name():
    with pytest.raises(ParameterError, match="shelters"):
        Parameters(shelters=-1)
    with pytest.raises(ParameterError, match="share_unaccompanied_north"):
        Parameters(share_unaccompanied_north=1.5)
    with pytest.raises(ParameterError, match="share_guatemala"):
        Parameters(share_guatemala=0.9, share_honduras=0.5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(officers=st.integers(0, 30), beds=st.integers(0, 20), station=st.integers(0, 30),
       alternative=st.integers(0, 30), detain_alone=st.booleans(), last_resort=st.booleans(),
       max_detention=st.sampled_from([1.0, 10.0, math.inf]), seed=st.integers(0, 1000))
def test_invariants_hold_for_any_capacities_and_policies(officers, beds, station, alternative, detain_alone,
                                                         last_resort, max_detention, seed):
    parameters = Parameters(arrival_multiplier=0.05, warmup_days=10, child_protection_officers=officers,
                            beds_per_shelter=beds, migration_station_places=station,
                            alternative_care_places=alternative, detain_unaccompanied=detain_alone,
                            detention_last_resort=last_resort, max_detention_days=max_detention)
    result = run_replication(parameters, seed=seed, years=0.1)  # checks invariants itself
    assert result.outcomes["new_repatriated_north"] >= 0


SCARCE_EVERYWHERE = {"places_per_care_unit": 2, "shelters": 1, "migration_station_places": 10,
                     "alternative_care_places": 3, "child_protection_officers": 6, "max_detention_days": 5.0,
                     "officer_max_wait_days": 0.1}


@pytest.mark.parametrize("changes", [{}, SCARCE_EVERYWHERE])
def test_a_run_leaves_no_reference_cycles(changes):
    # AmparoModel.run pauses the cyclic garbage collector: safe only while children and their
    # visits never form cycles that outlive them (waits, cancellations and transfers included)
    gc.collect()
    model = AmparoModel(SMALL.replace(**changes), seed=3, years=0.2)
    model.run()
    assert gc.isenabled()
    assert model.n_exited > 100
    assert gc.collect() == 0


def test_children_in_custody_are_registered_as_mesa_agents():
    # the model registers agents in Mesa's own agent sets (without Mesa's signals, see
    # AmparoModel.register_agent): every child in custody is there, under their table id, and
    # nobody else is
    model = AmparoModel(SMALL.replace(shelters=1, beds_per_shelter=5), seed=3, years=0.1)
    for _ in range(40):
        model.step()
    agents = list(model.agents)
    assert agents and set(agents) == set(model.agents_by_type[Child])
    stages = model.tables()["stages"]
    latest = {}
    for child, stage in zip(stages["child_id"].tolist(), stages["stage"].tolist(), strict=True):
        latest[child] = stage
    custody = (Stage.CARE_UNIT, Stage.SHELTER, Stage.PLACEMENT, Stage.RETURN_ARRANGEMENT,
               Stage.PROTECTION_ROUTE)
    in_custody = sorted(child for child, stage in latest.items() if stage in custody)
    assert sorted(child.unique_id for child in agents) == in_custody
    assert any(stage == Stage.RETURN_TRAVEL for stage in latest.values())  # those are not agents
    leaving = agents[0]
    leaving.remove()
    assert leaving not in model.agents and leaving not in model.agents_by_type[Child]


@pytest.mark.parametrize("limit", [3.0, math.inf])
def test_no_child_waits_in_holding_longer_than_the_limit(limit: float):
    # places far too few for the arrivals: with a limit, every wait in holding ends within it and
    # the child goes on without the place; without one, lines only grow
    parameters = SMALL.replace(arrival_multiplier=1.0, care_units=1, places_per_care_unit=3, shelters=1,
                               beds_per_shelter=5, migration_station_places=5, alternative_care_places=2,
                               max_days_waiting_in_holding=limit)
    result = run_replication(parameters, seed=4, years=0.25)  # invariants are checked
    visits, end = result.tables["visits"], 30 + round(0.25 * 365)
    for name in ("care_units", "migration_stations"):  # waits for these are always in holding
        mine = visits["resource"] == RESOURCE_NAMES.index(name)
        requested, started, ended = (visits[column][mine]
                                     for column in ("requested_at", "started_at", "ended_at"))
        left = np.isnan(started) & ~np.isnan(ended)
        still_waiting = np.isnan(started) & np.isnan(ended)
        waited = np.where(np.isnan(started), np.where(left, ended, end), started) - requested
        if limit < math.inf:
            assert waited.max() <= limit + 1e-9
            assert np.all(np.isclose(ended[left] - requested[left], limit))
            assert result.outcomes[f"unserved_{name}"] > 0
            assert still_waiting.sum() < 300  # about three days of arrivals at most
        else:
            assert not left.any() and waited.max() > 30
            assert still_waiting.sum() > 1000
    children = result.tables["children"]
    assert np.count_nonzero(children["exit"] != Exit.NONE) > 0


@pytest.mark.slow
def test_a_surge_keeps_bounded_lines_and_agents():
    # the 5x surge that made lines grow without bound: after a measured quarter and after a
    # measured half year, about as many children wait and are agents
    model = AmparoModel(Parameters(arrival_multiplier=5.0, warmup_days=30), seed=2, years=0.5)
    counts = []
    while model.running:
        model.step()
        if model.day - model.warmup_days in (91, 182):
            counts.append((len(model.agents), sum(resource.n_waiting for resource in model.resources)))
    (agents_quarter, waiting_quarter), (agents_half, waiting_half) = counts
    assert waiting_quarter > 1000  # the pressure is real
    assert agents_half < 1.2 * agents_quarter and waiting_half < 1.2 * waiting_quarter
