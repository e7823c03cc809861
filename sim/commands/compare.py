"""`amparo compare`: scenarios side by side with common random numbers."""

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
@click.argument("scenario_files", nargs=-1, required=True, metavar="SCENARIO...",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replications", "-r", default=10, show_default=True, type=click.IntRange(2, 100000),
              help="Replications per scenario (the same seeds for every scenario).")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/compare-DATE-TIME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
@resume_option
@scheduler_option
def compare(scenario_files: tuple[Path, ...], replications: int, seed: int, years: float, out: Path | None,
            workers: int | None, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Compare scenarios with common random numbers: each outcome per scenario, and its paired
    difference to the first scenario with a 95% confidence interval."""
    loaded = [load(path) for path in scenario_files]
    names = [path.stem for path in scenario_files]
    for later, name in enumerate(names):
        if name in names[:later]:
            fail(f"{scenario_files[names.index(name)]} and {scenario_files[later]}: two scenario files have "
                 f"the same name {name!r}; results are labelled by file name, so rename one")
    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenarios": [{"name": name, "text": scenario.text,
                              "parameters": parameters_as_dict(scenario.parameters)}
                             for name, scenario in zip(names, loaded, strict=True)],
               "replications": replications, "seed": seed, "years": years}
    requested = out
    out, unique = new_result_folder(out, "compare", overwrite)
    work = work_folder(requested, "compare", request, resume, overwrite)

    from sim.experiments.compare import KEY_OUTCOMES, comparison_rows, run_scenarios
    from sim.results.run_folder import OutputError, write_comparison_folder

    n_workers = workers_or_cluster(workers, replications, scheduler)
    total = replications * len(loaded)
    click.echo(f"Comparing {len(loaded)} scenarios, {replications} replications each, seed {seed}, "
               f"{where(n_workers, scheduler)}")
    started = time.perf_counter()
    pairs = [(name, scenario.parameters) for name, scenario in zip(names, loaded, strict=True)]
    with (simulation_guard(resume_hint(requested)), executor(n_workers, scheduler) as pool,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        runs = run_scenarios(pairs, replications, seed, years, pool, lambda _: bar.update(1),
                             ReplicationJournal(work / "replications") if work else None)
    wall = time.perf_counter() - started
    rows = comparison_rows(runs)

    def draw(folder: Path) -> None:
        from sim.presentation.charts.compare_charts import draw_comparison_charts

        draw_comparison_charts(folder)

    specs = [{"name": name, "file": str(path), "title": scenario.title, "text": scenario.text}
             for name, path, scenario in zip(names, scenario_files, loaded, strict=True)]
    try:
        with simulation_guard():  # Ctrl-C while writing: the staging folder is removed
            folder = write_comparison_folder(out, runs=runs, scenarios=specs, rows=rows,
                                             replications=replications, years=years, base_seed=seed,
                                             wall_seconds=wall, overwrite=overwrite, draw_charts=draw,
                                             unique=unique)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    by_key = {(row["outcome"], row["scenario"]): row for row in rows}
    click.echo(f"\n{'outcome':<38} {'scenario':<28} {'mean':>10} {'difference to ' + names[0]:>36}")
    for outcome in KEY_OUTCOMES:
        for name in names:
            row = by_key[(outcome, name)]
            digits = 1 if abs(row["mean"]) >= 10 else 3
            change = "" if name == names[0] else (
                f"{row['difference']:+,.{digits}f} [{row['difference_ci_low']:+,.{digits}f}, "
                f"{row['difference_ci_high']:+,.{digits}f}]")
            click.echo(f"{outcome:<38} {name[:28]:<28} {row['mean']:>10,.{digits}f} {change:>36}")
    click.echo(f"\nWall time {wall:.1f} s. Results in {folder}")
