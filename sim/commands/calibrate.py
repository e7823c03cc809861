"""`amparo calibrate`: fit the quantities the reported figures identify, by approximate Bayesian
computation on a reference table, and check the method's coverage (calibration/)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    DEFAULT_SCENARIO_FOLDER,
    check_resumable,
    check_work,
    check_writable,
    executor,
    fail,
    load,
    remove_staging_left_beside,
    simulation_guard,
    start_afresh,
    where,
    workers_or_cluster,
)
from sim.commands.options import (
    force_option,
    out_option,
    overwrite_option,
    replications_option,
    resume_option,
    scheduler_option,
    seed_option,
    workers_option,
    years_option,
)

#: Check runs of the calibrated point: 10, not the 20 of run, compare and size, because the shipped
#: calibration (calibration/report.md, docs/calibration.md) was made with 10 and the defaults must
#: reproduce it.
CHECK_REPLICATIONS = 10


@click.command()
@click.option("--budget", default=10_000, show_default=True, type=click.IntRange(8, 1_000_000),
              help="Simulations of the reference table, drawn from the prior.")
@click.option("--accepted", default=2_000, show_default=True, type=click.IntRange(4, 1_000_000),
              help="Runs of the table closest to the figures that form the posterior.")
@click.option("--truths", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Runs of the table taken in turn as synthetic truths by the coverage check.")
@click.option("--predictive", default=40, show_default=True, type=click.IntRange(2, 100_000),
              help="Posterior predictive runs (each at a posterior draw) for the fit and held-out tables.")
@years_option(default=0.1, help="Simulated years of each run of the table (after the warm-up).")
@click.option("--table-warmup-days", default=180, show_default=True, type=click.IntRange(0, 365),
              help="Warm-up of each run of the table (repeat crossings need about 180 days to settle).")
@replications_option(default=CHECK_REPLICATIONS, fewest=2,
                     help="Replications of the calibrated point (and of it without officers, for F12).")
@years_option(name="--check-years", help="Simulated years of each check run of the calibrated point.")
@seed_option(help="Seed of the fit and of the check runs.")
@click.option("--base", "base_file", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml",
              show_default="scenarios/baseline_2008.toml",
              help="Scenario whose values the parameters not fitted keep.")
@out_option("outputs/calibration")
@workers_option
@resume_option("Continue an interrupted calibration in --out.")
@overwrite_option
@force_option
@scheduler_option
def calibrate(budget: int, accepted: int, truths: int, predictive: int, years: float,
              table_warmup_days: int, replications: int, check_years: float, seed: int,
              base_file: Path, out: Path | None, workers: int | None, resume: bool, overwrite: bool,
              force: bool, scheduler: str | None) -> None:
    """Fit the quantities in calibration/priors.toml to the figures in calibration/targets.toml by
    approximate Bayesian computation on a reference table, check the method's coverage on synthetic
    truths, and write the posterior, the calibrated scenario file, the fit and held-out validation
    tables and a report with charts."""
    from sim.inputs.scenario import ScenarioError

    loaded = load(base_file)
    if resume and overwrite:
        fail("--resume continues the calibration in --out and --overwrite replaces it; give one")
    out = out or DEFAULT_OUTPUT_FOLDER / "calibration"
    if out.exists() and not resume and not overwrite:
        fail(f"{out}: a calibration already exists here; add --resume to continue it, --overwrite to start "
             "it again, or choose another --out")
    if resume:
        check_resumable(out, "calibration", "calibration.json")
    if not accepted < budget:
        fail(f"--accepted {accepted}: must be below --budget {budget}")
    if truths > budget:
        fail(f"--truths {truths}: at most --budget {budget}")

    from calibration.fit import Settings
    from calibration.hindcast import load_hindcast
    from calibration.priors import load_priors
    from calibration.run import CalibrationMismatch, begin, run_calibration, start_record
    from calibration.targets import load_ledger
    from calibration.validation import CheckSettings
    from sim.experiments.work_estimate import estimate

    try:
        targets, validation, conflicts = load_ledger()
        priors = load_priors()
        hindcast = load_hindcast()
    except ScenarioError as error:
        fail(str(error))
    settings = Settings(budget=budget, accepted=accepted, truths=truths, seed=seed, years=years,
                        warmup_days=table_warmup_days)
    checks = CheckSettings(replications=replications, years=check_years, predictive=predictive)
    n_workers = workers_or_cluster(workers, budget, scheduler)
    check_runs = 2 * replications + predictive * (1 + len(hindcast[0]))
    table_base = loaded.parameters.replace(warmup_days=table_warmup_days)
    check_work(estimate([(table_base, years, budget), (loaded.parameters, check_years, check_runs)],
                        n_workers), force, scheduler)
    if overwrite:  # only now, when nothing can refuse the new one any more
        start_afresh(out, "calibration", "calibration.json")
    check_writable(out)
    remove_staging_left_beside(out)
    record = start_record(str(base_file), settings, checks, priors, targets, loaded.parameters)
    try:
        begin(out, record, resume)
    except CalibrationMismatch as error:
        fail(str(error))
    total = budget + check_runs
    click.echo(f"Calibrating {len(priors.fitted)} quantities ({len(priors.declared)} declared uncertain) to "
               f"{', '.join(t.figure for t in targets)}: {total} "
               f"simulations, {where(n_workers, scheduler)}")

    def draw(folder: Path) -> None:
        from calibration.charts import draw_calibration_charts

        draw_calibration_charts(folder)

    saved = f"finished simulations are saved in {out}; continue with --resume"
    with (simulation_guard(saved), executor(n_workers, scheduler) as pool,
          click.progressbar(length=total, label="Simulations", show_eta=True, file=sys.stderr) as bar):
        manifest = run_calibration(out, loaded.parameters, record, priors, targets, validation, conflicts,
                                   settings, checks, hindcast, pool, n_workers, bar.update, draw)
    click.echo(f"Targets {'all hit' if manifest['all_targets_hit'] else 'NOT all hit'}; held out: "
               + ", ".join(f"{figure} {result}" for figure, result in manifest["validation"].items()))
    if manifest["hindcast"]:
        click.echo("Hindcast: " + ", ".join(f"{line} {result}"
                                            for line, result in manifest["hindcast"].items()))
    click.echo(f"Tolerance {manifest['tolerance']:.4f}; effective sample size "
               f"{manifest['effective_sample_size']:,.0f} of {accepted:,} accepted")
    click.echo("Coverage of the 90% intervals on synthetic truths: "
               + ", ".join(f"{name} {share:.0%}" for name, share in manifest["coverage"].items())
               + (" (passes 85-95%)" if manifest["coverage_passes"] else " (OUTSIDE 85-95%)"))
    click.echo(f"Wall time {manifest['wall_seconds']:.1f} s. Report in {out / 'report.md'}")
