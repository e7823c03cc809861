"""`amparo compare`: scenarios side by side with common random numbers."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.commands.common import (
    RESUME_HELP,
    check_work,
    executor,
    fail,
    json_summary,
    load,
    new_result_folder,
    next_step,
    outcome_summary,
    posterior_draws_for,
    progress,
    result_written,
    resume_hint,
    simulation_guard,
    wall_time_line,
    where,
    work_folder,
    workers_or_cluster,
)
from sim.commands.options import (
    force_option,
    json_option,
    out_option,
    overwrite_option,
    posterior_options,
    replications_option,
    resume_option,
    scheduler_option,
    seed_option,
    workers_option,
    years_option,
)


@click.command()
@click.argument("scenario_files", nargs=-1, required=True, metavar="SCENARIO...",
                type=click.Path(path_type=Path, dir_okay=False))
@replications_option(fewest=2, help="Replications per scenario (the same seeds for every scenario).")
@seed_option()
@years_option()
@out_option("outputs/compare-DATE-TIME")
@workers_option
@overwrite_option
@force_option
@resume_option(RESUME_HELP)
@scheduler_option
@posterior_options
@json_option
def compare(scenario_files: tuple[Path, ...], replications: int, seed: int, years: float, out: Path | None,
            workers: int | None, overwrite: bool, force: bool, resume: bool, scheduler: str | None,
            posterior_draws: int | None, posterior_file: Path | None, as_json: bool) -> None:
    """Compare scenarios with common random numbers: each outcome per scenario, and its paired
    difference to the first scenario with a 95% confidence interval."""
    with json_summary(as_json) as summary:
        summary.update(compare_scenarios(scenario_files, replications, seed, years, out, workers, overwrite,
                                         force, resume, scheduler, as_json, posterior_draws, posterior_file))


def compare_scenarios(scenario_files: tuple[Path, ...], replications: int, seed: int, years: float,
                      out: Path | None, workers: int | None, overwrite: bool, force: bool, resume: bool,
                      scheduler: str | None, as_json: bool = False, posterior_draws: int | None = None,
                      posterior_file: Path | None = None) -> dict:
    """The compare command's work; returns its JSON summary (filled only when `as_json`). With
    `posterior_draws`, every scenario also runs under each posterior draw (the same draws and, within
    a draw, the same seeds in every scenario)."""
    if len(scenario_files) < 2:
        fail(f"compare needs at least two scenario files (the first is the reference), got "
             f"{len(scenario_files)}; to run one scenario use: amparo run {scenario_files[0]}")
    loaded = [load(path) for path in scenario_files]
    names = [path.stem for path in scenario_files]
    for later, name in enumerate(names):
        if name in names[:later]:
            fail(f"{scenario_files[names.index(name)]} and {scenario_files[later]}: two scenario files have "
                 f"the same name {name!r}; results are labelled by file name, so rename one")
    drawing = posterior_draws_for(posterior_draws, posterior_file, seed,
                                  list(zip(names, loaded, strict=True)))
    n_draws = posterior_draws or 0
    requested = out
    out, unique = new_result_folder(out, "compare", overwrite)

    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenarios": [{"name": name, "text": scenario.text,
                              "parameters": parameters_as_dict(scenario.parameters)}
                             for name, scenario in zip(names, loaded, strict=True)],
               "replications": replications, "seed": seed, "years": years}
    if drawing is not None:
        request["posterior"] = {"draws": n_draws, "sha256": drawing[0].sha256}
    saved = work_folder(requested, "compare", request, resume, overwrite)

    from sim.experiments.compare import KEY_OUTCOMES, comparison_rows, run_scenarios
    from sim.experiments.work_estimate import estimate
    from sim.results.run_folder import OutputError, write_comparison_folder

    n_workers = workers_or_cluster(workers, replications, scheduler)
    total = replications * len(loaded) * (1 + n_draws)
    work = estimate([(scenario.parameters, years, replications * (1 + n_draws)) for scenario in loaded],
                    n_workers)
    check_work(work, force, scheduler)
    click.echo(f"Comparing {len(loaded)} scenarios, {replications} replications each, seed {seed}, "
               f"{where(n_workers, scheduler)}"
               + (f"; then the same under each of {n_draws} posterior draws from {drawing[0].path}"
                  if drawing is not None else ""))
    started = time.perf_counter()
    pairs = [(name, scenario.parameters) for name, scenario in zip(names, loaded, strict=True)]

    def draw(folder: Path) -> None:
        from sim.presentation.charts.compare_charts import draw_comparison_charts

        next_step(bar, "Charts")
        draw_comparison_charts(folder)

    specs = [{"name": name, "file": str(path), "title": scenario.title, "text": scenario.text,
              "calibration": scenario.calibration_file}
             for name, path, scenario in zip(names, scenario_files, loaded, strict=True)]
    try:
        # Ctrl-C while writing: the staging folder is removed
        with (simulation_guard(resume_hint(requested), requested),
              progress(total, "Runs") as bar):
            journal = ReplicationJournal(saved / "replications") if saved else None
            by_draw, record = None, None
            with executor(n_workers, scheduler) as pool:
                runs = run_scenarios(pairs, replications, seed, years, pool, lambda _: bar.update(1), journal)
                if drawing is not None:
                    from sim.experiments.posterior_draws import posterior_record, run_posterior_draws

                    posterior, draws, by_scenario = drawing
                    by_draw = run_posterior_draws([by_scenario[name].parameters for name in names], draws,
                                                  replications, years, pool, lambda _: bar.update(1),
                                                  journal, first_set=len(names))
                    record = posterior_record(posterior, draws, replications, by_scenario)
            simulated = time.perf_counter() - started
            next_step(bar, "Tables", done=0)
            rows = comparison_rows(runs, by_draw)
            folder = write_comparison_folder(out, runs=runs, scenarios=specs, rows=rows,
                                             replications=replications, years=years, base_seed=seed,
                                             wall_seconds=simulated, overwrite=overwrite, draw_charts=draw,
                                             unique=unique, posterior=record, by_draw=by_draw)
            bar.update(1)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    wall = time.perf_counter() - started
    by_key = {(row["outcome"], row["scenario"]): row for row in rows}
    with_draws = f" {'90% with parameters':>26}" if by_draw is not None else ""
    click.echo(f"\n{'outcome':<38} {'scenario':<28} {'mean':>10} {'difference to ' + names[0]:>36}"
               f"{with_draws}")
    for outcome in KEY_OUTCOMES:
        for name in names:
            row = by_key[(outcome, name)]
            digits = 1 if abs(row["mean"]) >= 10 else 3
            change = "" if name == names[0] else (
                f"{row['difference']:+,.{digits}f} [{row['difference_ci_low']:+,.{digits}f}, "
                f"{row['difference_ci_high']:+,.{digits}f}]")
            if by_draw is not None and name != names[0]:
                change += (f" {'[' + format(row['difference_posterior_low'], f'+,.{digits}f') + ', '
                                + format(row['difference_posterior_high'], f'+,.{digits}f') + ']':>26}")
            click.echo(f"{outcome:<38} {name[:28]:<28} {row['mean']:>10,.{digits}f} {change:>36}")
    click.echo(f"\n{wall_time_line(wall, simulated)}. Results in {folder}")
    if not as_json:
        return {}
    return {"command": "compare", "reference": names[0], "scenarios": specs, "folder": str(folder),
            "replications": replications, "seed": seed, "years": years, "wall_seconds": round(wall, 3),
            "comparison": outcome_summary(rows),
            **({"posterior": {key: record[key] for key in ("draws", "file", "sha256")}} if record else {})}
