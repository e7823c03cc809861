"""What every command shares: the default folders, one way to fail, loading a scenario, choosing and
checking a result folder, worker processes or a Dask cluster, and turning a broken run into one clear
message and exit code.

Heavy libraries (mesa, numpy, scipy, matplotlib) are imported inside the functions that need them, so
`amparo --help` and `amparo scenarios` answer at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from sim.commands.signals import exit_interrupted

PROJECT_FOLDER = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO_FOLDER = PROJECT_FOLDER / "scenarios"
DEFAULT_OUTPUT_FOLDER = Path("outputs")
EXIT_INTERNAL_ERROR = 3


def fail(message: str) -> NoReturn:
    """Stop the command with one `Error:` line and exit code 1 (control characters in a file name,
    such as a newline, are written as escapes, so it stays one line)."""
    from sim.inputs.input_error import shown

    raise click.ClickException(shown(message))


def load(path: Path) -> Any:
    """The scenario in `path`, or a clear error naming the file and key."""
    from sim.inputs.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        fail(str(error))


def check_writable(folder: Path) -> None:
    """Fail before any work if results cannot be written under `folder`."""
    existing = next(path for path in (folder, *folder.parents) if path.exists() or path == Path(path.anchor))
    if not existing.is_dir():
        fail(f"{existing}: is a file, not a folder, so Amparo cannot write results under it; choose another "
             "--out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".amparo-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        fail(f"{folder}: cannot write results here ({error.strerror}); choose another --out")


def check_out_path(out: Path | None) -> None:
    """Fail if --out cannot name a file on this system (a NUL, a name over 255 bytes)."""
    from sim.inputs.input_error import shown_path
    from sim.inputs.regular_file import path_problem

    if out is not None and (problem := path_problem(out)):
        fail(f"{shown_path(str(out))}: {problem}; choose another --out")


def new_result_folder(out: Path | None, default_name: str, overwrite: bool,
                      stamped: bool = True) -> tuple[Path, bool]:
    """The folder a new result goes to, checked before any work, and whether its name is a default
    one (--out not given: outputs/DEFAULT_NAME-DATE-TIME, made unique when the result is written, so
    two runs started in the same second both keep theirs). An existing folder is replaced only with
    --overwrite and only if it is an Amparo result; the place must be writable."""
    from sim.results.run_folder import OutputError, check_replaceable

    check_out_path(out)
    unique = out is None
    if out is None:
        suffix = f"-{datetime.now():%Y%m%d-%H%M%S}" if stamped else ""
        out = DEFAULT_OUTPUT_FOLDER / f"{default_name}{suffix}"
    else:
        try:
            check_replaceable(out, overwrite)
        except OutputError as error:
            fail(str(error))
    check_writable(out.parent)
    return out, unique


def remove_staging_left_beside(out: Path) -> None:
    """Remove the staging folders that killed commands left next to `out` (commands that write into
    --out as they go do not stage their result, so they tidy up here; the others do it when their
    result is put in place)."""
    from sim.results.run_folder import remove_abandoned_staging

    remove_abandoned_staging(out.parent)


def check_resumable(out: Path, kind: str, started_file: str) -> None:
    """Fail unless `out` can hold a resumed `kind`: nothing yet, or a folder that the same kind of
    command started (its `started_file`) and no result of another kind."""
    from sim.results.run_folder import result_kind

    if out.is_symlink() or (out.exists() and not out.is_dir()):
        fail(f"{out}: is not a folder, so a {kind} cannot be resumed there; choose another --out")
    if not out.exists() or not any(out.iterdir()):
        return
    found = result_kind(out)
    if (found is not None and found != kind) or not (out / started_file).is_file():
        what = f"a {found} result" if found else f"not a {kind} folder (no {started_file})"
        fail(f"{out}: is {what}, so --resume will not write a {kind} into it; choose another --out")


def worker_count(requested: int | None, tasks: int) -> int:
    """Local worker processes for `tasks` runs: as requested (default all cores), at most one a task."""
    return max(1, min(requested or os.cpu_count() or 1, tasks))


def workers_or_cluster(requested: int | None, tasks: int, scheduler: str | None) -> int:
    """Local worker processes to use; none are started when the runs go to a cluster."""
    if scheduler and requested:
        fail("--workers sets local processes and --scheduler sends the runs to a cluster; give one")
    return 1 if scheduler else worker_count(requested, tasks)


def where(n_workers: int, scheduler: str | None) -> str:
    """Where the runs go, in words."""
    return f"the Dask cluster at {scheduler}" if scheduler else f"{n_workers} worker(s)"


@contextlib.contextmanager
def executor(n_workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """The Dask cluster at `scheduler`, else a process pool for more than one worker, else None (run
    in this process); see `sim.experiments.execution.make_executor`."""
    from sim.experiments.execution import ExecutionError, make_executor

    try:
        with make_executor(n_workers, scheduler) as made:
            yield made
    except ExecutionError as error:
        fail(str(error))


@contextlib.contextmanager
def simulation_guard(after_interrupt: str = "no result was written",
                     requested: Path | None = None) -> Iterator[None]:
    """Turn a broken model invariant, a full disk under a long run's records, or Ctrl-C into one
    clear message and exit code (SIGTERM too: 143). A broken invariant keeps nothing: resuming would
    only break it again, so the work saved for the `requested` --out is removed."""
    from sim.analysis.invariants import InvariantViolation
    from sim.experiments.record_spool import RecordSpoolError

    try:
        yield
    except RecordSpoolError as error:
        fail(f"{error}; {after_interrupt}")
    except InvariantViolation as error:
        if requested is not None:
            from sim.results.resume_folders import remove_work_folders

            remove_work_folders(requested)
        click.echo(f"Internal error: the model broke its own rules ({error}); no result was written. "
                   "Please report this with the input file and seed.", err=True)
        sys.exit(EXIT_INTERNAL_ERROR)
    except KeyboardInterrupt as interrupt:  # Ctrl-C or SIGTERM
        exit_interrupted(interrupt, after_interrupt)


#: What --resume does, for run, compare, size and sensitivity.
RESUME_HELP = ("Continue, in the same --out, a command that was killed or interrupted: what it finished is "
               "not run again, and the result is the same as that of an uninterrupted run.")


def work_folder(out: Path | None, kind: str, request: dict, resume: bool, overwrite: bool) -> Path | None:
    """The work folder where the command journals what it finishes (`sim.results.resume_folders`),
    the interrupted one's with --resume; None without --out (a default name cannot be given again)."""
    from sim.results.resume_folders import ResumeError, open_work_folder

    if out is None:
        if resume:
            fail("--resume: give the --out of the interrupted result")
        return None
    check_out_path(out)
    try:
        folder, resumed = open_work_folder(out, kind, request, resume, replacing=overwrite)
    except ResumeError as error:
        fail(str(error))
    if resumed:
        click.echo(f"Resuming the interrupted {kind} of {out}", err=True)
    return folder


def resume_hint(out: Path | None) -> str:
    """What an interrupted command says it kept."""
    if out is None:
        return "no result was written"
    return f"what finished is saved; continue with the same command and --resume (--out {out})"


def result_written(requested: Path | None, error: Exception | None = None) -> None:
    """The result is in place, kept under another name, or could not be written (`error`: a full disk,
    say, whose message says nothing was left behind): either way the work saved for it goes."""
    from sim.results.resume_folders import remove_work_folders

    if requested is not None:
        remove_work_folders(requested)


#: Steps a progress bar counts after the runs: the tables, then the charts.
WRITING_STEPS = 2


def progress(runs: int, label: str) -> Any:
    """A progress bar over `runs` runs and then the writing of tables and charts, on stderr, so the
    bar does not stop while the result is still being written."""
    return click.progressbar(length=runs + WRITING_STEPS, label=label, show_eta=True, file=sys.stderr)


def next_step(bar: Any, label: str, done: int = 1) -> None:
    """Count `done` steps of `bar` as finished and name the one now under way."""
    bar.label = label
    bar.update(done)


def wall_time_line(total: float, simulated: float) -> str:
    """The wall time of the whole command, split into simulating and writing."""
    return (f"Wall time {total:.1f} s ({simulated:.1f} s simulating, {total - simulated:.1f} s writing "
            "tables and charts)")


def start_afresh(out: Path, kind: str, started_file: str) -> None:
    """--overwrite for a command that writes into --out as it goes (sweep, calibrate): the result there
    (finished, or started by the same kind of command: it has `started_file`) leaves the name in one
    step and is removed, so the new one starts empty. Anything else is never touched."""
    import shutil

    from sim.results.atomic_folders import rename_no_replace
    from sim.results.run_folder import result_kind

    if not os.path.lexists(out):
        return
    started = out.is_dir() and not out.is_symlink() and (out / started_file).is_file() \
        and not (out / started_file).is_symlink()
    if result_kind(out) != kind and not started:
        fail(f"{out}: is not a {kind} result, so --overwrite will not replace it; choose another --out, or "
             "remove it yourself")
    # a hidden staging name: if this process is killed now, the next command writing here removes it
    aside = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        rename_no_replace(out, aside)
        shutil.rmtree(aside)
    except OSError as error:
        fail(f"{out}: cannot replace it ({error.strerror or error}); choose another --out")


@contextlib.contextmanager
def json_summary(enabled: bool) -> Iterator[dict[str, Any]]:
    """With --json: whatever the command prints goes to stderr while it runs, and the summary it puts
    in the yielded dict is printed on stdout as one JSON document when it succeeds."""
    summary: dict[str, Any] = {}
    if not enabled:
        yield summary
        return
    import json

    stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield summary
    finally:
        sys.stdout = stdout
    click.echo(json.dumps(summary, indent=2, allow_nan=False, default=str))


def outcome_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `summary_rows`/`comparison_rows` as JSON-ready values: NaN becomes null."""
    import math

    def value(x: Any) -> Any:
        return None if isinstance(x, float) and not math.isfinite(x) else x

    return [{key: value(item) for key, item in row.items()} for row in rows]


def check_work(work: Any, force: bool, scheduler: str | None = None) -> None:
    """Say how much work the command has before it starts, and refuse it when it is expected to
    take longer than the limit unless --force was given (a cluster's size is not known here, so
    with --scheduler the estimate is only shown)."""
    from sim.experiments.work_estimate import LIMIT_SECONDS, duration

    click.echo(f"Work: {work.describe()}", err=True)
    if work.over_limit and not force and not scheduler:
        fail(f"this is expected to take about {duration(work.seconds)} on {work.workers} worker(s), more "
             f"than the limit of {duration(LIMIT_SECONDS)}; add --force to run it anyway, or ask for less "
             "(--years, --replications, points)")


def posterior_draws_for(draws: int | None, posterior_file: Path | None, seed: int,
                        scenarios: list[tuple[str, Any]]) -> Any:
    """With --posterior N: the posterior read, its N draws from `seed`, and each (name, scenario)'s
    parameters under every draw (`sim.experiments.posterior_draws.DrawnScenario`); None without.
    A bad posterior file fails with one clear message."""
    if draws is None:
        if posterior_file is not None:
            fail("--posterior-file: give --posterior N too (the number of parameter draws)")
        return None
    from sim.experiments.posterior_draws import apply_draws, draw_from_posterior
    from sim.inputs.posterior import DEFAULT_POSTERIOR_FILE, read_posterior
    from sim.inputs.scenario import ScenarioError

    path = posterior_file if posterior_file is not None else PROJECT_FOLDER / DEFAULT_POSTERIOR_FILE
    try:
        posterior = read_posterior(path)
        drawn = draw_from_posterior(posterior, draws, seed)
        by_scenario = {name: apply_draws(scenario.parameters, list(scenario.set_above_calibration()),
                                         posterior, drawn) for name, scenario in scenarios}
    except ScenarioError as error:
        fail(f"--posterior-file: {error}")
    return posterior, drawn, by_scenario
