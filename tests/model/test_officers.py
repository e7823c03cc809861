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
        """First crossings in the order they left home (a repeat crossing, and the ids, depend on
        how the first one went)."""
        children = run_replication(parameters, seed=5, years=0.25).tables["children"]
        first = np.flatnonzero(children["crossing"] == 1)
        order = first[np.lexsort((children["route"][first], children["departed_at"][first]))]
        return {name: column[order] for name, column in children.items()}

    with_officers = by_child(MANY_NEEDS)
    without = by_child(MANY_NEEDS.replace(child_protection_officers=0))
    for who in ("departed_at", "route", "origin", "age", "trafficking_victim"):  # the same children
        assert np.array_equal(with_officers[who], without[who])
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
        return run_replication(parameters, seed=11, years=1.0, keep_tables=False).outcomes

    none, few, pilot, corps, double = (outcomes(n) for n in (0, 34, 68, 172, 344))
    held, days, detected = ("share_unaccompanied_held_with_adults", "days_to_reunification_mean",
                            "share_needs_detected")
    # Too few officers are worse than none for holding with adults, by two written rules: a child
    # waits for an officer in their care-unit place up to officer_max_wait_days, and a care unit
    # full of waiting children makes new arrivals wait in holding with adults (docs/model.md).
    assert few[held] > none[held] + 0.2  # seed 11, calibration of 2026-12-03: 0.42 vs 0.14
    assert few[days] > none[days] + 1  # days waiting in holding before the care unit
    # without the wait for an officer (an agent at once when none is free) there is no such cliff
    no_wait = outcomes(34, officer_max_wait_days=0.0)
    assert no_wait[held] == pytest.approx(none[held], abs=0.05)
    # from there on, more officers: shorter waits, fewer held with adults, more needs detected
    assert few[held] > pilot[held] > corps[held]
    assert none[detected] < few[detected] < pilot[detected] < corps[detected]
    assert no_wait[detected] > none[detected]
    for name in (held, days, detected, "detention_child_days", "new_diverted_to_detention"):
        # with places, the smallest points still gain a little beyond 172 officers
        assert double[name] == pytest.approx(corps[name], rel=0.05, abs=0.01)
