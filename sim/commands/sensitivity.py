"""`amparo sensitivity`: Morris screening of the uncertain parameters (calibration/)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    DEFAULT_SCENARIO_FOLDER,
    RESUME_HELP,
    check_work,
    executor,
    fail,
    load,
    new_result_folder,
    next_step,
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
    out_option,
    overwrite_option,
    resume_option,
    scheduler_option,
    seed_option,
    workers_option,
    years_option,
)


@click.command()
@click.option("--trajectories", default=4, show_default=True, type=click.IntRange(2, 10000),
              help="Morris trajectories; runs = trajectories x (parameters + 1).")
@click.option("--levels", default=4, show_default=True, type=click.IntRange(2, 100),
              help="Grid levels of the Morris design.")
@years_option(default=0.25, help="Simulated years of each run (after the warm-up).")
@seed_option(largest=2**32 - 1, help="Seed of the Morris design and of every run.")
@click.option("--base", "base_file", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml",
              show_default="scenarios/baseline_2008.toml", help="Scenario the parameters vary around.")
@out_option("outputs/sensitivity")
@workers_option
@overwrite_option
@force_option
@resume_option(RESUME_HELP)
@scheduler_option
def sensitivity(trajectories: int, levels: int, years: float, seed: int, base_file: Path, out: Path | None,
                workers: int | None, overwrite: bool, force: bool, resume: bool,
                scheduler: str | None) -> None:
    """Morris screening of occupancy, waits, detention and detection against the uncertain parameters in
    calibration/uncertain_parameters.toml; writes morris.csv and a chart."""
    from sim.inputs.scenario import ScenarioError

    loaded = load(base_file)
    requested = out or DEFAULT_OUTPUT_FOLDER / "sensitivity"  # not stamped, so it can be resumed
    out, unique = new_result_folder(out, "sensitivity", overwrite, stamped=False)

    from calibration.targets import HERE, load_free_parameters

    try:
        uncertain = load_free_parameters(HERE / "uncertain_parameters.toml")
    except ScenarioError as error:
        fail(str(error))

    from calibration.sensitivity import morris_design, write_sensitivity_folder
    from sim.experiments.work_estimate import estimate
    from sim.results.run_folder import OutputError, parameters_as_dict

    asked = {"parameters": parameters_as_dict(loaded.parameters), "uncertain": [vars(p) for p in uncertain],
             "trajectories": trajectories, "levels": levels, "years": years, "seed": seed}
    saved = work_folder(requested, "sensitivity", asked, resume, overwrite)
    design = morris_design(uncertain, trajectories, levels, seed)
    n_workers = workers_or_cluster(workers, len(design), scheduler)
    check_work(estimate([(loaded.parameters, years, len(design))], n_workers), force, scheduler)
    click.echo(f"Morris screening of {len(uncertain)} parameters: {len(design)} runs of {years:g} year(s), "
               f"{where(n_workers, scheduler)}")
    started = time.perf_counter()
    timings = {}

    def draw(folder: Path) -> None:
        from calibration.charts import draw_sensitivity_charts

        timings["simulated"] = time.perf_counter() - started
        next_step(bar, "Charts")
        draw_sensitivity_charts(folder)

    try:
        with (simulation_guard(resume_hint(requested), requested), progress(len(design), "Runs") as bar,
              executor(n_workers, scheduler) as pool):
            out = write_sensitivity_folder(out, loaded.parameters, str(base_file), uncertain, trajectories,
                                           levels, seed, years, saved / "runs.jsonl", pool, bar.update, draw,
                                           overwrite, unique)
            bar.update(1)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    click.echo(f"{wall_time_line(time.perf_counter() - started, timings['simulated'])}. Results in {out} "
               "(morris.csv, charts/)")
