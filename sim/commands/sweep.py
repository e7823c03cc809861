"""`amparo sweep`: a design over levers and uncertainties, every run written as it finishes so that an
interrupted sweep resumes where it stopped."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_OUTPUT_FOLDER,
    check_out_path,
    check_resumable,
    check_writable,
    executor,
    fail,
    scheduler_option,
    simulation_guard,
    where,
    workers_or_cluster,
)


@click.command()
@click.argument("sweep_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/SWEEP-NAME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted sweep in --out, skipping finished runs.")
@scheduler_option
def sweep(sweep_file: Path, out: Path | None, workers: int | None, resume: bool,
          scheduler: str | None) -> None:
    """Run a sweep file: a design over levers and uncertainties, every run written as it finishes."""
    from sim.experiments.sweep import load_sweep
    from sim.inputs.scenario import ScenarioError

    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as error:
        fail(str(error))
    check_out_path(out)
    out = out or DEFAULT_OUTPUT_FOLDER / sweep_file.stem
    started_file = out / "sweep.json"
    if out.exists() and any(out.iterdir()) and not resume:
        fail(f"{out}: a sweep result already exists here; add --resume to continue it, or choose "
             "another --out")
    if resume:
        check_resumable(out, "sweep", "sweep.json")
    if resume and started_file.exists() and sweep_fingerprint(started_file) != spec.fingerprint:
        fail(f"{out}: was started from a different sweep file (or its base scenario has changed since); "
             "resume it with the same files, or choose another --out")
    check_writable(out)
    try:
        with simulation_guard(f"finished runs are saved in {out}; continue with --resume"):
            run_and_write(spec, sweep_file, out, workers, scheduler)
    except OSError as error:
        fail(f"{out}: writing the sweep failed ({error.strerror or error}); every run finished so far is "
             "saved in runs.jsonl: make room and continue with --resume")


def sweep_fingerprint(started_file: Path) -> str | None:
    """The fingerprint of the sweep file a sweep folder was started from (None if unreadable)."""
    import json

    try:
        return json.loads(started_file.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def run_and_write(spec, sweep_file: Path, out: Path, workers: int | None, scheduler: str | None) -> None:
    """Run the sweep's missing runs into `out`, then write its tables, charts and manifest."""
    from sim.experiments.sweep import design_points
    from sim.results.sweep_folder import write_sweep_folder

    total = len(design_points(spec)) * spec.replications
    n_workers = workers_or_cluster(workers, total, scheduler)
    click.echo(f"Sweep {spec.title!r}: {total} runs ({spec.design}), {where(n_workers, scheduler)}")
    with (executor(n_workers, scheduler) as pool,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        # sweep.json is written once the runs have somewhere to go (a cluster that does not answer
        # leaves nothing)
        manifest = write_sweep_folder(spec, sweep_file, out, pool, lambda count, _: bar.update(count),
                                      draw_sweep)
    click.echo(f"{manifest['runs']} runs in {out} (experiments.csv, outcomes.csv, charts/)")


def draw_sweep(folder: Path) -> None:
    """The sweep's charts."""
    from sim.presentation.charts.sweep_charts import draw_sweep_charts

    draw_sweep_charts(folder)
