"""`amparo scenarios`: list the scenario files of a folder with their descriptions."""

from __future__ import annotations

from pathlib import Path

import click

from sim.commands.common import DEFAULT_SCENARIO_FOLDER, fail


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False),
                default=DEFAULT_SCENARIO_FOLDER)
def scenarios(folder: Path) -> None:
    """List the scenario files in FOLDER (default: the shipped scenarios) with their descriptions."""
    from sim.inputs.regular_file import path_problem
    from sim.inputs.scenario import ScenarioError, list_scenarios

    if path_problem(folder) or not folder.is_dir():
        fail(f"{folder}: no such folder")
    try:
        found = list_scenarios(folder)
    except ScenarioError as error:
        fail(str(error))
    if not found:
        click.echo(f"No scenario files in {folder}")
        return
    width = max(len(path.name) for path, _, _ in found)
    for path, title, summary in found:
        click.echo(f"{path.name:<{width}}  {title}")
        if summary:
            click.echo(f"{'':<{width}}  {summary}")
