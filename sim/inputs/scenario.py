"""Scenario files: a named, small change to a base scenario, in TOML a planner can read.

    title = "Twice the child protection officers"
    description = "One paragraph: what changes, why, and the figure ids behind it."
    extends = "baseline_2008.toml"        # optional, relative to this file's folder

    [levers]           # what a planner decides
    child_protection_officers = 344
    [uncertainties]    # what nobody knows exactly
    [settings]         # how the simulation runs
    [timeline.2009]    # optional: from January 1, 2009 on (or [timeline.2009-03-27]: from that day)
    child_protection_officers = 172
    [places]           # the geography: CSV files, relative to this file's folder (sim.inputs.places)
    repatriation_points = "places/repatriation_points.csv"
    states_of_origin = "places/states_of_origin.csv"

Keys are exactly the parameter names of `sim.model.parameters.Parameters`, each in the section of its
kind. Values are merged along the `extends` chain, the most basic base first, so a child file
lists only what it changes; the tables of a `[timeline]` are merged by date and name the same way,
and the places files (default: the shipped `scenarios/places/`) are inherited.
A timeline may change only capacities and arrival volumes (`TIMELINE_PARAMETERS`). Any mistake is
one `ScenarioError` naming the file, the key and what is allowed. This module imports only the
standard library, `sim.model.parameters`, `sim.model.run_calendar` and the places reader, so
listing scenarios is instant.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.inputs.input_error import ScenarioError
from sim.inputs.places import SHIPPED_POINTS, SHIPPED_STATES, read_places
from sim.inputs.toml_file import (
    MAX_DESCRIPTION_CHARACTERS,
    MAX_TITLE_CHARACTERS,
    TomlFile,
    read_toml,
    text_value,
)
from sim.model.parameters import (
    TIMELINE_PARAMETERS,
    ParameterError,
    Parameters,
    check_value,
    coerce,
    describe_allowed,
    field_by_name,
    is_scalar,
    parameter_fields,
)
from sim.model.run_calendar import parse_date

#: Scenario section -> the parameter kind it holds.
SECTIONS = {"levers": "lever", "uncertainties": "uncertainty", "settings": "setting"}
TOP_LEVEL_KEYS = ("title", "description", "extends", *SECTIONS, "timeline", "places")
#: Keys of the [places] section -> the shipped file used when no file in the chain sets it.
PLACES_FILES = {"repatriation_points": SHIPPED_POINTS, "states_of_origin": SHIPPED_STATES}
#: Most files one `extends` chain may hold, the scenario itself included.
MAX_CHAIN = 20
#: Files in a scenario folder that are not scenarios.
NOT_SCENARIOS = re.compile(r"^(standards\.toml|sweep_.*)$")


__all__ = ["MAX_CHAIN", "SECTIONS", "Scenario", "ScenarioError", "list_scenarios", "load_scenario",
           "scenario_summary"]


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: its own title, description and text, and the merged, validated values."""

    path: Path
    title: str
    description: str
    parameters: Parameters
    overrides: dict[str, Any]  # every value set along the chain, the most basic base first
    chain: tuple[Path, ...]  # from the most basic base to this file
    text: str  # this file's own TOML text, as written
    set_by: dict[str, Path] = field(default_factory=dict)  # the file of the chain whose value is used

    @property
    def calibration_file(self) -> str | None:
        """The calibrated values this scenario rests on: the file of its chain that lives in a
        `calibration` folder (`amparo calibrate` writes there), as `calibration/NAME`; None if none."""
        for path in self.chain:
            if path.parent.name == "calibration":
                return f"calibration/{path.name}"
        return None

    def set_above_calibration(self) -> dict[str, Path]:
        """The values this scenario sets itself, above its calibration file: those set by a file of the
        chain after the calibration file (every file of the chain when there is none). A posterior
        draw replaces the calibrated values, never these: a scenario lever wins."""
        order = list(self.chain)
        calibration = next((i for i, path in enumerate(order) if path.parent.name == "calibration"), -1)
        return {name: path for name, path in self.set_by.items() if order.index(path) > calibration}


def _section_of(name: str) -> str:
    kind = field_by_name()[name].metadata["kind"]
    return next(section for section, k in SECTIONS.items() if k == kind)


def _unknown_parameter(name: str) -> str:
    close = difflib.get_close_matches(name, list(field_by_name()), n=1)
    if close:
        return f"is not a model parameter; did you mean {close[0]!r}?"
    return ("is not a model parameter; the allowed names are those in sim/model/parameters.py "
            "(the parameter table of docs/model.md)")


def _check_header(path: Path, content: dict[str, Any]) -> None:
    for key in content:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(path, key, "unknown key; a scenario has title, description, extends, "
                                           "the sections [levers], [uncertainties], [settings] and "
                                           "an optional [timeline] and [places]")
    for key, limit in (("title", MAX_TITLE_CHARACTERS), ("description", MAX_DESCRIPTION_CHARACTERS)):
        if not isinstance(content.get(key), str) or not content[key].strip():
            raise ScenarioError(path, key, "is required in every scenario file: a non-empty text in quotes")
        text_value(path, key, content[key], limit)


def _parameter_values(path: Path, content: dict[str, Any]) -> dict[str, Any]:
    """The file's own parameter values, each checked and converted to its field's type."""
    _check_header(path, content)
    fields = field_by_name()
    values: dict[str, Any] = {}
    for section in SECTIONS:
        table = content.get(section, {})
        if not isinstance(table, dict):
            raise ScenarioError(path, section, f"must be a section [{section}] of name = value lines")
        for name, value in table.items():
            key = f"{section}.{name}"
            if name not in fields:
                raise ScenarioError(path, key, _unknown_parameter(name))
            home = _section_of(name)
            if home != section:
                kind = fields[name].metadata["kind"]
                raise ScenarioError(path, key, f"is a{'n' if kind[0] in 'aeiou' else ''} {kind}: "
                                               f"put it under [{home}], not [{section}]")
            if name == "timeline":
                raise ScenarioError(path, key, "is set by a [timeline] section of tables named by date "
                                               "([timeline.2009]), not by one value")
            if isinstance(value, dict) or (isinstance(value, list) and is_scalar(name)):
                raise ScenarioError(path, key, f"must be one value, {describe_allowed(fields[name])}, not "
                                               f"{'an array' if isinstance(value, list) else 'a table'}")
            try:
                problem = check_value(name, value)
                if not problem:  # a bad value (NaN for a count, say) is reported, never converted
                    values[name] = coerce(name, value)
            except OverflowError:  # an integer too large to become a float
                problem = f"must be {describe_allowed(fields[name])}, got a number too large to hold"
            if problem:
                raise ScenarioError(path, key, problem)
    return values


def _places_files(files: list[TomlFile]) -> dict[str, Path]:
    """The places files of a chain (`files`: the scenario first): for each key, the file set by the
    scenario closest to this one, relative to that scenario's folder; else the shipped file."""
    found = dict(PLACES_FILES)
    for file in reversed(files):  # the most basic base first: later files override
        table = file.content.get("places", {})
        if not isinstance(table, dict):
            raise ScenarioError(file.path, "places",
                                "must be a section [places] of name = \"file.csv\" lines")
        for key, value in table.items():
            if key not in PLACES_FILES:
                raise ScenarioError(file.path, f"places.{key}", f"unknown key; [places] has "
                                                                 f"{', '.join(PLACES_FILES)}")
            if not isinstance(value, str) or not value.strip():
                raise ScenarioError(file.path, f"places.{key}", "must be a CSV file name in quotes, relative "
                                                                 "to this file's folder")
            found[key] = file.path.parent / value
    return found


def _timeline_values(path: Path, content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The file's own [timeline]: date -> {parameter: value}, each name and value checked (the dates
    are checked against start_year once the chain is merged)."""
    timeline = content.get("timeline", {})
    if not isinstance(timeline, dict):
        raise ScenarioError(path, "timeline", "must be tables named by a year or a day, for example "
                                              "[timeline.2009] or [timeline.2009-03-27]")
    allowed = ", ".join(TIMELINE_PARAMETERS)
    values: dict[str, dict[str, Any]] = {}
    for date, changes in timeline.items():
        key = f"timeline.{date}"
        try:
            parse_date(date)
        except ValueError as error:
            raise ScenarioError(path, key, str(error)) from None
        if not isinstance(changes, dict):
            raise ScenarioError(path, key, f"must be a table [timeline.{date}] of name = value lines, "
                                           f"names among {allowed}")
        for name, value in changes.items():
            if name not in TIMELINE_PARAMETERS:
                known = "a model parameter that holds for the whole run" if name in field_by_name() \
                    else "not a model parameter"
                raise ScenarioError(path, f"{key}.{name}",
                                    f"is {known}; a timeline may change only {allowed}")
            problem = check_value(name, value)
            if problem:
                raise ScenarioError(path, f"{key}.{name}", problem)
            values.setdefault(date, {})[name] = coerce(name, value)
    return values


def _as_timeline(merged: dict[str, dict[str, Any]]) -> tuple:
    """The merged [timeline] tables as the `timeline` parameter: by date, names in the order written."""
    return tuple((date, tuple(merged[date].items())) for date in sorted(merged, key=parse_date))


def _read_chain(path: Path) -> list[TomlFile]:
    """The scenario and each base it extends, the scenario first. A loop is found by file identity
    (device and inode), so symbolic and hard links to a file in the chain count; the depth is
    checked before each base is read."""
    files = [read_toml(path, "scenario file")]
    seen = [files[0].identity]
    while (base := files[-1].content.get("extends")) is not None:
        current = files[-1].path
        if not isinstance(base, str) or not base.strip():
            raise ScenarioError(current, "extends", "must be the file name of a base scenario, in quotes, "
                                                    "relative to this file's folder")
        if len(files) >= MAX_CHAIN:
            raise ScenarioError(current, "extends", f"the chain of bases is more than {MAX_CHAIN} files "
                                                    f"deep; at most {MAX_CHAIN} are allowed")
        following = read_toml(current.parent / base, "base scenario", referred_by=(current, "extends"))
        if following.identity in seen:
            names = " -> ".join(f.path.name for f in [*files, following])
            raise ScenarioError(current, "extends", f"the chain of bases loops: {names}; "
                                                    "a scenario may not extend itself")
        files.append(following)
        seen.append(following.identity)
    return files


def _names_in(message: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z0-9_]*", message)) & set(field_by_name())


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario file and the files it extends, and build its validated `Parameters`."""
    path = Path(path)
    files = _read_chain(path)
    overrides: dict[str, Any] = {}
    set_by: dict[str, Path] = {}
    timeline: dict[str, dict[str, Any]] = {}
    for file in reversed(files):
        for name, value in _parameter_values(file.path, file.content).items():
            overrides[name] = value
            set_by[name] = file.path
        for date, changes in _timeline_values(file.path, file.content).items():
            timeline.setdefault(date, {}).update(changes)
            set_by["timeline"] = file.path
    if timeline:
        overrides["timeline"] = _as_timeline(timeline)
    places = _places_files(files)
    geography = read_places(places["repatriation_points"], places["states_of_origin"])
    try:
        parameters = Parameters(**overrides, geography=geography)
    except ParameterError as error:
        # Only combinations can fail here: each value was checked alone. Blame the file, closest
        # to the scenario, that set one of the values involved.
        name, message = error.problems[0]
        involved = (_names_in(message) | {name}) & set(set_by)
        order = [file.path for file in files]
        blamed = min((set_by[n] for n in involved), key=order.index, default=path)
        where = "timeline" if name == "timeline" else f"{_section_of(name)}.{name}"
        raise ScenarioError(blamed, where, message) from None
    own = files[0].content
    return Scenario(path, own["title"].strip(), " ".join(own["description"].split()), parameters,
                    overrides, tuple(file.path for file in reversed(files)), files[0].text, set_by)


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\"])", flat, maxsplit=1)[0]


def list_scenarios(folder: Path | str) -> list[tuple[Path, str, str]]:
    """(file, title, first sentence of the description) of every scenario in `folder`, by name.

    Only reads the files (no `Parameters` are built), so it is instant. Files without a title,
    `standards.toml` and `sweep_*` files are not scenarios and are skipped; a file that is not
    valid TOML raises `ScenarioError`.
    """
    found = []
    for path in sorted(Path(folder).glob("*.toml")):
        if NOT_SCENARIOS.match(path.name):
            continue
        content = read_toml(path, "scenario file").content
        title = content.get("title")
        if not isinstance(title, str) or not title.strip():
            continue
        description = content.get("description")
        found.append((path, title.strip(), _first_sentence(description) if isinstance(description, str)
                      else ""))
    return found


def scenario_summary(scenario: Scenario) -> list[tuple[str, Any, Any, str]]:
    """(name, code default, scenario value, unit) for each value the scenario sets to a non-default."""
    return [(f.name, f.default, scenario.overrides[f.name], f.metadata["unit"])
            for f in parameter_fields()
            if f.name in scenario.overrides and scenario.overrides[f.name] != f.default]
