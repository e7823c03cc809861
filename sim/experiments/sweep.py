"""Sweeps: many combinations of levers and uncertainties, run in parallel, resumable.

A sweep file names a base scenario, the design (full grid, Latin hypercube or Sobol, made by
`scipy.stats.qmc`), the number of points and replications, and the values or ranges of each varied
parameter. Samplers only make designs; `run_sweep` only evaluates them, on any
`concurrent.futures` executor. Each finished run is appended to `runs.jsonl` (flushed and synced)
as it arrives, so an interrupted sweep resumes where it stopped. Replication r of every point uses
the same seed (common random numbers across the design), so the final tables are identical whatever
the number of workers and however often the sweep was interrupted.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import tomllib
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiments.run_journal import open_journal, read_journal
from sim.inputs.scenario import SECTIONS, ScenarioError, load_scenario
from sim.inputs.toml_file import MAX_DESCRIPTION_CHARACTERS, MAX_TITLE_CHARACTERS, read_toml, text_value
from sim.model.parameters import ParameterError, Parameters, check_value, coerce, field_by_name, is_scalar

DESIGNS = ("grid", "latin_hypercube", "sobol")
TOP_LEVEL = {"title", "description", "base", "design", "points", "replications", "seed", "years", *SECTIONS}
#: Most design points one sweep may hold: loading checks every point's parameters, about 1 ms
#: each, so 10,000 points load in seconds (1,000,000 took 447 s and 1.96 GB). Most runs (points x
#: replications): beyond that the runs would take years on any machine.
MAX_POINTS = 10_000
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[Any, ...] = ()  # a list of values, or
    low: float | None = None  # a range
    high: float | None = None


@dataclass
class SweepSpec:
    path: Path
    title: str
    base: Parameters
    base_file: Path
    design: str
    points: int
    replications: int
    seed: int
    years: float
    dimensions: list[Dimension] = field(default_factory=list)
    text: str = ""
    #: The validated parameters of each design point, filled by `load_sweep`.
    point_parameters: list[Parameters] = field(default_factory=list, repr=False)
    #: Settings given on the command line in place of the file's (points, replications, seed, years).
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Changes when the sweep file, its base scenario's values or the overrides of its settings
        change (resume refuses then)."""
        given = repr(sorted(self.overrides.items())) if self.overrides else ""
        return hashlib.sha256((self.text + repr(self.base) + given).encode("utf-8")).hexdigest()[:16]


def _error(path: Path, key: str | None, message: str) -> ScenarioError:
    return ScenarioError(path, key, message)


def load_sweep(path: Path | str, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """Read and check a sweep file; every mistake is one `ScenarioError` naming file and key.
    `overrides` (points, replications, seed, years) replace the file's settings and are checked the
    same way."""
    read = read_toml(path, "sweep file")
    return _build(Path(path), read.content, read.text, overrides, None)


def sweep_from_text(path: Path, text: str, overrides: dict[str, Any] | None = None,
                    base_parameters: Parameters | None = None) -> SweepSpec:
    """The sweep whose file `path` had `text` (as a sweep's manifest records it), checked as by
    `load_sweep`. With `base_parameters` (recorded too) the base scenario's file is not read."""
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _error(path, None, f"is not valid TOML: {error}") from None
    except (RecursionError, ValueError, MemoryError):
        raise _error(path, None, "cannot be read: too deeply nested or a number too long") from None
    return _build(path, content, text, overrides, base_parameters)


def _build(path: Path, content: dict[str, Any], text: str, overrides: dict[str, Any] | None,
           base_parameters: Parameters | None) -> SweepSpec:
    overrides = {key: value for key, value in (overrides or {}).items() if value is not None}
    content = {**content, **overrides}
    for key in content:
        if key not in TOP_LEVEL:
            close = difflib.get_close_matches(key, sorted(TOP_LEVEL), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _error(path, key, f"unknown key; {hint}allowed: {', '.join(sorted(TOP_LEVEL))}")
    title = text_value(path, "title", content.get("title"), MAX_TITLE_CHARACTERS, required=False)
    text_value(path, "description", content.get("description"), MAX_DESCRIPTION_CHARACTERS, required=False)
    if not isinstance(content.get("base"), str) or not content["base"].strip():
        raise _error(path, "base", "is required: the file name of the base scenario, in quotes")
    base_file = path.parent / content["base"]
    if base_parameters is None:
        # blames `base` if it cannot be opened
        read_toml(base_file, "base scenario", referred_by=(path, "base"))
        base_parameters = load_scenario(base_file).parameters
    design = content.get("design", "latin_hypercube")
    if design not in DESIGNS:
        raise _error(path, "design", f"must be one of {', '.join(DESIGNS)}, got {design!r}")
    numbers = {}
    for key, default, low, high in (("points", 10, 1, MAX_POINTS), ("replications", 1, 1, 100_000),
                                    ("seed", 2008, 0, 2**63 - 1)):
        value = content.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _error(path, key, f"must be a whole number from {low} to {high}, got {value!r}")
        numbers[key] = value
    years = content.get("years", 1.0)
    if isinstance(years, bool) or not isinstance(years, int | float) or not 1 / 365 <= years <= 100:
        raise _error(path, "years", f"must be a number from 1/365 to 100, got {years!r}")
    fields = field_by_name()
    dimensions = []
    for section, kind in SECTIONS.items():
        table = content.get(section, {})
        if not isinstance(table, dict):
            raise _error(path, section, f"must be a section [{section}] of name = values lines")
        for name, spec in table.items():
            key = f"{section}.{name}"
            if name not in fields:
                close = difflib.get_close_matches(name, list(fields), n=1)
                hint = (f"; did you mean {close[0]!r}?" if close
                        else "; the allowed names are those in sim/model/parameters.py")
                raise _error(path, key, "is not a model parameter" + hint)
            actual = fields[name].metadata["kind"]
            if actual != kind:
                home = next(s for s, k in SECTIONS.items() if k == actual)
                raise _error(path, key, f"belongs under [{home}], not [{section}]")
            dimensions.append(_dimension(path, key, name, spec, design))
    if not dimensions:
        raise _error(path, None, "varies nothing: add parameters under [levers] or [uncertainties]")
    spec = SweepSpec(path, title or path.stem, base_parameters, base_file, design,
                     numbers["points"], numbers["replications"], numbers["seed"], float(years), dimensions,
                     text, overrides=overrides)
    n_points = math.prod(len(d.values) for d in dimensions) if design == "grid" else spec.points
    if n_points > MAX_POINTS:
        raise _error(path, None, f"the grid has {n_points:,} points; at most {MAX_POINTS:,} are allowed "
                                 "(use fewer values, or a latin_hypercube or sobol design)")
    if n_points * spec.replications > MAX_RUNS:
        raise _error(path, "replications", f"points x replications is {n_points * spec.replications:,} runs; "
                                           f"at most {MAX_RUNS:,} are allowed")
    spec.point_parameters = _point_parameters(spec, content)
    return spec


def _point_parameters(spec: SweepSpec, content: dict[str, Any]) -> list[Parameters]:
    """Each design point's parameters; a point that breaks a rule of combination (shares adding up
    to more than 1) is one `ScenarioError` naming the varied key involved."""
    section_of = {name: section for section in SECTIONS for name in content.get(section, {})}
    built = []
    for index, point in enumerate(design_points(spec)):
        try:
            built.append(spec.base.replace(**point))
        except ParameterError as error:
            name, message = error.problems[0]
            involved = [n for n in point if n == name or n in message]
            key = f"{section_of[involved[0]]}.{involved[0]}" if involved else None
            values = ", ".join(f"{n} = {v}" for n, v in point.items())
            raise _error(spec.path, key, f"design point {index} ({values}) is not allowed: {name}: "
                                         f"{message}; narrow the values so that every combination is "
                                         "allowed") from None
    return built


def _dimension(path: Path, key: str, name: str, spec: Any, design: str) -> Dimension:
    if not is_scalar(name):
        raise _error(path, key, "is not one number or switch (a monthly profile or a timeline): a sweep "
                                "varies numbers; set it in the base scenario instead")
    if isinstance(spec, list):
        if not spec:
            raise _error(path, key, "needs at least one value")
        for value in spec:
            try:
                problem = check_value(name, value)
            except OverflowError:  # an integer too large to compare with a float bound
                problem = f"must be a number within its allowed range, got {value!r}"
            if problem:
                raise _error(path, key, problem)
        return Dimension(name, tuple(coerce(name, v) for v in spec))
    if isinstance(spec, dict) and set(spec) == {"low", "high"}:
        if design == "grid":
            raise _error(path, key, "a grid needs a list of values, not a range")
        if field_by_name()[name].type == "bool":
            raise _error(path, key, "is true or false: give a list [true, false], not a range")
        low, high = spec["low"], spec["high"]
        for value in (low, high):
            try:
                problem = check_value(name, value)
            except OverflowError:  # an integer too large to compare with a float bound
                problem = f"must be a number within its allowed range, got {value!r}"
            if problem:
                raise _error(path, key, problem)
            if not math.isfinite(value):
                raise _error(path, key, f"a range needs finite low and high, got {value!r}; list the "
                                        "values instead (e.g. [15, inf])")
        if not low < high:
            raise _error(path, key, f"low must be below high, got {low} and {high}")
        return Dimension(name, low=float(low), high=float(high))
    raise _error(path, key, "must be a list of values or {low = ..., high = ...}")


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The design: one dict of parameter values per point (depends only on the sweep file)."""
    if spec.design == "grid":
        return [dict(zip([d.name for d in spec.dimensions], combination, strict=True))
                for combination in itertools.product(*[d.values for d in spec.dimensions])]
    from scipy.stats import qmc

    dimensions = len(spec.dimensions)
    if spec.design == "sobol":
        sampler = qmc.Sobol(dimensions, scramble=True, seed=spec.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy prefers powers of two; any count is still valid
            unit = sampler.random(spec.points)
    else:
        unit = qmc.LatinHypercube(dimensions, seed=spec.seed).random(spec.points)
    points = []
    int_fields = {name for name, f in field_by_name().items() if f.type == "int"}
    for row in unit:
        point = {}
        for u, dimension in zip(row, spec.dimensions, strict=True):
            if dimension.values:
                point[dimension.name] = dimension.values[min(int(u * len(dimension.values)),
                                                             len(dimension.values) - 1)]
            else:
                value = dimension.low + u * (dimension.high - dimension.low)
                point[dimension.name] = int(round(value)) if dimension.name in int_fields else float(value)
        points.append(point)
    return points


def _evaluate(task: tuple[int, int, int, Parameters, float]) -> tuple[int, int, int, dict[str, float]]:
    from sim.experiments.replications import run_replication

    point, replication, seed, parameters, years = task
    result = run_replication(parameters, seed, years, replication, keep_tables=False)
    return point, replication, seed, result.outcomes


def read_finished(runs_file: Path) -> dict[tuple[int, int], dict]:
    """Runs already on disk by (point, replication); a damaged line's run is rerun."""
    return read_journal(runs_file, lambda record: (int(record["point"]), int(record["replication"])))


def run_sweep(spec: SweepSpec, folder: Path, executor: Executor | None = None,
              on_done: Callable[[int, int], None] | None = None) -> list[dict]:
    """Run every (point, replication) not yet in `folder/runs.jsonl`; return all runs, sorted."""
    from sim.model.random_streams import replication_seed

    points = design_points(spec)
    runs_file = folder / "runs.jsonl"
    finished = read_finished(runs_file)
    if on_done is not None:
        on_done(len(finished), len(points) * spec.replications)
    tasks = []
    for index, point in enumerate(points):
        parameters = None
        for replication in range(spec.replications):
            if (index, replication) in finished:
                continue
            if parameters is None:
                parameters = (spec.point_parameters[index] if spec.point_parameters
                              else spec.base.replace(**point))
            seed = replication_seed(spec.seed, replication)
            tasks.append((index, replication, seed, parameters, spec.years))
    with open_journal(runs_file) as append:
        for point, replication, seed, outcomes in _results(tasks, executor):
            record = {"point": point, "replication": replication, "seed": seed,
                      "inputs": points[point], "outcomes": outcomes}
            append(record)
            finished[(point, replication)] = record
            if on_done is not None:
                on_done(1, 0)
    return [finished[key] for key in sorted(finished)]


def _results(tasks: list, executor: Executor | None) -> Iterable[tuple[int, int, int, dict[str, float]]]:
    from sim.experiments.execution import map_as_finished

    yield from map_as_finished(_evaluate, tasks, executor)


def tables(spec: SweepSpec, runs: list[dict]) -> tuple[dict[str, list], dict[str, list]]:
    """The experiments table (inputs and seed per run) and the outcomes table, in (point, replication)
    order."""
    names = [d.name for d in spec.dimensions]
    experiments: dict[str, list] = {"point": [], "replication": [], "seed": [], **{n: [] for n in names}}
    outcome_names = list(runs[0]["outcomes"]) if runs else []
    outcomes: dict[str, list] = {"point": [], "replication": [], **{n: [] for n in outcome_names}}
    for run in runs:
        for table in (experiments, outcomes):
            table["point"].append(run["point"])
            table["replication"].append(run["replication"])
        experiments["seed"].append(run["seed"])
        for name in names:
            experiments[name].append(run["inputs"][name])
        for name in outcome_names:
            value = run["outcomes"][name]
            outcomes[name].append(math.nan if value is None else value)
    return experiments, outcomes
