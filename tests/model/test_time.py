"""Time: common random numbers across changes in arrivals, seasons, and a scenario's timeline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.invariants import InvariantViolation, check_invariants, open_after_each_admission
from sim.analysis.outcomes import compute_outcomes
from sim.experiments.replications import run_replication
from sim.inputs.scenario import ScenarioError, load_scenario
from sim.model.amparo_model import AmparoModel
from sim.model.codes import Route
from sim.model.geography import geography_as_dict
from sim.model.parameters import PROFILE_SEA01, ParameterError, Parameters, timeline_phases
from sim.model.run_calendar import month_of, year_of
from sim.model.schema import RESOURCE_NAMES, capacities_by_point, resource_capacities

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
#: What a child is, apart from what other children do to them: who they are and when they left and
#: reached a border or were apprehended in transit (their own draws).
OWN_COLUMNS = ("route", "origin", "age", "girl", "accompanied", "reason", "trafficking_victim",
               "in_need_of_protection", "harmed_in_transit", "departed_at")


def children_of(scenario: str, years: float = 0.1, seed: int = 3) -> dict[str, np.ndarray]:
    """The children who left home in a short run of `scenario`: first crossings only. Thinning and
    superposition decide who leaves home; a crossing again follows from how the first one went
    (when the child came home), which a campaign or a surge may change through the lines it makes."""
    parameters = load_scenario(SCENARIOS / f"{scenario}.toml").parameters.replace(warmup_days=10)
    return first_crossings(run_replication(parameters, seed=seed, years=years).tables["children"])


def first_crossings(children: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    first = children["crossing"] == 1
    return {name: column[first] for name, column in children.items()}


def matched(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> np.ndarray:
    """For each child of `first`, whether a child of `second` has the same key (route, departure
    time) and the same personal columns."""
    key = {(int(route), float(at)): row for row, (route, at)
           in enumerate(zip(second["route"], second["departed_at"], strict=True))}
    same = np.zeros(first["route"].size, dtype=bool)
    for row, (route, at) in enumerate(zip(first["route"], first["departed_at"], strict=True)):
        other = key.get((int(route), float(at)))
        if other is not None:
            same[row] = all(first[column][row] == second[column][other] for column in OWN_COLUMNS)
    return same


# --- common random numbers -----------------------------------------------------------------------
def test_a_ten_percent_campaign_keeps_nine_in_ten_baseline_children_and_adds_none():
    baseline, campaign = children_of("baseline_2008"), children_of("awareness_campaign")
    kept = matched(baseline, campaign)
    assert 0.89 <= kept.mean() <= 0.91
    assert matched(campaign, baseline).all()  # a campaign only removes children


def test_a_surge_keeps_every_baseline_child_and_adds_half_as_many_again():
    baseline, surge = children_of("baseline_2008"), children_of("surge")
    assert matched(baseline, surge).all()
    assert 1.45 <= surge["route"].size / baseline["route"].size <= 1.55


def test_a_campaign_and_a_surge_together_keep_the_children_of_the_campaign():
    parameters = load_scenario(SCENARIOS / "baseline_2008.toml").parameters.replace(warmup_days=10)
    both = parameters.replace(arrival_multiplier=1.5, awareness_campaign_reduction=0.1)
    campaign = run_replication(parameters.replace(awareness_campaign_reduction=0.1), seed=3, years=0.1)
    together = run_replication(both, seed=3, years=0.1)
    assert matched(first_crossings(campaign.tables["children"]),
                   first_crossings(together.tables["children"])).all()


# --- seasons ------------------------------------------------------------------------------------------
def handovers_by_month(parameters: Parameters, seed: int = 0) -> np.ndarray:
    children = run_replication(parameters, seed=seed, years=1.0).tables["children"]
    north = (children["route"] == Route.NORTH) & ~np.isnan(children["apprehended_at"])
    day = children["apprehended_at"][north] - parameters.warmup_days
    day = day[(day >= 0) & (day < 365)]
    return np.bincount(month_of(day), minlength=12)


@pytest.mark.slow
def test_the_peak_months_are_higher_and_the_year_is_the_same():
    seasonal = Parameters(warmup_days=30)
    flat = seasonal.replace(arrival_profile_north=(1.0,) * 12)
    with_season, without = handovers_by_month(seasonal), handovers_by_month(flat)
    # the year's total is unchanged within Poisson noise (about 180 in 32,000)
    assert abs(with_season.sum() - without.sum()) < 4 * np.sqrt(without.sum())
    per_day = with_season / np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    others = np.delete(per_day, [2, 3])
    assert per_day[2] > 1.3 * others.mean() and per_day[3] > 1.2 * others.mean()  # sea01: 1.41, 1.28
    flat_per_day = without / np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    assert flat_per_day[2] < 1.1 * np.delete(flat_per_day, [2, 3]).mean()


def test_a_profile_moves_departures_between_months_and_keeps_the_mean_intensity():
    model = AmparoModel(Parameters(), seed=0, years=1.0)
    year = np.arange(model.warmup_days, model.warmup_days + 365)
    intensity = model.stages.origin.intensity(year, Route.NORTH)
    assert intensity.mean() == pytest.approx(1.0, abs=1e-12)
    assert intensity.max() == pytest.approx(1.4112, rel=1e-3) and intensity.min() == pytest.approx(0.9308,
                                                                                                    rel=1e-3)
    # a northern child's month is that of their handover: departures lead it by days_abroad_mean
    peak = year[intensity > 1.3] - model.warmup_days + round(Parameters().days_abroad_mean)
    assert set(month_of(peak).tolist()) == {2}
    assert model.stages.origin.intensity(year, Route.SOUTH).tolist() == [1.0] * 365


@pytest.mark.parametrize(("profile", "words"), [
    ("[1, 1, 1]", "got 3 values"),
    ("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1]", "December is -1"),
    ("[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]", "divide each value by 2"),
    ('"flat"', "got 'flat'"),
])
def test_a_bad_profile_is_a_clear_error_naming_file_and_key(tmp_path, profile, words):
    path = tmp_path / "season.toml"
    path.write_text(f'title = "t"\ndescription = "d"\n[uncertainties]\narrival_profile_north = {profile}\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message and "uncertainties.arrival_profile_north" in message and words in message
    assert "12 numbers, January to December" in message


def test_a_profile_in_a_scenario_is_used_and_its_default_is_sea01(tmp_path):
    path = tmp_path / "season.toml"
    path.write_text('title = "t"\ndescription = "d"\n[uncertainties]\n'
                    'arrival_profile_south = [0.5, 0.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1, 1, 1]\n',
                    encoding="utf-8")
    parameters = load_scenario(path).parameters
    assert parameters.arrival_profile_south == (0.5, 0.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1, 1, 1)
    assert parameters.arrival_profile_north == PROFILE_SEA01
    assert sum(PROFILE_SEA01) == pytest.approx(12.0, abs=1e-9)


# --- the timeline ---------------------------------------------------------------------------------
def write_timeline(folder: Path, body: str) -> Path:
    path = folder / "timeline.toml"
    path.write_text('title = "t"\ndescription = "d"\n[settings]\nwarmup_days = 10\n' + body, encoding="utf-8")
    return path


def test_capacities_change_at_the_start_of_the_day_the_timeline_names(tmp_path):
    path = write_timeline(tmp_path, "[timeline.2008]\nshelters = 5\n[timeline.2008-01-21]\nshelters = 9\n"
                                    "child_protection_officers = 40\n")
    parameters = load_scenario(path).parameters
    model = AmparoModel(parameters, seed=1, years=0.1)
    seen = []
    while model.running:
        model.step()
        seen.append((model.resources.shelters.capacity, model.resources.officers_north.capacity))
    first_change = 10 + 20  # the warm-up, then January 1 to 20
    assert seen[:first_change] == [(5 * 20, 86)] * first_change  # 2008's values hold from the start
    assert seen[first_change:] == [(9 * 20, 20)] * (len(seen) - first_change)


def test_a_timeline_changes_arrival_volumes_from_its_date_on(tmp_path):
    path = write_timeline(tmp_path, "[timeline.2008-01-11]\narrival_multiplier_north = 0\n")
    parameters = load_scenario(path).parameters
    result = run_replication(parameters, seed=2, years=0.1)
    daily = result.tables["daily"]
    assert daily["new_departures_mexico"][:10].min() > 0
    assert daily["new_departures_mexico"][10:].max() == 0
    assert daily["new_departures_central_america"][10:].sum() > 0  # the other route goes on


def test_a_capacity_drop_evicts_nobody_and_admits_nobody_beyond_the_new_capacity(tmp_path):
    # 27 shelters of 20 beds hold about 90 children; one shelter from January 11 on
    path = write_timeline(tmp_path, "[timeline.2008-01-11]\nshelters = 1\n")
    parameters = load_scenario(path).parameters
    result = run_replication(parameters, seed=4, years=0.1)  # checks the invariants under the timeline
    visits, daily = result.tables["visits"], result.tables["daily"]
    drop = 10.0 + 10.0
    shelter = (visits["resource"] == RESOURCE_NAMES.index("shelters")) & ~np.isnan(visits["started_at"])
    started, ended = visits["started_at"][shelter], visits["ended_at"][shelter]
    held = (started < drop) & ((ended > drop) | np.isnan(ended))
    assert held.sum() > 20  # more children than the new capacity kept their beds
    # places live at the repatriation points: no point admits beyond its own new capacity
    after = capacities_by_point(parameters.replace(shelters=1))["shelters"]
    assert sum(after) == 20
    place = visits["place"][shelter]
    for point, capacity in enumerate(after):
        admitted_at, open_places = open_after_each_admission(started[place == point], ended[place == point])
        assert open_places[admitted_at >= drop].max(initial=0) <= capacity
    asked = (visits["resource"] == RESOURCE_NAMES.index("shelters")) & (visits["requested_at"] >= drop)
    waited = np.isnan(visits["started_at"]) | (visits["started_at"] > visits["requested_at"])
    assert (asked & waited).sum() > 0  # new admissions waited
    assert daily["n_in_shelters"][10] > 20 and daily["n_in_shelters"][-1] <= 20


def test_the_invariants_catch_an_admission_beyond_a_fallen_capacity():
    tables = run_replication(Parameters(warmup_days=10), seed=4, years=0.05).tables
    capacities = resource_capacities(Parameters())
    created = tables["children"]["child_id"].size
    in_system = int(np.count_nonzero(tables["children"]["exit"] == 0))
    check_invariants(tables, capacities, created, in_system, 10)
    fallen = {**capacities, "care_units": 1}
    with pytest.raises(InvariantViolation, match="care_units: .* after an admission"):
        check_invariants(tables, capacities, created, in_system, 10, capacity_changes=[(15.0, fallen)])


@pytest.mark.parametrize(("body", "key", "words"), [
    ("[timeline.2008]\nfree_flights = true\n", "timeline.2008.free_flights",
     "a model parameter that holds for the whole run"),
    ("[timeline.2009]\nofficers = 3\n", "timeline.2009.officers", "not a model parameter"),
    ("[timeline.2009]\nshelters = -3\n", "timeline.2009.shelters", "whole number from 0"),
    ("[timeline.2009-02-29]\nshelters = 3\n", "timeline.2009-02-29", "no February 29"),
    ("[timeline.spring]\nshelters = 3\n", "timeline.spring", "is not a date"),
    ("[timeline.2007]\nshelters = 3\n", "timeline", "start_year = 2008"),
    ("[timeline]\n2009 = 3\n", "timeline.2009", "must be a table"),
    ("[settings]\ntimeline = 3\n", "settings.timeline", "[timeline] section"),
])
def test_a_bad_timeline_is_a_clear_error(tmp_path, body, key, words):
    path = tmp_path / "bad.toml"
    path.write_text('title = "t"\ndescription = "d"\n' + body, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message and key in message and words in message


def test_a_timeline_merges_along_the_chain_by_date_and_name(tmp_path):
    (tmp_path / "base.toml").write_text('title = "b"\ndescription = "d"\n[timeline.2009]\nshelters = 3\n'
                                        "care_units = 2\n", encoding="utf-8")
    (tmp_path / "child.toml").write_text('title = "c"\ndescription = "d"\nextends = "base.toml"\n'
                                         "[timeline.2009]\nshelters = 5\n[timeline.2010]\nshelters = 7\n",
                                         encoding="utf-8")
    parameters = load_scenario(tmp_path / "child.toml").parameters
    phases = [(day, q.shelters, q.care_units) for day, q in timeline_phases(parameters)]
    assert phases == [(0, 27, 4), (90 + 365, 5, 2), (90 + 730, 7, 2)]


def test_parameters_come_back_from_json_lists():
    parameters = load_scenario(SCENARIOS / "timeline_2008_2012.toml").parameters
    values = json.loads(json.dumps({name: (geography_as_dict(value) if name == "geography" else value)
                                    for name, value in vars(parameters).items()}))
    assert Parameters(**values) == parameters  # the places too, as the manifest holds them
    with pytest.raises(ParameterError, match="timeline"):
        parameters.replace(timeline=(("2009", (("free_flights", True),)),))


@pytest.mark.slow
def test_the_timeline_2008_2012_scenario_sets_each_year_as_reported():
    parameters = load_scenario(SCENARIOS / "timeline_2008_2012.toml").parameters
    by_year = {2008 + (day - 90) // 365 if day else 2008: q for day, q in timeline_phases(parameters)}
    assert [by_year[year].child_protection_officers for year in range(2008, 2013)] == [68, 172, 172, 362, 543]
    assert [by_year[year].shelters for year in range(2008, 2013)] == [27, 27, 23, 23, 23]
    result = run_replication(parameters.replace(warmup_days=30), seed=0, years=2.0)
    first = compute_outcomes(result.tables, parameters.replace(warmup_days=30), 1.0, from_year=0)
    second = compute_outcomes(result.tables, parameters.replace(warmup_days=30), 1.0, from_year=1)
    # 2009: fewer children handed back (rep13 / tot01: 0.763), a little less so because children
    # handed back in 2008 cross again in 2009; and 172 officers instead of 68 (opi01)
    fall = second["new_children_repatriated_north"] / first["new_children_repatriated_north"]
    assert 0.763 * 0.98 < fall < 0.763 * 1.08
    assert second["share_unaccompanied_held_with_adults"] < first["share_unaccompanied_held_with_adults"]
    assert year_of(np.array([364.5, 365.0]), 2008).tolist() == [2008, 2009]
