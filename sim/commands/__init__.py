"""Amparo's command line, one module per command; `main` is the click group they belong to.

The top layer: it parses options, calls the experiments and result writers, and reports. Heavy
libraries are imported inside the commands, so `amparo --help` answers at once.
"""

from __future__ import annotations

import click

from sim.commands.calibrate import calibrate
from sim.commands.common import EXIT_INTERNAL_ERROR
from sim.commands.compare import compare
from sim.commands.explore import explore
from sim.commands.report import report
from sim.commands.rerun import rerun
from sim.commands.run import run
from sim.commands.scenarios import scenarios
from sim.commands.sensitivity import sensitivity
from sim.commands.signals import EXIT_INTERRUPTED, EXIT_TERMINATED, AmparoGroup
from sim.commands.size import size
from sim.commands.sweep import sweep

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "main"]


@click.group(cls=AmparoGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="amparo")
def main() -> None:
    """Amparo: children migrating through origin, transit and borders, and the capacity that
    protects them. Run a scenario, list scenarios, and more: see each command's --help."""


for command in (scenarios, run, compare, sweep, rerun, explore, report, calibrate, sensitivity, size):
    main.add_command(command)
