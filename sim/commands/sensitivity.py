"""`amparo sensitivity`: Morris screening of the uncertain parameters (calibration/)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    DEFAULT_SCENARIO_FOLDER,
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
@click.option("--trajectories", default=4, show_default=True, type=click.IntRange(2, 10000),
              help="Morris trajectories; runs = trajectories x (parameters + 1).")
@click.option("--levels", default=4, show_default=True, type=click.IntRange(2, 100),
              help="Grid levels of the Morris design.")
@click.option("--years", default=0.25, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years of each run (after the warm-up).")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**32 - 1))
@click.option("--base", "base_file", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml",
              show_default="scenarios/baseline_2008.toml", help="Scenario the parameters vary around.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/sensitivity).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
@resume_option
@scheduler_option
def sensitivity(trajectories: int, levels: int, years: float, seed: int, base_file: Path, out: Path | None,
                workers: int | None, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Morris screening of occupancy, waits, detention and detection against the uncertain parameters in
    calibration/uncertain_parameters.toml; writes morris.csv and a chart."""
    from sim.inputs.scenario import ScenarioError

    loaded = load(base_file)

    from calibration.targets import HERE, load_free_parameters

    try:
        uncertain = load_free_parameters(HERE / "uncertain_parameters.toml")
    except ScenarioError as error:
        fail(str(error))

    from calibration.sensitivity import morris_design, write_sensitivity_folder
    from sim.results.run_folder import OutputError, parameters_as_dict

    requested = out or DEFAULT_OUTPUT_FOLDER / "sensitivity"  # not stamped, so it can be resumed
    asked = {"parameters": parameters_as_dict(loaded.parameters), "uncertain": [vars(p) for p in uncertain],
             "trajectories": trajectories, "levels": levels, "years": years, "seed": seed}
    out, unique = new_result_folder(out, "sensitivity", overwrite, stamped=False)
    work = work_folder(requested, "sensitivity", asked, resume, overwrite)
    runs = len(morris_design(uncertain, trajectories, levels, seed))
    n_workers = workers_or_cluster(workers, runs, scheduler)
    click.echo(f"Morris screening of {len(uncertain)} parameters: {runs} runs of {years:g} year(s), "
               f"{where(n_workers, scheduler)}")
    started = time.perf_counter()

    def draw(folder: Path) -> None:
        from calibration.charts import draw_sensitivity_charts

        draw_sensitivity_charts(folder)

    try:
        with (simulation_guard(resume_hint(requested)), executor(n_workers, scheduler) as pool,
              click.progressbar(length=runs, label="Runs", show_eta=True, file=sys.stderr) as bar):
            out = write_sensitivity_folder(out, loaded.parameters, str(base_file), uncertain, trajectories,
                                           levels, seed, years, work / "runs.jsonl", pool, bar.update, draw,
                                           overwrite, unique)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    click.echo(f"Wall time {time.perf_counter() - started:.1f} s. Results in {out} (morris.csv, charts/)")
