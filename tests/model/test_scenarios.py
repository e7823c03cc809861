"""Scenario files: inheritance, every shipped scenario runs, and mistakes are clear errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.experiments.replications import run_replication
from sim.inputs.scenario import ScenarioError, list_scenarios, load_scenario, scenario_summary
from sim.model.parameters import Parameters, field_by_name

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
SHIPPED = [p for p in SCENARIOS if not p.name.startswith("sweep_") and p.name != "standards.toml"]
HEADER = 'title = "t"\ndescription = "d"\n'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_and_runs(path):
    scenario = load_scenario(path)
    assert scenario.title and scenario.description
    small = scenario.parameters.replace(arrival_multiplier=scenario.parameters.arrival_multiplier * 0.2,
                                        warmup_days=20)
    result = run_replication(small, seed=1, years=0.05)  # checks the invariants
    assert result.outcomes["new_repatriated_north"] > 0


def test_the_scenarios_are_listed_with_titles():
    listed = list_scenarios(ROOT / "scenarios")
    names = {path.stem for path, _, _ in listed}
    assert {"baseline_2008", "shelters_2010", "before_officers", "double_officers",
            "no_detention_unaccompanied", "max_detention_limit", "free_flights", "phone_lines_all_states",
            "awareness_campaign", "surge", "protection_package", "officers_pilot_2008",
            "timeline_2008_2012"} <= names
    assert all(title for _, title, _ in listed)


def test_a_child_overrides_its_base_and_keeps_the_rest(tmp_path):
    write(tmp_path, "base.toml", HEADER + "[levers]\nshelters = 10\nbeds_per_shelter = 5\n")
    write(tmp_path, "middle.toml", HEADER + 'extends = "base.toml"\n[levers]\nshelters = 12\n')
    text = HEADER + 'extends = "middle.toml"\n[uncertainties]\narrival_multiplier = 2\n'
    child = load_scenario(write(tmp_path, "child.toml", text))
    assert (child.parameters.shelters, child.parameters.beds_per_shelter) == (12, 5)
    assert child.parameters.arrival_multiplier == 2.0
    assert isinstance(child.parameters.arrival_multiplier, float)
    assert [p.name for p in child.chain] == ["base.toml", "middle.toml", "child.toml"]
    changed = {name for name, *_ in scenario_summary(child)}
    assert changed == {"shelters", "beds_per_shelter", "arrival_multiplier"}


@pytest.mark.parametrize(("text", "key", "words"), [
    (HEADER + "[levers]\nshelterz = 3\n", "levers.shelterz", "did you mean 'shelters'"),
    (HEADER + "[levers]\nshelters = -1\n", "levers.shelters", "from 0"),
    (HEADER + "[levers]\nshelters = 2.5\n", "levers.shelters", "whole number"),
    (HEADER + "[levers]\nfree_flights = 1\n", "levers.free_flights", "true or false"),
    (HEADER + "[uncertainties]\nshare_unaccompanied_north = 1.5\n", "share_unaccompanied_north",
     "from 0 to 1"),
    (HEADER + "[uncertainties]\nshare_unaccompanied_north = nan\n", "share_unaccompanied_north", "NaN"),
    (HEADER + "[levers]\narrival_multiplier = 2\n", "levers.arrival_multiplier", "[uncertainties]"),
    (HEADER + "[uncertainties]\nshare_guatemala = 0.9\nshare_honduras = 0.5\n", "share_el_salvador",
     "must not exceed 1"),
    (HEADER + "colour = 'red'\n", "colour", "unknown key"),
    ('description = "d"\n', "title", "required"),
    (HEADER + "[levers\n", None, "line 3"),
    (HEADER + 'extends = "missing.toml"\n', "extends", "does not exist"),
])
def test_mistakes_are_one_clear_error(tmp_path, text, key, words):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "bad.toml" in message and words in message
    if key:
        assert key in message


def test_a_cycle_of_bases_is_named(tmp_path):
    write(tmp_path, "a.toml", HEADER + 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", HEADER + 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="loops: a.toml -> b.toml -> a.toml"):
        load_scenario(tmp_path / "a.toml")


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


NAMES = sorted(field_by_name()) + ["shelterz", "nonsense", "title"]
VALUES = st.one_of(st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                   st.text(max_size=5))


@settings(max_examples=150, deadline=None)
@given(section=st.sampled_from(["levers", "uncertainties", "settings"]),
       entries=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=4))
@example(section="levers", entries={"alternative_care_places": math.nan})  # once a ValueError
def test_random_scenarios_either_load_or_fail_cleanly(tmp_path_factory, section, entries):
    folder = tmp_path_factory.mktemp("fuzz")
    body = "".join(f"{name} = {_toml_value(value)}\n" for name, value in entries.items())
    path = write(folder, "fuzz.toml", HEADER + f"[{section}]\n" + body)
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        assert "fuzz.toml" in str(error)
    else:
        assert isinstance(scenario.parameters, Parameters)


def test_loading_scenarios_imports_nothing_heavy():
    code = ("import sys; from sim.inputs.scenario import list_scenarios, load_scenario; "
            "list_scenarios('scenarios'); load_scenario('scenarios/surge.toml'); "
            "print(sorted(m for m in ('mesa', 'numpy', 'scipy', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
