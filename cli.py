"""Amparo's command line. Thin: it parses, calls `sim`, and reports.

Heavy libraries (mesa, numpy, scipy, matplotlib) are imported inside the commands that need them,
so `amparo --help` and `amparo scenarios` answer at once.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
DEFAULT_SCENARIO_FOLDER = HERE / "scenarios"
DEFAULT_OUTPUT_FOLDER = Path("outputs")
EXIT_INTERNAL_ERROR = 3


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _load(path: Path):
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(str(error))


def _check_writable(folder: Path) -> None:
    """Fail before any work if results cannot be written under `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".amparo-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        _fail(f"{folder}: cannot write results here ({error.strerror}); choose another --out")


def _workers(requested: int | None, tasks: int) -> int:
    return max(1, min(requested or os.cpu_count() or 1, tasks))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="amparo")
def main() -> None:
    """Amparo: children migrating through origin, transit and borders, and the capacity that
    protects them. Run a scenario, list scenarios, and more: see each command's --help."""


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False),
                default=DEFAULT_SCENARIO_FOLDER)
def scenarios(folder: Path) -> None:
    """List the scenario files in FOLDER (default: the shipped scenarios) with their descriptions."""
    from sim.scenario import ScenarioError, list_scenarios

    if not folder.is_dir():
        _fail(f"{folder}: no such folder")
    try:
        found = list_scenarios(folder)
    except ScenarioError as error:
        _fail(str(error))
    if not found:
        click.echo(f"No scenario files in {folder}")
        return
    width = max(len(path.name) for path, _, _ in found)
    for path, title, summary in found:
        click.echo(f"{path.name:<{width}}  {title}")
        if summary:
            click.echo(f"{'':<{width}}  {summary}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replications", "-r", default=20, show_default=True, type=click.IntRange(1, 100000),
              help="Independent replications (seeds) to run.")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Base seed; replication i uses a seed derived from it.")
@click.option("--years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years measured after the warm-up.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/SCENARIO-DATE-TIME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024),
              help="Worker processes (default: all cores). Results do not depend on it.")
@click.option("--records", default=1, show_default=True, type=click.IntRange(0, 100000),
              help="Replications whose per-child records (children, visits, stages) are written.")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
def run(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
        workers: int | None, records: int, overwrite: bool) -> None:
    """Run SCENARIO (a .toml file) and write its folder of tables and charts."""
    loaded = _load(scenario)
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = DEFAULT_OUTPUT_FOLDER / f"{scenario.stem}-{stamp}"
    if out.exists() and not overwrite:
        _fail(f"{out}: a result already exists here; choose another --out or add --overwrite")
    _check_writable(out.parent)

    from concurrent.futures import ProcessPoolExecutor

    from sim.experiment import run_replications
    from sim.invariants import InvariantViolation
    from sim.run_folder import OutputError, write_run_folder

    n_workers = _workers(workers, replications)
    click.echo(f"Running {loaded.title!r}: {replications} replication(s) of {years:g} year(s), "
               f"seed {seed}, {n_workers} worker(s)")
    started = time.perf_counter()
    try:
        with click.progressbar(length=replications, label="Replications", show_eta=True,
                               file=sys.stderr) as bar:
            if n_workers > 1:
                with ProcessPoolExecutor(n_workers) as executor:
                    results = run_replications(loaded.parameters, replications, seed, years, executor,
                                               keep_tables=True, on_done=lambda _: bar.update(1))
            else:
                results = run_replications(loaded.parameters, replications, seed, years,
                                           keep_tables=True, on_done=lambda _: bar.update(1))
    except InvariantViolation as error:
        click.echo(f"Internal error: the model broke its own rules ({error}). No result was written. "
                   "Please report this with the scenario file and seed.", err=True)
        sys.exit(EXIT_INTERNAL_ERROR)
    wall = time.perf_counter() - started

    def draw(folder: Path) -> None:
        from sim.charts.run_charts import draw_run_charts

        draw_run_charts(folder)

    scenario_record = {"file": str(scenario), "title": loaded.title, "description": loaded.description,
                       "text": loaded.text}
    try:
        folder = write_run_folder(out, scenario=scenario_record, parameters=loaded.parameters,
                                  results=results, years=years, base_seed=seed, wall_seconds=wall,
                                  records_replications=records, overwrite=overwrite, draw_charts=draw)
    except OutputError as error:
        _fail(str(error))
    _print_key_figures(results)
    click.echo(f"Wall time {wall:.1f} s ({wall / replications:.2f} s per replication on {n_workers} "
               f"worker(s)). Results in {folder}")


def _print_key_figures(results) -> None:
    from sim.reported_figures import KEY_OUTCOMES, REPORTED
    from sim.summary import mean_and_interval

    click.echo(f"\n{'outcome':<44} {'mean':>11} {'95% interval':>23} {'reported':>10}")
    for name in KEY_OUTCOMES:
        mean, low, high = mean_and_interval([r.outcomes[name] for r in results])
        reported = REPORTED.get(name)
        shown = f"{reported.value:,.0f} {reported.figure}" if reported else ""
        digits = 1 if abs(mean) >= 10 else 3
        interval = f"[{low:,.{digits}f}, {high:,.{digits}f}]"
        click.echo(f"{name:<44} {mean:>11,.{digits}f} {interval:>23} {shown:>10}")
    click.echo("")


if __name__ == "__main__":
    main()
