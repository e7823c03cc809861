"""Comparisons: common random numbers make paired differences tight; the CLI writes the folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from sim.experiments.compare import comparison_rows, run_scenarios, unpaired_half_width
from sim.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]
SMALL = Parameters(arrival_multiplier=0.3, warmup_days=30)


def test_common_random_numbers_make_paired_differences_tighter():
    scarce = SMALL.replace(child_protection_officers=30, officer_hours_per_child=48.0,
                           officer_duty_hours_per_week=168.0)
    more = scarce.replace(child_protection_officers=36)
    runs = run_scenarios([("scarce", scarce), ("more", more)], replications=6, base_seed=5, years=0.2)
    outcome = "detention_child_days"
    base, other = runs[0].values(outcome), runs[1].values(outcome)
    rows = {(r["outcome"], r["scenario"]): r for r in comparison_rows(runs)}
    paired = rows[(outcome, "more")]
    paired_half_width = (paired["difference_ci_high"] - paired["difference_ci_low"]) / 2
    assert paired_half_width < unpaired_half_width(other, base)
    assert rows[("wait_officers_north_days_mean", "more")]["difference"] < 0  # more officers, shorter waits


@pytest.mark.slow
def test_compare_command_writes_table_and_charts(tmp_path):
    out = tmp_path / "comparison"
    result = CliRunner().invoke(cli.main, [
        "compare", str(ROOT / "scenarios" / "baseline_2008.toml"),
        str(ROOT / "scenarios" / "no_detention_unaccompanied.toml"),
        "-r", "2", "--years", "0.05", "-w", "1", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and [s["name"] for s in manifest["scenarios"]] == [
        "baseline_2008", "no_detention_unaccompanied"]
    with open(out / "comparison.csv", newline="") as handle:
        rows = {(r["outcome"], r["scenario"]): r for r in csv.DictReader(handle)}
    assert float(rows[("share_unaccompanied_detained", "no_detention_unaccompanied")]["mean"]) == 0
    assert float(rows[("share_unaccompanied_detained", "baseline_2008")]["difference"]) == 0
    assert (out / "charts" / "differences.png").stat().st_size > 0
    assert (out / "charts" / "occupancy.svg").stat().st_size > 0
