"""Writing a run's result folder: atomically, so a folder that exists is a complete result.

Everything is written into a hidden temporary folder next to the target; the manifest goes last
and carries `"complete": true`; then the folder is renamed into place in one step. A crash or a
full disk leaves at most a hidden `.NAME.partial-*` folder, never something that looks like a
result. An existing result is never overwritten unless asked.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.effects import effects_from_rows
from sim.analysis.outcomes import ALL_OUTCOMES
from sim.analysis.places import BY_PLACE_COLUMNS, by_place
from sim.analysis.summary import mean_and_interval
from sim.experiments.posterior_draws import draw_means, posterior_interval
from sim.experiments.replications import ReplicationResult
from sim.inputs.json_file import read_json_file
from sim.inputs.regular_file import UnreadableFile, path_problem
from sim.model.geography import geography_as_dict, geography_from_dict
from sim.model.parameters import Parameters
from sim.model.records import Table
from sim.model.schema import RESOURCE_NAMES, daily_columns, resource_capacities
from sim.results.atomic_folders import exchange, first_free_name, rename_no_replace
from sim.results.manifest_seal import sealed
from sim.results.table_files import (
    write_codebook,
    write_csv,
    write_outcome_definitions,
    write_parquet,
    write_table,
)

PACKAGES = ("amparo", "mesa", "numpy", "scipy", "matplotlib", "click")


class OutputError(Exception):
    """The output folder cannot be written (exists, not writable, disk full)."""


class ResultKeptElsewhere(OutputError):
    """The result is complete, but its name was taken meanwhile, so it went to another (`where`)."""

    def __init__(self, message: str, where: Path) -> None:
        super().__init__(message)
        self.where = where


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """The commit of the code that ran (with "-dirty" if it had uncommitted changes)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def stacked(results: Sequence[ReplicationResult], name: str) -> dict[str, np.ndarray]:
    """One table of every replication's table `name`, with a replication column first."""
    tables: list[Table] = [r.tables[name] for r in results if r.tables is not None]
    counts = [len(next(iter(t.values()))) for t in tables]
    kept = [r for r in results if r.tables is not None]
    columns = {"replication": np.repeat([r.replication for r in kept], counts)}
    for column in tables[0]:
        columns[column] = np.concatenate([t[column] for t in tables])
    return columns


def summary_rows(results: Sequence[ReplicationResult],
                 by_draw: Sequence[Sequence[ReplicationResult]] | None = None) -> list[dict[str, Any]]:
    """Each outcome's mean and 95% confidence interval across replications (bounded outcomes: a
    bootstrap interval inside their range, see `sim.analysis.summary`): the variation between
    replications at the scenario's point values. With `by_draw` (the replications of each posterior
    draw), also the interval including parameter uncertainty (`posterior_interval`)."""
    rows = []
    for outcome in ALL_OUTCOMES:
        values = [r.outcomes[outcome.name] for r in results]
        mean, low, high = mean_and_interval(values, bounds=outcome.bounds)
        rows.append({"outcome": outcome.name, "label": outcome.label, "unit": outcome.unit,
                     "family": str(outcome.family), "description": outcome.description,
                     "mean": mean, "ci_low": low, "ci_high": high, "replications": len(results)})
        if by_draw is not None:
            rows[-1].update(_posterior_columns(draw_means(by_draw, outcome.name), len(by_draw)))
    return rows


def _posterior_columns(means: np.ndarray, draws: int) -> dict[str, Any]:
    centre, low, high = posterior_interval(means)
    return {"posterior_mean": centre, "posterior_low": low, "posterior_high": high, "draws": draws}


#: The kinds of folder Amparo writes (the "kind" of their manifest.json).
RESULT_KINDS = ("run", "compare", "sweep", "sizing", "sensitivity", "calibration")


def result_kind(folder: Path) -> str | None:
    """The kind of Amparo result `folder` is, from its manifest, or None if it is not one (not a real
    folder, a symlink, no readable manifest.json of a known kind). Incomplete results count."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if path_problem(folder) or folder.is_symlink() or not folder.is_dir() or manifest.is_symlink():
        return None
    try:
        content = read_json_file(manifest)
    except UnreadableFile:
        return None
    if not isinstance(content, dict) or "amparo_version" not in content:
        return None
    kind = content.get("kind")
    return kind if kind in RESULT_KINDS else None


def check_replaceable(target: Path, overwrite: bool) -> None:
    """Raise OutputError unless a new result may go to `target`: nothing is there, or `overwrite`
    was given and an Amparo result is there (--overwrite never deletes anything else)."""
    target = Path(target)
    if not os.path.lexists(target):
        return
    if not overwrite:
        raise OutputError(f"{target}: a result already exists here; choose another --out or add --overwrite")
    if result_kind(target) is None:
        raise OutputError(f"{target}: is not an Amparo result folder (no manifest.json of a run, compare, "
                          "sweep, sizing, sensitivity or calibration), so --overwrite will not replace it; "
                          "choose another --out, or remove it yourself")


def write_atomically(target: Path, fill: Callable[[Path], None], overwrite: bool = False,
                     unique: bool = False) -> Path:
    """Create the folder `target` complete or not at all, and return where it went.

    `fill(staging)` writes everything into a hidden staging folder, which then takes the name in one
    step that never replaces anything (`sim.results.atomic_folders`). If the name was taken meanwhile (two
    runs to one folder), the finished result is never dropped: with `unique` (a default name) it
    goes to the first free `NAME-2`, `NAME-3`...; otherwise it is kept there too and OutputError says
    where. Nothing is checked before `fill` runs (a finished result must never be dropped for a
    name): callers check with `check_replaceable` before the work. With `overwrite`, an existing
    Amparo result swaps places with the new one in one step, so
    a kill at any moment leaves the old or the new result under the name, then the old is removed."""
    target = Path(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_staging(parent)
        staging = Path(parent, f".{target.name}.partial-{os.getpid()}")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as error:
        raise OutputError(f"{parent}: cannot write the output folder here ({error.strerror}); choose "
                          "another --out") from error
    try:
        fill(staging)
        return _put_in_place(staging, target, overwrite, unique)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{target}: writing the result failed ({error.strerror or error}); nothing "
                          "was left behind: make room, or choose another --out, and run again") from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _put_in_place(staging: Path, target: Path, overwrite: bool, unique: bool) -> Path:
    if overwrite and result_kind(target) is not None:
        exchange(staging, target)  # the new result has the name; the old one is in `staging`
        shutil.rmtree(staging, ignore_errors=True)
        return target
    wanted = target
    while True:
        try:
            rename_no_replace(staging, target)
            break
        except FileExistsError:
            target = first_free_name(target)
    if target != wanted and not unique:
        raise ResultKeptElsewhere(f"{wanted}: is taken (by a result written there while this one ran, or "
                                  f"by a folder that is not an Amparo result), and was kept; this result is "
                                  f"complete and was written to {target} instead", target)
    return target


#: A staging folder's name: `.NAME.partial-PID`.
_STAGING = re.compile(r"^\..+\.partial-(\d+)$")


def remove_abandoned_staging(parent: Path) -> list[Path]:
    """Remove the staging folders in `parent` whose process no longer exists (left by a kill);
    return them. A staging folder of a live process is never touched."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = _STAGING.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        if process_exists(int(match.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def process_exists(pid: int) -> bool:
    """Whether a process with this id exists now (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_run_folder(target: Path, *, scenario: dict[str, str], parameters: Parameters,
                     results: Sequence[ReplicationResult], years: float, base_seed: int,
                     wall_seconds: float, records_replications: int = 1, overwrite: bool = False,
                     draw_charts: Callable[[Path], Any] | None = None, unique: bool = False,
                     posterior: dict[str, Any] | None = None,
                     by_draw: Sequence[Sequence[ReplicationResult]] | None = None) -> Path:
    """Write the folder of a finished run and return its path.

    `scenario` has the scenario's file, title, description and text. Per-child records (children,
    visits, stages) are written for the first `records_replications` replications (they are
    large); outcomes and daily stocks for all. `draw_charts(folder)` draws charts from the files.
    With `posterior` (its manifest record) and `by_draw` (each draw's replications), the summary
    has the intervals with parameter uncertainty too, and outcomes_by_draw.csv every draw's runs.
    """
    def fill(folder: Path) -> None:
        _write_contents(folder, scenario, parameters, results, years, base_seed, wall_seconds,
                        records_replications, draw_charts, posterior, by_draw)

    return write_atomically(target, fill, overwrite, unique)


def run_metadata() -> dict[str, Any]:
    """What every result's manifest records about the code and the machine."""
    versions = package_versions()
    return {"amparo_version": versions["amparo"], "git_commit": git_commit(), "packages": versions,
            "machine": {"platform": platform.platform(), "processor": platform.machine(),
                        "cpus": os.cpu_count()},
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _write_contents(folder: Path, scenario: dict[str, str], parameters: Parameters,
                    results: Sequence[ReplicationResult], years: float, base_seed: int,
                    wall_seconds: float, records_replications: int,
                    draw_charts: Callable[[Path], Any] | None, posterior: dict[str, Any] | None = None,
                    by_draw: Sequence[Sequence[ReplicationResult]] | None = None) -> None:
    rows = summary_rows(results, by_draw)
    write_table(folder, "summary", {key: [row[key] for row in rows] for key in rows[0]})
    by_replication = {"replication": [r.replication for r in results], "seed": [r.seed for r in results]}
    for outcome in ALL_OUTCOMES:
        by_replication[outcome.name] = np.array([r.outcomes[outcome.name] for r in results], dtype=float)
    write_table(folder, "outcomes_by_replication", by_replication)
    if posterior is not None and by_draw is not None:
        write_posterior_tables(folder, posterior, {"": by_draw})
    write_table(folder, "daily_stocks", stacked(results, "daily"))
    with_records = [r for r in results if r.replication < records_replications]
    if with_records and with_records[0].tables is not None:
        write_table(folder, "by_place", _by_place(with_records, parameters, years))
        write_table(folder, "children", stacked(with_records, "children"))
        visits = stacked(with_records, "visits")
        write_parquet(folder / "visits.parquet", visits)
        visits["resource"] = np.array(RESOURCE_NAMES, dtype=object)[visits["resource"]]
        write_csv(folder / "visits.csv", visits)
        del visits  # a long run's records: not held while the charts are drawn
        write_table(folder, "stages", stacked(with_records, "stages"))
    write_codebook(folder / "codebook.csv")
    write_outcome_definitions(folder / "outcome_definitions.csv")
    manifest = {
        "kind": "run",
        "scenario": scenario,
        "parameters": parameters_as_dict(parameters),
        "capacities": resource_capacities(parameters),
        "replications": len(results),
        "years": years,
        "base_seed": base_seed,
        "seeds": [r.seed for r in results],
        "records_replications": min(records_replications, len(results)),
        "daily_columns": list(daily_columns()),
        "wall_seconds": round(wall_seconds, 3),
        **({"posterior": posterior} if posterior else {}),
        **run_metadata(),
    }
    write_json(folder / "manifest.json", {**manifest, "complete": False})
    if draw_charts is not None:
        draw_charts(folder)
    write_final_manifest(folder, manifest)


def write_posterior_tables(folder: Path, posterior: dict[str, Any],
                           by_scenario: dict[str, Sequence[Sequence[ReplicationResult]]]) -> None:
    """posterior_draws.csv (each draw: the particle, its line in the posterior file, its base seed
    and values) and outcomes_by_draw.csv (every run of every draw; a `scenario` column first when
    `by_scenario` names scenarios)."""
    drawn = posterior["drawn"]
    table: dict[str, Any] = {"draw": [d["draw"] for d in drawn], "particle": [d["particle"] for d in drawn],
                             "posterior_line": [d["line"] for d in drawn],
                             "base_seed": [d["base_seed"] for d in drawn]}
    for name in posterior["parameters"]:
        table[name] = np.array([d["values"][name] for d in drawn], dtype=float)
    write_csv(folder / "posterior_draws.csv", table)
    named = list(by_scenario) != [""]
    runs: dict[str, list] = ({"scenario": []} if named else {}) | {
        "draw": [], "replication": [], "seed": []}
    runs.update({outcome.name: [] for outcome in ALL_OUTCOMES})
    for name, by_draw in by_scenario.items():
        for draw, results in enumerate(by_draw):
            for result in results:
                if named:
                    runs["scenario"].append(name)
                runs["draw"].append(draw)
                runs["replication"].append(result.replication)
                runs["seed"].append(result.seed)
                for outcome in ALL_OUTCOMES:
                    runs[outcome.name].append(result.outcomes[outcome.name])
    write_csv(folder / "outcomes_by_draw.csv",
              {k: np.asarray(v, dtype=None if k in ("scenario", "draw", "replication", "seed") else float)
               for k, v in runs.items()})


def _by_place(results: Sequence[ReplicationResult], parameters: Parameters, years: float) -> dict[str, Any]:
    """The northern border by point and resource (`sim.analysis.places`), averaged over the
    replications with records."""
    tables = [by_place(r.tables, parameters, years) for r in results]
    columns: dict[str, Any] = {}
    for name in BY_PLACE_COLUMNS:
        values = [t[name] for t in tables]
        if isinstance(values[0][0], str):
            columns[name] = np.array(values[0], dtype=object)
        elif name in ("order_west_to_east", "capacity"):  # the same in every replication
            columns[name] = np.array(values[0], dtype=np.int64)
        else:
            columns[name] = np.mean(np.array(values, dtype=float), axis=0)
    return columns


def write_final_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write a finished result's manifest, the last file written: complete, with the SHA-256 of every
    file in `folder` and its seal (`sim.results.manifest_seal`); return it."""
    final = sealed(folder, manifest)
    write_json(Path(folder) / "manifest.json", final)
    return final


def parameters_as_dict(parameters: Parameters) -> dict[str, Any]:
    values = {}
    for name, value in vars(parameters).items():
        if name == "geography":
            values[name] = geography_as_dict(value)
            continue
        values[name] = value if not (isinstance(value, float) and not np.isfinite(value)) else str(value)
    return values


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(content, handle, indent=2, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_comparison_folder(target: Path, *, runs: Sequence, scenarios: Sequence[dict[str, str]],
                            rows: list[dict[str, Any]], replications: int, years: float, base_seed: int,
                            wall_seconds: float, overwrite: bool = False,
                            draw_charts: Callable[[Path], Any] | None = None, unique: bool = False,
                            posterior: dict[str, Any] | None = None,
                            by_draw: Sequence[Sequence[Sequence[ReplicationResult]]] | None = None) -> Path:
    """Write a comparison folder: comparison.csv, outcomes_by_replication.csv, daily_stocks.csv,
    charts, and the manifest last; with `posterior` and `by_draw` (`[scenario][draw]`), also
    posterior_draws.csv and outcomes_by_draw.csv."""
    def fill(folder: Path) -> None:
        if posterior is not None and by_draw is not None:
            write_posterior_tables(folder, posterior, {run.name: draws
                                                       for run, draws in zip(runs, by_draw, strict=True)})
        write_csv(folder / "comparison.csv", {key: [row[key] for row in rows] for key in rows[0]})
        write_what_changed(folder / "what_changed.csv", rows, scenarios[0]["name"])
        write_outcome_definitions(folder / "outcome_definitions.csv")
        by_replication: dict[str, list] = {"scenario": [], "replication": [], "seed": []}
        by_replication.update({outcome.name: [] for outcome in ALL_OUTCOMES})
        daily_parts = []
        for run in runs:
            for result in run.results:
                by_replication["scenario"].append(run.name)
                by_replication["replication"].append(result.replication)
                by_replication["seed"].append(result.seed)
                for outcome in ALL_OUTCOMES:
                    by_replication[outcome.name].append(result.outcomes[outcome.name])
            daily = stacked(run.results, "daily")
            daily_parts.append({"scenario": np.full(len(daily["day"]), run.name, dtype=object), **daily})
        write_csv(folder / "outcomes_by_replication.csv",
                  {k: np.asarray(v, dtype=float if k not in ("scenario", "replication", "seed") else None)
                   for k, v in by_replication.items()})
        write_csv(folder / "daily_stocks.csv",
                  {k: np.concatenate([part[k] for part in daily_parts]) for k in daily_parts[0]})
        described = [{**spec, "parameters": parameters_as_dict(run.parameters),
                      "capacities": resource_capacities(run.parameters)}
                     for spec, run in zip(scenarios, runs, strict=True)]
        manifest = {"kind": "compare", "scenarios": described, "replications": replications, "years": years,
                    "base_seed": base_seed, "seeds": [r.seed for r in runs[0].results],
                    "wall_seconds": round(wall_seconds, 3),
                    **({"posterior": posterior} if posterior else {}), **run_metadata()}
        write_json(folder / "manifest.json", {**manifest, "complete": False})
        if draw_charts is not None:
            draw_charts(folder)
        write_final_manifest(folder, manifest)

    return write_atomically(target, fill, overwrite, unique)


def write_what_changed(path: Path, rows: list[dict[str, Any]], reference: str) -> None:
    """The effect of each scenario on every outcome, in natural units and in plain words, largest
    first within each unit: what a planner reads before the full comparison table."""
    effects = effects_from_rows(rows, reference)
    write_csv(path, {
        "scenario": [e.scenario for e in effects],
        "outcome": [e.outcome.name for e in effects],
        "label": [e.outcome.label for e in effects],
        "unit": [e.display_unit for e in effects],
        "difference": np.array([e.difference for e in effects], dtype=float),
        "difference_ci_low": np.array([e.low for e in effects], dtype=float),
        "difference_ci_high": np.array([e.high for e in effects], dtype=float),
        "verdict": [{True: "better", False: "worse"}.get(e.better, "no clear change" if not e.significant
                                                         else "changed") for e in effects],
        "in_words": [e.sentence() for e in effects],
    })


#: The tables `amparo rerun` compares byte for byte.
REPRODUCIBLE_TABLES = ("summary.csv", "outcomes_by_replication.csv", "daily_stocks.csv", "children.csv",
                       "visits.csv", "stages.csv", "comparison.csv", "posterior_draws.csv",
                       "outcomes_by_draw.csv")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a complete result folder (OutputError if missing or incomplete)."""
    manifest = read_manifest_object(folder)
    if manifest.get("complete") is not True:
        path = Path(folder) / "manifest.json"
        raise OutputError(f"{path}: the result is incomplete (the run did not finish)")
    return manifest


def read_manifest_object(folder: Path) -> dict[str, Any]:
    """The folder's manifest.json as a JSON object, complete or not (OutputError if it is missing or
    is not one)."""
    path = Path(folder) / "manifest.json"
    try:
        manifest = read_json_file(path)
    except UnreadableFile as error:
        if error.missing:
            raise OutputError(f"{folder}: not a result folder (no manifest.json)") from None
        raise OutputError(f"{path}: {error.reason}") from None
    if not isinstance(manifest, dict):
        raise OutputError(f"{path}: is not an Amparo manifest (a JSON object of names and values)")
    return manifest


def parameters_from_manifest(manifest: dict[str, Any]) -> Parameters:
    """The exact parameters a run used, from its manifest."""
    values = {name: (float(value) if isinstance(value, str) else value)
              for name, value in manifest["parameters"].items() if name != "geography"}
    if "geography" in manifest["parameters"]:
        values["geography"] = geography_from_dict(manifest["parameters"]["geography"])
    return Parameters(**values)


def differing_tables(first: Path, second: Path) -> list[str]:
    """Names of the reproducible tables whose bytes differ between two result folders."""
    differing = []
    for name in REPRODUCIBLE_TABLES:
        a, b = Path(first) / name, Path(second) / name
        if a.exists() != b.exists() or (a.exists() and a.read_bytes() != b.read_bytes()):
            differing.append(name)
    return differing
