"""Who the children are: nationality, age and sex as the parameters say; repeat crossings counted
both as children and as handovers; results by group in summary.csv that add up to the totals."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from sim.analysis.invariants import InvariantViolation, check_invariants
from sim.analysis.outcome_registry import BREAKDOWN_GROUPS, BROKEN_DOWN, breakdown_name
from sim.analysis.outcomes import compute_outcomes
from sim.model.amparo_model import AmparoModel
from sim.model.codes import Exit, Route
from sim.model.parameters import CENTRAL_AMERICAN_ORIGINS, MEXICAN_STATES, Parameters
from sim.model.schema import resource_capacities


def _run(parameters: Parameters, years: float, seed: int = 3) -> AmparoModel:
    model = AmparoModel(parameters, seed=seed, years=years)
    model.run()
    return model


def _check(model: AmparoModel) -> None:
    p = model.parameters
    check_invariants(model.tables(), resource_capacities(p), model.n_created,
                     model.n_created - model.n_exited, p.warmup_days)


@pytest.mark.slow
def test_nationality_age_and_sex_shares_are_recovered_on_a_long_run():
    p = Parameters(mexican_departures_per_year=20000, central_american_departures_per_year=40000,
                   share_guatemala=0.3, share_honduras=0.4, share_el_salvador=0.2, share_nicaragua=0.05,
                   share_15_to_17_among_adolescents=0.8, warmup_days=0)
    children = _run(p, years=1.0).tables()["children"]
    south = children["route"] == Route.SOUTH
    n = np.count_nonzero(south)
    assert n > 30000
    origin = children["origin"][south] - len(MEXICAN_STATES)
    shares = np.bincount(origin, minlength=len(CENTRAL_AMERICAN_ORIGINS)) / n
    tolerance = 4 * np.sqrt(0.25 / n)  # four standard errors of a share, at worst
    np.testing.assert_allclose(shares, [0.3, 0.4, 0.2, 0.05, 0.05], atol=tolerance)
    alone = south & (children["accompanied"] == 0)
    assert np.mean(children["girl"][alone]) == pytest.approx(p.share_girls_unaccompanied_south, abs=tolerance)
    assert np.mean(children["age"][south] < 12) == pytest.approx(p.share_under_12_south, abs=tolerance)
    adolescents = children["age"][children["age"] >= 12]
    assert set(np.unique(adolescents)) == {12, 13, 14, 15, 16, 17}
    assert np.mean(adolescents >= 15) == pytest.approx(0.8, abs=4 * np.sqrt(0.25 / adolescents.size))
    by_age = np.bincount(adolescents - 12, minlength=6) / adolescents.size
    np.testing.assert_allclose(by_age, [0.2 / 3] * 3 + [0.8 / 3] * 3, atol=0.01)  # even within 12-14, 15-17


def test_the_default_split_is_of_children_returned_by_mexico_not_deported_by_the_united_states():
    p = Parameters()
    assert "rep18" in Parameters.__dataclass_fields__["share_guatemala"].metadata["source"]
    assert (p.share_guatemala, p.share_honduras, p.share_el_salvador) == pytest.approx(
        (1012 / 2424, 875 / 2424, 496 / 2424), abs=0.001)
    assert 1 - p.share_guatemala - p.share_honduras - p.share_el_salvador - p.share_nicaragua > 0  # 'other'


REPEATING = Parameters(arrival_multiplier=0.3, warmup_days=30, share_reunified_handed_back_again=0.6,
                       days_home_before_leaving_again_mean=10.0)


@pytest.fixture(scope="module")
def repeating():
    return _run(REPEATING, years=0.4)


def test_repeat_crossings_give_both_counts_children_and_handovers(repeating):
    out = compute_outcomes(repeating.tables(), REPEATING, 0.4)
    handovers = out["new_repatriated_north_unaccompanied"]
    children = out["new_children_repatriated_north_unaccompanied"]
    twice = out["new_children_repatriated_north_twice_or_more"]
    again = out["new_repatriated_north_again"]
    assert 0 < twice <= children < handovers
    assert handovers - again <= children  # each first crossing in the period is a child of its own
    assert out["share_children_repatriated_north_twice_or_more"] == pytest.approx(twice / children)
    assert out["new_repatriated_north"] - out["new_children_repatriated_north"] == pytest.approx(
        handovers - children)  # accompanied children cross once


def test_a_child_crossing_again_is_the_same_child_after_coming_home(repeating):
    children = repeating.tables()["children"]
    later = np.flatnonzero(children["crossing"] >= 2)
    assert later.size > 100 and children["crossing"].max() >= 3
    row_of = {child: row for row, child in enumerate(children["child_id"].tolist())}
    first = np.array([row_of[person] for person in children["person_id"][later].tolist()])
    for name in ("origin", "age", "girl", "reason", "accompanied", "trafficking_victim"):
        np.testing.assert_array_equal(children[name][first], children[name][later])
    assert np.all(children["accompanied"][later] == 0) and np.all(children["route"][later] == Route.NORTH)
    assert np.all(children["exit"][first] == Exit.REUNIFIED)
    assert np.all(children["departed_at"][later] >= children["exited_at"][first] + 1.0 - 1e-9)  # a day home
    _check(repeating)


def test_invariants_hold_with_repeat_crossings_when_lines_form():
    p = REPEATING.replace(shelters=1, beds_per_shelter=30, child_protection_officers=10,
                          max_days_waiting_in_holding=3.0)
    model = _run(p, years=0.4)
    assert not model.northern_border.in_bulk.active  # lines formed: agents
    assert np.count_nonzero(model.tables()["children"]["crossing"] >= 2) > 100
    _check(model)


def test_invariants_catch_a_crossing_that_starts_before_the_child_came_home(repeating):
    tables = {name: {column: values.copy() for column, values in table.items()}
              for name, table in repeating.tables().items()}
    children = tables["children"]
    later = int(np.flatnonzero(children["crossing"] == 2)[0])
    first = int(np.flatnonzero(children["child_id"] == children["person_id"][later])[0])
    children["departed_at"][later] = children["exited_at"][first] - 1.0
    with pytest.raises(InvariantViolation, match="crossed again before coming home"):
        check_invariants(tables, resource_capacities(REPEATING), repeating.n_created,
                         repeating.n_created - repeating.n_exited)
    children["departed_at"][later] += 1.0
    children["girl"][later] = 1 - children["girl"][first]
    with pytest.raises(InvariantViolation, match="someone else"):
        check_invariants(tables, resource_capacities(REPEATING), repeating.n_created,
                         repeating.n_created - repeating.n_exited)


def test_without_repeat_crossings_children_and_handovers_are_equal():
    p = REPEATING.replace(share_reunified_handed_back_again=0.0)
    out = compute_outcomes(_run(p, years=0.2).tables(), p, 0.2)
    assert out["new_repatriated_north_again"] == 0
    assert out["new_children_repatriated_north"] == out["new_repatriated_north"]
    assert out["share_children_repatriated_north_twice_or_more"] == 0


@pytest.mark.slow
def test_summary_csv_gives_results_by_group_that_add_up_to_the_totals(tmp_path):
    scenario = tmp_path / "small.toml"
    scenario.write_text('title = "t"\ndescription = "d"\n[uncertainties]\narrival_multiplier = 0.2\n'
                        "[settings]\nwarmup_days = 20\n", encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(cli.main, ["run", str(scenario), "--replications", "2", "--years", "0.2",
                                           "--workers", "1", "--records", "0", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(out / "summary.csv", newline="") as handle:
        rows = {row["outcome"]: row for row in csv.DictReader(handle)}
    for name in BROKEN_DOWN:
        for group in BREAKDOWN_GROUPS:
            assert breakdown_name(name, group) in rows
    total = float(rows["new_protected_by_system"]["mean"])
    for dimension in ("nationality", "age", "sex"):
        parts = [float(rows[breakdown_name("new_protected_by_system", group)]["mean"])
                 for group in BREAKDOWN_GROUPS if group.dimension == dimension]
        assert sum(parts) == pytest.approx(total, rel=1e-9), dimension
    assert float(rows["new_protected_by_system[nationality=honduras]"]["mean"]) > 0
