"""How long a command's runs will take, known before any run starts: children followed a year x
simulated years (the warm-up included) x runs, at a measured cost per child-year, spread over the
worker processes. Above `LIMIT_SECONDS` the command says so and runs only when asked (--force), so
an edited `years` or a mistyped `-r` never occupies a machine for hours (issue 18: a rerun of an
edited manifest ran 45 minutes at 6.6 GB).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sim.model.parameters import DAYS_PER_YEAR, Parameters, children_per_year

#: Seconds of one worker's time per child followed for one simulated year. Measured on the
#: project machine (2 cores shared by several sessions, 2 December 2026) with `run_replication`
#: of one replication: the 2008 baseline costs 0.045-0.046 ms per child-year (0.05 and 0.2 years
#: after a 90-day warm-up), `surge` 0.076-0.095 ms; the dearer, stressed figure rounded up, so the
#: estimate errs on the long side.
SECONDS_PER_CHILD_YEAR = 1.0e-4
#: Seconds each run costs whatever its length (building the model and its streams): assumption, at
#: most about the 1.3 s the surge run spent beyond its per-child cost in the same measurement.
SECONDS_PER_RUN = 0.5
#: Share of the ideal speed-up that extra worker processes give: assumption, after the benchmark
#: target of at least 1.8x for 2 workers (benchmarks/, issue 17).
PARALLEL_EFFICIENCY = 0.9
#: Longest expected time a command starts without --force: half an hour on this machine.
LIMIT_SECONDS = 30 * 60


@dataclass(frozen=True)
class WorkEstimate:
    """The work of a command: its runs, the child-years they simulate, and the expected wall time."""

    runs: int
    child_years: float
    workers: int
    seconds: float

    @property
    def over_limit(self) -> bool:
        return self.seconds > LIMIT_SECONDS

    def describe(self) -> str:
        """The estimate in words, e.g. "40 runs, 2.1 million child-years: about 12 min on 2 workers"."""
        return (f"{self.runs:,} run(s) simulating {self.child_years:,.0f} child-years (children followed a "
                f"year x simulated years with the warm-up x runs): about {duration(self.seconds)} on "
                f"{self.workers} worker(s)")


def run_child_years(parameters: Parameters, years: float) -> float:
    """Child-years one run simulates: the children a year times the measured years and the warm-up."""
    return children_per_year(parameters) * (years + parameters.warmup_days / DAYS_PER_YEAR)


def estimate(runs: Iterable[tuple[Parameters, float, int]], workers: int) -> WorkEstimate:
    """The work of groups of (parameters, simulated years, number of runs), on `workers` processes."""
    total_runs, child_years = 0, 0.0
    for parameters, years, count in runs:
        total_runs += count
        child_years += count * run_child_years(parameters, years)
    busy = max(1, min(workers, total_runs))
    speed_up = 1 + (busy - 1) * PARALLEL_EFFICIENCY
    seconds = (child_years * SECONDS_PER_CHILD_YEAR + total_runs * SECONDS_PER_RUN) / speed_up
    return WorkEstimate(total_runs, child_years, busy, seconds)


def search_evaluations(low: int, high: int) -> int:
    """Lever values a sizing search evaluates at most, about: doubling steps to bracket the answer,
    then bisection, each about log2 of the range."""
    return 2 * math.ceil(math.log2(high - low + 2)) + 1


def duration(seconds: float) -> str:
    """Seconds in words a person reads at a glance: "40 s", "12 min", "3.5 h", "2.0 days"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
