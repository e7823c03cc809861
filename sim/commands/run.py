"""`amparo run`: replications of one scenario, written as a folder of tables and charts."""

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
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@replications_option()
@seed_option()
@years_option()
@out_option("outputs/SCENARIO-DATE-TIME")
@workers_option
@click.option("--records", default=1, show_default=True, type=click.IntRange(0, 100000),
              help="Replications whose per-child records (children, visits, stages) are written.")
@overwrite_option
@force_option
@resume_option(RESUME_HELP)
@scheduler_option
@posterior_options
@json_option
def run(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
        workers: int | None, records: int, overwrite: bool, force: bool, resume: bool,
        scheduler: str | None, posterior_draws: int | None, posterior_file: Path | None,
        as_json: bool) -> None:
    """Run SCENARIO (a .toml file) and write its folder of tables and charts."""
    with json_summary(as_json) as summary:
        summary.update(run_scenario(scenario, replications, seed, years, out, workers, records, overwrite,
                                    force, resume, scheduler, as_json, posterior_draws, posterior_file))


def run_scenario(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
                 workers: int | None, records: int, overwrite: bool, force: bool, resume: bool,
                 scheduler: str | None, as_json: bool = False, posterior_draws: int | None = None,
                 posterior_file: Path | None = None) -> dict:
    """The run command's work; returns its JSON summary (filled only when `as_json`). With
    `posterior_draws`, the replications at the scenario's point values are followed by the same
    replications under each posterior draw."""
    loaded = load(scenario)
    drawing = posterior_draws_for(posterior_draws, posterior_file, seed, [(scenario.stem, loaded)])
    n_draws = posterior_draws or 0
    requested = out
    out, unique = new_result_folder(out, scenario.stem, overwrite)

    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenario_text": loaded.text, "parameters": parameters_as_dict(loaded.parameters),
               "replications": replications, "seed": seed, "years": years, "records": records}
    if drawing is not None:
        request["posterior"] = {"draws": n_draws, "sha256": drawing[0].sha256}
    saved = work_folder(requested, "run", request, resume, overwrite)

    from sim.experiments.replications import run_replications
    from sim.experiments.work_estimate import estimate
    from sim.results.run_folder import OutputError, write_run_folder

    n_workers = workers_or_cluster(workers, replications, scheduler)
    total = replications * (1 + n_draws)
    check_work(estimate([(loaded.parameters, years, total)], n_workers), force, scheduler)
    click.echo(f"Running {loaded.title!r}: {replications} replication(s) of {years:g} year(s), "
               f"seed {seed}, {where(n_workers, scheduler)}"
               + (f"; then the same under each of {n_draws} posterior draws from {drawing[0].path}"
                  if drawing is not None else ""))
    started = time.perf_counter()

    def draw(folder: Path) -> None:
        from sim.presentation.charts.run_charts import draw_run_charts

        next_step(bar, "Charts")
        draw_run_charts(folder)

    scenario_record = {"file": str(scenario), "title": loaded.title, "description": loaded.description,
                       "text": loaded.text, "calibration": loaded.calibration_file}
    try:
        # Ctrl-C while writing: the staging folder is removed
        with (simulation_guard(resume_hint(requested), requested),
              progress(total, "Replications") as bar):
            journal = ReplicationJournal(saved / "replications") if saved else None
            with executor(n_workers, scheduler) as pool:
                results = run_replications(loaded.parameters, replications, seed, years, pool,
                                           keep_tables=True, on_done=lambda _: bar.update(1),
                                           records_replications=records, journal=journal)
                by_draw, record = None, None
                if drawing is not None:
                    from sim.experiments.posterior_draws import posterior_record, run_posterior_draws

                    posterior, draws, by_scenario = drawing
                    by_draw = run_posterior_draws([by_scenario[scenario.stem].parameters], draws,
                                                  replications, years, pool, lambda _: bar.update(1),
                                                  journal, first_set=1)[0]
                    record = posterior_record(posterior, draws, replications, by_scenario)
            simulated = time.perf_counter() - started
            next_step(bar, "Tables", done=0)
            folder = write_run_folder(out, scenario=scenario_record, parameters=loaded.parameters,
                                      results=results, years=years, base_seed=seed, wall_seconds=simulated,
                                      records_replications=records, overwrite=overwrite, draw_charts=draw,
                                      unique=unique, posterior=record, by_draw=by_draw)
            bar.update(1)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    wall = time.perf_counter() - started
    print_key_figures(results, by_draw)
    click.echo(f"{wall_time_line(wall, simulated)}; {simulated / total:.2f} s per replication on "
               f"{n_workers} worker(s). Results in {folder}")
    if not as_json:
        return {}
    from sim.results.run_folder import summary_rows

    return {"command": "run", "scenario": loaded.title, "file": str(scenario), "folder": str(folder),
            "replications": replications, "seed": seed, "years": years, "wall_seconds": round(wall, 3),
            "calibration": loaded.calibration_file,
            "outcomes": outcome_summary(summary_rows(results, by_draw)),
            **({"posterior": {key: record[key] for key in ("draws", "file", "sha256")}} if record else {})}


def print_key_figures(results, by_draw=None) -> None:
    """The key outcomes' means and 95% intervals, next to the reported figure where there is one;
    with posterior draws, also the 90% interval including parameter uncertainty."""
    from sim.analysis.outcome_registry import OUTCOME_BY_NAME
    from sim.analysis.reported_figures import KEY_OUTCOMES, REPORTED
    from sim.analysis.summary import mean_and_interval

    with_draws = f" {'90% with parameters':>23}" if by_draw is not None else ""
    click.echo(f"\n{'outcome':<44} {'mean':>11} {'95% interval':>23}{with_draws} {'reported':>10}")
    for name in KEY_OUTCOMES:
        bounds = OUTCOME_BY_NAME[name].bounds
        mean, low, high = mean_and_interval([r.outcomes[name] for r in results], bounds=bounds)
        reported = REPORTED.get(name)
        shown = f"{reported.value:,.0f} {reported.figure}" if reported else ""
        digits = 1 if abs(mean) >= 10 else 3
        interval = f"[{low:,.{digits}f}, {high:,.{digits}f}]"
        if by_draw is not None:
            from sim.experiments.posterior_draws import draw_means, posterior_interval

            _, p_low, p_high = posterior_interval(draw_means(by_draw, name))
            interval += f" {f'[{p_low:,.{digits}f}, {p_high:,.{digits}f}]':>23}"
        click.echo(f"{name:<44} {mean:>11,.{digits}f} {interval:>23} {shown:>10}")
    click.echo("")
