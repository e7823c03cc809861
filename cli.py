"""Amparo's command line. Thin: it parses, calls `sim`, and reports.

Heavy libraries (mesa, numpy, scipy, matplotlib) are imported inside the commands that need them,
so `amparo --help` and `amparo scenarios` answer at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
DEFAULT_SCENARIO_FOLDER = HERE / "scenarios"
DEFAULT_OUTPUT_FOLDER = Path("outputs")
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _load(path: Path):
    from sim.inputs.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(str(error))


def _check_writable(folder: Path) -> None:
    """Fail before any work if results cannot be written under `folder`."""
    existing = next(path for path in (folder, *folder.parents) if path.exists() or path == Path(path.anchor))
    if not existing.is_dir():
        _fail(f"{existing}: is a file, not a folder, so Amparo cannot write results under it; choose another "
              "--out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".amparo-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        _fail(f"{folder}: cannot write results here ({error.strerror}); choose another --out")


def _new_result_folder(out: Path | None, default_name: str, overwrite: bool,
                       stamped: bool = True) -> tuple[Path, bool]:
    """The folder a new result goes to, checked before any work, and whether its name is a default
    one (--out not given: outputs/DEFAULT_NAME-DATE-TIME, made unique when the result is written, so
    two runs started in the same second both keep theirs). An existing folder is replaced only with
    --overwrite and only if it is an Amparo result; the place must be writable."""
    from sim.results.run_folder import OutputError, check_replaceable

    unique = out is None
    if out is None:
        suffix = f"-{datetime.now():%Y%m%d-%H%M%S}" if stamped else ""
        out = DEFAULT_OUTPUT_FOLDER / f"{default_name}{suffix}"
    else:
        try:
            check_replaceable(out, overwrite)
        except OutputError as error:
            _fail(str(error))
    _check_writable(out.parent)
    return out, unique


def _work_folder(out: Path | None, kind: str, request: dict, resume: bool, overwrite: bool) -> Path | None:
    """The work folder where this command journals what it finishes (None without --out: a default
    name cannot be given again to --resume), continuing the interrupted one with --resume."""
    from sim.results.resume_folders import ResumeError, open_work_folder

    if out is None:
        if resume:
            _fail("--resume: give the --out of the interrupted result")
        return None
    try:
        folder, resumed = open_work_folder(out, kind, request, resume, replacing=overwrite)
    except ResumeError as error:
        _fail(str(error))
    if resumed:
        click.echo(f"Resuming the interrupted {kind} of {out}", err=True)
    return folder


def _resume_hint(out: Path | None) -> str:
    if out is None:
        return "no result was written"
    return f"what finished is saved; continue with the same command and --resume (--out {out})"


def _workers(requested: int | None, tasks: int) -> int:
    return max(1, min(requested or os.cpu_count() or 1, tasks))


@contextlib.contextmanager
def _executor(n_workers: int, scheduler: str | None = None):
    """The Dask cluster at `scheduler`, else a process pool for more than one worker, else None (run
    in this process); see `sim.experiments.execution.make_executor`."""
    from sim.experiments.execution import ExecutionError, make_executor

    try:
        with make_executor(n_workers, scheduler) as executor:
            yield executor
    except ExecutionError as error:
        _fail(str(error))


def _scheduler_option(command):
    return click.option(
        "--scheduler", metavar="tcp://HOST:8786",
        help="Send the runs to the Dask cluster whose scheduler is at this address instead of local "
             "processes (needs the cluster extra; see docs/cluster.md). Results do not depend on it.",
    )(command)


def _resume_option(command):
    return click.option(
        "--resume", is_flag=True,
        help="Continue, in the same --out, a command that was killed or interrupted: what it finished "
             "is not run again, and the tables are the same as those of an uninterrupted run.",
    )(command)


def _forget_work_if_kept(requested: Path | None, error: Exception) -> None:
    """The result was kept under another name: the work saved for it is no longer needed."""
    from sim.results.resume_folders import remove_work_folders
    from sim.results.run_folder import ResultKeptElsewhere

    if requested is not None and isinstance(error, ResultKeptElsewhere):
        remove_work_folders(requested)


def _workers_or_cluster(workers: int | None, tasks: int, scheduler: str | None) -> int:
    """Local worker processes to use; none are started when the runs go to a cluster."""
    if scheduler and workers:
        _fail("--workers sets local processes and --scheduler sends the runs to a cluster; give one")
    return 1 if scheduler else _workers(workers, tasks)


def _where(n_workers: int, scheduler: str | None) -> str:
    return f"the Dask cluster at {scheduler}" if scheduler else f"{n_workers} worker(s)"



@contextlib.contextmanager
def _simulation_guard(after_interrupt: str = "no result was written"):
    """Turn a broken model invariant, a full disk under a long run's records, or Ctrl-C into one
    clear message and exit code."""
    from sim.analysis.invariants import InvariantViolation
    from sim.experiments.record_spool import RecordSpoolError

    try:
        yield
    except RecordSpoolError as error:
        _fail(f"{error}; {after_interrupt}")
    except InvariantViolation as error:
        click.echo(f"Internal error: the model broke its own rules ({error}); {after_interrupt}. "
                   "Please report this with the input file and seed.", err=True)
        sys.exit(EXIT_INTERNAL_ERROR)
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted: {after_interrupt}.", err=True)
        sys.exit(EXIT_INTERRUPTED)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="amparo")
def main() -> None:
    """Amparo: children migrating through origin, transit and borders, and the capacity that
    protects them. Run a scenario, list scenarios, and more: see each command's --help."""


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False),
                default=DEFAULT_SCENARIO_FOLDER)
def scenarios(folder: Path) -> None:
    """List the scenario files in FOLDER (default: the shipped scenarios) with their descriptions."""
    from sim.inputs.scenario import ScenarioError, list_scenarios

    if not folder.is_dir():
        _fail(f"{folder}: no such folder")
    try:
        found = list_scenarios(folder)
    except ScenarioError as error:
        _fail(str(error))
    if not found:
        click.echo(f"No scenario files in {folder}")
        return
    width = max(len(path.name) for path, _, _ in found)
    for path, title, summary in found:
        click.echo(f"{path.name:<{width}}  {title}")
        if summary:
            click.echo(f"{'':<{width}}  {summary}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replications", "-r", default=20, show_default=True, type=click.IntRange(1, 100000),
              help="Independent replications (seeds) to run.")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Base seed; replication i uses a seed derived from it.")
@click.option("--years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years measured after the warm-up.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/SCENARIO-DATE-TIME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024),
              help="Worker processes (default: all cores). Results do not depend on it.")
@click.option("--records", default=1, show_default=True, type=click.IntRange(0, 100000),
              help="Replications whose per-child records (children, visits, stages) are written.")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
@_resume_option
@_scheduler_option
def run(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
        workers: int | None, records: int, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Run SCENARIO (a .toml file) and write its folder of tables and charts."""
    loaded = _load(scenario)
    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenario_text": loaded.text, "parameters": parameters_as_dict(loaded.parameters),
               "replications": replications, "seed": seed, "years": years, "records": records}
    work = _work_folder(out, "run", request, resume, overwrite)
    requested = out
    out, unique = _new_result_folder(out, scenario.stem, overwrite)

    from sim.experiments.replications import run_replications
    from sim.results.resume_folders import remove_work_folders
    from sim.results.run_folder import OutputError, write_run_folder

    n_workers = _workers_or_cluster(workers, replications, scheduler)
    click.echo(f"Running {loaded.title!r}: {replications} replication(s) of {years:g} year(s), "
               f"seed {seed}, {_where(n_workers, scheduler)}")
    started = time.perf_counter()
    with (_simulation_guard(_resume_hint(requested)), _executor(n_workers, scheduler) as executor,
          click.progressbar(length=replications, label="Replications", show_eta=True,
                            file=sys.stderr) as bar):
        results = run_replications(loaded.parameters, replications, seed, years, executor,
                                   keep_tables=True, on_done=lambda _: bar.update(1),
                                   records_replications=records,
                                   journal=ReplicationJournal(work / "replications") if work else None)
    wall = time.perf_counter() - started

    def draw(folder: Path) -> None:
        from sim.presentation.charts.run_charts import draw_run_charts

        draw_run_charts(folder)

    scenario_record = {"file": str(scenario), "title": loaded.title, "description": loaded.description,
                       "text": loaded.text}
    try:
        with _simulation_guard():  # Ctrl-C while writing: the staging folder is removed
            folder = write_run_folder(out, scenario=scenario_record, parameters=loaded.parameters,
                                      results=results, years=years, base_seed=seed, wall_seconds=wall,
                                      records_replications=records, overwrite=overwrite, draw_charts=draw,
                                      unique=unique)
    except OutputError as error:
        _forget_work_if_kept(requested, error)
        _fail(str(error))
    if requested is not None:
        remove_work_folders(requested)
    _print_key_figures(results)
    click.echo(f"Wall time {wall:.1f} s ({wall / replications:.2f} s per replication on {n_workers} "
               f"worker(s)). Results in {folder}")


@main.command()
@click.argument("scenario_files", nargs=-1, required=True, metavar="SCENARIO...",
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replications", "-r", default=10, show_default=True, type=click.IntRange(2, 100000),
              help="Replications per scenario (the same seeds for every scenario).")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/compare-DATE-TIME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
@_resume_option
@_scheduler_option
def compare(scenario_files: tuple[Path, ...], replications: int, seed: int, years: float, out: Path | None,
            workers: int | None, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Compare scenarios with common random numbers: each outcome per scenario, and its paired
    difference to the first scenario with a 95% confidence interval."""
    loaded = [_load(path) for path in scenario_files]
    names = [path.stem for path in scenario_files]
    for later, name in enumerate(names):
        if name in names[:later]:
            _fail(f"{scenario_files[names.index(name)]} and {scenario_files[later]}: two scenario files have "
                  f"the same name {name!r}; results are labelled by file name, so rename one")
    from sim.experiments.replication_journal import ReplicationJournal
    from sim.results.run_folder import parameters_as_dict

    request = {"scenarios": [{"name": name, "text": scenario.text,
                              "parameters": parameters_as_dict(scenario.parameters)}
                             for name, scenario in zip(names, loaded, strict=True)],
               "replications": replications, "seed": seed, "years": years}
    work = _work_folder(out, "compare", request, resume, overwrite)
    requested = out
    out, unique = _new_result_folder(out, "compare", overwrite)

    from sim.experiments.compare import KEY_OUTCOMES, comparison_rows, run_scenarios
    from sim.results.resume_folders import remove_work_folders
    from sim.results.run_folder import OutputError, write_comparison_folder

    n_workers = _workers_or_cluster(workers, replications, scheduler)
    total = replications * len(loaded)
    click.echo(f"Comparing {len(loaded)} scenarios, {replications} replications each, seed {seed}, "
               f"{_where(n_workers, scheduler)}")
    started = time.perf_counter()
    pairs = [(name, scenario.parameters) for name, scenario in zip(names, loaded, strict=True)]
    with (_simulation_guard(_resume_hint(requested)), _executor(n_workers, scheduler) as executor,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        runs = run_scenarios(pairs, replications, seed, years, executor, lambda _: bar.update(1),
                             ReplicationJournal(work / "replications") if work else None)
    wall = time.perf_counter() - started
    rows = comparison_rows(runs)

    def draw(folder: Path) -> None:
        from sim.presentation.charts.compare_charts import draw_comparison_charts

        draw_comparison_charts(folder)

    specs = [{"name": name, "file": str(path), "title": scenario.title, "text": scenario.text}
             for name, path, scenario in zip(names, scenario_files, loaded, strict=True)]
    try:
        with _simulation_guard():  # Ctrl-C while writing: the staging folder is removed
            folder = write_comparison_folder(out, runs=runs, scenarios=specs, rows=rows,
                                             replications=replications, years=years, base_seed=seed,
                                             wall_seconds=wall, overwrite=overwrite, draw_charts=draw,
                                             unique=unique)
    except OutputError as error:
        _forget_work_if_kept(requested, error)
        _fail(str(error))
    if requested is not None:
        remove_work_folders(requested)
    by_key = {(row["outcome"], row["scenario"]): row for row in rows}
    click.echo(f"\n{'outcome':<38} {'scenario':<28} {'mean':>10} {'difference to ' + names[0]:>36}")
    for outcome in KEY_OUTCOMES:
        for name in names:
            row = by_key[(outcome, name)]
            digits = 1 if abs(row["mean"]) >= 10 else 3
            change = "" if name == names[0] else (
                f"{row['difference']:+,.{digits}f} [{row['difference_ci_low']:+,.{digits}f}, "
                f"{row['difference_ci_high']:+,.{digits}f}]")
            click.echo(f"{outcome:<38} {name[:28]:<28} {row['mean']:>10,.{digits}f} {change:>36}")
    click.echo(f"\nWall time {wall:.1f} s. Results in {folder}")


@main.command()
@click.argument("sweep_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/SWEEP-NAME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted sweep in --out, skipping finished runs.")
@_scheduler_option
def sweep(sweep_file: Path, out: Path | None, workers: int | None, resume: bool,
          scheduler: str | None) -> None:
    """Run a sweep file: a design over levers and uncertainties, every run written as it finishes."""
    from sim.experiments.sweep import load_sweep
    from sim.inputs.scenario import ScenarioError

    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as error:
        _fail(str(error))
    out = out or DEFAULT_OUTPUT_FOLDER / sweep_file.stem
    started_file = out / "sweep.json"
    if out.exists() and any(out.iterdir()) and not resume:
        _fail(f"{out}: a sweep result already exists here; add --resume to continue it, or choose "
              "another --out")
    if resume:
        _check_resumable(out, "sweep", "sweep.json")
    if resume and started_file.exists() and _sweep_fingerprint(started_file) != spec.fingerprint:
        _fail(f"{out}: was started from a different sweep file (or its base scenario has changed since); "
              "resume it with the same files, or choose another --out")
    _check_writable(out)
    try:
        with _simulation_guard(f"finished runs are saved in {out}; continue with --resume"):
            _run_sweep(spec, sweep_file, out, workers, scheduler)
    except OSError as error:
        _fail(f"{out}: writing the sweep failed ({error.strerror or error}); every run finished so far is "
              "saved in runs.jsonl: make room and continue with --resume")


def _check_resumable(out: Path, kind: str, started_file: str) -> None:
    """Fail unless `out` can hold a resumed `kind`: nothing yet, or a folder that the same kind of
    command started (its `started_file`) and no result of another kind."""
    from sim.results.run_folder import result_kind

    if out.is_symlink() or (out.exists() and not out.is_dir()):
        _fail(f"{out}: is not a folder, so a {kind} cannot be resumed there; choose another --out")
    if not out.exists() or not any(out.iterdir()):
        return
    found = result_kind(out)
    if (found is not None and found != kind) or not (out / started_file).is_file():
        what = f"a {found} result" if found else f"not a {kind} folder (no {started_file})"
        _fail(f"{out}: is {what}, so --resume will not write a {kind} into it; choose another --out")


def _sweep_fingerprint(started_file: Path) -> str | None:
    """The fingerprint of the sweep file a sweep folder was started from (None if unreadable)."""
    import json

    try:
        return json.loads(started_file.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def _run_sweep(spec, sweep_file: Path, out: Path, workers: int | None, scheduler: str | None) -> None:
    from sim.experiments.sweep import design_points
    from sim.results.sweep_folder import write_sweep_folder

    total = len(design_points(spec)) * spec.replications
    n_workers = _workers_or_cluster(workers, total, scheduler)
    click.echo(f"Sweep {spec.title!r}: {total} runs ({spec.design}), {_where(n_workers, scheduler)}")
    with (_executor(n_workers, scheduler) as executor,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        # written once the runs have somewhere to go (a cluster that does not answer leaves nothing)
        manifest = write_sweep_folder(spec, sweep_file, out, executor, lambda count, _: bar.update(count),
                                      _draw_sweep)
    click.echo(f"{manifest['runs']} runs in {out} (experiments.csv, outcomes.csv, charts/)")


def _draw_sweep(folder: Path) -> None:
    from sim.presentation.charts.sweep_charts import draw_sweep_charts

    draw_sweep_charts(folder)


@main.command()
@click.argument("result_folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
def rerun(result_folder: Path, workers: int | None) -> None:
    """Check RESULT_FOLDER (any kind of result) against its sealed manifest, make it again from the
    manifest alone, and check that every table and chart is identical."""
    import tempfile

    from sim.results.reproduction import (
        code_change,
        file_differences,
        manifest_differences,
        manifest_problems,
    )
    from sim.results.run_folder import OutputError, read_manifest

    try:
        manifest = read_manifest(result_folder)
    except OutputError as error:
        _fail(str(error))
    kind = manifest.get("kind")
    if kind not in _RERUNS:
        _fail(f"{result_folder}: rerun reproduces {', '.join(_RERUNS)} results; this is a {kind!r} result")
    problems = manifest_problems(result_folder, manifest)
    if problems:
        for problem in problems:
            click.echo(f"Manifest check: {problem}", err=True)
        click.echo(f"Not reproducible as recorded: {result_folder} does not match its own manifest; "
                   "nothing was run.", err=True)
        sys.exit(1)
    if "seal" not in manifest:
        click.echo("Note: the manifest has no seal (written before Amparo sealed results); edits to it "
                   "cannot be detected, only differences after running.", err=True)
    change = code_change(manifest)
    click.echo(f"Code: {change}." if change else f"Code: the same as when the result was made (commit "
               f"{manifest.get('git_commit')}).")
    click.echo(f"Rerunning the {kind} in {result_folder}")
    with tempfile.TemporaryDirectory() as scratch:
        again = Path(scratch) / "again"
        with _simulation_guard(), _executor(_workers(workers, _tasks_of(manifest))) as executor:
            _RERUNS[kind](result_folder, manifest, again, Path(scratch), executor)
        differing, same_pixels = file_differences(result_folder, again, manifest)
        described = manifest_differences(manifest, read_manifest(again))
    for name in same_pixels:
        click.echo(f"  {name}: the bytes differ but every pixel is identical", err=True)
    if differing or described:
        shown = differing + [f"manifest key {key}" for key in described]
        click.echo(f"Not reproduced: {', '.join(shown)} differ from {result_folder}"
                   + (f" ({change})" if change else ""), err=True)
        sys.exit(1)
    click.echo(f"Reproduced bit for bit: every table and chart ({len(manifest.get('files', {}))} files) is "
               "identical.")


def _tasks_of(manifest: dict) -> int:
    return int(manifest.get("replications") or manifest.get("runs") or 1)


def _rerun_run(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from sim.presentation.charts.run_charts import draw_run_charts
    from sim.results.reproduction import rerun_run

    rerun_run(manifest, target, executor, draw_run_charts)


def _rerun_comparison(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from sim.presentation.charts.compare_charts import draw_comparison_charts
    from sim.results.reproduction import rerun_comparison

    rerun_comparison(manifest, target, executor, draw_comparison_charts)


def _rerun_sizing(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from sim.presentation.charts.sizing_charts import draw_sizing_charts
    from sim.results.reproduction import rerun_sizing

    rerun_sizing(manifest, target, executor, draw_sizing_charts)


def _rerun_sweep(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from sim.results.reproduction import rerun_sweep

    rerun_sweep(manifest, target, executor, _draw_sweep)


def _rerun_sensitivity(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from calibration.charts import draw_sensitivity_charts
    from calibration.sensitivity import rerun_sensitivity

    rerun_sensitivity(manifest, target, scratch, executor, draw_sensitivity_charts)


def _rerun_calibration(original: Path, manifest: dict, target: Path, scratch: Path, executor) -> None:
    from calibration.charts import draw_calibration_charts
    from calibration.run import rerun_calibration

    rerun_calibration(original, manifest, target, executor, draw_calibration_charts)


_RERUNS = {"run": _rerun_run, "compare": _rerun_comparison, "sweep": _rerun_sweep, "sizing": _rerun_sizing,
           "sensitivity": _rerun_sensitivity, "calibration": _rerun_calibration}


#: What `amparo explore` needs beyond the core install, and how to get it.
EXPLORE_INSTALL = ("pip install -c requirements.lock -e '.[explore]' (in this project: "
                   ".venv/bin/pip install -c requirements.lock -e '.[explore]')")


@main.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path, dir_okay=False),
                default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the page on this computer (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default serves this computer only.")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Seed of the explored run; Reset keeps it, so the same children arrive.")
def explore(scenario: Path, port: int, host: str, seed: int) -> None:
    """Serve an interactive page on localhost: sliders for SCENARIO's levers and main uncertainties
    (default: the 2008 baseline), play / step / reset, and live charts of stages and occupancy."""
    import importlib.util
    import subprocess

    loaded = _load(scenario)
    missing = [name for name in ("solara", "solara_assets") if importlib.util.find_spec(name) is None]
    if missing:
        _fail(f"amparo explore needs the optional explorer packages ({', '.join(missing)} not installed); "
              f"install them with: {EXPLORE_INSTALL}")
    # the page runs offline: no usage telemetry, no check for a newer solara
    environment = {**os.environ, "AMPARO_EXPLORE_SCENARIO": str(scenario.resolve()),
                   "AMPARO_EXPLORE_SEED": str(seed), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    command = [sys.executable, "-m", "solara", "run", "sim.presentation.explorer_app", "--host", host,
               "--port", str(port),
               "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    shown_port = port or "a free port"
    click.echo(f"Exploring {loaded.title!r} at http://{host}:{shown_port}/ (seed {seed}); Ctrl-C stops it.")
    try:
        completed = subprocess.run(command, env=environment, cwd=HERE, check=False)
    except KeyboardInterrupt:
        click.echo("\nExplorer stopped.", err=True)
        return
    if completed.returncode not in (0, -2, 130):
        _fail(f"the explorer's server stopped with exit code {completed.returncode}")


@main.command()
@click.argument("result_folders", nargs=-1, required=True, metavar="RESULT_DIR...",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file (default: outputs/report-DATE-TIME.html); the Markdown version and its "
                   "images are written next to it.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report.")
def report(result_folders: tuple[Path, ...], out: Path | None, overwrite: bool) -> None:
    """Turn result folders of run, compare, sweep (and any other kind) into one self-contained HTML
    brief, with images embedded so it opens offline, plus a Markdown version."""
    from sim.presentation.report import ReportError, write_report

    if out is None:
        out = DEFAULT_OUTPUT_FOLDER / f"report-{datetime.now().strftime('%Y%m%d-%H%M%S')}.html"
    if out.suffix.lower() not in (".html", ".htm"):
        _fail(f"{out}: --out names the HTML file and must end in .html")
    try:
        html_file, markdown_file, image_folder = write_report(list(result_folders), out, overwrite)
    except ReportError as error:
        _fail(str(error))
    click.echo(f"Report of {len(result_folders)} result(s): {html_file} (self-contained; attach it to an "
               f"email) and {markdown_file} (images in {image_folder})")



@main.command()
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
@_scheduler_option
def calibrate(budget: int, generations: int, years: float, replications: int, check_years: float, seed: int,
              base_file: Path, out: Path | None, workers: int | None, resume: bool,
              scheduler: str | None) -> None:
    """Calibrate the free parameters (calibration/free_parameters.toml) to the figures in
    calibration/targets.toml by ABC-PMC, and write the posterior, the calibrated scenario file,
    the fit and held-out validation tables and a report with charts."""
    from sim.inputs.scenario import ScenarioError

    loaded = _load(base_file)
    out = out or DEFAULT_OUTPUT_FOLDER / "calibration"
    if out.exists() and not resume:
        _fail(f"{out}: a calibration already exists here; add --resume to continue it, or choose another "
              "--out")
    if resume:
        _check_resumable(out, "calibration", "calibration.json")
    if budget < 2 * generations:
        _fail(f"--budget {budget}: needs at least 2 simulations per generation ({2 * generations})")
    _check_writable(out)

    from calibration.fit import Settings
    from calibration.run import CalibrationMismatch, begin, run_calibration, start_record
    from calibration.targets import load_free_parameters, load_ledger
    from calibration.validation import CheckSettings

    try:
        targets, validation, conflicts = load_ledger()
        free = load_free_parameters()
    except ScenarioError as error:
        _fail(str(error))
    settings = Settings(budget=budget, generations=generations, seed=seed, years=years)
    checks = CheckSettings(replications=replications, years=check_years)
    record = start_record(str(base_file), settings, checks, free, targets, loaded.parameters)
    try:
        begin(out, record, resume)
    except CalibrationMismatch as error:
        _fail(str(error))
    total = settings.batch * generations + 2 * replications
    n_workers = _workers_or_cluster(workers, settings.batch, scheduler)
    click.echo(f"Calibrating {len(free)} parameters to {', '.join(t.figure for t in targets)}: {total} "
               f"simulations, {_where(n_workers, scheduler)}")

    def draw(folder: Path) -> None:
        from calibration.charts import draw_calibration_charts

        draw_calibration_charts(folder)

    saved = f"finished simulations are saved in {out}; continue with --resume"
    with (_simulation_guard(saved), _executor(n_workers, scheduler) as executor,
          click.progressbar(length=total, label="Simulations", show_eta=True, file=sys.stderr) as bar):
        manifest = run_calibration(out, loaded.parameters, record, free, targets, validation, conflicts,
                                   settings, checks, executor, n_workers, bar.update, draw)
    click.echo(f"Targets {'all hit' if manifest['all_targets_hit'] else 'NOT all hit'}; held out: "
               + ", ".join(f"{figure} {result}" for figure, result in manifest["validation"].items()))
    click.echo(f"Wall time {manifest['wall_seconds']:.1f} s. Report in {out / 'report.md'}")


@main.command()
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
@_resume_option
@_scheduler_option
def sensitivity(trajectories: int, levels: int, years: float, seed: int, base_file: Path, out: Path | None,
                workers: int | None, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Morris screening of occupancy, waits, detention and detection against the uncertain parameters in
    calibration/uncertain_parameters.toml; writes morris.csv and a chart."""
    from sim.inputs.scenario import ScenarioError

    loaded = _load(base_file)

    from calibration.targets import HERE, load_free_parameters

    try:
        uncertain = load_free_parameters(HERE / "uncertain_parameters.toml")
    except ScenarioError as error:
        _fail(str(error))

    from calibration.sensitivity import morris_design, write_sensitivity_folder
    from sim.results.resume_folders import remove_work_folders
    from sim.results.run_folder import OutputError, parameters_as_dict

    requested = out or DEFAULT_OUTPUT_FOLDER / "sensitivity"  # not stamped: it can be resumed
    asked = {"parameters": parameters_as_dict(loaded.parameters), "uncertain": [vars(p) for p in uncertain],
             "trajectories": trajectories, "levels": levels, "years": years, "seed": seed}
    work = _work_folder(requested, "sensitivity", asked, resume, overwrite)
    out, unique = _new_result_folder(out, "sensitivity", overwrite, stamped=False)
    runs = len(morris_design(uncertain, trajectories, levels, seed))
    n_workers = _workers_or_cluster(workers, runs, scheduler)
    click.echo(f"Morris screening of {len(uncertain)} parameters: {runs} runs of {years:g} year(s), "
               f"{_where(n_workers, scheduler)}")
    started = time.perf_counter()

    def draw(folder: Path) -> None:
        from calibration.charts import draw_sensitivity_charts

        draw_sensitivity_charts(folder)

    try:
        with (_simulation_guard(_resume_hint(requested)), _executor(n_workers, scheduler) as executor,
              click.progressbar(length=runs, label="Runs", show_eta=True, file=sys.stderr) as bar):
            out = write_sensitivity_folder(out, loaded.parameters, str(base_file), uncertain, trajectories,
                                           levels, seed, years, work / "runs.jsonl", executor, bar.update,
                                           draw, overwrite, unique)
    except OutputError as error:
        _forget_work_if_kept(requested, error)
        _fail(str(error))
    remove_work_folders(requested)
    click.echo(f"Wall time {time.perf_counter() - started:.1f} s. Results in {out} (morris.csv, charts/)")


def _parse_lever(spec: str, parameters) -> tuple:
    """A --lever value, NAME or NAME=LOW:HIGH, as (lever, (low, high))."""
    from sim.experiments.sizing import LEVERS, default_range, lever_bounds

    name, _, bounds = spec.partition("=")
    lever = LEVERS.get(name.strip())
    if lever is None:
        _fail(f"--lever {spec}: unknown lever {name!r}; allowed: {', '.join(LEVERS)}")
    if not bounds:
        return lever, default_range(lever, parameters)
    smallest, largest = lever_bounds(lever)
    try:
        low, high = (int(part) for part in bounds.split(":"))
    except ValueError:
        _fail(f"--lever {spec}: the range must be LOW:HIGH, two whole numbers, e.g. {name}=0:400")
    if not smallest <= low < high <= largest:
        _fail(f"--lever {spec}: need {smallest} <= LOW < HIGH <= {largest}, got {low}:{high}")
    return lever, (low, high)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lever", "lever_specs", multiple=True, required=True, metavar="NAME[=LOW:HIGH]",
              help="Capacity to size: officers, shelter_beds, beds_per_shelter, care_unit_places or "
                   "alternative_care_places, with an optional search range (default 0 to 4x the "
                   "scenario's value). Give it twice for the frontier of two levers.")
@click.option("--standard", "standard_name", required=True, metavar="NAME",
              help="Name of a standard in the standards file.")
@click.option("--standards", "standards_file", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_SCENARIO_FOLDER / "standards.toml", show_default="scenarios/standards.toml",
              help="The standards file.")
@click.option("--confidence", default=0.9, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Share of replications in which the standard must hold.")
@click.option("--replications", "-r", default=10, show_default=True, type=click.IntRange(1, 10000),
              help="Replications at each lever value (the same seeds at every value).")
@click.option("--seed", default=2008, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Base seed; replication i uses the same seed at every lever value.")
@click.option("--years", default=1.0, show_default=True, type=click.FloatRange(1 / 365, 100),
              help="Simulated years measured after the warm-up.")
@click.option("--points", default=5, show_default=True, type=click.IntRange(2, 50),
              help="With two levers: values of the first lever, evenly spread over its range.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Result folder (default: outputs/size-SCENARIO-STANDARD-DATE-TIME).")
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
@click.option("--overwrite", is_flag=True, help="Replace an existing result folder.")
@_resume_option
@_scheduler_option
def size(scenario: Path, lever_specs: tuple[str, ...], standard_name: str, standards_file: Path,
         confidence: float, replications: int, seed: int, years: float, points: int, out: Path | None,
         workers: int | None, overwrite: bool, resume: bool, scheduler: str | None) -> None:
    """Find the smallest capacity (officers, beds, places) for which a protection standard holds in
    at least --confidence of the replications; with two levers, the frontier of combinations."""
    from sim.inputs.scenario import ScenarioError
    from sim.inputs.standards import load_standards

    loaded = _load(scenario)
    try:
        standards = load_standards(standards_file)
    except ScenarioError as error:
        _fail(str(error))
    if standard_name not in standards:
        _fail(f"--standard {standard_name}: not in {standards_file}; allowed: {', '.join(standards)}")
    standard = standards[standard_name]
    if len(lever_specs) > 2:
        _fail("--lever: give one lever, or two for a frontier")
    levers = [_parse_lever(spec, loaded.parameters) for spec in lever_specs]
    if len(levers) == 2 and levers[0][0].name == levers[1][0].name:
        _fail("--lever: the two levers must differ")
    from dataclasses import asdict

    from sim.experiments.sizing import OutcomeJournal, frontier_values, size_levers
    from sim.results.run_folder import OutputError, parameters_as_dict

    first_values = frontier_values(*levers[0][1], points) if len(levers) == 2 else None
    asked = {"scenario_text": loaded.text, "parameters": parameters_as_dict(loaded.parameters),
             "levers": [[lv.name, *rg] for lv, rg in levers], "standard": asdict(standard),
             "confidence": confidence, "replications": replications, "seed": seed, "years": years,
             "first_values": first_values}
    work = _work_folder(out, "sizing", asked, resume, overwrite)
    requested = out
    out, unique = _new_result_folder(out, f"size-{scenario.stem}-{standard_name}", overwrite)

    from sim.results.resume_folders import remove_work_folders
    from sim.results.sizing_folder import SizingRequest, summary_lines, write_sizing_folder

    n_workers = _workers_or_cluster(workers, replications, scheduler)
    lever = levers[-1][0]
    click.echo(f"Sizing {lever.label} for {standard.title!r} in {loaded.title!r}: {confidence:.0%} of "
               f"{replications} replication(s) of {years:g} year(s), seed {seed}, "
               f"{_where(n_workers, scheduler)}")

    def report(evaluation) -> None:
        click.echo(f"  {lever.label} {evaluation.value}: standard met in {evaluation.n_met} of "
                   f"{len(evaluation.met)}", err=True)

    def announce(first_value: int) -> None:
        click.echo(f" {levers[0][0].label} = {first_value}", err=True)

    started = time.perf_counter()
    with (_simulation_guard(_resume_hint(requested)), _executor(n_workers, scheduler) as executor,
          OutcomeJournal(work / "runs.jsonl") if work else contextlib.nullcontext() as journal):
        searches, frontier_points = size_levers(loaded.parameters, levers, standard, confidence,
                                                replications, seed, years, executor, first_values, report,
                                                announce, journal)
    wall = time.perf_counter() - started
    request = SizingRequest(
        scenario={"file": str(scenario), "title": loaded.title, "text": loaded.text},
        parameters=loaded.parameters, levers=[lv for lv, _ in levers], ranges=[rg for _, rg in levers],
        standard=standard, standards_file=str(standards_file), confidence=confidence,
        replications=replications, base_seed=seed, years=years)

    def draw(folder: Path) -> None:
        from sim.presentation.charts.sizing_charts import draw_sizing_charts

        draw_sizing_charts(folder)

    try:
        folder = write_sizing_folder(out, request, searches, frontier_points, wall, overwrite, draw, unique)
    except OutputError as error:
        _forget_work_if_kept(requested, error)
        _fail(str(error))
    if requested is not None:
        remove_work_folders(requested)
    click.echo("")
    for line in summary_lines(request, searches, frontier_points):
        click.echo(line)
    click.echo(f"\nWall time {wall:.1f} s. Results in {folder} (chart: {folder / 'charts'})")


def _print_key_figures(results) -> None:
    from sim.analysis.reported_figures import KEY_OUTCOMES, REPORTED
    from sim.analysis.summary import mean_and_interval

    click.echo(f"\n{'outcome':<44} {'mean':>11} {'95% interval':>23} {'reported':>10}")
    for name in KEY_OUTCOMES:
        mean, low, high = mean_and_interval([r.outcomes[name] for r in results])
        reported = REPORTED.get(name)
        shown = f"{reported.value:,.0f} {reported.figure}" if reported else ""
        digits = 1 if abs(mean) >= 10 else 3
        interval = f"[{low:,.{digits}f}, {high:,.{digits}f}]"
        click.echo(f"{name:<44} {mean:>11,.{digits}f} {interval:>23} {shown:>10}")
    click.echo("")


if __name__ == "__main__":
    main()
