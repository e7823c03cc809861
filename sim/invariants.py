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
    ids = np.sort(children["child_id"])  # sorting needs far less memory than np.unique's hashing
    if np.any(ids[1:] == ids[:-1]):
        problems.append("a child has more than one record")

    departed, apprehended, exited = (children["departed_at"], children["apprehended_at"],
                                     children["exited_at"])
    if any_earlier(apprehended, departed):
        problems.append("a child was apprehended before departing")
    # the later of departure and handover or apprehension (NaN: not yet) is when the child arrived
    if any_earlier(exited, departed, apprehended):
        problems.append("a child exited before arriving")

    requested, started, ended = visits["requested_at"], visits["started_at"], visits["ended_at"]
    if any_earlier(started, requested) or any_earlier(ended, started):
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


def any_earlier(times: np.ndarray, *than: np.ndarray, block: int = 65_536) -> bool:
    """Whether any of `times` is earlier, beyond rounding, than the latest of the matching values of
    `than` (NaN values are ignored; a NaN time is never earlier). Compared block by block, so a
    long run's tables need no full-size temporaries."""
    for start in range(0, times.size, block):
        rows = slice(start, start + block)
        bound = than[0][rows]
        for other in than[1:]:
            bound = np.fmax(bound, other[rows])
        if np.any(times[rows] < bound - TOLERANCE):
            return True
    return False


def peak_concurrent(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals [start, end) open at once (an end NaN is still open)."""
    if starts.size == 0:
        return 0
    starts = np.sort(starts)
    ends = np.where(np.isnan(ends), np.inf, ends)
    ends.sort()
    # open just after the i-th admission: i + 1 admitted, minus those released by then (at equal
    # times releases come first)
    open_places = np.searchsorted(ends, starts, side="right")
    np.subtract(np.arange(1, starts.size + 1), open_places, out=open_places)
    return int(open_places.max())
