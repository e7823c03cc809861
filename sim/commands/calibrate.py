"""`amparo calibrate`: fit the free parameters to the reported figures by ABC-PMC (calibration/)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    DEFAULT_SCENARIO_FOLDER,
    check_resumable,
    check_writable,
    executor,
    fail,
    load,
    scheduler_option,
    simulation_guard,
    where,
    workers_or_cluster,
)


@click.command()
@click.option("--budget", default=320, show_default=True, type=click.IntRange(8, 1_000_000),
              help="Simulations for the fit, split equally between the generations.")
@click.option("--generations", default=4, show_default=True, type=click.IntRange(1, 100),
              help="ABC-PMC generations; each keeps the closest quarter of its candidates.")
@click.option("--years", default=0.5, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years of each fitting run (after the warm-up).")
@click.option("--replications", "-r", default=10, show_default=True, type=click.IntRange(2, 100000),
              help="Replications of the calibrated point (and of it without officers, for F12).")
@click.option("--check-years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years of each check run of the calibrated point.")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--base", "base_file", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml",
              show_default="scenarios/baseline_2008.toml",
              help="Scenario whose values the parameters not fitted keep.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/calibration).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--resume", is_flag=True, help="Continue an interrupted calibration in --out.")
@scheduler_option
def calibrate(budget: int, generations: int, years: float, replications: int, check_years: float, seed: int,
              base_file: Path, out: Path | None, workers: int | None, resume: bool,
              scheduler: str | None) -> None:
    """Calibrate the free parameters (calibration/free_parameters.toml) to the figures in
    calibration/targets.toml by ABC-PMC, and write the posterior, the calibrated scenario file,
    the fit and held-out validation tables and a report with charts."""
    from sim.inputs.scenario import ScenarioError

    loaded = load(base_file)
    out = out or DEFAULT_OUTPUT_FOLDER / "calibration"
    if out.exists() and not resume:
        fail(f"{out}: a calibration already exists here; add --resume to continue it, or choose another "
             "--out")
    if resume:
        check_resumable(out, "calibration", "calibration.json")
    if budget < 2 * generations:
        fail(f"--budget {budget}: needs at least 2 simulations per generation ({2 * generations})")
    check_writable(out)

    from calibration.fit import Settings
    from calibration.run import CalibrationMismatch, begin, run_calibration, start_record
    from calibration.targets import load_free_parameters, load_ledger
    from calibration.validation import CheckSettings

    try:
        targets, validation, conflicts = load_ledger()
        free = load_free_parameters()
    except ScenarioError as error:
        fail(str(error))
    settings = Settings(budget=budget, generations=generations, seed=seed, years=years)
    checks = CheckSettings(replications=replications, years=check_years)
    record = start_record(str(base_file), settings, checks, free, targets, loaded.parameters)
    try:
        begin(out, record, resume)
    except CalibrationMismatch as error:
        fail(str(error))
    total = settings.batch * generations + 2 * replications
    n_workers = workers_or_cluster(workers, settings.batch, scheduler)
    click.echo(f"Calibrating {len(free)} parameters to {', '.join(t.figure for t in targets)}: {total} "
               f"simulations, {where(n_workers, scheduler)}")

    def draw(folder: Path) -> None:
        from calibration.charts import draw_calibration_charts

        draw_calibration_charts(folder)

    saved = f"finished simulations are saved in {out}; continue with --resume"
    with (simulation_guard(saved), executor(n_workers, scheduler) as pool,
          click.progressbar(length=total, label="Simulations", show_eta=True, file=sys.stderr) as bar):
        manifest = run_calibration(out, loaded.parameters, record, free, targets, validation, conflicts,
                                   settings, checks, pool, n_workers, bar.update, draw)
    click.echo(f"Targets {'all hit' if manifest['all_targets_hit'] else 'NOT all hit'}; held out: "
               + ", ".join(f"{figure} {result}" for figure, result in manifest["validation"].items()))
    click.echo(f"Wall time {manifest['wall_seconds']:.1f} s. Report in {out / 'report.md'}")
