"""Officers with working hours: detection depends on the time officers give a case and on their
training, not on a draw that makes officers always better (F12 is an outcome); the response of the
2008 baseline to the number of officers follows the written rules (docs/model.md)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.replications import run_replication
from sim.inputs.scenario import load_scenario
from sim.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]
#: A fifth of the arrivals, and many children with a hidden need so shares of them are precise.
MANY_NEEDS = Parameters(arrival_multiplier=0.2, warmup_days=30, share_trafficking_victims_at_departure=0.3)


def officer_detection(result) -> float:
    """Share of the hidden needs of children screened by an officer that the officer detected."""
    children = result.tables["children"]
    need = (children["trafficking_victim"] == 1) | (children["in_need_of_protection"] == 1)
    seen = need & (children["screened_by_officer"] == 1) & (children["exit"] != 0)
    return np.count_nonzero(seen & (children["needs_detected"] == 1)) / np.count_nonzero(seen)


def test_detection_falls_when_officers_are_too_few_to_give_full_cases():
    # nobody gives up waiting: every child is seen by an officer, so only the time given differs
    waiting = MANY_NEEDS.replace(officer_max_wait_days=math.inf)
    ample = run_replication(waiting, seed=2, years=0.25)
    scarce = run_replication(waiting.replace(child_protection_officers=8), seed=2, years=0.25)
    assert ample.outcomes["share_screened_by_officer"] == scarce.outcomes["share_screened_by_officer"] == 1
    assert ample.outcomes["wait_officers_north_days_mean"] == 0
    assert scarce.outcomes["wait_officers_north_days_mean"] > 0.1  # a line: cases are shortened
    assert officer_detection(ample) == pytest.approx(MANY_NEEDS.detection_with_officer, abs=0.05)
    assert officer_detection(scarce) < officer_detection(ample) - 0.1
    assert scarce.outcomes["share_needs_detected"] < ample.outcomes["share_needs_detected"] - 0.1


def test_detection_rises_with_training():
    untrained = run_replication(MANY_NEEDS.replace(share_officers_trained=0.0), seed=2, years=0.25)
    half = run_replication(MANY_NEEDS.replace(share_officers_trained=0.5), seed=2, years=0.25)
    trained = run_replication(MANY_NEEDS, seed=2, years=0.25)
    shares = [r.outcomes["share_needs_detected"] for r in (untrained, half, trained)]
    assert shares[0] < shares[1] < shares[2]
    # an untrained officer detects as a regular agent does
    assert officer_detection(untrained) == pytest.approx(MANY_NEEDS.detection_without_officer, abs=0.05)


def test_an_officer_may_miss_a_need_a_regular_agent_would_have_found():
    # the officer's and the agent's detection are independent draws: F12 is not built in child by child
    def by_child(parameters: Parameters) -> dict[str, np.ndarray]:
        children = run_replication(parameters, seed=5, years=0.25).tables["children"]
        first = children["crossing"] == 1  # a crossing again depends on when the child came home
        children = {name: column[first] for name, column in children.items()}
        order = np.lexsort((children["departed_at"], children["route"]))  # a child's own key
        return {name: column[order] for name, column in children.items()}

    with_officers = by_child(MANY_NEEDS)
    without = by_child(MANY_NEEDS.replace(child_protection_officers=0))
    assert np.array_equal(with_officers["departed_at"], without["departed_at"])  # the same children
    screened = (with_officers["exit"] != 0) & (without["exit"] != 0)
    missed_by_officer = screened & (with_officers["needs_detected"] == 0) & (without["needs_detected"] == 1)
    found_by_officer = screened & (with_officers["needs_detected"] == 1) & (without["needs_detected"] == 0)
    assert np.count_nonzero(missed_by_officer) > 0
    assert np.count_nonzero(found_by_officer) > 5 * np.count_nonzero(missed_by_officer)


@pytest.mark.slow
def test_the_baseline_s_response_to_officers_follows_the_written_rules():
    baseline = load_scenario(ROOT / "scenarios" / "baseline_2008.toml").parameters

    def outcomes(officers: int, **changes) -> dict[str, float]:
        parameters = baseline.replace(child_protection_officers=officers, **changes)
        return run_replication(parameters, seed=11, years=0.3, keep_tables=False).outcomes

    none, pilot, corps, double = (outcomes(n) for n in (0, 68, 172, 344))
    held, days, detected = ("share_unaccompanied_held_with_adults", "days_to_reunification_mean",
                            "share_needs_detected")
    # no cliff at the pilot's 68: 34 officers in the north take 48 full cases a day and up to four
    # times as many shortened ones, for 50 children a day
    assert pilot[held] == pytest.approx(corps[held], abs=0.02)
    assert pilot[days] == pytest.approx(corps[days], rel=0.05)
    assert none[detected] < pilot[detected] <= corps[detected] + 0.01
    for name in (held, days, detected, "detention_child_days", "new_diverted_to_detention"):
        assert double[name] == corps[name]  # nothing binds beyond 172: the same numbers
    # Very few officers are worse than none for holding with adults, by two written rules: a child
    # waits for an officer in the care-unit place up to officer_max_wait_days, and a care unit full
    # of waiting children makes new arrivals wait in holding with adults. 16 officers (8 north) take
    # at most 46 shortened cases a day: waits reach a day and the 60 care-unit places, held 1.5
    # days each, serve 40 children a day.
    few = outcomes(16)
    assert few[held] > 0.8 > none[held] + 0.5
    assert few[days] > none[days] + 1  # days waiting in holding before the care unit
    # without the wait for an officer (an agent at once when none is free) there is no such cliff
    no_wait = outcomes(16, officer_max_wait_days=0.0)
    assert no_wait[held] == pytest.approx(none[held], abs=0.05)
