"""Places: the geography files, the spreading of national levers, and resources that live at a point."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.outcomes import compute_outcomes
from sim.analysis.places import by_place
from sim.inputs.input_error import ScenarioError
from sim.inputs.places import SHIPPED_POINTS, SHIPPED_STATES, read_places
from sim.inputs.scenario import load_scenario
from sim.model.amparo_model import AmparoModel
from sim.model.codes import Route
from sim.model.geography import Geography, RepatriationPoint, spread
from sim.model.journey_plans import phone_line_by_state, return_travel_days
from sim.model.parameters import MEXICAN_STATES, Parameters
from sim.model.schema import NORTH_AT_POINTS, RESOURCE_NAMES, capacities_by_point, resource_capacities

ROOT = Path(__file__).resolve().parents[2]
GEOGRAPHY = read_places()
SMALL = Parameters(arrival_multiplier=0.2, warmup_days=30, geography=GEOGRAPHY)


def _run(parameters: Parameters, years: float = 0.3, seed: int = 3) -> AmparoModel:
    model = AmparoModel(parameters, seed=seed, years=years)
    model.run()
    return model


# --- the files ---------------------------------------------------------------------------------
def _edited(tmp_path: Path, source: Path, edit) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    target = tmp_path / source.name
    target.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return target


def _set_cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    import csv
    import io
    header = lines[0].split(",")
    cells = next(csv.reader(io.StringIO(lines[row - 1])))
    cells[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return [*lines[: row - 1], out.getvalue(), *lines[row:]]


def test_the_shipped_files_give_twelve_points_west_to_east_and_the_32_states():
    assert len(GEOGRAPHY.points) == 12
    assert GEOGRAPHY.names[0] == "Tijuana" and GEOGRAPHY.names[-1] == "Matamoros"
    longitudes = [point.longitude for point in GEOGRAPHY.points]
    assert longitudes == sorted(longitudes)
    assert tuple(state.name for state in GEOGRAPHY.states) == MEXICAN_STATES
    assert sum(state.phone_line for state in GEOGRAPHY.states) == 21  # F07
    # F04, F05, F06 x share north: the national totals of the baseline
    assert sum(p.care_units for p in GEOGRAPHY.points) == 4
    assert sum(p.shelters for p in GEOGRAPHY.points) == 27
    assert sum(p.officers for p in GEOGRAPHY.points) == 86


@pytest.mark.parametrize(("source", "edit", "words"), [
    (SHIPPED_POINTS, lambda lines: [lines[0].replace(",shelters", "")] + [
        ",".join(line.split(",")[:3] + line.split(",")[4:]) for line in lines[1:]],
     ["repatriation_points.csv", "row 1, column shelters", "missing column", "share, care_units"]),
    (SHIPPED_POINTS, lambda lines: _set_cell(lines, 3, "shelters", "-2"),
     ["row 3, column shelters", "a whole number, zero or more", "'-2'"]),
    (SHIPPED_POINTS, lambda lines: _set_cell(lines, 2, "share", "0.9"),
     ["column share", "sum to 1", "within 0.001"]),
    (SHIPPED_POINTS, lambda lines: [lines[0], lines[2], lines[1], *lines[3:]],
     ["row 3, column longitude", "west to east", "Tijuana"]),
    (SHIPPED_POINTS, lambda lines: _set_cell(lines, 4, "source", ""), ["row 4, column source", "is empty"]),
    (SHIPPED_STATES, lambda lines: _set_cell(lines, 5, "state", "Atlantis"),
     ["states_of_origin.csv", "row 5, column state", "unknown state 'Atlantis'", "Aguascalientes"]),
    (SHIPPED_STATES, lambda lines: _set_cell(lines, 2, "phone_line", "yes"),
     ["row 2, column phone_line", "true or false"]),
])
def test_a_bad_places_file_is_one_error_naming_file_row_column_and_what_is_allowed(tmp_path, source, edit,
                                                                                   words):
    edited = _edited(tmp_path, source, edit)
    points = edited if source == SHIPPED_POINTS else SHIPPED_POINTS
    states = edited if source == SHIPPED_STATES else SHIPPED_STATES
    with pytest.raises(ScenarioError) as error:
        read_places(points, states)
    for word in words:
        assert word in str(error.value), (word, str(error.value))


def test_a_scenario_swaps_its_places_files_and_children_of_it_inherit_them(tmp_path):
    shutil.copy(SHIPPED_STATES, tmp_path / "states.csv")
    one_city = _edited(tmp_path, SHIPPED_POINTS, lambda lines: [
        lines[0], *(_set_cell(lines, 2, "share", "1")[1:2]), *(
            _set_cell(lines, row, "share", "0")[row - 1] for row in range(3, len(lines) + 1))])
    baseline = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
    (tmp_path / "base.toml").write_text(
        f'title = "b"\ndescription = "d"\nextends = "{baseline}"\n'
        f'[places]\nrepatriation_points = "{one_city.name}"\nstates_of_origin = "states.csv"\n',
        encoding="utf-8")
    (tmp_path / "child.toml").write_text('title = "c"\ndescription = "d"\nextends = "base.toml"\n'
                                         '[levers]\nshelters = 23\n', encoding="utf-8")
    child = load_scenario(tmp_path / "child.toml")
    assert child.parameters.geography.points[0].share == 1 and child.parameters.shelters == 23
    assert load_scenario(ROOT / "scenarios" / "baseline_2008.toml").parameters.geography == GEOGRAPHY
    (tmp_path / "bad.toml").write_text('title = "c"\ndescription = "d"\n[places]\n'
                                       'repatriation_point = "x.csv"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="places.repatriation_point: unknown key"):
        load_scenario(tmp_path / "bad.toml")


# --- spreading the national levers over the points -------------------------------------------------
@given(total=st.integers(0, 5000), weights=st.lists(st.integers(0, 50), min_size=1, max_size=15))
def test_spreading_keeps_the_national_total_and_each_part_within_one_of_its_quota(total, weights):
    parts = spread(total, weights)
    assert sum(parts) == total and all(part >= 0 for part in parts)
    weight_sum = sum(weights) or len(weights)
    for part, weight in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        assert abs(part - total * weight / weight_sum) < 1


@pytest.mark.parametrize("changes", [{}, {"shelters": 23}, {"child_protection_officers": 344},
                                     {"care_units": 7}, {"shelters": 0, "care_units": 1}])
def test_the_national_capacity_is_the_sum_over_the_points(changes):
    parameters = SMALL.replace(**changes)
    national = resource_capacities(parameters)
    for name, places in capacities_by_point(parameters).items():
        assert sum(places) == national[name]
    if "shelters" in changes and changes["shelters"] == 23:  # F15: Tijuana keeps the most
        shelters = capacities_by_point(parameters)["shelters"]
        assert shelters[0] == max(shelters) and sum(shelters) == 23 * parameters.beds_per_shelter


# --- by state ---------------------------------------------------------------------------------------
def test_phone_lines_and_the_road_home_act_by_state():
    assert phone_line_by_state(SMALL).tolist() == [state.phone_line for state in GEOGRAPHY.states]
    assert phone_line_by_state(SMALL.replace(phone_line_states=32)).all()
    assert phone_line_by_state(SMALL.replace(phone_line_states=0)).sum() == 0
    road = return_travel_days(SMALL)
    tijuana, matamoros = 0, len(GEOGRAPHY.points) - 1
    baja, tamaulipas = MEXICAN_STATES.index("Baja California"), MEXICAN_STATES.index("Tamaulipas")
    assert road[tijuana, baja] < road[matamoros, baja]
    assert road[matamoros, tamaulipas] < road[tijuana, tamaulipas]
    flights = return_travel_days(SMALL.replace(free_flights=True))
    assert flights.max() <= SMALL.return_travel_days_by_flight and (flights <= road).all()


def test_children_come_from_the_states_and_points_in_their_shares():
    model = _run(SMALL.replace(arrival_multiplier=0.5), years=0.5)
    children = model.tables()["children"]
    north = children["route"] == Route.NORTH
    points = np.bincount(children["point"][north], minlength=len(GEOGRAPHY.points)) / north.sum()
    np.testing.assert_allclose(points, [p.share for p in GEOGRAPHY.points], atol=0.01)
    states = np.bincount(children["origin"][north], minlength=32) / north.sum()
    np.testing.assert_allclose(states, [s.share for s in GEOGRAPHY.states], atol=0.01)
    assert (children["point"][~north] == -1).all()


# --- resources at a place ------------------------------------------------------------------------
def _peak_at_once(started: np.ndarray, ended: np.ndarray) -> int:
    given = ~np.isnan(started)
    times = np.concatenate([started[given], np.where(np.isnan(ended[given]), np.inf, ended[given])])
    steps = np.concatenate([np.ones(given.sum()), -np.ones(given.sum())])
    order = np.lexsort((steps, times))
    return int(np.cumsum(steps[order]).max()) if times.size else 0


TIGHT = SMALL.replace(arrival_multiplier=0.6, shelters=14, care_units=4, places_per_care_unit=3,
                      child_protection_officers=40)


def test_a_child_uses_only_the_resources_of_their_point_and_no_point_exceeds_its_capacity():
    model = _run(TIGHT)
    tables = model.tables()
    visits, children = tables["visits"], tables["children"]
    point_of = dict(zip(children["child_id"].tolist(), children["point"].tolist(), strict=True))
    capacities = capacities_by_point(TIGHT)
    transferred = 0
    for name in NORTH_AT_POINTS:
        mask = visits["resource"] == RESOURCE_NAMES.index(name)
        place = visits["place"][mask]
        own = np.array([point_of[child] for child in visits["child_id"][mask].tolist()])
        if name == "shelters":  # a transfer: a bed at another point, given at once when asked
            away = (place != own) & ~np.isnan(visits["started_at"][mask])
            transferred = int(away.sum())
            started, requested = visits["started_at"][mask], visits["requested_at"][mask]
            np.testing.assert_array_equal(started[away], requested[away])
            assert (place[place != own] >= 0).all()
        else:
            np.testing.assert_array_equal(place, own)
        for point, capacity in enumerate(capacities[name]):
            at = mask & (visits["place"] == point)
            assert _peak_at_once(visits["started_at"][at], visits["ended_at"][at]) <= capacity, (name, point)
    assert transferred > 0  # the pressure was real: some shelters were full


def test_a_point_without_a_care_unit_receives_its_children_in_its_shelter():
    model = _run(SMALL)
    visits, children = model.tables()["visits"], model.tables()["children"]
    nogales = GEOGRAPHY.names.index("Nogales")
    assert capacities_by_point(SMALL)["care_units"][nogales] == 0
    care = visits["resource"] == RESOURCE_NAMES.index("care_units")
    assert not (care & (visits["place"] == nogales)).any()
    handed_over = (children["point"] == nogales) & (children["accompanied"] == 0) & ~np.isnan(
        children["apprehended_at"])
    beds = (visits["resource"] == RESOURCE_NAMES.index("shelters")) & (visits["place"] == nogales)
    assert np.isin(children["child_id"][handed_over], visits["child_id"][beds]).all()


def test_the_by_place_table_sums_to_the_national_outcomes():
    model = _run(TIGHT)
    tables = model.tables()
    national = compute_outcomes(tables, TIGHT, 0.3)
    table = by_place(tables, TIGHT, 0.3)
    for name in NORTH_AT_POINTS:
        rows = [i for i, resource in enumerate(table["resource"]) if resource == name]
        total = sum(table["mean_n_in"][i] for i in rows)
        assert total == pytest.approx(national[f"mean_n_in_{name}"], rel=1e-12)
        assert sum(table["capacity"][i] for i in rows) == resource_capacities(TIGHT)[name]
        assert max(table["peak_n_in"][i] for i in rows) <= national[f"peak_n_in_{name}"] + 1e-9


def test_more_shelters_at_a_full_point_lowers_its_occupancy_and_the_transfers():
    few = _run(TIGHT)
    more = _run(TIGHT.replace(shelters=40))
    one, two = by_place(few.tables(), TIGHT, 0.3), by_place(more.tables(), TIGHT.replace(shelters=40), 0.3)
    beds = [i for i, resource in enumerate(one["resource"]) if resource == "shelters"]
    assert sum(two["transferred_in"][i] for i in beds) < sum(one["transferred_in"][i] for i in beds)
    tijuana = beds[0]
    assert two["occupancy"][tijuana] < one["occupancy"][tijuana]


def test_a_pooled_geography_is_one_place_holding_every_national_place():
    pooled = Parameters(arrival_multiplier=0.2, warmup_days=30)
    assert pooled.geography.pooled and isinstance(pooled.geography, Geography)
    national = resource_capacities(pooled)
    assert capacities_by_point(pooled) == {name: [national[name]] for name in NORTH_AT_POINTS}
    assert isinstance(pooled.geography.points[0], RepatriationPoint)


def test_the_transfers_outcome_counts_the_beds_given_at_another_point():
    model = _run(TIGHT)
    tables = model.tables()
    national = compute_outcomes(tables, TIGHT, 0.3)
    table = by_place(tables, TIGHT, 0.3)
    transferred = sum(n for n, resource in zip(table["transferred_in"], table["resource"], strict=True)
                      if resource == "shelters")
    assert transferred > 0
    assert national["new_transferred_north"] == pytest.approx(transferred / (round(0.3 * 365) / 365))
    assert compute_outcomes(_run(SMALL).tables(), SMALL, 0.3)["new_transferred_north"] == 0  # beds to spare
