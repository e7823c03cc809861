"""The options the commands share, written once so that every command spells and defaults them the
same way: --replications/-r (20), --seed (2008), --years (1 simulated year for run, compare and
size), --workers/-w (all cores), --out, --overwrite, --resume, --scheduler, --force.

`FiniteFloatRange` refuses NaN and infinity, which click's own FloatRange lets through (NaN compares
false with both bounds).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

#: Replications of run, compare and size (assumption): with 20, the 95% interval of a mean is about
#: +-0.47 standard deviations of one replication (t at 19 degrees of freedom / sqrt(20)), at a cost
#: of 20 simulated years for each simulated year asked for.
DEFAULT_REPLICATIONS = 20
DEFAULT_SEED = 2008
DEFAULT_YEARS = 1.0
FEWEST_YEARS = 1 / 365  # one simulated day
MOST_YEARS = 100.0
MOST_REPLICATIONS = 100_000
LARGEST_SEED = 2**63 - 1
MOST_WORKERS = 1024


class FiniteFloatRange(click.FloatRange):
    """A float within a range, and never NaN or infinite."""

    name = "finite float range"

    def __init__(self, *args: Any, described: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.described = described

    def _describe_range(self) -> str:
        return self.described or super()._describe_range()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; allowed: {self._describe_range()}", param, ctx)
        return number


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def replications_option(default: int | None = DEFAULT_REPLICATIONS, fewest: int = 1,
                        help: str = "Independent replications (seeds) to run.",
                        shown_default: str | bool = True) -> Decorator:
    """--replications/-r."""
    return click.option("--replications", "-r", default=default, show_default=shown_default,
                        type=click.IntRange(fewest, MOST_REPLICATIONS), help=help)


def seed_option(help: str = "Base seed; replication i uses a seed derived from it.",
                largest: int = LARGEST_SEED, default: int | None = DEFAULT_SEED,
                shown_default: str | bool = True) -> Decorator:
    """--seed."""
    return click.option("--seed", default=default, show_default=shown_default,
                        type=click.IntRange(0, largest), help=help)


def years_option(default: float | None = DEFAULT_YEARS,
                 help: str = "Simulated years measured after the warm-up.", name: str = "--years",
                 shown_default: str | bool = True) -> Decorator:
    """--years (or another option of simulated years), a finite number from one day to 100 years."""
    return click.option(name, default=default, show_default=shown_default,
                        type=FiniteFloatRange(FEWEST_YEARS, MOST_YEARS, described="1/365<=x<=100"),
                        help=help)


def workers_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--workers/-w."""
    return click.option("--workers", "-w", type=click.IntRange(1, MOST_WORKERS),
                        help="Worker processes (default: all cores). Results do not depend on it.")(command)


def out_option(default_name: str) -> Decorator:
    """--out: the result folder."""
    return click.option("--out", type=click.Path(path_type=Path, file_okay=False),
                        help=f"Result folder (default: {default_name}).")


def overwrite_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--overwrite: replace an existing Amparo result (never anything else)."""
    return click.option("--overwrite", is_flag=True,
                        help="Replace an existing Amparo result at --out (never other files).")(command)


def resume_option(help: str) -> Decorator:
    """--resume: continue an interrupted command in --out."""
    return click.option("--resume", is_flag=True, help=help)


def force_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--force: run even when the work estimate is above the limit."""
    return click.option("--force", is_flag=True,
                        help="Run even if the work estimate says it takes longer than the limit.")(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json: one JSON summary on stdout for scripts (everything else goes to stderr)."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON summary of the result on stdout (messages go to "
                             "stderr).")(command)


def scheduler_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--scheduler: send the runs to a Dask cluster."""
    return click.option(
        "--scheduler", metavar="tcp://HOST:8786",
        help="Send the runs to the Dask cluster whose scheduler is at this address instead of local "
             "processes (needs the cluster extra; see docs/cluster.md). Results do not depend on it.",
    )(command)



#: Most posterior draws one command takes (each runs every replication).
MOST_POSTERIOR_DRAWS = 10_000


def posterior_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--posterior N and --posterior-file: carry parameter uncertainty into the intervals."""
    command = click.option(
        "--posterior-file", type=click.Path(path_type=Path, dir_okay=False),
        help="The posterior sample (CSV: weight, then one column per calibrated parameter; default "
             "calibration/posterior_2008.csv).")(command)
    return click.option(
        "--posterior", "posterior_draws", type=click.IntRange(2, MOST_POSTERIOR_DRAWS), metavar="N",
        help="Also run N parameter draws from the posterior, each with all the replications, and report "
             "intervals that include parameter uncertainty next to the stochastic-only ones.")(command)
