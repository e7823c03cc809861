"""Scenario files: a named, small change to a base scenario, in TOML a planner can read.

    title = "Twice the child protection officers"
    description = "One paragraph: what changes, why, and the figure ids behind it."
    extends = "baseline_2008.toml"        # optional, relative to this file

    [levers]           # what a planner decides
    child_protection_officers = 344
    [uncertainties]    # what nobody knows exactly
    [settings]         # how the simulation runs

Keys are exactly the parameter names of `sim.parameters.Parameters`, each in the section of its
kind. Any mistake is one `ScenarioError` naming the file, the key and what is allowed. This module
imports only the standard library and `sim.parameters`, so listing scenarios is instant.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.parameters import (
    ParameterError,
    Parameters,
    check_value,
    coerce,
    field_by_name,
    parameter_fields,
)

SECTIONS = {"levers": "lever", "uncertainties": "uncertainty", "settings": "setting"}
TOP_LEVEL_KEYS = {"title", "description", "extends", *SECTIONS}
MAX_CHAIN = 20


class ScenarioError(Exception):
    """A scenario file cannot be used; the message names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str | None, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")


@dataclass(frozen=True)
class Scenario:
    path: Path
    title: str
    description: str
    parameters: Parameters
    overrides: dict[str, Any]
    chain: tuple[Path, ...]
    text: str


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, None, "no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(path, None, f"cannot be read ({error})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(path, None, f"is not valid TOML: {error}") from None


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, list(field_by_name()), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parameter_values(path: Path, content: dict[str, Any]) -> dict[str, Any]:
    for key in content:
        if key not in TOP_LEVEL_KEYS:
            raise ScenarioError(path, key, "unknown key; a scenario has title, description, extends "
                                           "and the sections [levers], [uncertainties], [settings]")
    for key in ("title", "description"):
        if not isinstance(content.get(key), str) or not content[key].strip():
            raise ScenarioError(path, key, "is required: a non-empty text in quotes")
    fields = field_by_name()
    values: dict[str, Any] = {}
    for section, kind in SECTIONS.items():
        table = content.get(section, {})
        if not isinstance(table, dict):
            raise ScenarioError(path, section, "must be a section like [levers] of name = value lines")
        for name, value in table.items():
            if name not in fields:
                raise ScenarioError(path, f"{section}.{name}", f"is not a model parameter{_suggest(name)}")
            actual = fields[name].metadata["kind"]
            if actual != kind:
                home = next(s for s, k in SECTIONS.items() if k == actual)
                raise ScenarioError(path, f"{section}.{name}", f"is a {actual}: put it under [{home}]")
            problem = check_value(name, value)
            if problem:
                raise ScenarioError(path, f"{section}.{name}", problem)
            values[name] = coerce(name, value)
    return values


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario file and the files it extends, and build its validated `Parameters`."""
    path = Path(path)
    chain: list[Path] = []
    contents: list[tuple[Path, dict[str, Any], str]] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in chain:
            names = " -> ".join(p.name for p in [*chain, resolved])
            raise ScenarioError(path, "extends", f"the chain of bases loops: {names}")
        if len(chain) >= MAX_CHAIN:
            raise ScenarioError(path, "extends", f"more than {MAX_CHAIN} files deep")
        chain.append(resolved)
        content, text = _read(current)
        contents.append((current, content, text))
        base = content.get("extends")
        if base is None:
            break
        if not isinstance(base, str) or not base:
            raise ScenarioError(current, "extends", "must be the file name of a base scenario, in quotes")
        following = current.parent / base
        if not following.exists():
            raise ScenarioError(current, "extends", f"base scenario {following} does not exist")
        current = following
    overrides: dict[str, Any] = {}
    set_by: dict[str, Path] = {}
    for file, content, _ in reversed(contents):
        for name, value in _parameter_values(file, content).items():
            overrides[name] = value
            set_by[name] = file
    try:
        parameters = Parameters(**overrides)
    except ParameterError as error:
        name, message = error.problems[0]
        raise ScenarioError(set_by.get(name, path), name, message) from None
    own, text = contents[0][1], contents[0][2]
    return Scenario(path, own["title"].strip(), " ".join(own["description"].split()), parameters,
                    overrides, tuple(reversed(chain)), text)


def list_scenarios(folder: Path | str) -> list[tuple[Path, str, str]]:
    """(file, title, first sentence of the description) of every scenario file in `folder`."""
    found = []
    for path in sorted(Path(folder).glob("*.toml")):
        if path.name == "standards.toml" or path.name.startswith("sweep_"):
            continue
        content, _ = _read(path)
        title = content.get("title")
        if not isinstance(title, str):
            continue
        description = " ".join(str(content.get("description", "")).split())
        first = description.split(". ")[0].rstrip(".")
        found.append((path, title.strip(), first + ("." if first else "")))
    return found


def scenario_summary(scenario: Scenario) -> list[tuple[str, Any, Any, str]]:
    """(name, code default, scenario value, unit) for each value the scenario changes."""
    rows = []
    for f in parameter_fields():
        value = getattr(scenario.parameters, f.name)
        if value != f.default:
            rows.append((f.name, f.default, value, f.metadata["unit"]))
    return rows
