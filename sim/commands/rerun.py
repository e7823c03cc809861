"""`amparo rerun`: check a result folder against its sealed manifest, make it again from the manifest
alone, and check that every table and chart is identical (`sim.results.reproduction`)."""

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
    """Check RESULT_FOLDER (a run, compare, sweep, sizing, sensitivity or calibration result) against
    its sealed manifest, make it again from the manifest alone, and check that every table and chart
    is identical. Says first whether the code has changed since."""
    import tempfile

    from sim.results.reproduction import (
        code_change,
        file_differences,
        manifest_differences,
        manifest_problems,
        missing_keys,
    )
    from sim.results.rerun_manifest import check_rerun_manifest
    from sim.results.run_folder import OutputError, read_manifest

    try:
        manifest = read_manifest(result_folder)
    except OutputError as error:
        fail(str(error))
    kind = manifest.get("kind")
    if kind not in RERUNS:
        fail(f"{result_folder}: rerun reproduces {', '.join(RERUNS)} results; this is a {kind!r} result")
    if kind in ("run", "compare"):  # types and ranges of what a rerun takes, before anything runs
        try:
            check_rerun_manifest(manifest, result_folder / "manifest.json")
        except OutputError as error:
            fail(str(error))
    missing = missing_keys(manifest)
    if missing:
        fail(f"{result_folder / 'manifest.json'}: cannot be run again: it has no {', '.join(missing)} (not a "
             f"{kind} manifest as Amparo writes it)")
    problems = manifest_problems(result_folder, manifest)
    if problems:
        for problem in problems:
            click.echo(f"Manifest check: {problem}", err=True)
        click.echo(f"Not reproducible as recorded: {result_folder} does not match its own manifest; nothing "
                   "was run.", err=True)
        sys.exit(1)
    if "seal" not in manifest:
        click.echo("Note: the manifest has no seal (written before Amparo sealed results); edits to it "
                   "cannot be detected, only differences after running.", err=True)
    if kind in ("run", "compare"):
        check_work(manifest_work(manifest, kind, workers, result_folder), force)
    change = code_change(manifest)
    click.echo(f"Code: {change}." if change else
               f"Code: the same as when the result was made (commit {manifest.get('git_commit')}).")
    click.echo(f"Rerunning the {kind} in {result_folder}")
    with tempfile.TemporaryDirectory() as scratch:
        again = Path(scratch) / "again"
        with simulation_guard(), executor(worker_count(workers, tasks_of(manifest))) as pool:
            try:
                RERUNS[kind](result_folder, manifest, again, Path(scratch), pool)
            except (KeyError, TypeError, ValueError, AttributeError) as error:  # an unsealed, odd manifest
                fail(f"{result_folder / 'manifest.json'}: cannot be run again: a key is missing or has a "
                     f"value of the wrong kind ({type(error).__name__}: {error})")
        differing, same_pixels = file_differences(result_folder, again, manifest)
        described = manifest_differences(manifest, read_manifest(again))
    for name in same_pixels:
        click.echo(f"  {name}: the bytes differ but every pixel is identical", err=True)
    if differing or described:
        shown = differing + [f"manifest key {key}" for key in described]
        click.echo(f"Not reproduced: {', '.join(shown)} differ from {result_folder}"
                   + (f" ({change})" if change else ""), err=True)
        sys.exit(1)
    click.echo(f"Reproduced bit for bit: every table and chart ({len(manifest.get('files', {}))} files) is "
               "identical.")


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
    posterior = manifest.get("posterior")
    draws = posterior.get("draws") if isinstance(posterior, dict) else 0
    runs = replications * (1 + (draws if isinstance(draws, int) and not isinstance(draws, bool) else 0))
    try:
        groups = [(parameters_from_manifest(spec), years, runs) for spec in described]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        fail(f"{file}: the parameters cannot be read ({error}); the folder cannot be rerun")
    return estimate(groups, worker_count(workers, replications))


def tasks_of(manifest: dict) -> int:
    """How many runs go on at once in the rerun, at most (to size the worker pool)."""
    return int(manifest.get("replications") or manifest.get("runs") or 1)


def rerun_run(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from sim.presentation.charts.run_charts import draw_run_charts
    from sim.results.reproduction import rerun_run as again

    again(manifest, target, pool, draw_run_charts)


def rerun_comparison(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from sim.presentation.charts.compare_charts import draw_comparison_charts
    from sim.results.reproduction import rerun_comparison as again

    again(manifest, target, pool, draw_comparison_charts)


def rerun_sizing(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from sim.presentation.charts.sizing_charts import draw_sizing_charts
    from sim.results.reproduction import rerun_sizing as again

    again(manifest, target, pool, draw_sizing_charts)


def rerun_sweep(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from sim.commands.sweep import draw_sweep
    from sim.results.reproduction import rerun_sweep as again

    again(manifest, target, pool, draw_sweep)


def rerun_sensitivity(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from calibration.charts import draw_sensitivity_charts
    from calibration.sensitivity import rerun_sensitivity as again

    again(manifest, target, scratch, pool, draw_sensitivity_charts)


def rerun_calibration(original: Path, manifest: dict, target: Path, scratch: Path, pool) -> None:
    from calibration.charts import draw_calibration_charts
    from calibration.run import rerun_calibration as again

    again(original, manifest, target, pool, draw_calibration_charts)


#: How each kind of result is made again (all take the original folder, its manifest, the target,
#: a scratch folder and the executor).
RERUNS = {"run": rerun_run, "compare": rerun_comparison, "sweep": rerun_sweep, "sizing": rerun_sizing,
          "sensitivity": rerun_sensitivity, "calibration": rerun_calibration}
