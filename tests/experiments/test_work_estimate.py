"""A work estimate before any run (issue 18, item 4): children a year x simulated years x runs; a
command expected to take longer than the limit says how long and refuses unless --force, and writes
nothing; `rerun` of a manifest whose years or replications were edited is checked the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
import sim.experiments.work_estimate as work_estimate
from sim.commands.sweep import remaining_work
from sim.experiments.sweep import load_sweep
from sim.experiments.work_estimate import estimate, search_evaluations
from sim.inputs.scenario import load_scenario
from sim.model.random_streams import replication_seed
from sim.results.manifest_seal import manifest_seal

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline_2008.toml"
SHORT = ROOT / "tests" / "data" / "short_warmup.toml"
TINY = ["-r", "1", "--years", "0.01", "-w", "1"]


def invoke(*args: object):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_the_estimate_grows_with_children_years_and_runs():
    parameters = load_scenario(BASELINE).parameters
    one = estimate([(parameters, 1.0, 10)], 1)
    assert estimate([(parameters, 1.0, 20)], 1).child_years == pytest.approx(2 * one.child_years)
    warmup_years = parameters.warmup_days / 365
    longer = estimate([(parameters, 3.0, 10)], 1).child_years
    assert longer == pytest.approx(one.child_years * (3 + warmup_years) / (1 + warmup_years))
    doubled = parameters.replace(arrival_multiplier=2 * parameters.arrival_multiplier)
    assert estimate([(doubled, 1.0, 10)], 1).child_years == pytest.approx(2 * one.child_years)
    assert estimate([(parameters, 1.0, 10)], 2).seconds < one.seconds
    assert search_evaluations(0, 400) > search_evaluations(0, 10)


def test_the_shipped_defaults_run_without_force():
    for scenario in ("baseline_2008", "surge"):
        parameters = load_scenario(SCENARIOS / f"{scenario}.toml").parameters
        assert not estimate([(parameters, 1.0, 20)], 2).over_limit, scenario
    spec = load_sweep(SCENARIOS / "sweep_officers_beds.toml")
    assert not remaining_work(spec, None, 2, None).over_limit


TOO_MUCH = [
    ["run", BASELINE, "--years", "100", "-r", "20"],
    ["compare", BASELINE, SCENARIOS / "surge.toml", "--years", "50"],
    ["sweep", SCENARIOS / "sweep_officers_beds.toml", "--years", "50"],
    ["size", BASELINE, "--lever", "officers", "--standard", "shelter_place_within_two_days", "--years", "20"],
    ["calibrate", "--budget", "5000", "--years", "2"],
    ["sensitivity", "--trajectories", "200", "--years", "2"],
]


@pytest.mark.parametrize("arguments", TOO_MUCH, ids=lambda a: a[0])
def test_too_much_work_is_refused_with_the_expected_time_and_nothing_is_written(arguments, tmp_path):
    out = tmp_path / "out"
    result = invoke(*arguments, "-w", "2", "--out", out)
    assert result.exit_code == 1, result.output
    assert "is expected to take about" in result.output and "--force" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_force_runs_what_the_limit_would_refuse(tmp_path, monkeypatch):
    monkeypatch.setattr(work_estimate, "LIMIT_SECONDS", 0.001)
    refused = invoke("run", SHORT, *TINY, "--out", tmp_path / "refused")
    assert refused.exit_code == 1 and "--force" in refused.output
    assert not (tmp_path / "refused").exists()
    forced = invoke("run", SHORT, *TINY, "--out", tmp_path / "forced", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads((tmp_path / "forced" / "manifest.json").read_text())["complete"] is True


@pytest.mark.slow
def test_rerun_checks_the_work_of_an_edited_manifest(tmp_path):
    out = tmp_path / "run"
    assert invoke("run", SHORT, *TINY, "--out", out).exit_code == 0
    path = out / "manifest.json"
    original = json.loads(path.read_text())
    # a careful edit: more years and replications, with the seeds and the seal to match
    edited = {**original, "years": 100, "replications": 50,
              "seeds": [replication_seed(original["base_seed"], i) for i in range(50)]}
    edited["seal"] = manifest_seal(edited)
    path.write_text(json.dumps(edited))
    refused = invoke("rerun", out, "-w", "1")
    assert refused.exit_code == 1 and "is expected to take about" in refused.output
    for years in ("a lot", None, float("nan"), 1e9):
        path.write_text(json.dumps({**original, "years": years}))
        result = invoke("rerun", out, "-w", "1")
        assert result.exit_code == 1 and "years: must be a number" in result.output, years


def test_a_resumed_sweep_counts_only_the_runs_still_to_do(tmp_path):
    sweep_file = tmp_path / "two_points.toml"
    sweep_file.write_text(f'base = "{SHORT}"\npoints = 2\nyears = 0.01\n'
                          "[levers]\nchild_protection_officers = { low = 40, high = 344 }\n",
                          encoding="utf-8")
    out = tmp_path / "sweep"
    assert invoke("sweep", sweep_file, "-w", "1", "--out", out).exit_code == 0
    spec = load_sweep(sweep_file)
    assert remaining_work(spec, None, 1, None).runs == 2
    assert remaining_work(spec, out / "runs.jsonl", 1, None).runs == 0


def test_an_overwrite_refused_for_its_work_keeps_the_old_result(tmp_path, monkeypatch):
    sweep_file = tmp_path / "one_point.toml"
    sweep_file.write_text(f'base = "{SHORT}"\npoints = 1\nyears = 0.01\n'
                          "[levers]\nchild_protection_officers = { low = 40, high = 344 }\n",
                          encoding="utf-8")
    out = tmp_path / "sweep"
    assert invoke("sweep", sweep_file, "-w", "1", "--out", out).exit_code == 0
    before = (out / "manifest.json").read_bytes()
    monkeypatch.setattr(work_estimate, "LIMIT_SECONDS", 0.001)
    refused = invoke("sweep", sweep_file, "-w", "1", "--out", out, "--overwrite")
    assert refused.exit_code == 1 and "--force" in refused.output
    assert (out / "manifest.json").read_bytes() == before
