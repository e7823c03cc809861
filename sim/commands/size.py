"""`amparo size`: the smallest capacity for which a protection standard holds, or the frontier of two
capacities."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from sim.commands.common import (
    DEFAULT_SCENARIO_FOLDER,
    RESUME_HELP,
    check_work,
    executor,
    fail,
    load,
    new_result_folder,
    posterior_draws_for,
    result_written,
    resume_hint,
    simulation_guard,
    wall_time_line,
    where,
    work_folder,
    workers_or_cluster,
)
from sim.commands.options import (
    FiniteFloatRange,
    force_option,
    out_option,
    overwrite_option,
    posterior_options,
    replications_option,
    resume_option,
    scheduler_option,
    seed_option,
    workers_option,
    years_option,
)


def parse_lever(spec: str, parameters) -> tuple:
    """A --lever value, NAME or NAME=LOW:HIGH, as (lever, (low, high))."""
    from sim.experiments.sizing import default_range, lever_bounds, sizeable_levers

    name, _, bounds = spec.partition("=")
    levers = sizeable_levers()
    lever = levers.get(name.strip())
    if lever is None:
        fail(f"--lever {spec}: unknown lever {name!r}; allowed: {', '.join(levers)}")
    if not bounds:
        return lever, default_range(lever, parameters)
    smallest, largest = lever_bounds(lever)
    try:
        low, high = (int(part) for part in bounds.split(":"))
    except ValueError:
        fail(f"--lever {spec}: the range must be LOW:HIGH, two whole numbers, e.g. {name}=0:400")
    if not smallest <= low < high <= largest:
        fail(f"--lever {spec}: need {smallest} <= LOW < HIGH <= {largest}, got {low}:{high}")
    return lever, (low, high)


@click.command()
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
@click.option("--confidence", default=0.9, show_default=True, type=FiniteFloatRange(0, 1, min_open=True),
              help="Share of replications in which the standard must hold.")
@replications_option(help="Replications at each lever value (the same seeds at every value).")
@seed_option(help="Base seed; replication i uses the same seed at every lever value.")
@years_option()
@click.option("--points", default=5, show_default=True, type=click.IntRange(2, 50),
              help="With two levers: values of the first lever, evenly spread over its range.")
@out_option("outputs/size-SCENARIO-STANDARD-DATE-TIME")
@workers_option
@overwrite_option
@force_option
@resume_option(RESUME_HELP)
@scheduler_option
@posterior_options
def size(scenario: Path, lever_specs: tuple[str, ...], standard_name: str, standards_file: Path,
         confidence: float, replications: int, seed: int, years: float, points: int, out: Path | None,
         workers: int | None, overwrite: bool, force: bool, resume: bool, scheduler: str | None,
         posterior_draws: int | None, posterior_file: Path | None) -> None:
    """Find the smallest capacity (officers, beds, places) for which a protection standard holds in
    at least --confidence of the replications; with two levers, the frontier of combinations. With
    --posterior N, in at least --confidence of all runs of N posterior draws."""
    from sim.inputs.scenario import ScenarioError
    from sim.inputs.standards import load_standards

    loaded = load(scenario)
    try:
        standards = load_standards(standards_file)
    except ScenarioError as error:
        fail(str(error))
    if standard_name not in standards:
        fail(f"--standard {standard_name}: not in {standards_file}; allowed: {', '.join(standards)}")
    standard = standards[standard_name]
    if len(lever_specs) > 2:
        fail("--lever: give one lever, or two for a frontier")
    levers = [parse_lever(spec, loaded.parameters) for spec in lever_specs]
    if len(levers) == 2 and levers[0][0].name == levers[1][0].name:
        fail("--lever: the two levers must differ")
    drawing = posterior_draws_for(posterior_draws, posterior_file, seed, [(scenario.stem, loaded)])
    n_draws = posterior_draws or 1
    requested = out
    out, unique = new_result_folder(out, f"size-{scenario.stem}-{standard_name}", overwrite)

    from dataclasses import asdict

    from sim.experiments.sizing import OutcomeJournal, frontier_values, size_levers
    from sim.results.run_folder import parameters_as_dict

    first_values = frontier_values(*levers[0][1], points) if len(levers) == 2 else None
    asked = {"scenario_text": loaded.text, "parameters": parameters_as_dict(loaded.parameters),
             "levers": [[lv.name, *rg] for lv, rg in levers], "standard": asdict(standard),
             "confidence": confidence, "replications": replications, "seed": seed, "years": years,
             "first_values": first_values}
    if drawing is not None:
        asked["posterior"] = {"draws": n_draws, "sha256": drawing[0].sha256}
    saved = work_folder(requested, "sizing", asked, resume, overwrite)
    from sim.experiments.work_estimate import estimate, search_evaluations
    from sim.results.run_folder import OutputError
    from sim.results.sizing_folder import SizingRequest, summary_lines, write_sizing_folder

    n_workers = workers_or_cluster(workers, replications * n_draws, scheduler)
    lever, (low, high) = levers[-1]
    evaluations = (points if len(levers) == 2 else 1) * search_evaluations(low, high)
    work = estimate([(loaded.parameters, years, replications * n_draws * evaluations)], n_workers)
    check_work(work, force, scheduler)
    runs = (f"{n_draws} posterior draws x {replications} replication(s)" if drawing is not None
            else f"{replications} replication(s)")
    click.echo(f"Sizing {lever.label} for {standard.title!r} in {loaded.title!r}: {confidence:.0%} of "
               f"{runs} of {years:g} year(s), seed {seed}, {where(n_workers, scheduler)}")
    draws, record = None, None
    if drawing is not None:
        from sim.experiments.posterior_draws import posterior_record

        posterior, drawn, by_scenario = drawing
        draws = [(parameters, draw.base_seed)
                 for parameters, draw in zip(by_scenario[scenario.stem].parameters, drawn, strict=True)]
        record = posterior_record(posterior, drawn, replications, by_scenario)

    def report(evaluation) -> None:
        click.echo(f"  {lever.label} {evaluation.value}: standard met in {evaluation.n_met} of "
                   f"{len(evaluation.met)}", err=True)

    def announce(first_value: int) -> None:
        click.echo(f" {levers[0][0].label} = {first_value}", err=True)

    started = time.perf_counter()
    with (simulation_guard(resume_hint(requested), requested), executor(n_workers, scheduler) as pool,
          OutcomeJournal(saved / "runs.jsonl") if saved else contextlib.nullcontext() as journal):
        searches, frontier_points = size_levers(loaded.parameters, levers, standard, confidence,
                                                replications, seed, years, pool, first_values, report,
                                                announce, journal, draws)
    simulated = time.perf_counter() - started
    click.echo("Writing tables and charts", err=True)
    request = SizingRequest(
        scenario={"file": str(scenario), "title": loaded.title, "text": loaded.text},
        parameters=loaded.parameters, levers=[lv for lv, _ in levers], ranges=[rg for _, rg in levers],
        standard=standard, standards_file=str(standards_file), confidence=confidence,
        replications=replications, base_seed=seed, years=years, posterior=record)

    def draw(folder: Path) -> None:
        from sim.presentation.charts.sizing_charts import draw_sizing_charts

        draw_sizing_charts(folder)

    try:
        with simulation_guard():  # Ctrl-C while writing: the staging folder is removed
            folder = write_sizing_folder(out, request, searches, frontier_points, simulated, overwrite, draw,
                                         unique)
    except OutputError as error:
        result_written(requested, error)
        fail(str(error))
    result_written(requested)
    wall = time.perf_counter() - started
    click.echo("")
    for line in summary_lines(request, searches, frontier_points):
        click.echo(line)
    click.echo(f"\n{wall_time_line(wall, simulated)}. Results in {folder} (chart: {folder / 'charts'})")
