"""`amparo sensitivity`: Morris screening of the uncertain parameters (calibration/)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_SCENARIO_FOLDER,
    check_work,
    executor,
    fail,
    load,
    new_result_folder,
    next_step,
    progress,
    simulation_guard,
    wall_time_line,
    where,
    workers_or_cluster,
)
from sim.commands.options import (
    force_option,
    out_option,
    overwrite_option,
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
@scheduler_option
def sensitivity(trajectories: int, levels: int, years: float, seed: int, base_file: Path, out: Path | None,
                workers: int | None, overwrite: bool, force: bool, scheduler: str | None) -> None:
    """Morris screening of occupancy, waits, detention and detection against the uncertain parameters in
    calibration/uncertain_parameters.toml; writes morris.csv and a chart."""
    from sim.inputs.scenario import ScenarioError

    loaded = load(base_file)
    out, unique = new_result_folder(out, "sensitivity", overwrite, stamped=False)

    from calibration.targets import HERE, load_free_parameters

    try:
        uncertain = load_free_parameters(HERE / "uncertain_parameters.toml")
    except ScenarioError as error:
        fail(str(error))

    from calibration.sensitivity import morris_design, morris_indices, run_design
    from sim.experiments.work_estimate import estimate
    from sim.results.run_folder import OutputError, run_metadata, write_atomically, write_csv, write_json

    design = morris_design(uncertain, trajectories, levels, seed)
    n_workers = workers_or_cluster(workers, len(design), scheduler)
    check_work(estimate([(loaded.parameters, years, len(design))], n_workers), force, scheduler)
    click.echo(f"Morris screening of {len(uncertain)} parameters: {len(design)} runs of {years:g} year(s), "
               f"{where(n_workers, scheduler)}")
    started = time.perf_counter()

    timings = {}

    def fill(folder: Path) -> None:
        with progress(len(design), "Runs") as bar:
            with executor(n_workers, scheduler) as pool:
                outcomes = run_design(loaded.parameters, uncertain, design, seed, years,
                                      folder / "runs.jsonl", pool, bar.update)
            timings["simulated"] = time.perf_counter() - started
            next_step(bar, "Tables", done=0)
            rows = morris_indices(uncertain, design, outcomes, levels, seed)
            write_csv(folder / "morris.csv", {key: [row[key] for row in rows] for key in rows[0]})
            write_csv(folder / "design.csv", {p.name: design[:, j] for j, p in enumerate(uncertain)})
            manifest = {"kind": "sensitivity", "method": "Morris (SALib)", "base": str(base_file),
                        "parameters": [{"name": p.name, "low": p.low, "high": p.high, "reason": p.reason}
                                       for p in uncertain],
                        "trajectories": trajectories, "levels": levels, "runs": len(design), "years": years,
                        "seed": seed, "wall_seconds": round(timings["simulated"], 3), **run_metadata()}
            write_json(folder / "manifest.json", {**manifest, "complete": False})
            from calibration.charts import draw_sensitivity_charts

            next_step(bar, "Charts")
            draw_sensitivity_charts(folder)
            write_json(folder / "manifest.json", {**manifest, "complete": True})
            bar.update(1)

    try:
        with simulation_guard():
            out = write_atomically(out, fill, overwrite, unique)
    except OutputError as error:
        fail(str(error))
    click.echo(f"{wall_time_line(time.perf_counter() - started, timings['simulated'])}. Results in {out} "
               "(morris.csv, charts/)")
