"""Checks every run must pass before its numbers are reported.

A violation is a bug in the model, never a property of the scenario: it stops the run with an
`InvariantViolation` naming what broke, so no table built on a broken run is ever written.
"""

from __future__ import annotations

import numpy as np

from sim.child import Exit
from sim.model import RESOURCE_NAMES, Table

#: Times may differ by float rounding only.
TOLERANCE = 1e-9


class InvariantViolation(RuntimeError):
    """The model broke one of its own rules (a bug: please report it with the manifest)."""


def check_invariants(tables: dict[str, Table], capacities: dict[str, int], n_created: int,
                     n_in_system: int) -> None:
    """Raise `InvariantViolation` unless every child is accounted for, no capacity was exceeded,
    no stock is negative and every child's times are in order."""
    problems: list[str] = []
    children, visits, daily = tables["children"], tables["visits"], tables["daily"]

    n_rows = children["child_id"].size
    still_in = int(np.count_nonzero(children["exit"] == Exit.NONE))
    if n_rows != n_created:
        problems.append(f"{n_created} children were created but {n_rows} have records")
    if still_in != n_in_system:
        problems.append(f"{n_in_system} children are in a stage but {still_in} records say so")
    if np.unique(children["child_id"]).size != n_rows:
        problems.append("a child has more than one record")

    departed, apprehended, exited = (children["departed_at"], children["apprehended_at"],
                                     children["exited_at"])
    if np.any(apprehended < departed - TOLERANCE):
        problems.append("a child was apprehended before departing")
    last_seen = np.where(np.isnan(apprehended), departed, apprehended)
    if np.any(exited < last_seen - TOLERANCE):
        problems.append("a child exited before arriving")

    requested, started, ended = visits["requested_at"], visits["started_at"], visits["ended_at"]
    if np.any(started < requested - TOLERANCE) or np.any(ended < started - TOLERANCE):
        problems.append("a visit to a resource has its times out of order")

    for code, name in enumerate(RESOURCE_NAMES):
        mine = (visits["resource"] == code) & ~np.isnan(started)
        peak = peak_concurrent(started[mine], ended[mine])
        if peak > capacities[name]:
            problems.append(f"{name}: {peak} places in use at once, capacity {capacities[name]}")

    for column, values in daily.items():
        if values.size and values.min() < 0:
            problems.append(f"daily stock {column} went negative")

    if problems:
        raise InvariantViolation("; ".join(problems))


def peak_concurrent(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals [start, end) open at once (an end NaN is still open)."""
    if starts.size == 0:
        return 0
    ends = np.where(np.isnan(ends), np.inf, ends)
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(starts.size, dtype=np.int64), -np.ones(ends.size, dtype=np.int64)])
    order = np.lexsort((steps, times))  # at equal times, releases come before admissions
    return int(np.cumsum(steps[order]).max())
