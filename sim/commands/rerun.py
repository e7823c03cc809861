"""`amparo rerun`: run again what produced a result folder, from its manifest, and check that every
table is identical."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.commands.common import check_work, executor, fail, simulation_guard, worker_count
from sim.commands.options import FEWEST_YEARS, MOST_REPLICATIONS, MOST_YEARS, force_option, workers_option


@click.command()
@click.argument("result_folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@workers_option
@force_option
def rerun(result_folder: Path, workers: int | None, force: bool) -> None:
    """Run again what produced RESULT_FOLDER (a run or compare folder) from its manifest and check
    that every table is identical."""
    import tempfile

    from sim.results.rerun_manifest import check_rerun_manifest
    from sim.results.run_folder import OutputError, differing_tables, read_manifest

    try:
        manifest = read_manifest(result_folder)
    except OutputError as error:
        fail(str(error))
    kind = manifest.get("kind")
    if kind not in ("run", "compare"):
        fail(f"{result_folder}: rerun reproduces run and compare folders; this is a {kind!r} result")
    try:
        check_rerun_manifest(manifest, result_folder / "manifest.json")
    except OutputError as error:
        fail(str(error))
    check_work(manifest_work(manifest, kind, workers, result_folder), force)
    click.echo(f"Rerunning the {kind} in {result_folder}: {manifest['replications']} replication(s), seed "
               f"{manifest['base_seed']}; code then {manifest['git_commit']}")
    with tempfile.TemporaryDirectory() as scratch:
        rerun_kind = rerun_run if kind == "run" else rerun_comparison
        again = rerun_kind(manifest, Path(scratch) / "again", workers)
        differing = differing_tables(result_folder, again)
    if differing:
        click.echo(f"Not reproduced: {', '.join(differing)} differ from {result_folder}", err=True)
        sys.exit(1)
    click.echo("Reproduced bit for bit: every table is identical.")


def manifest_work(manifest: dict, kind: str, workers: int | None, folder: Path):
    """The work estimate of rerunning what `manifest` describes (its years and replications as they
    are now, edited or not)."""
    from sim.experiments.work_estimate import estimate
    from sim.results.run_folder import parameters_from_manifest

    replications, years = manifest.get("replications"), manifest.get("years")
    file = folder / "manifest.json"
    if isinstance(replications, bool) or not isinstance(replications, int) or not \
            1 <= replications <= MOST_REPLICATIONS:
        fail(f"{file}: replications must be a whole number from 1 to {MOST_REPLICATIONS:,}, got "
             f"{replications!r}")
    if isinstance(years, bool) or not isinstance(years, int | float) or \
            not FEWEST_YEARS <= years <= MOST_YEARS:
        fail(f"{file}: years must be a number from 1/365 to {MOST_YEARS:g}, got {years!r}")
    described = [manifest] if kind == "run" else manifest.get("scenarios")
    try:
        groups = [(parameters_from_manifest(spec), years, replications) for spec in described]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        fail(f"{file}: the parameters cannot be read ({error}); the folder cannot be rerun")
    return estimate(groups, worker_count(workers, replications))


def rerun_run(manifest: dict, target: Path, workers: int | None) -> Path:
    """The run folder `manifest` describes, made again in `target`."""
    from sim.experiments.replications import run_replications
    from sim.results.run_folder import parameters_from_manifest, write_run_folder

    parameters = parameters_from_manifest(manifest)
    replications, years, seed = manifest["replications"], manifest["years"], manifest["base_seed"]
    with simulation_guard(), executor(worker_count(workers, replications)) as pool:
        results = run_replications(parameters, replications, seed, years, pool,
                                   records_replications=manifest["records_replications"])
    return write_run_folder(target, scenario=manifest["scenario"], parameters=parameters, results=results,
                            years=years, base_seed=seed, wall_seconds=0.0,
                            records_replications=manifest["records_replications"])


def rerun_comparison(manifest: dict, target: Path, workers: int | None) -> Path:
    """The comparison folder `manifest` describes, made again in `target`."""
    from sim.experiments.compare import comparison_rows, run_scenarios
    from sim.results.run_folder import parameters_from_manifest, write_comparison_folder

    replications, years, seed = manifest["replications"], manifest["years"], manifest["base_seed"]
    pairs = [(spec["name"], parameters_from_manifest(spec)) for spec in manifest["scenarios"]]
    with simulation_guard(), executor(worker_count(workers, replications)) as pool:
        runs = run_scenarios(pairs, replications, seed, years, pool)
    specs = [{key: spec[key] for key in ("name", "file", "title", "text")} for spec in manifest["scenarios"]]
    return write_comparison_folder(target, runs=runs, scenarios=specs, rows=comparison_rows(runs),
                                   replications=replications, years=years, base_seed=seed, wall_seconds=0.0)
