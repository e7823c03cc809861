"""Loading scenario files: inheritance, the shipped scenarios, and one clear error per mistake.

Nothing here runs the model; `tests/model/test_scenarios.py` checks that every scenario also runs.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.inputs.places import read_places
from sim.inputs.scenario import ScenarioError, list_scenarios, load_scenario, scenario_summary
from sim.model.parameters import Parameters, field_by_name, validation_problems

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "scenarios"
#: The values the calibration fitted (calibration/report.md), which the baseline extends.
CALIBRATED = tomllib.loads((ROOT / "calibration" / "calibrated_2008.toml").read_text())["uncertainties"]
SHIPPED = ("awareness_campaign", "baseline_2008", "before_officers", "double_officers", "free_flights",
           "max_detention_limit", "no_detention_unaccompanied", "officers_pilot_2008",
           "phone_lines_all_states", "protection_package", "shelters_2010", "surge", "timeline_2008_2012")
HEADER = 'title = "A title"\ndescription = "A description."\n'


def write(folder: Path, name: str, body: str, header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(header + body, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


# --- inheritance -----------------------------------------------------------------------------

def test_a_child_overrides_its_base_and_keeps_the_rest(tmp_path):
    write(tmp_path, "base.toml", "[levers]\nshelters = 10\nbeds_per_shelter = 5\n")
    child = load_scenario(write(tmp_path, "child.toml", 'extends = "base.toml"\n[levers]\nshelters = 12\n'))
    assert child.parameters.shelters == 12
    assert child.parameters.beds_per_shelter == 5
    assert child.parameters.care_units == Parameters().care_units
    assert child.overrides == {"shelters": 12, "beds_per_shelter": 5}


def test_a_three_level_chain_merges_from_the_most_basic_base(tmp_path):
    write(tmp_path, "base.toml", "[levers]\nshelters = 10\nbeds_per_shelter = 5\n"
                                 "[settings]\nwarmup_days = 30\n")
    write(tmp_path, "middle.toml", 'extends = "base.toml"\n[levers]\nshelters = 12\n')
    sub = tmp_path / "variants"
    sub.mkdir()
    text = ('title = "Child"\ndescription = "Its own words."\nextends = "../middle.toml"\n'
            "[uncertainties]\narrival_multiplier = 2\n[levers]\nbeds_per_shelter = 8\n")
    child = load_scenario(write(sub, "child.toml", text, header=""))
    p = child.parameters
    assert (p.shelters, p.beds_per_shelter, p.warmup_days, p.arrival_multiplier) == (12, 8, 30, 2.0)
    assert isinstance(p.arrival_multiplier, float)  # an integer in TOML becomes the field's float
    assert [path.name for path in child.chain] == ["base.toml", "middle.toml", "child.toml"]
    assert list(child.overrides) == ["shelters", "beds_per_shelter", "warmup_days", "arrival_multiplier"]
    assert (child.title, child.description, child.text) == ("Child", "Its own words.", text)


def test_every_file_in_a_chain_needs_its_own_title(tmp_path):
    write(tmp_path, "base.toml", "")
    path = tmp_path / "child.toml"
    path.write_text('description = "d"\nextends = "base.toml"\n', encoding="utf-8")
    error = load_error(path)
    assert (Path(error.file).name, error.key) == ("child.toml", "title")


def test_the_summary_lists_only_values_that_differ_from_the_code_default(tmp_path):
    default_officers = Parameters().child_protection_officers
    body = f"[levers]\nchild_protection_officers = {default_officers}\nshelters = 3\n"
    scenario = load_scenario(write(tmp_path, "s.toml", body))
    assert scenario_summary(scenario) == [("shelters", Parameters().shelters, 3, "shelters")]


# --- the shipped scenarios ----------------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_with_its_reasoning(name):
    scenario = load_scenario(FOLDER / f"{name}.toml")
    assert validation_problems(scenario.parameters) == []
    assert len(scenario.title) > 5 and len(scenario.description) > 80
    assert re.search(r"\bF\d\d\b", scenario.description), "a description cites the figures it rests on"
    assert scenario.chain[0].name == "calibrated_2008.toml" and scenario.chain[-1].name == f"{name}.toml"
    assert scenario.chain[1].name == "baseline_2008.toml"


def test_the_baseline_is_the_code_defaults_with_its_key_levers_written_out():
    baseline = load_scenario(FOLDER / "baseline_2008.toml")
    # calibrated values, else defaults, and the shipped places files
    assert baseline.parameters == Parameters().replace(**CALIBRATED, geography=read_places())
    assert {row[0] for row in scenario_summary(baseline)} <= set(CALIBRATED)
    expected = {"child_protection_officers": 172, "care_units": 4, "shelters": 27, "phone_line_states": 21,
                "free_flights": False, "detain_unaccompanied": True, "max_detention_days": 90,
                "beta_group_offices": 20}
    assert {name: baseline.overrides[name] for name in expected} == expected
    for name in expected:  # each key lever is followed by a comment citing its source
        assert re.search(rf"^{name} = .+#.*\b(F\d\d|[a-z]{{3}}\d\d)\b", baseline.text, re.M), name


@pytest.mark.parametrize(("name", "changes"), [
    ("shelters_2010", {"shelters": 23}),
    ("before_officers", {"child_protection_officers": 0}),
    ("double_officers", {"child_protection_officers": 344}),
    ("no_detention_unaccompanied", {"detain_unaccompanied": False, "shelter_age_limit_south": 17,
                                    "alternative_care_places": 300}),
    ("max_detention_limit", {"max_detention_days": 15, "alternative_care_places": 80}),
    ("free_flights", {"free_flights": True}),
    ("phone_lines_all_states", {"phone_line_states": 32}),
    ("awareness_campaign", {"awareness_campaign_reduction": 0.10}),
    ("surge", {"arrival_multiplier": 1.5}),
    ("protection_package", {"child_protection_officers": 344, "detain_unaccompanied": False,
                            "shelter_age_limit_south": 17, "alternative_care_places": 300,
                            "max_detention_days": 15, "free_flights": True, "phone_line_states": 32}),
])
def test_each_policy_scenario_changes_exactly_its_levers(name, changes):
    scenario = load_scenario(FOLDER / f"{name}.toml")
    assert {row[0]: row[2] for row in scenario_summary(scenario) if row[0] not in CALIBRATED} == changes


def test_the_shipped_scenarios_are_listed_with_titles_and_a_first_sentence():
    listed = list_scenarios(FOLDER)
    assert [path.stem for path, _, _ in listed] == list(SHIPPED)  # sweep_*.toml is not a scenario
    for path, title, sentence in listed:
        assert title == load_scenario(path).title
        assert sentence.endswith((".", "?", "!")) and "\n" not in sentence
        assert load_scenario(path).description.startswith(sentence)


def test_listing_skips_files_that_are_not_scenarios(tmp_path):
    write(tmp_path, "b.toml", "", header='title = "B"\ndescription = """First one (F01). Second."""\n')
    write(tmp_path, "a.toml", "", header='title = "A"\ndescription = "Only, e.g. this one."\n')
    write(tmp_path, "standards.toml", "")
    write(tmp_path, "sweep_beds.toml", "")
    write(tmp_path, "notes.toml", "", header='comment = "no title"\n')
    (tmp_path / "readme.txt").write_text('title = "not toml"\n')
    assert [(path.name, title, sentence) for path, title, sentence in list_scenarios(tmp_path)] == [
        ("a.toml", "A", "Only, e.g. this one."), ("b.toml", "B", "First one (F01).")]


# --- mistakes ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "key", "allowed"), [
    ("colour = 'red'\n", "colour", "a scenario has title, description, extends"),
    ("levers = 3\n", "levers", "must be a section [levers]"),
    ("[levers]\narrival_multiplier = 2\n", "levers.arrival_multiplier", "put it under [uncertainties]"),
    ("[settings]\nshelters = 2\n", "settings.shelters", "is a lever: put it under [levers]"),
    ("[levers]\nshelterz = 3\n", "levers.shelterz", "did you mean 'shelters'?"),
    ("[uncertainties]\nshare_unacompanied_north = 0.5\n", "uncertainties.share_unacompanied_north",
     "did you mean 'share_unaccompanied_north'?"),
    ("[levers]\nxyzzy = 3\n", "levers.xyzzy", "allowed names are those in sim/model/parameters.py"),
    ("[levers]\nshelters = -1\n", "levers.shelters", "a whole number from 0 to 10000"),
    ("[levers]\nshelters = 2.5\n", "levers.shelters", "a whole number"),
    ("[levers]\nshelters = \"27\"\n", "levers.shelters", "a whole number"),
    ("[levers]\nfree_flights = 1\n", "levers.free_flights", "true or false"),
    ("[uncertainties]\nshare_unaccompanied_north = 1.5\n", "uncertainties.share_unaccompanied_north",
     "a number from 0 to 1"),
    ("[uncertainties]\nshare_unaccompanied_north = nan\n", "uncertainties.share_unaccompanied_north", "NaN"),
    ("[levers]\nmax_detention_days = 1" + "0" * 400 + "\n", "levers.max_detention_days", "too large"),
    ("[uncertainties]\nshare_guatemala = 0.9\nshare_honduras = 0.5\n", "uncertainties.share_el_salvador",
     "must not exceed 1"),
    ('extends = 7\n', "extends", "the file name of a base scenario"),
    ('extends = "missing.toml"\n', "extends", "missing.toml does not exist"),
])
def test_each_mistake_is_one_error_naming_file_key_and_what_is_allowed(tmp_path, body, key, allowed):
    error = load_error(write(tmp_path, "bad.toml", body))
    assert (Path(error.file).name, error.key) == ("bad.toml", key)
    assert allowed in error.message
    assert str(error) == f"{error.file}: {key}: {error.message}"


@pytest.mark.parametrize(("header", "key"), [
    ('description = "d"\n', "title"),
    ('title = "t"\n', "description"),
    ('title = "  "\ndescription = "d"\n', "title"),
    ('title = 3\ndescription = "d"\n', "title"),
])
def test_title_and_description_are_required_texts(tmp_path, header, key):
    error = load_error(write(tmp_path, "bad.toml", "", header=header))
    assert error.key == key and "non-empty text" in str(error)


def test_a_missing_file_and_bad_toml_name_the_file_and_the_line(tmp_path):
    missing = load_error(tmp_path / "nowhere.toml")
    assert missing.key is None and str(missing) == f"{tmp_path / 'nowhere.toml'}: {missing.message}"
    assert "no such scenario file" in missing.message
    broken = load_error(write(tmp_path, "broken.toml", "[levers\nshelters = 3\n"))
    assert Path(broken.file).name == "broken.toml" and "line 3" in str(broken)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe title")
    assert "UTF-8" in load_error(binary).message


def test_a_combination_is_blamed_on_the_file_that_set_the_last_value(tmp_path):
    write(tmp_path, "base.toml", "[uncertainties]\nshare_guatemala = 0.6\n")
    error = load_error(write(tmp_path, "child.toml", 'extends = "base.toml"\n[uncertainties]\n'
                                                     "share_honduras = 0.5\n"))
    assert Path(error.file).name == "child.toml" and "share_honduras" in error.message
    write(tmp_path, "bad_base.toml", "[uncertainties]\nshare_guatemala = 0.6\nshare_honduras = 0.5\n")
    innocent = write(tmp_path, "innocent.toml", 'extends = "bad_base.toml"\n[levers]\nshelters = 3\n')
    error = load_error(innocent)
    assert Path(error.file).name == "bad_base.toml"


def test_a_missing_base_is_named_by_the_file_that_extends_it(tmp_path):
    write(tmp_path, "middle.toml", 'extends = "gone/base.toml"\n')
    error = load_error(write(tmp_path, "child.toml", 'extends = "middle.toml"\n'))
    assert Path(error.file).name == "middle.toml" and error.key == "extends"
    assert str(tmp_path / "gone" / "base.toml") in error.message


def test_a_cycle_of_bases_names_the_chain(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "c.toml"\n')
    write(tmp_path, "c.toml", 'extends = "a.toml"\n')
    error = load_error(tmp_path / "a.toml")
    assert error.key == "extends" and "a.toml -> b.toml -> c.toml -> a.toml" in error.message
    itself = load_error(write(tmp_path, "self.toml", 'extends = "self.toml"\n'))
    assert "self.toml -> self.toml" in itself.message


def test_chains_of_at_most_twenty_files_are_allowed(tmp_path):
    write(tmp_path, "level0.toml", "[levers]\nshelters = 0\n")
    for level in range(1, 21):
        body = f'extends = "level{level - 1}.toml"\n[levers]\nshelters = {level}\n'
        write(tmp_path, f"level{level}.toml", body)
    twenty = load_scenario(tmp_path / "level19.toml")
    assert len(twenty.chain) == 20 and twenty.parameters.shelters == 19
    error = load_error(tmp_path / "level20.toml")
    assert error.key == "extends" and "at most 20" in error.message


# --- any input: loads or one ScenarioError ---------------------------------------------------------

def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)


SECTION_OF = {"lever": "levers", "uncertainty": "uncertainties", "setting": "settings"}
ANY_VALUE = st.one_of(st.booleans(), st.integers(-10**12, 10**12), st.integers(-10**400, 10**400),
                      st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, 1, 17, 0.5, 1e308]),
                      st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6))


@st.composite
def entry(draw: st.DrawFn) -> tuple[str, str, object]:
    """(section, name, value): mostly a real parameter in its own section with a value near its
    range, so that both outcomes happen; otherwise anything."""
    if draw(st.integers(0, 9)) == 0:
        name = draw(st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True))
        return draw(st.sampled_from(sorted(SECTION_OF.values()))), name, draw(ANY_VALUE)
    f = field_by_name()[draw(st.sampled_from(sorted(field_by_name())))]
    section = SECTION_OF[f.metadata["kind"]] if draw(st.integers(0, 9)) else draw(
        st.sampled_from(sorted(SECTION_OF.values())))
    if f.type == "bool":
        near = st.booleans()
    elif f.type == "MonthlyProfile":  # 12 numbers with mean 1, or not
        near = st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 0.9308, 1.4112, -1.0]), min_size=11, max_size=13)
    elif f.type == "TimelineChanges":  # set by a [timeline] section only: any value is an error
        near = ANY_VALUE
    else:
        low, high = f.metadata["low"], min(f.metadata["high"], 1e6)
        margin = (high - low) / 20
        near = (st.integers(int(low - margin) - 1, int(high + margin) + 1) if f.type == "int"
                else st.floats(low - margin, high + margin))
    return section, f.name, draw(near if draw(st.integers(0, 4)) else ANY_VALUE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(entry(), max_size=6, unique_by=lambda e: e[1]))
def test_any_values_either_load_into_valid_parameters_or_raise_a_scenario_error(tmp_path, entries):
    sections: dict[str, list[str]] = {}
    for section, name, value in entries:
        sections.setdefault(section, []).append(f"{name} = {toml_value(value)}\n")
    path = write(tmp_path, "fuzz.toml", "".join(f"[{s}]\n" + "".join(lines) for s, lines in sections.items()))
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        assert error.file == str(path) and error.message
    else:
        assert validation_problems(scenario.parameters) == []
        assert set(scenario.overrides) == {name for _, name, _ in entries}


def test_importing_the_loader_imports_no_heavy_library():
    code = ("import sys; from sim.inputs.scenario import list_scenarios, load_scenario; "
            "list_scenarios('scenarios'); load_scenario('scenarios/protection_package.toml'); "
            "print(sorted(m for m in ('mesa', 'numpy', 'scipy', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
