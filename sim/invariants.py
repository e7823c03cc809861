"""Checks every run must pass before its numbers are reported.

A violation is a bug in the model, never a property of the scenario: it stops the run with an
`InvariantViolation` naming what broke, so no table built on a broken run is ever written.
"""

from __future__ import annotations

import numpy as np

from sim.child import Exit, Stage
from sim.model import RESOURCE_NAMES, Table

#: Times may differ by float rounding only.
TOLERANCE = 1e-9
#: Resources a child is in, in person; an officer's case work may outlast the child's stay.
PLACES = ("care_units", "shelters", "migration_stations", "alternative_care")


class InvariantViolation(RuntimeError):
    """The model broke one of its own rules (a bug: please report it with the manifest)."""


def check_invariants(tables: dict[str, Table], capacities: dict[str, int], n_created: int,
                     n_in_system: int, warmup_days: int | None = None) -> None:
    """Raise `InvariantViolation` unless every child is accounted for (every day too, when
    `warmup_days` is given), no capacity was exceeded, no stock is negative and every child's
    times are in order."""
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

    problems += _stock_problems(children, daily, capacities, n_in_system, warmup_days)
    problems += _journey_problems(children, visits, tables.get("stages"))
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


def _stock_problems(children: Table, daily: Table, capacities: dict[str, int], n_in_system: int,
                    warmup_days: int | None) -> list[str]:
    """Children in stages each day equal those departed minus those exited by then; no day has more
    children in a resource than its capacity."""
    problems = []
    if not daily or daily["day"].size == 0:
        return problems
    in_stages = sum(daily[f"n_{stage.name.lower()}"] for stage in Stage if stage is not Stage.EXITED)
    if in_stages[-1] != n_in_system:
        problems.append(f"the last day counts {in_stages[-1]} children in stages but {n_in_system} are in "
                        "the system")
    if warmup_days is not None:
        day_ends = daily["day"] + warmup_days + 1.0  # stocks are recorded at the end of each day
        exited = np.sort(children["exited_at"][~np.isnan(children["exited_at"])])
        expected = (np.searchsorted(np.sort(children["departed_at"]), day_ends)
                    - np.searchsorted(exited, day_ends))
        wrong = np.flatnonzero(in_stages != expected)
        if wrong.size:
            day = int(daily["day"][wrong[0]])
            problems.append(f"children are not conserved: on day {day} the stages hold {in_stages[wrong[0]]} "
                            f"but {expected[wrong[0]]} had departed and not exited")
    for name, capacity in capacities.items():
        column = daily.get(f"n_in_{name}")
        if column is not None and column.size and column.max() > capacity:
            problems.append(f"{name}: {column.max()} children in at the end of a day, capacity {capacity}")
    return problems


def _journey_problems(children: Table, visits: Table, stages: Table | None) -> list[str]:
    """Each child's record, visits and stage entries tell one journey in time order."""
    problems = []
    if np.any((children["exit"] == Exit.NONE) != np.isnan(children["exited_at"])):
        problems.append("a child has an exit time but no way of exiting, or the reverse")
    ids = children["child_id"]
    order = np.argsort(ids, kind="stable")
    position = np.searchsorted(ids, visits["child_id"], sorter=order)
    known = position < ids.size
    known[known] = ids[order[position[known]]] == visits["child_id"][known]
    if not np.all(known):
        problems.append("a visit belongs to a child without a record")
    owner = order[position[known]]
    requested, ended = visits["requested_at"][known], visits["ended_at"][known]
    if np.any(requested < children["departed_at"][owner] - TOLERANCE):
        problems.append("a child asked for a place before departing")
    places = np.isin(visits["resource"][known], [RESOURCE_NAMES.index(name) for name in PLACES])
    exited = children["exited_at"][owner]
    gone = places & ~np.isnan(exited)
    if np.any(np.isnan(ended[gone])) or np.any(ended[gone] > exited[gone] + TOLERANCE):
        problems.append("a child still held a place after exiting")
    if stages is not None and stages["child_id"].size:
        by_child = np.argsort(stages["child_id"], kind="stable")  # keeps each child's entries in order
        same_child = np.diff(stages["child_id"][by_child]) == 0
        if np.any(same_child & (np.diff(stages["entered_at"][by_child]) < -TOLERANCE)):
            problems.append("a child entered a stage before the one it came from")
    return problems
