"""`--json`: one JSON document on stdout for scripts, every message on stderr."""

from __future__ import annotations

import csv
import json
import math

import pytest
from click.testing import CliRunner

import cli

QUICK = ("--replications", "2", "--years", "0.05", "--workers", "1")


def _json(*args: object) -> dict:
    result = CliRunner().invoke(cli.main, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # nothing but the document on stdout


@pytest.mark.slow
def test_run_prints_its_outcomes_with_bounded_intervals_and_the_calibration_used(baseline_file, tmp_path):
    summary = _json("run", baseline_file, *QUICK, "--out", tmp_path / "run", "--json")
    assert summary["command"] == "run" and summary["folder"] == str(tmp_path / "run")
    assert summary["calibration"] == "calibration/calibrated_2008.toml"
    by_name = {row["outcome"]: row for row in summary["outcomes"]}
    share = by_name["share_unaccompanied_detained"]
    assert share["unit"] == "share" and 0 <= share["ci_low"] <= share["mean"] <= share["ci_high"] <= 1
    assert all(row["mean"] is None or math.isfinite(row["mean"]) for row in summary["outcomes"])
    # tables in the ecosystem's formats: Parquet next to CSV, a codebook, a unit for every outcome column
    folder = tmp_path / "run"
    for table in ("summary", "outcomes_by_replication", "daily_stocks", "children", "visits", "stages"):
        assert (folder / f"{table}.csv").is_file() and (folder / f"{table}.parquet").is_file()
    with open(folder / "outcome_definitions.csv", encoding="utf-8") as handle:
        units = {row["outcome"]: row["unit"] for row in csv.DictReader(handle)}
    with open(folder / "outcomes_by_replication.csv", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))[2:]  # after replication and seed
    assert columns and all(units.get(column) for column in columns)
    assert (folder / "codebook.csv").is_file()


@pytest.mark.slow
def test_compare_prints_every_paired_difference(baseline_file, root, tmp_path):
    surge = root / "scenarios" / "surge.toml"
    summary = _json("compare", baseline_file, surge, *QUICK, "--out", tmp_path / "compare", "--json")
    assert summary["reference"] == "baseline_2008"
    rows = [
        r
        for r in summary["comparison"]
        if r["scenario"] == "surge" and r["outcome"] == "new_departures_mexico"
    ]
    assert rows and rows[0]["difference"] > 0  # a surge of arrivals
