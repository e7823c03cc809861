"""`amparo rerun`: check a result against its own manifest, make it again from the manifest alone,
and compare every table and chart.

Before anything runs: the seal and the file digests (`sim.results.manifest_seal`) must match, and
what the manifest says must hang together (the seeds are those of the base seed; a scenario's title
and values are those of its recorded text). Then the result is made again into a scratch folder by
the same library code the commands use, and every file the manifest lists, tables and charts, is
compared byte for byte (a PNG whose bytes differ is compared pixel by pixel, so that a change in
how an image is compressed is told apart from a change in what it shows), as is everything the two
manifests say about what was done.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from sim.results.manifest_seal import CIRCUMSTANCES, JOURNAL_FILES, result_files, seal_problems
from sim.results.run_folder import parameters_from_manifest, run_metadata

Draw = Callable[[Path], Any] | None
#: Files that state how long the work took (a calibration's report.md), so they cannot repeat byte
#: for byte; their numbers are in the tables, which are compared.
TIMED_FILES = frozenset({"report.md"})


def code_change(manifest: dict[str, Any]) -> str | None:
    """A sentence saying how the code that made the result differs from this one, or None."""
    now = run_metadata()
    then_version, then_commit = manifest.get("amparo_version"), manifest.get("git_commit")
    same_version = then_version == now["amparo_version"]
    if same_version and then_commit == now["git_commit"] and then_commit != "unknown":
        return None
    if then_commit == now["git_commit"] == "unknown" and then_version == now["amparo_version"]:
        return (f"the commit of the code is unknown (then and now), so a code change cannot be ruled out "
                f"(Amparo {then_version} both times)")
    return (f"the result was made by Amparo {then_version} at commit {then_commit}; this is Amparo "
            f"{now['amparo_version']} at commit {now['git_commit']}: any difference below may come from "
            "the code change, not from the result")


def _seeds_problem(manifest: dict[str, Any]) -> list[str]:
    from sim.model.random_streams import replication_seed

    if "seeds" not in manifest:
        return []
    try:
        base_seed, replications = int(manifest["base_seed"]), int(manifest["replications"])
        expected = [replication_seed(base_seed, i) for i in range(replications)]
    except (KeyError, TypeError, ValueError, OverflowError):
        return ["the manifest's base_seed or replications is not a whole number"]
    if manifest["seeds"] != expected:
        return [f"the manifest's seeds are not those of base seed {manifest['base_seed']} and "
                f"{manifest['replications']} replication(s)"]
    return []


def _scenario_problems(scenario: dict[str, Any], parameters: dict[str, Any], where: str) -> list[str]:
    """The recorded title and the values set by the recorded text must be those of the parameters."""
    try:
        content = tomllib.loads(str(scenario.get("text", "")))
    except tomllib.TOMLDecodeError:
        return [f"{where}: the recorded scenario text is not valid TOML"]
    problems = []
    if "title" in content and content["title"] != scenario.get("title"):
        problems.append(f"{where}: the title {scenario.get('title')!r} is not the one in the scenario text "
                        f"({content['title']!r})")
    for section in content.values():
        if not isinstance(section, dict):
            continue
        for name, value in section.items():
            if name in parameters and not _same(value, parameters[name]):
                problems.append(f"{where}: the scenario text sets {name} = {value!r} but the parameters "
                                f"that ran have {parameters[name]!r}")
    return problems


def _same(written: Any, recorded: Any) -> bool:
    if isinstance(recorded, str) or (isinstance(written, int | float) and isinstance(recorded, int | float)):
        try:  # infinite values are stored as text
            return float(written) == float(recorded)
        except (TypeError, ValueError):
            return written == recorded
    return written == recorded


#: What a manifest of each kind must hold to be made again.
NEEDED_KEYS = {
    "run": ("scenario", "parameters", "replications", "years", "base_seed", "records_replications"),
    "compare": ("scenarios", "replications", "years", "base_seed"),
    "sweep": ("sweep_file", "sweep_text"),
    "sizing": ("scenario", "parameters", "standard", "levers", "confidence", "replications", "base_seed",
               "years"),
    "sensitivity": ("base", "base_parameters", "parameters", "trajectories", "levels", "seed", "years"),
    "calibration": ("settings", "checks"),
}


def missing_keys(manifest: dict[str, Any]) -> list[str]:
    """The keys a manifest of its kind needs to be made again and does not have."""
    return [key for key in NEEDED_KEYS.get(manifest.get("kind"), ()) if key not in manifest]


def manifest_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """What is wrong with a result before it is run again: seal, digests, and the manifest's
    consistency with itself. Empty for an intact, consistent result."""
    problems = [p for p in seal_problems(folder, manifest) if "has no seal" not in p]
    problems += _seeds_problem(manifest)
    if manifest.get("kind") in ("run", "sizing") and isinstance(manifest.get("scenario"), dict):
        problems += _scenario_problems(manifest["scenario"], manifest.get("parameters", {}), "scenario")
    if manifest.get("kind") == "compare":
        for spec in manifest.get("scenarios", []):
            problems += _scenario_problems(spec, spec.get("parameters", {}), f"scenario {spec.get('name')}")
    return problems


# --- making a result again -----------------------------------------------------------------------

def recorded_draws(manifest: dict[str, Any], name: str, parameters: Any) -> tuple[list[Any], list[Any]]:
    """The posterior draws a manifest records (each draw's particle, values and base seed) and scenario
    `name`'s parameters under each, as the original run applied them: from the manifest alone, so
    a rerun needs no posterior file."""
    from sim.experiments.posterior_draws import PosteriorDraw

    record = manifest["posterior"]
    draws = [PosteriorDraw(int(d["draw"]), int(d["particle"]), dict(d["values"]), int(d["base_seed"]))
             for d in record["drawn"]]
    applied = record["set_by_posterior"][name]
    return [parameters.replace(**{key: d.values[key] for key in applied}) for d in draws], draws


def rerun_run(manifest: dict[str, Any], target: Path, executor: Executor | None, draw: Draw) -> Path:
    from sim.experiments.replications import run_replications
    from sim.results.run_folder import write_run_folder

    parameters = parameters_from_manifest(manifest)
    replications, years, seed = manifest["replications"], manifest["years"], manifest["base_seed"]
    results = run_replications(parameters, replications, seed, years, executor,
                               records_replications=manifest["records_replications"])
    by_draw = None
    if manifest.get("posterior"):
        from sim.experiments.posterior_draws import run_posterior_draws

        name = next(iter(manifest["posterior"]["set_by_posterior"]))
        drawn, draws = recorded_draws(manifest, name, parameters)
        by_draw = run_posterior_draws([drawn], draws, replications, years, executor)[0]
    return write_run_folder(target, scenario=manifest["scenario"], parameters=parameters, results=results,
                            years=years, base_seed=seed, wall_seconds=0.0,
                            records_replications=manifest["records_replications"], draw_charts=draw,
                            posterior=manifest.get("posterior"), by_draw=by_draw)


def rerun_comparison(manifest: dict[str, Any], target: Path, executor: Executor | None, draw: Draw) -> Path:
    from sim.experiments.compare import comparison_rows, run_scenarios
    from sim.results.run_folder import write_comparison_folder

    replications, years, seed = manifest["replications"], manifest["years"], manifest["base_seed"]
    pairs = [(spec["name"], parameters_from_manifest(spec)) for spec in manifest["scenarios"]]
    runs = run_scenarios(pairs, replications, seed, years, executor)
    by_draw = None
    if manifest.get("posterior"):
        from sim.experiments.posterior_draws import run_posterior_draws

        drawn = [recorded_draws(manifest, name, parameters) for name, parameters in pairs]
        by_draw = run_posterior_draws([sets for sets, _ in drawn], drawn[0][1], replications, years, executor)
    specs = [{key: spec[key] for key in ("name", "file", "title", "text", "calibration") if key in spec}
             for spec in manifest["scenarios"]]
    return write_comparison_folder(target, runs=runs, scenarios=specs, rows=comparison_rows(runs, by_draw),
                                   replications=replications, years=years, base_seed=seed, wall_seconds=0.0,
                                   draw_charts=draw, posterior=manifest.get("posterior"), by_draw=by_draw)


def sizing_request(manifest: dict[str, Any]):
    """The `SizingRequest` a sizing manifest records."""
    from sim.experiments.sizing import LEVERS
    from sim.inputs.standards import Standard
    from sim.results.sizing_folder import SizingRequest

    recorded = manifest["standard"]
    standard = Standard(recorded["name"], recorded["title"], recorded["source"], recorded["outcome"],
                        float(recorded["limit"]), recorded["direction"] == "at_least", recorded["days"])
    return SizingRequest(scenario=manifest["scenario"], parameters=parameters_from_manifest(manifest),
                         levers=[LEVERS[lever["name"]] for lever in manifest["levers"]],
                         ranges=[(int(lever["low"]), int(lever["high"])) for lever in manifest["levers"]],
                         standard=standard, standards_file=recorded["file"],
                         confidence=float(manifest["confidence"]), replications=int(manifest["replications"]),
                         base_seed=int(manifest["base_seed"]), years=float(manifest["years"]),
                         posterior=manifest.get("posterior"))


def rerun_sizing(manifest: dict[str, Any], target: Path, executor: Executor | None, draw: Draw) -> Path:
    from sim.experiments.sizing import size_levers
    from sim.results.sizing_folder import write_sizing_folder

    request = sizing_request(manifest)
    first_values = [point["first_lever_value"] for point in manifest.get("frontier", [])] or None
    draws = None
    if request.posterior:
        name = next(iter(request.posterior["set_by_posterior"]))
        drawn, recorded = recorded_draws(manifest, name, request.parameters)
        draws = [(parameters, d.base_seed) for parameters, d in zip(drawn, recorded, strict=True)]
    searches, points = size_levers(request.parameters, list(zip(request.levers, request.ranges, strict=True)),
                                   request.standard, request.confidence, request.replications,
                                   request.base_seed, request.years, executor, first_values, draws=draws)
    return write_sizing_folder(target, request, searches, points, 0.0, draw_charts=draw)


def rerun_sweep(manifest: dict[str, Any], target: Path, executor: Executor | None, draw: Draw) -> Path:
    from sim.experiments.sweep import sweep_from_text
    from sim.results.sweep_folder import write_sweep_folder

    sweep_file = Path(manifest["sweep_file"])
    # a sweep written before its manifest held the base values reads them from the base file
    base = (parameters_from_manifest({"parameters": manifest["base_parameters"]})
            if "base_parameters" in manifest else None)
    spec = sweep_from_text(sweep_file, manifest["sweep_text"], manifest.get("overrides"), base)
    target.mkdir(parents=True)
    write_sweep_folder(spec, sweep_file, target, executor, draw_charts=draw)
    return target


# --- comparing -----------------------------------------------------------------------------------

def _same_pixels(first: Path, second: Path) -> bool:
    import numpy as np
    from matplotlib import image

    try:
        return bool(np.array_equal(image.imread(first), image.imread(second)))
    except (OSError, ValueError, SyntaxError):
        return False


def file_differences(original: Path, again: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(files that differ, PNGs whose bytes differ but whose pixels are identical) between a result
    and its rerun: every file the original manifest lists, and any the rerun has beyond them, except
    the journals of finished runs (written in the order runs finish) and `TIMED_FILES`."""
    listed = manifest.get("files")
    names = set(listed) if isinstance(listed, dict) else set(result_files(original))
    names |= set(result_files(again))
    differing, same_pixels = [], []
    for name in sorted(names - JOURNAL_FILES - TIMED_FILES):
        a, b = Path(original, name), Path(again, name)
        if not a.is_file() or not b.is_file():
            differing.append(f"{name} ({'missing from the rerun' if a.is_file() else 'not in the original'})")
        elif a.read_bytes() != b.read_bytes():
            if name.endswith(".png") and _same_pixels(a, b):
                same_pixels.append(name)
            else:
                differing.append(name)
    return differing, same_pixels


def manifest_differences(original: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """The manifest keys, other than when, where and by which code, whose values differ."""
    keys = (set(original) | set(again)) - CIRCUMSTANCES
    return sorted(key for key in keys if original.get(key) != again.get(key))
