"""Every protection failure counted: diversions to detention, time in a station held with adults
(unless the stations keep children apart), and no detained child counted as protected (F11), as the
standards file says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.experiments.replications import run_replication
from sim.inputs.standards import load_standards
from sim.model.codes import Route
from sim.model.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]
SMALL = Parameters(arrival_multiplier=0.2, warmup_days=30)
#: Places enough everywhere that nobody waits in holding: the only failures are detention.
AMPLE = dict(care_units=100, migration_station_places=5000, child_protection_officers=400)


def run(seed: int = 3, years: float = 0.25, **changes):
    return run_replication(SMALL.replace(**changes), seed=seed, years=years)


def test_young_children_sent_to_detention_because_alternative_care_is_full_are_counted():
    tiny = run(alternative_care_places=1)
    children = tiny.tables["children"]
    diverted = children["diverted_to_detention"] == 1
    assert tiny.outcomes["new_diverted_to_detention"] > 50
    # each one is a child alternative care was for (alone and 11 or under, los07) who was detained
    assert np.all(children["route"][diverted] == Route.SOUTH)
    assert np.all(children["accompanied"][diverted] == 0)
    assert np.all(children["age"][diverted] <= SMALL.shelter_age_limit_south)
    assert np.all(children["detained"][diverted] == 1)
    ample = run(alternative_care_places=5000)
    assert ample.outcomes["new_diverted_to_detention"] == 0
    assert np.count_nonzero(ample.tables["children"]["diverted_to_detention"]) == 0


def test_time_in_a_station_counts_as_held_with_adults_as_the_standards_file_says():
    standards = load_standards(ROOT / "scenarios" / "standards.toml")
    never_with_adults = standards["never_held_with_adults"]
    with_adults = run(**AMPLE)
    children = with_adults.tables["children"]
    measured = ~np.isnan(children["apprehended_at"]) & (children["route"] == Route.SOUTH)
    detained = measured & (children["detained"] == 1)
    assert np.count_nonzero(detained) > 100
    assert np.all(children["held_with_adults"][detained] == 1)  # nobody waited in holding
    assert np.all(children["held_with_adults"][measured & ~detained] == 0)
    share = with_adults.outcomes["share_unaccompanied_held_with_adults"]
    assert share > 0.1
    assert not never_with_adults.meets(share)
    # the lever: stations that keep children apart from adults hold nobody with adults, but a
    # detained child is still not protected (F22, F24)
    separate = run(stations_keep_children_separate=True, **AMPLE)
    assert separate.outcomes["share_unaccompanied_held_with_adults"] == 0
    assert never_with_adults.meets(separate.outcomes["share_unaccompanied_held_with_adults"])
    assert not standards["no_detention_or_adults"].meets(
        separate.outcomes["share_unaccompanied_detained_or_with_adults"])
    assert np.array_equal(separate.tables["children"]["detained"], children["detained"])
    for outcomes in (with_adults.outcomes, separate.outcomes):
        met = outcomes["new_repatriated_north_unaccompanied"] + outcomes["new_apprehended_south"]
        assert outcomes["new_protected_by_system"] < met - 0.5 * outcomes["new_apprehended_south"]


def test_with_no_detention_and_places_enough_every_child_met_is_protected():
    outcomes = run(detain_unaccompanied=False, detain_accompanied=False, alternative_care_places=5000,
                   **AMPLE).outcomes
    assert outcomes["share_unaccompanied_detained_or_with_adults"] == 0
    met = outcomes["new_repatriated_north_unaccompanied"] + outcomes["new_apprehended_south"]
    assert met > 0 and outcomes["new_protected_by_system"] == pytest.approx(met, rel=1e-12)
