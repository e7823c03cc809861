"""Sizing: the search finds known answers (synthetic thresholds, Erlang C on an M/M/c officer stage),
reports monotonicity violations, reproduces per seed, and rejects bad input with one clear error."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cli
from sim.experiments.sizing import (
    LEVERS,
    Evaluation,
    find_minimum,
    frontier,
    model_evaluator,
    standard_outcome,
)
from sim.inputs.scenario import ScenarioError
from sim.inputs.standards import Standard, load_standards
from sim.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()


def synthetic(share_at, replications: int = 10):
    """An evaluator whose share of replications meeting the standard is `share_at(value)`: the
    first round(share * replications) replications meet it (so shares are nested, as with common
    random numbers), and it counts its calls."""
    calls = []

    def evaluate(value: int) -> Evaluation:
        calls.append(value)
        n_met = round(share_at(value) * replications)
        met = [i < n_met for i in range(replications)]
        return Evaluation(value, [float(m) for m in met], met, list(range(replications)))

    evaluate.calls = calls
    return evaluate


@settings(max_examples=150, deadline=None)
@given(low=st.integers(0, 50), width=st.integers(1, 5000), threshold_at=st.floats(0, 1.2),
       start_at=st.floats(0, 1))
def test_search_finds_the_threshold_in_few_evaluations(low, width, threshold_at, start_at):
    high = low + width
    threshold = low + round(threshold_at * width)  # beyond high when threshold_at > 1
    evaluate = synthetic(lambda v: 1.0 if v >= threshold else 0.0)
    search = find_minimum(evaluate, low, high, low + round(start_at * width), confidence=0.9)
    assert search.answer == (threshold if threshold <= high else None)
    assert not search.violations
    assert len(evaluate.calls) == len(set(evaluate.calls))  # nothing evaluated twice
    assert len(evaluate.calls) <= 2 * math.log2(width + 1) + 4  # bracketing and bisection, not a grid


def test_answer_follows_the_confidence_level():
    share = {v: min(1.0, max(0.0, (v - 10) / 10)) for v in range(0, 41)}  # 0 at 10, 1 at 20
    answers = {c: find_minimum(synthetic(share.get), 0, 40, 15, c).answer for c in (0.5, 0.9, 1.0)}
    assert answers == {0.5: 15, 0.9: 19, 1.0: 20}


def test_a_falling_share_is_reported_as_a_violation_not_hidden():
    # more capacity makes the standard fail: met at low values, never at the top of the range
    search = find_minimum(synthetic(lambda v: 1.0 if v <= 30 else 0.0), 0, 100, 20, confidence=0.9)
    assert search.answer == 0  # what bisection says...
    assert search.violations  # ...but the top of the range contradicts it, and that is reported
    worst = search.violations[-1]
    assert (worst.share_lower, worst.share_higher, worst.higher) == (1.0, 0.0, 100)
    assert worst.beyond_noise and worst.p_value == pytest.approx(0.5**10)


def test_a_dip_within_noise_is_reported_as_such():
    # one replication of ten lost at one value: a violation, but not beyond noise
    search = find_minimum(synthetic(lambda v: 0.0 if v < 50 else (0.9 if v == 75 else 1.0)), 0, 75, 74,
                          confidence=0.95)
    assert search.answer == 50
    [dip] = search.violations  # the top of the range (75) is always checked
    assert (dip.lower, dip.higher, dip.share_lower, dip.share_higher) == (50, 75, 1.0, 0.9)
    assert not dip.beyond_noise and dip.p_value == pytest.approx(0.5)


def test_frontier_of_two_substitutable_levers():
    # the standard holds when first + second >= 30: the frontier is 30 - first
    def evaluator_for(first: int):
        return synthetic(lambda second: 1.0 if first + second >= 30 else 0.0)

    points = frontier(evaluator_for, [0, 5, 10, 20, 40], 0, 50, 25, confidence=0.9)
    assert [p.search.answer for p in points] == [30, 25, 20, 10, 0]


def mm_c_parameters(arrivals_per_day: float, interview_days: float) -> Parameters:
    # as in test_model: Poisson handovers, an ample care unit with exponential stays (M/M/inf keeps
    # the stream Poisson), exponential service, nobody gives up waiting: an M/M/c queue at the officers
    return Parameters(
        mexican_departures_per_year=arrivals_per_day * 365,
        share_of_mexican_departures_returned_by_united_states=1.0,
        share_unaccompanied_north=1.0, central_american_departures_per_year=0.0,
        child_protection_officers=10, share_officers_north=1.0, officer_hours_per_child=interview_days * 24,
        officer_duty_hours_per_week=168.0, shortest_case_share=1.0,
        share_reunified_handed_back_again=0.0, arrival_profile_north=(1.0,) * 12,
        officer_max_wait_days=math.inf, places_per_care_unit=10_000, warmup_days=30)


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C); infinite when the queue is unstable."""
    load = arrival_rate / service_rate
    if servers <= load:
        return math.inf
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return (top / bottom) / (servers * service_rate - arrival_rate)


@pytest.mark.slow
def test_minimum_officers_for_a_mean_wait_matches_erlang_c():
    arrivals, interview_days, target = 40.0, 0.2, 0.025
    expected = next(c for c in range(1, 100) if erlang_c_mean_wait(arrivals, 1 / interview_days, c) <= target)
    # the target sits well between the neighbours' mean waits, so the simulation can tell them apart
    assert erlang_c_mean_wait(arrivals, 1 / interview_days, expected - 1) > 1.5 * target
    assert erlang_c_mean_wait(arrivals, 1 / interview_days, expected) < target / 1.5
    standard = Standard("mean_wait", "mean officer wait", "test", "wait_officers_north_days_mean", target,
                        at_least=False)
    evaluate = model_evaluator(mm_c_parameters(arrivals, interview_days), LEVERS["officers"], standard,
                               replications=3, base_seed=5, years=0.25)
    search = find_minimum(evaluate, 1, 30, 20, confidence=0.6)
    assert search.answer == expected == 11
    assert not [v for v in search.violations if v.beyond_noise]


def test_officer_interview_on_time_follows_the_care_unit_stay_when_officers_are_ample():
    # with officers always free, the interview starts when care ends: an exponential stay of mean
    # care_days_mean (0.5 days), so within d days for a share 1 - exp(-d / 0.5)
    parameters = mm_c_parameters(40.0, 0.2).replace(child_protection_officers=1000)
    for days in (0.5, 1.0):
        standard = Standard("on_time", "on time", "test", "share_officer_interview_within_days", 0.9,
                            at_least=True, days=days)
        share = standard_outcome(standard, parameters, seed=3, years=0.25)
        assert share == pytest.approx(1 - math.exp(-days / 0.5), abs=0.025), days


# --- the command, as a planner types it ----------------------------------------------------------

def tiny_scenario(folder: Path, officers: int = 20) -> Path:
    path = folder / "tiny.toml"
    path.write_text(f'''title = "tiny"
description = "A twentieth of the arrivals, a short warm-up: fast tests."
extends = "{BASE}"
[levers]
child_protection_officers = {officers}
[uncertainties]
arrival_multiplier = 0.05
[settings]
warmup_days = 10
''', encoding="utf-8")
    return path


def standards_file(folder: Path, body: str) -> Path:
    path = folder / "standards.toml"
    path.write_text(body, encoding="utf-8")
    return path


REVERSED = '''[mostly_regular_agents]
title = "Most children screened by regular agents (a standard officers can only break)"
source = "test: deliberately the wrong direction for the officers lever"
outcome = "share_screened_by_officer"
at_most = 0.5
'''


def size(*args: str):
    return CliRunner().invoke(cli.main, ["size", *args], catch_exceptions=False)


def test_a_non_monotone_lever_and_standard_are_reported_in_output_table_and_chart(tmp_path):
    out = tmp_path / "reversed"
    result = size(str(tiny_scenario(tmp_path, officers=0)), "--lever", "officers=0:40", "--standard",
                  "mostly_regular_agents", "--standards", str(standards_file(tmp_path, REVERSED)),
                  "-r", "5", "--years", "0.05", "-w", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "WARNING: the share meeting the standard does not rise steadily" in result.output
    assert "beyond noise" in result.output
    rows = (out / "evaluations.csv").read_text().splitlines()
    assert any("beyond noise" in row for row in rows[1:])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sizing" and manifest["complete"] is True
    assert any(v["beyond_noise"] for v in manifest["violations"])
    assert "monotonicity violation" in (out / "charts" / "sizing.svg").read_text()
    assert (out / "charts" / "sizing.png").stat().st_size > 10_000


@pytest.mark.slow
def test_the_answer_is_reproducible_per_seed_whatever_the_workers(tmp_path):
    scenario = str(tiny_scenario(tmp_path))
    common = [scenario, "--lever", "shelter_beds=0:60", "--standard", "shelter_place_within_two_days",
              "-r", "3", "--years", "0.05", "--seed", "17"]
    assert size(*common, "-w", "1", "--out", str(tmp_path / "one")).exit_code == 0
    assert size(*common, "-w", "2", "--out", str(tmp_path / "two")).exit_code == 0
    for name in ("evaluations.csv", "by_replication.csv", "summary.md"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    # the same answer with one worker and two (with the places of the grounded model, 60 beds spread
    # over 12 cities may not meet the standard at all: the answer is then "none" in both)
    assert manifest["answer"] == json.loads((tmp_path / "two" / "manifest.json").read_text())["answer"]
    assert manifest["seeds"] == json.loads((tmp_path / "two" / "manifest.json").read_text())["seeds"]
    again = size(*common, "-w", "1", "--out", str(tmp_path / "one"))
    assert again.exit_code != 0 and "already exists" in again.output


def test_two_levers_draw_a_frontier(tmp_path):
    out = tmp_path / "frontier"
    result = size(str(tiny_scenario(tmp_path)), "--lever", "officers=2:10", "--lever", "shelter_beds=0:40",
                  "--standard", "shelter_place_within_two_days", "--points", "2", "-r", "2",
                  "--years", "0.04", "-w", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Frontier" in result.output
    frontier_rows = (out / "frontier.csv").read_text().splitlines()
    assert frontier_rows[0].startswith("first_lever_value,minimum_second_lever") and len(frontier_rows) == 3
    assert (out / "charts" / "frontier.png").exists() and (out / "charts" / "captions.md").exists()


BAD_STANDARDS = [
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "no_such_outcome"\nat_most = 0\n', "a.outcome"),
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "share_reunified_within_days"\nat_least = 0.9\n', "a.days"),
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\nat_most = 0\nat_least = 1\n',
     "needs exactly one of at_least or at_most"),
    ('[a]\ntitle = "t"\noutcome = "detention_limit_breaches"\nat_most = 0\n', "a.source"),
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\nat_most = "zero"\n', "a.at_most"),
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\nat_most = 0\nwithin = 3\n',
     "a.within"),
    ('[a]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\ndays = 2\nat_most = 0\n',
     "a.days"),
    ("[a\n", "is not valid TOML"),
]


@pytest.mark.parametrize(("body", "named"), BAD_STANDARDS)
def test_a_bad_standards_file_is_one_clear_error(tmp_path, body, named):
    path = standards_file(tmp_path, body)
    with pytest.raises(ScenarioError, match=str(tmp_path.name)) as caught:
        load_standards(path)
    assert named in str(caught.value)
    out = tmp_path / "never"
    result = size(BASE, "--lever", "officers", "--standard", "a", "--standards", str(path), "--out", str(out))
    assert result.exit_code != 0 and named in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--lever", "nurses", "--standard", "shelter_place_within_two_days"], "unknown lever 'nurses'"),
    (["--lever", "officers=50:10", "--standard", "shelter_place_within_two_days"], "LOW < HIGH"),
    (["--lever", "officers=a:b", "--standard", "shelter_place_within_two_days"], "LOW:HIGH"),
    (["--lever", "officers", "--standard", "no_such"], "allowed: no_detention_or_adults"),
])
def test_bad_command_lines_are_one_clear_error(tmp_path, args, message):
    out = tmp_path / "never"
    result = size(BASE, *args, "--out", str(out))
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_the_shipped_standards_load_and_state_their_sources():
    standards = load_standards(ROOT / "scenarios" / "standards.toml")
    assert {"no_detention_or_adults", "detention_within_legal_maximum", "officer_interview_within_two_days",
            "shelter_place_within_two_days", "reunification_within_five_days"} <= set(standards)
    for standard in standards.values():
        assert any(token in standard.source for token in ("F0", "F1", "F2", "assumption:")), standard.name


def test_size_help_does_not_import_heavy_libraries():
    code = ("import sys; from click.testing import CliRunner; import cli; "
            "CliRunner().invoke(cli.main, ['size', '--help']); "
            "print(sorted(m for m in ('mesa', 'scipy', 'matplotlib', 'numpy') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
