"""The end-of-run checks catch every kind of broken table, with a message saying what broke; and a
broken run reaches the user as one internal-error message, exit code 3, with nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import cli
from sim.analysis.invariants import PLACES, InvariantViolation, check_invariants
from sim.model.amparo_model import AmparoModel
from sim.model.codes import Exit
from sim.model.parameters import Parameters
from sim.model.schema import RESOURCE_NAMES, resource_capacities

PARAMETERS = Parameters(arrival_multiplier=0.6, warmup_days=10, child_protection_officers=6,
                        migration_station_places=20, alternative_care_places=10)


@pytest.fixture(scope="module")
def run():
    model = AmparoModel(PARAMETERS, seed=5, years=0.05)
    model.run()
    return model.tables(), model.n_created, model.n_created - model.n_exited


def check(tables, n_created, n_in_system, capacities=None):
    check_invariants(tables, capacities or resource_capacities(PARAMETERS), n_created, n_in_system,
                     PARAMETERS.warmup_days)


def copy(tables):
    return {name: {column: values.copy() for column, values in table.items()}
            for name, table in tables.items()}


def first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def exited_child(children) -> int:
    return first(children["exit"] != Exit.NONE)


def held_place(tables) -> int:
    """A visit to a place (not an officer) by a child who has exited."""
    children, visits = tables["children"], tables["visits"]
    gone = set(children["child_id"][children["exit"] != Exit.NONE].tolist())
    places = np.isin(visits["resource"], [RESOURCE_NAMES.index(name) for name in PLACES])
    return first(places & np.isin(visits["child_id"], list(gone)) & ~np.isnan(visits["ended_at"]))


def corrupt_child_missing(t):
    t["children"] = {k: v[1:] for k, v in t["children"].items()}


def corrupt_child_twice(t):
    t["children"] = {k: np.concatenate([v, v[:1]]) for k, v in t["children"].items()}


def corrupt_apprehended_early(t):
    c = t["children"]
    i = first(~np.isnan(c["apprehended_at"]))
    c["apprehended_at"][i] = c["departed_at"][i] - 1


def corrupt_exit_early(t):
    c = t["children"]
    i = exited_child(c)
    c["exited_at"][i] = c["departed_at"][i] - 1


def corrupt_exit_without_way(t):
    c = t["children"]
    c["exit"][exited_child(c)] = Exit.NONE


def corrupt_visit_order(t):
    v = t["visits"]
    i = first(~np.isnan(v["ended_at"]))
    v["ended_at"][i] = v["started_at"][i] - 1


def corrupt_visit_before_departure(t):
    v = t["visits"]
    v["requested_at"][0] = v["started_at"][0] = -5.0


def corrupt_visit_stranger(t):
    t["visits"]["child_id"][0] = 10**9


def corrupt_place_after_exit(t):
    i = held_place(t)
    t["visits"]["ended_at"][i] = np.nan


def corrupt_negative_stock(t):
    t["daily"]["n_waiting_alternative_care"][3] = -1


def corrupt_stock_not_conserved(t):
    t["daily"]["n_transit"][4] += 1


def corrupt_last_day(t):
    t["daily"]["n_transit"][-1] += 1


def corrupt_full_shelter(t):
    t["daily"]["n_in_shelters"][2] = resource_capacities(PARAMETERS)["shelters"] + 1


def corrupt_stage_order(t):
    ids, times = t["stages"]["child_id"], t["stages"]["entered_at"]
    later, seen = 0, {}  # the second entry of some child is moved before its first
    for row, child in enumerate(ids.tolist()):
        if child in seen:
            later = row
            break
        seen[child] = row
    times[later] = times[seen[int(ids[later])]] - 1


def corrupt_diversion_without_detention(t):
    c = t["children"]
    i = first((c["detained"] == 0) & (c["held_with_adults"] == 0))
    c["diverted_to_detention"][i] = 1


CORRUPTIONS = [
    (corrupt_diversion_without_detention, "diverted to detention was neither detained nor held"),
    (corrupt_child_missing, "children were created but"),
    (corrupt_child_twice, "more than one record"),
    (corrupt_apprehended_early, "apprehended before departing"),
    (corrupt_exit_early, "exited before arriving"),
    (corrupt_exit_without_way, "exit time but no way of exiting"),
    (corrupt_visit_order, "times out of order"),
    (corrupt_visit_before_departure, "asked for a place before departing"),
    (corrupt_visit_stranger, "visit belongs to a child without a record"),
    (corrupt_place_after_exit, "still held a place after exiting"),
    (corrupt_negative_stock, "n_waiting_alternative_care went negative"),
    (corrupt_stock_not_conserved, "children are not conserved: on day 4"),
    (corrupt_last_day, "the last day counts"),
    (corrupt_full_shelter, "shelters: "),
    (corrupt_stage_order, "entered a stage before the one it came from"),
]


def test_the_real_tables_pass(run):
    tables, n_created, n_in_system = run
    check(tables, n_created, n_in_system)
    assert n_created > 100 and tables["visits"]["child_id"].size > 100


@pytest.mark.parametrize(("corrupt", "words"), CORRUPTIONS, ids=[c.__name__ for c, _ in CORRUPTIONS])
def test_each_corrupted_table_is_caught_with_what_broke(run, corrupt, words):
    tables, n_created, n_in_system = run
    broken = copy(tables)
    corrupt(broken)
    with pytest.raises(InvariantViolation, match=words.replace("(", r"\(")):
        check(broken, n_created, n_in_system)


def test_capacity_exceeded_by_visits_is_caught(run):
    tables, n_created, n_in_system = run
    tight = {**resource_capacities(PARAMETERS), "migration_stations": 1}
    with pytest.raises(InvariantViolation, match="migration_stations: .* capacity 1"):
        check(tables, n_created, n_in_system, tight)


def test_a_corrupted_run_is_one_internal_error_and_writes_nothing(tmp_path, monkeypatch):
    real_tables = AmparoModel.tables

    def corrupted(model):
        tables = real_tables(model)
        corrupt_stock_not_conserved(tables)
        return tables

    monkeypatch.setattr(AmparoModel, "tables", corrupted)
    out = tmp_path / "never"
    baseline = str(Path(cli.__file__).parent / "scenarios" / "baseline_2008.toml")
    result = CliRunner().invoke(cli.main, ["run", baseline, "-r", "1", "--years", "0.02", "-w", "1", "--out",
                                           str(out)])
    assert result.exit_code == cli.EXIT_INTERNAL_ERROR
    assert "Internal error: the model broke its own rules (children are not conserved" in result.output
    assert "Please report this" in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())
