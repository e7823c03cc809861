"""`amparo explore`: the interactive page (Mesa's SolaraViz) served on this computer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sim.commands.common import DEFAULT_SCENARIO_FOLDER, PROJECT_FOLDER, fail, load
from sim.commands.options import seed_option
from sim.commands.signals import exit_interrupted

#: What `amparo explore` needs beyond the core install, and how to get it.
EXPLORE_INSTALL = ("pip install -c requirements.lock -e '.[explore]' (in this project: "
                   ".venv/bin/pip install -c requirements.lock -e '.[explore]')")


@click.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path, dir_okay=False),
                default=DEFAULT_SCENARIO_FOLDER / "baseline_2008.toml")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the page on this computer (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default serves this computer only.")
@seed_option(help="Seed of the explored run; Reset keeps it, so the same children arrive.")
def explore(scenario: Path, port: int, host: str, seed: int) -> None:
    """Serve an interactive page on localhost: sliders for SCENARIO's levers and main uncertainties
    (default: the 2008 baseline), play / step / reset, and live charts of stages and occupancy."""
    import importlib.util
    import subprocess

    from sim.experiments.parent_death import ask_for_signal_at_parent_death

    loaded = load(scenario)
    missing = [name for name in ("solara", "solara_assets") if importlib.util.find_spec(name) is None]
    if missing:
        fail(f"amparo explore needs the optional explorer packages ({', '.join(missing)} not installed); "
             f"install them with: {EXPLORE_INSTALL}")
    # the page runs offline: no usage telemetry, no check for a newer solara; a closed tab's model
    # (which may still be playing) is dropped after two minutes, not solara's default 24 hours
    environment = {**os.environ, "AMPARO_EXPLORE_SCENARIO": str(scenario.resolve()),
                   "AMPARO_EXPLORE_SEED": str(seed), "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                   "SOLARA_KERNEL_CULL_TIMEOUT": "2m"}
    command = [sys.executable, "-m", "solara", "run", "sim.presentation.explorer_app", "--host", host,
               "--port", str(port),
               "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    shown_port = port or "a free port"
    click.echo(f"Exploring {loaded.title!r} at http://{host}:{shown_port}/ (seed {seed}); Ctrl-C stops it.")
    try:
        # the server ends with this command, even if it is killed, so that it never holds the port
        completed = subprocess.run(command, env=environment, cwd=PROJECT_FOLDER, check=False,
                                   preexec_fn=ask_for_signal_at_parent_death)
    except KeyboardInterrupt as interrupt:
        # Ctrl-C or SIGTERM: subprocess.run has stopped the server (killed after a quarter second,
        # so a session still playing cannot keep it alive) before this runs: the port is free
        exit_interrupted(interrupt, "the explorer was stopped")
    if completed.returncode not in (0, -2, 130):
        fail(f"the explorer's server stopped with exit code {completed.returncode}")
