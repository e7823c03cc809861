"""The outcome registry, effects in natural units, bounded intervals, and tables in CSV and Parquet."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.effects import effects_from_rows, largest_effects
from sim.analysis.outcome_registry import ALL_OUTCOMES, OUTCOME_BY_NAME, Kind, View, outcomes_in
from sim.analysis.summary import mean_and_interval
from sim.experiments.replications import run_replications
from sim.model.parameters import Parameters
from sim.model.schema import CODEBOOK
from sim.results.table_files import rounded, write_codebook, write_csv, write_table

SMALL = Parameters(mexican_departures_per_year=3000, central_american_departures_per_year=2000,
                   warmup_days=10)


@pytest.fixture(scope="module")
def replication():
    return run_replications(SMALL, 1, base_seed=4, years=0.1)[0]


def test_the_registry_names_every_computed_outcome_once(replication):
    names = [outcome.name for outcome in ALL_OUTCOMES]
    assert len(names) == len(set(names))
    assert set(replication.outcomes) == set(names)
    for outcome in ALL_OUTCOMES:
        assert outcome.label and outcome.label[0].isupper() and "_" not in outcome.label
        assert (outcome.unit == "share") == (outcome.kind is Kind.SHARE)


def test_each_view_lists_registered_outcomes():
    for view in View:
        shown = outcomes_in(view)
        assert shown, view
        assert all(name in OUTCOME_BY_NAME for name in shown)


def _row(outcome: str, scenario: str, mean: float, difference: float, low: float, high: float) -> dict:
    return {"outcome": outcome, "scenario": scenario, "mean": mean, "difference": difference,
            "difference_ci_low": low, "difference_ci_high": high}


def test_effects_of_shares_are_in_percentage_points_and_never_relative_to_a_near_zero_baseline():
    rows = [_row("share_unaccompanied_detained", "base", 0.0001, 0, 0, 0),
            _row("share_unaccompanied_detained", "surge", 0.0541, 0.054, 0.05, 0.058),
            _row("detention_child_days", "base", 40000, 0, 0, 0),
            _row("detention_child_days", "surge", 55000, 15000, 12000, 18000)]
    effects = {e.outcome.name: e for e in effects_from_rows(rows, "base")}
    share = effects["share_unaccompanied_detained"]
    assert share.display_unit == "percentage points"
    assert share.difference == pytest.approx(5.4) and share.low == pytest.approx(5.0)
    assert share.better is False  # more detention is worse
    assert "0.01% -> 5.41%" in share.sentence() and "percentage points" in share.sentence()
    days = effects["detention_child_days"]
    assert days.display_unit == "child-days/year" and days.difference == 15000
    assert [e.outcome.name for e in largest_effects(effects.values(), 1)] == ["share_unaccompanied_detained"]


def test_an_effect_whose_interval_spans_zero_is_no_clear_change():
    rows = [_row("victims_detected", "a", 10, 0, 0, 0), _row("victims_detected", "b", 11, 1, -2, 4)]
    (effect,) = effects_from_rows(rows, "a")
    assert not effect.significant and effect.better is None and "no clear change" in effect.sentence()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_intervals_of_shares_stay_in_zero_one(values):
    mean, low, high = mean_and_interval(values, bounds=(0.0, 1.0))
    assert 0.0 <= low <= high <= 1.0
    assert low - 1e-12 <= mean <= high + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=30))
def test_intervals_of_rare_counts_never_go_below_zero(values):
    mean, low, high = mean_and_interval(values, bounds=(0.0, math.inf))
    assert 0.0 <= low <= mean <= high


def test_bounded_intervals_are_reproducible():
    values = np.random.default_rng(1).random(20)
    assert mean_and_interval(values, bounds=(0, 1)) == mean_and_interval(values, bounds=(0, 1))


def test_unbounded_intervals_are_students_t():
    mean, low, high = mean_and_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 * 1 / math.sqrt(3), rel=1e-6)


def test_csv_numbers_have_meaningful_digits_and_parquet_keeps_every_bit(tmp_path: Path):
    values = np.array([65839.550000000003, 1 / 3, 123456789.0, 0.0, np.nan, 2.5e-7])
    codes = np.array([0, 1, 0, 1, 0, 1])
    write_table(tmp_path, "table", {"value": values, "route": codes})
    with open(tmp_path / "table.csv", encoding="utf-8") as handle:
        text = [row["value"] for row in csv.DictReader(handle)]
    assert text == ["65839.6", "0.333333", "123457000.0", "0.0", "nan", "2.5e-07"]
    table = pq.read_table(tmp_path / "table.parquet")
    np.testing.assert_array_equal(table.column("value").to_numpy(), values)
    assert table.column("route").to_pylist() == [CODEBOOK["route"][c] for c in codes]


def test_rounding_keeps_six_significant_digits():
    np.testing.assert_array_equal(rounded(np.array([1.23456789, -98765.4321, 0.000123456789])),
                                  [1.23457, -98765.4, 0.000123457])


def test_the_codebook_names_every_code(tmp_path: Path):
    write_codebook(tmp_path / "codebook.csv")
    with open(tmp_path / "codebook.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["column"] for row in rows} == set(CODEBOOK)
    exits = {int(row["code"]): row["label"] for row in rows if row["column"] == "exit"}
    assert exits[2] == "reunified"


def test_write_csv_refuses_columns_of_different_lengths(tmp_path: Path):
    with pytest.raises(ValueError, match="different lengths"):
        write_csv(tmp_path / "bad.csv", {"a": [1, 2], "b": [1]})
