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
    from sim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(str(error))


def _check_writable(folder: Path) -> None:
    """Fail before any work if results cannot be written under `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".amparo-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        _fail(f"{folder}: cannot write results here ({error.strerror}); choose another --out")


def _workers(requested: int | None, tasks: int) -> int:
    return max(1, min(requested or os.cpu_count() or 1, tasks))


@contextlib.contextmanager
def _executor(n_workers: int):
    """A process pool for more than one worker, else None (run in this process)."""
    if n_workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(n_workers) as executor:
            yield executor
    else:
        yield None


@contextlib.contextmanager
def _simulation_guard(after_interrupt: str = "no result was written"):
    """Turn a broken model invariant or Ctrl-C into one clear message and exit code."""
    from sim.invariants import InvariantViolation

    try:
        yield
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
    from sim.scenario import ScenarioError, list_scenarios

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
def run(scenario: Path, replications: int, seed: int, years: float, out: Path | None,
        workers: int | None, records: int, overwrite: bool) -> None:
    """Run SCENARIO (a .toml file) and write its folder of tables and charts."""
    loaded = _load(scenario)
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = DEFAULT_OUTPUT_FOLDER / f"{scenario.stem}-{stamp}"
    if out.exists() and not overwrite:
        _fail(f"{out}: a result already exists here; choose another --out or add --overwrite")
    _check_writable(out.parent)

    from sim.experiment import run_replications
    from sim.run_folder import OutputError, write_run_folder

    n_workers = _workers(workers, replications)
    click.echo(f"Running {loaded.title!r}: {replications} replication(s) of {years:g} year(s), "
               f"seed {seed}, {n_workers} worker(s)")
    started = time.perf_counter()
    with (_simulation_guard(), _executor(n_workers) as executor,
          click.progressbar(length=replications, label="Replications", show_eta=True,
                            file=sys.stderr) as bar):
        results = run_replications(loaded.parameters, replications, seed, years, executor,
                                   keep_tables=True, on_done=lambda _: bar.update(1))
    wall = time.perf_counter() - started

    def draw(folder: Path) -> None:
        from sim.charts.run_charts import draw_run_charts

        draw_run_charts(folder)

    scenario_record = {"file": str(scenario), "title": loaded.title, "description": loaded.description,
                       "text": loaded.text}
    try:
        folder = write_run_folder(out, scenario=scenario_record, parameters=loaded.parameters,
                                  results=results, years=years, base_seed=seed, wall_seconds=wall,
                                  records_replications=records, overwrite=overwrite, draw_charts=draw)
    except OutputError as error:
        _fail(str(error))
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
def compare(scenario_files: tuple[Path, ...], replications: int, seed: int, years: float, out: Path | None,
            workers: int | None, overwrite: bool) -> None:
    """Compare scenarios with common random numbers: each outcome per scenario, and its paired
    difference to the first scenario with a 95% confidence interval."""
    loaded = [_load(path) for path in scenario_files]
    names = [path.stem for path in scenario_files]
    if len(set(names)) != len(names):
        _fail("two scenario files have the same name; compare distinct scenarios")
    if out is None:
        out = DEFAULT_OUTPUT_FOLDER / f"compare-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    if out.exists() and not overwrite:
        _fail(f"{out}: a result already exists here; choose another --out or add --overwrite")
    _check_writable(out.parent)

    from sim.compare import KEY_OUTCOMES, comparison_rows, run_scenarios
    from sim.run_folder import OutputError, write_comparison_folder

    n_workers = _workers(workers, replications)
    total = replications * len(loaded)
    click.echo(f"Comparing {len(loaded)} scenarios, {replications} replications each, seed {seed}, "
               f"{n_workers} worker(s)")
    started = time.perf_counter()
    pairs = [(name, scenario.parameters) for name, scenario in zip(names, loaded, strict=True)]
    with (_simulation_guard(), _executor(n_workers) as executor,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        runs = run_scenarios(pairs, replications, seed, years, executor, lambda _: bar.update(1))
    wall = time.perf_counter() - started
    rows = comparison_rows(runs)

    def draw(folder: Path) -> None:
        from sim.charts.compare_charts import draw_comparison_charts

        draw_comparison_charts(folder)

    specs = [{"name": name, "file": str(path), "title": scenario.title, "text": scenario.text}
             for name, path, scenario in zip(names, scenario_files, loaded, strict=True)]
    try:
        folder = write_comparison_folder(out, runs=runs, scenarios=specs, rows=rows,
                                         replications=replications, years=years, base_seed=seed,
                                         wall_seconds=wall, overwrite=overwrite, draw_charts=draw)
    except OutputError as error:
        _fail(str(error))
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
def sweep(sweep_file: Path, out: Path | None, workers: int | None, resume: bool) -> None:
    """Run a sweep file: a design over levers and uncertainties, every run written as it finishes."""
    from sim.scenario import ScenarioError
    from sim.sweep import load_sweep

    try:
        spec = load_sweep(sweep_file)
    except ScenarioError as error:
        _fail(str(error))
    out = out or DEFAULT_OUTPUT_FOLDER / sweep_file.stem
    started_file = out / "sweep.json"
    if out.exists() and not resume:
        _fail(f"{out}: a sweep result already exists here; add --resume to continue it, or choose "
              "another --out")
    if resume and started_file.exists():
        import json

        if json.loads(started_file.read_text())["fingerprint"] != spec.fingerprint:
            _fail(f"{out}: was started from a different sweep file; resume it with the same file")
    _check_writable(out)

    from sim.run_folder import run_metadata, write_csv, write_json
    from sim.sweep import design_points, run_sweep, tables

    write_json(started_file, {"sweep_file": str(sweep_file), "fingerprint": spec.fingerprint})
    total = len(design_points(spec)) * spec.replications
    n_workers = _workers(workers, total)
    click.echo(f"Sweep {spec.title!r}: {total} runs ({spec.design}), {n_workers} worker(s)")
    started = time.perf_counter()
    saved = f"finished runs are saved in {out}; continue with --resume"
    with (_simulation_guard(saved), _executor(n_workers) as executor,
          click.progressbar(length=total, label="Runs", show_eta=True, file=sys.stderr) as bar):
        runs = run_sweep(spec, out, executor, lambda count, _: bar.update(count))
    experiments, outcomes = tables(spec, runs)
    for name, table in (("experiments.csv", experiments), ("outcomes.csv", outcomes)):
        temporary = out / f".{name}.tmp"
        write_csv(temporary, table)
        os.replace(temporary, out / name)
    manifest = {"kind": "sweep", "title": spec.title, "sweep_file": str(sweep_file), "sweep_text": spec.text,
                "base": str(spec.base_file), "design": spec.design, "points": len(design_points(spec)),
                "replications": spec.replications, "seed": spec.seed, "years": spec.years,
                "varied": [d.name for d in spec.dimensions], "runs": len(runs),
                "wall_seconds_this_session": round(time.perf_counter() - started, 3), **run_metadata()}
    from sim.charts.sweep_charts import draw_sweep_charts

    write_json(out / "manifest.json", {**manifest, "complete": False})
    draw_sweep_charts(out)
    write_json(out / "manifest.json", {**manifest, "complete": True})
    click.echo(f"{len(runs)} runs in {out} (experiments.csv, outcomes.csv, charts/)")


@main.command()
@click.argument("result_folder", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--workers", "-w", type=click.IntRange(1, 1024), help="Worker processes (default: all cores).")
def rerun(result_folder: Path, workers: int | None) -> None:
    """Run again what produced RESULT_FOLDER (a run folder) and check the tables are identical."""
    import tempfile

    from sim.experiment import run_replications
    from sim.run_folder import (
        OutputError,
        differing_tables,
        parameters_from_manifest,
        read_manifest,
        write_run_folder,
    )

    try:
        manifest = read_manifest(result_folder)
    except OutputError as error:
        _fail(str(error))
    if manifest.get("kind") != "run":
        _fail(f"{result_folder}: rerun reproduces run folders; this is a {manifest.get('kind')!r} result")
    parameters = parameters_from_manifest(manifest)
    replications, years, seed = manifest["replications"], manifest["years"], manifest["base_seed"]
    n_workers = _workers(workers, replications)
    click.echo(f"Rerunning {manifest['scenario']['title']!r}: {replications} replication(s), seed {seed}, "
               f"code then {manifest['git_commit']}")
    started = time.perf_counter()
    with _simulation_guard(), _executor(n_workers) as executor:
        results = run_replications(parameters, replications, seed, years, executor)
    with tempfile.TemporaryDirectory() as scratch:
        again = write_run_folder(Path(scratch) / "again", scenario=manifest["scenario"],
                                 parameters=parameters, results=results, years=years, base_seed=seed,
                                 wall_seconds=time.perf_counter() - started,
                                 records_replications=manifest["records_replications"])
        differing = differing_tables(result_folder, again)
    if differing:
        click.echo(f"Not reproduced: {', '.join(differing)} differ from {result_folder}", err=True)
        sys.exit(1)
    click.echo("Reproduced bit for bit: every table is identical.")


def _parse_lever(spec: str, parameters) -> tuple:
    """A --lever value, NAME or NAME=LOW:HIGH, as (lever, (low, high))."""
    from sim.sizing import LEVERS, default_range, lever_bounds

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
def size(scenario: Path, lever_specs: tuple[str, ...], standard_name: str, standards_file: Path,
         confidence: float, replications: int, seed: int, years: float, points: int, out: Path | None,
         workers: int | None, overwrite: bool) -> None:
    """Find the smallest capacity (officers, beds, places) for which a protection standard holds in
    at least --confidence of the replications; with two levers, the frontier of combinations."""
    from sim.scenario import ScenarioError
    from sim.standards import load_standards

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
    if out is None:
        out = DEFAULT_OUTPUT_FOLDER / f"size-{scenario.stem}-{standard_name}-{datetime.now():%Y%m%d-%H%M%S}"
    if out.exists() and not overwrite:
        _fail(f"{out}: a result already exists here; choose another --out or add --overwrite")
    _check_writable(out.parent)

    from sim.run_folder import OutputError
    from sim.sizing import find_minimum, frontier, model_evaluator
    from sim.sizing_folder import SizingRequest, summary_lines, write_sizing_folder

    n_workers = _workers(workers, replications)
    lever, (low, high) = levers[-1]
    click.echo(f"Sizing {lever.label} for {standard.title!r} in {loaded.title!r}: {confidence:.0%} of "
               f"{replications} replication(s) of {years:g} year(s), seed {seed}, {n_workers} worker(s)")

    def report(evaluation) -> None:
        click.echo(f"  {lever.label} {evaluation.value}: standard met in {evaluation.n_met} of "
                   f"{len(evaluation.met)}", err=True)

    started = time.perf_counter()
    frontier_points = []
    with _simulation_guard(), _executor(n_workers) as executor:
        def evaluator(parameters):
            return model_evaluator(parameters, lever, standard, replications, seed, years, executor, report)

        if len(levers) == 1:
            start = lever.current(loaded.parameters)
            searches = [find_minimum(evaluator(loaded.parameters), low, high, start, confidence)]
        else:
            first, (first_low, first_high) = levers[0]
            values = sorted({round(first_low + i * (first_high - first_low) / (points - 1))
                             for i in range(points)})

            def second_evaluator(first_value: int):
                click.echo(f" {first.label} = {first_value}", err=True)
                return evaluator(first.apply(loaded.parameters, first_value))

            frontier_points = frontier(second_evaluator, values, low, high, lever.current(loaded.parameters),
                                       confidence)
            searches = [point.search for point in frontier_points]
    wall = time.perf_counter() - started
    request = SizingRequest(
        scenario={"file": str(scenario), "title": loaded.title, "text": loaded.text},
        parameters=loaded.parameters, levers=[lv for lv, _ in levers], ranges=[rg for _, rg in levers],
        standard=standard, standards_file=str(standards_file), confidence=confidence,
        replications=replications, base_seed=seed, years=years)

    def draw(folder: Path) -> None:
        from sim.charts.sizing_charts import draw_sizing_charts

        draw_sizing_charts(folder)

    try:
        folder = write_sizing_folder(out, request, searches, frontier_points, wall, overwrite, draw)
    except OutputError as error:
        _fail(str(error))
    click.echo("")
    for line in summary_lines(request, searches, frontier_points):
        click.echo(line)
    click.echo(f"\nWall time {wall:.1f} s. Results in {folder} (chart: {folder / 'charts'})")


def _print_key_figures(results) -> None:
    from sim.reported_figures import KEY_OUTCOMES, REPORTED
    from sim.summary import mean_and_interval

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
