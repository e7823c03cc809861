"""`amparo sweep`: a design over levers and uncertainties, every run written as it finishes so that an
interrupted sweep resumes where it stopped."""

from __future__ import annotations

import time
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    check_out_path,
    check_resumable,
    check_work,
    check_writable,
    executor,
    fail,
    next_step,
    progress,
    remove_staging_left_beside,
    simulation_guard,
    start_afresh,
    wall_time_line,
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
from sim.experiments.sweep import MAX_POINTS


@click.command()
@click.argument("sweep_file", type=click.Path(path_type=Path, dir_okay=False))
@out_option("outputs/SWEEP-NAME")
@workers_option
@replications_option(default=None, shown_default="the sweep file's",
                     help="Replications at each design point, in place of the sweep file's.")
@seed_option(default=None, shown_default="the sweep file's",
             help="Seed of the design and of the runs, in place of the sweep file's.")
@years_option(default=None, shown_default="the sweep file's",
              help="Simulated years of each run, in place of the sweep file's.")
@click.option("--points", type=click.IntRange(1, MAX_POINTS), show_default="the sweep file's",
              help="Design points of a latin_hypercube or sobol design, in place of the sweep file's.")
@resume_option("Continue an interrupted sweep in --out, skipping finished runs.")
@overwrite_option
@force_option
@scheduler_option
def sweep(sweep_file: Path, out: Path | None, workers: int | None, replications: int | None,
          seed: int | None, years: float | None, points: int | None, resume: bool, overwrite: bool,
          force: bool, scheduler: str | None) -> None:
    """Run a sweep file: a design over levers and uncertainties, every run written as it finishes.
    --replications, --seed, --years and --points replace the file's settings."""
    from sim.experiments.sweep import load_sweep
    from sim.inputs.scenario import ScenarioError

    try:
        spec = load_sweep(sweep_file, {"replications": replications, "seed": seed, "years": years,
                                       "points": points})
    except ScenarioError as error:
        fail(str(error))
    if points is not None and spec.design == "grid":
        fail(f"--points {points}: a grid design has one point per combination of its values; --points "
             "applies to latin_hypercube and sobol designs")
    if resume and overwrite:
        fail("--resume continues the sweep in --out and --overwrite replaces it; give one")
    check_out_path(out)
    out = out or DEFAULT_OUTPUT_FOLDER / sweep_file.stem
    started_file = out / "sweep.json"
    if out.exists() and any(out.iterdir()) and not resume and not overwrite:
        fail(f"{out}: a sweep result already exists here; add --resume to continue it, --overwrite to "
             "start it again, or choose another --out")
    if resume:
        check_resumable(out, "sweep", "sweep.json")
    if resume and started_file.exists() and sweep_fingerprint(started_file) != spec.fingerprint:
        fail(f"{out}: was started from a different sweep file, other --replications, --seed, --years or "
             "--points, or a base scenario that has changed since; resume it with the same files and "
             "options, or choose another --out")
    check_work(remaining_work(spec, out / "runs.jsonl" if resume else None, workers, scheduler), force,
               scheduler)
    if overwrite:  # only now, when nothing can refuse the new one any more
        start_afresh(out, "sweep", "sweep.json")
    check_writable(out)
    remove_staging_left_beside(out)
    try:
        with simulation_guard(f"finished runs are saved in {out}; continue with --resume"):
            run_and_write(spec, sweep_file, out, workers, scheduler)
    except OSError as error:
        fail(f"{out}: writing the sweep failed ({error.strerror or error}); every run finished so far is "
             "saved in runs.jsonl: make room and continue with --resume")


def remaining_work(spec, runs_file: Path | None, workers: int | None, scheduler: str | None):
    """The work estimate of the sweep's runs not yet in `runs_file` (all of them without one)."""
    from collections import Counter

    from sim.experiments.sweep import design_points, read_finished
    from sim.experiments.work_estimate import estimate

    finished = Counter(point for point, _ in read_finished(runs_file)) if runs_file and runs_file.exists() \
        else Counter()
    total = len(design_points(spec)) * spec.replications
    groups = [(parameters, spec.years, spec.replications - finished[index])
              for index, parameters in enumerate(spec.point_parameters)]
    return estimate(groups, workers_or_cluster(workers, total, scheduler))


def sweep_fingerprint(started_file: Path) -> str | None:
    """The fingerprint of the sweep file a sweep folder was started from (None if unreadable)."""
    from sim.inputs.json_file import read_json_file
    from sim.inputs.regular_file import UnreadableFile

    try:
        return read_json_file(started_file).get("fingerprint")
    except (UnreadableFile, AttributeError):
        return None


def run_and_write(spec, sweep_file: Path, out: Path, workers: int | None, scheduler: str | None) -> None:
    """Run the sweep's missing runs into `out`, then write its tables, charts and sealed manifest
    (`sim.results.sweep_folder`)."""
    from sim.experiments.sweep import design_points
    from sim.results.sweep_folder import write_sweep_folder

    total = len(design_points(spec)) * spec.replications
    n_workers = workers_or_cluster(workers, total, scheduler)
    click.echo(f"Sweep {spec.title!r}: {total} runs ({spec.design}), {where(n_workers, scheduler)}")
    started = time.perf_counter()
    with progress(total, "Runs") as bar:
        with executor(n_workers, scheduler) as pool:
            # sweep.json is written once the runs have somewhere to go (a cluster that does not answer
            # leaves nothing)
            manifest = write_sweep_folder(spec, sweep_file, out, pool, lambda count, _: bar.update(count),
                                          draw_sweep, lambda label: next_step(bar, label,
                                                                              done=int(label != "Tables")))
        bar.update(1)
    click.echo(f"{wall_time_line(time.perf_counter() - started, manifest['wall_seconds_this_session'])}. "
               f"{manifest['runs']} runs in {out} (experiments.csv, outcomes.csv, charts/)")


def draw_sweep(folder: Path) -> None:
    """The sweep's charts."""
    from sim.presentation.charts.sweep_charts import draw_sweep_charts

    draw_sweep_charts(folder)
