"""`amparo run`: replications of one scenario, written as a folder of tables and charts."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sim.commands.common import (
    executor,
    fail,
    load,
    new_result_folder,
    result_written,
    resume_hint,
    resume_option,
    scheduler_option,
    simulation_guard,
    where,
    work_folder,
    workers_or_cluster,
)


@click.command()
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
@resume_option
@scheduler_option
def run(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
        workers: int | None, records: int, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Run SCENARIO (a .toml file) and write its folder of tables and charts."""
    loaded = load(scenario)
    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenario_text": loaded.text, "parameters": parameters_as_dict(loaded.parameters),
               "replications": replications, "seed": seed, "years": years, "records": records}
    requested = out
    out, unique = new_result_folder(out, scenario.stem, overwrite)
    work = work_folder(requested, "run", request, resume, overwrite)

    from sim.experiments.replications import run_replications
    from sim.results.run_folder import OutputError, write_run_folder

    n_workers = workers_or_cluster(workers, replications, scheduler)
    click.echo(f"Running {loaded.title!r}: {replications} replication(s) of {years:g} year(s), "
               f"seed {seed}, {where(n_workers, scheduler)}")
    started = time.perf_counter()
    with (simulation_guard(resume_hint(requested)), executor(n_workers, scheduler) as pool,
          click.progressbar(length=replications, label="Replications", show_eta=True,
                            file=sys.stderr) as bar):
        results = run_replications(loaded.parameters, replications, seed, years, pool,
                                   keep_tables=True, on_done=lambda _: bar.update(1),
                                   records_replications=records,
                                   journal=ReplicationJournal(work / "replications") if work else None)
    wall = time.perf_counter() - started

    def draw(folder: Path) -> None:
        from sim.presentation.charts.run_charts import draw_run_charts

        draw_run_charts(folder)

    scenario_record = {"file": str(scenario), "title": loaded.title, "description": loaded.description,
                       "text": loaded.text}
    try:
        with simulation_guard():  # Ctrl-C while writing: the staging folder is removed
            folder = write_run_folder(out, scenario=scenario_record, parameters=loaded.parameters,
                                      results=results, years=years, base_seed=seed, wall_seconds=wall,
                                      records_replications=records, overwrite=overwrite, draw_charts=draw,
                                      unique=unique)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    print_key_figures(results)
    click.echo(f"Wall time {wall:.1f} s ({wall / replications:.2f} s per replication on {n_workers} "
               f"worker(s)). Results in {folder}")


def print_key_figures(results) -> None:
    """The key outcomes' means and 95% intervals, next to the reported figure where there is one."""
    from sim.analysis.reported_figures import KEY_OUTCOMES, REPORTED
    from sim.analysis.summary import mean_and_interval

    click.echo(f"\n{'outcome':<44} {'mean':>11} {'95% interval':>23} {'reported':>10}")
    for name in KEY_OUTCOMES:
        mean, low, high = mean_and_interval([r.outcomes[name] for r in results])
        reported = REPORTED.get(name)
        shown = f"{reported.value:,.0f} {reported.figure}" if reported else ""
        digits = 1 if abs(mean) >= 10 else 3
        interval = f"[{low:,.{digits}f}, {high:,.{digits}f}]"
        click.echo(f"{name:<44} {mean:>11,.{digits}f} {interval:>23} {shown:>10}")
    click.echo("")
