"""Checks every run must pass before its numbers are reported.

A violation is a bug in the model, never a property of the scenario: it stops the run with an
`InvariantViolation` naming what broke, so no table built on a broken run is ever written.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model.codes import Exit, Stage
from sim.model.records import Table
from sim.model.schema import PLACE_NAMES, RESOURCE_NAMES

#: Times may differ by float rounding only.
TOLERANCE = 1e-9
#: Resources a child is in, in person; an officer's case work may outlast the child's stay.
PLACES = PLACE_NAMES


class InvariantViolation(RuntimeError):
    """The model broke one of its own rules (a bug: please report it with the manifest)."""


def check_invariants(tables: dict[str, Table], capacities: dict[str, int], n_created: int,
                     n_in_system: int, warmup_days: int | None = None,
                     capacity_changes: Sequence[tuple[float, dict[str, int]]] = (),
                     by_place: Sequence[dict[str, list[int]]] = ()) -> None:
    """Raise `InvariantViolation` unless every child is accounted for (every day too, when
    `warmup_days` is given), no capacity was exceeded, no stock is negative and every child's
    times are in order.

    `capacity_changes` are (time, capacities from then on) of a scenario's timeline, after the
    first `capacities`. Then no admission may find the places of the capacity then in force all in
    use, and at the end of a day more children than the capacity may be in a resource only if no
    more were in it the day before (a fall of capacity evicts nobody).

    `by_place`: the places of each northern resource at each repatriation point, for the first
    capacities and then each change (`sim.model.schema.capacities_by_point`). Then those resources
    are checked place by place (the visits carry their `place`): no admission finds its point's
    places all in use. Their national end-of-day stocks are not checked against the national
    capacity: after a fall, one point may admit while another still holds more than its share."""
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
    del ids  # a long run's temporaries are megabytes: each is freed once used

    departed, apprehended, exited = (children["departed_at"], children["apprehended_at"],
                                     children["exited_at"])
    if any_earlier(apprehended, departed):
        problems.append("a child was apprehended before departing")
    # the later of departure and handover or apprehension (NaN: not yet) is when the child arrived
    if any_earlier(exited, departed, apprehended):
        problems.append("a child exited before arriving")

    # a child sent to a station because alternative care was full was detained, or waited with
    # adults in holding for a station place that never came
    diverted = children["diverted_to_detention"] == 1
    if np.any(diverted & (children["detained"] == 0) & (children["held_with_adults"] == 0)):
        problems.append("a child diverted to detention was neither detained nor held with adults")
    del diverted

    requested, started, ended = visits["requested_at"], visits["started_at"], visits["ended_at"]
    if any_earlier(started, requested) or any_earlier(ended, started):
        problems.append("a visit to a resource has its times out of order")

    change_times = np.array([0.0, *(time for time, _ in capacity_changes)])
    at_places = by_place[0] if by_place else {}
    for code, name in enumerate(RESOURCE_NAMES):
        mine = (visits["resource"] == code) & ~np.isnan(started)
        if name in at_places:
            for place in range(len(at_places[name])):
                here = mine & (visits["place"] == place)
                by_phase = np.array([phase[name][place] for phase in by_place])
                problems += _over_capacity(f"{name} at point {place}", started[here], ended[here], by_phase,
                                           change_times)
            continue
        if not capacity_changes:
            peak = peak_concurrent(started[mine], ended[mine])
            if peak > capacities[name]:
                problems.append(f"{name}: {peak} places in use at once, capacity {capacities[name]}")
            continue
        by_phase = np.array([capacities[name], *(changed[name] for _, changed in capacity_changes)])
        problems += _over_capacity(name, started[mine], ended[mine], by_phase, change_times)

    for column, values in daily.items():
        if values.size and values.min() < 0:
            problems.append(f"daily stock {column} went negative")

    national = {name: capacity for name, capacity in capacities.items()
                if not (capacity_changes and name in at_places)}
    problems += _stock_problems(children, daily, national, n_in_system, warmup_days, capacity_changes)
    problems += _journey_problems(children, visits, tables.get("stages"))
    problems += _crossing_problems(children)
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
    return int(open_after_each_admission(starts, ends)[1].max())


def open_after_each_admission(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The starts of intervals [start, end) in order, and how many are open just after each (an end
    NaN is still open)."""
    starts = np.sort(starts)
    ends = np.where(np.isnan(ends), np.inf, ends)
    ends.sort()
    # open just after the i-th admission: i + 1 admitted, minus those released by then (at equal
    # times releases come first)
    open_places = np.searchsorted(ends, starts, side="right")
    np.subtract(np.arange(1, starts.size + 1), open_places, out=open_places)
    return starts, open_places


def _stock_problems(children: Table, daily: Table, capacities: dict[str, int], n_in_system: int,
                    warmup_days: int | None,
                    capacity_changes: Sequence[tuple[float, dict[str, int]]] = ()) -> list[str]:
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
        exited = children["exited_at"][~np.isnan(children["exited_at"])]
        exited.sort()  # in place: the copy above is already this function's own
        expected = (np.searchsorted(np.sort(children["departed_at"]), day_ends)
                    - np.searchsorted(exited, day_ends))
        wrong = np.flatnonzero(in_stages != expected)
        if wrong.size:
            day = int(daily["day"][wrong[0]])
            problems.append(f"children are not conserved: on day {day} the stages hold {in_stages[wrong[0]]} "
                            f"but {expected[wrong[0]]} had departed and not exited")
    for name, capacity in capacities.items():
        column = daily.get(f"n_in_{name}")
        if column is None or not column.size:
            continue
        if not capacity_changes:
            if column.max() > capacity:
                problems.append(f"{name}: {column.max()} children in at the end of a day, "
                                f"capacity {capacity}")
            continue
        if warmup_days is None:
            continue  # the days of the run are not known
        day_starts = daily["day"] + float(warmup_days)
        change_times = np.array([0.0, *(time for time, _ in capacity_changes)])
        by_phase = np.array([capacity, *(changed[name] for _, changed in capacity_changes)])
        allowed = by_phase[np.searchsorted(change_times, day_starts, side="right") - 1]
        allowed = np.maximum(allowed, np.concatenate([[allowed[0]], column[:-1]]))  # nobody evicted
        over = np.flatnonzero(column > allowed)
        if over.size:
            day = int(daily["day"][over[0]])
            problems.append(f"{name}: {column[over[0]]} children in at the end of day {day}, capacity "
                            f"{allowed[over[0]]}")
    return problems


def _journey_problems(children: Table, visits: Table, stages: Table | None,
                     block: int = 65_536) -> list[str]:
    """Each child's record, visits and stage entries tell one journey in time order.

    Visits and stage entries are checked block by block of rows, each looked up in the children
    table by id, so a long run's tables need no full-size sorts or temporaries.
    """
    problems: list[str] = []

    def found(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    if np.any((children["exit"] == Exit.NONE) != np.isnan(children["exited_at"])):
        found("a child has an exit time but no way of exiting, or the reverse")
    row_of = _row_lookup(children["child_id"])
    departed, exited_at = children["departed_at"], children["exited_at"]
    place_codes = [RESOURCE_NAMES.index(name) for name in PLACES]
    for start in range(0, visits["child_id"].size, block):
        rows = slice(start, start + block)
        owner = row_of(visits["child_id"][rows])
        known = owner >= 0
        if not np.all(known):
            found("a visit belongs to a child without a record")
        owner = owner[known]
        requested, ended = visits["requested_at"][rows][known], visits["ended_at"][rows][known]
        if np.any(requested < departed[owner] - TOLERANCE):
            found("a child asked for a place before departing")
        exited = exited_at[owner]
        gone = np.isin(visits["resource"][rows][known], place_codes) & ~np.isnan(exited)
        if np.any(np.isnan(ended[gone])) or np.any(ended[gone] > exited[gone] + TOLERANCE):
            found("a child still held a place after exiting")
    if stages is not None:
        latest = np.full(children["child_id"].size, -np.inf)  # each child's latest entry so far
        for start in range(0, stages["child_id"].size, block):
            rows = slice(start, start + block)
            child = row_of(stages["child_id"][rows])
            entered = stages["entered_at"][rows][child >= 0]
            child = child[child >= 0]
            order = np.argsort(child, kind="stable")  # keeps each child's entries in order
            child, entered = child[order], entered[order]
            same_child = child[1:] == child[:-1]
            first = np.concatenate([[True], ~same_child])
            last = np.concatenate([~same_child, [True]])
            if (np.any(same_child & (np.diff(entered) < -TOLERANCE))
                    or np.any(entered[first] < latest[child[first]] - TOLERANCE)):
                found("a child entered a stage before the one it came from")
            latest[child[last]] = entered[last]
    return problems


#: What a child keeps from one crossing to the next (`sim.model.stages.crossing_again`).
WHO_KEPT = ("first_departed_at", "route", "origin", "age", "girl", "accompanied", "reason", "far_from_border",
            "trafficking_victim", "in_need_of_protection", "harmed_in_transit")


def _crossing_problems(children: Table) -> list[str]:
    """A child's crossings are one child's: a first crossing is its own person; later ones keep who
    the child is, are numbered one after another, and each starts only after the one before ended
    with the child reunified (home)."""
    problems: list[str] = []
    crossing, person, child_id = children["crossing"], children["person_id"], children["child_id"]
    first = crossing == 1
    if (np.any(person[first] != child_id[first]) or np.any(crossing < 1)
            or np.any(children["first_departed_at"][first] != children["departed_at"][first])):
        problems.append("a child's first crossing is not their own person")
    later = np.flatnonzero(~first)
    if not later.size:
        return problems
    order = np.lexsort((crossing, person))
    person_sorted, crossing_sorted = person[order], crossing[order]
    after = np.flatnonzero(crossing_sorted[1:] > 1) + 1  # each later crossing, after its predecessor
    before = after - 1
    if np.any(person_sorted[before] != person_sorted[after]) or np.any(
            crossing_sorted[before] + 1 != crossing_sorted[after]):
        problems.append("a child's crossings are not numbered one after another")
        return problems
    was, now = order[before], order[after]
    if any(np.any(children[name][was] != children[name][now]) for name in WHO_KEPT):
        problems.append("a child is someone else on a later crossing")
    if (np.any(children["exit"][was] != Exit.REUNIFIED)
            or np.any(children["departed_at"][now] < children["exited_at"][was] - TOLERANCE)):
        problems.append("a child crossed again before coming home")
    return problems


def _row_lookup(ids: np.ndarray):
    """A function from child ids to their rows in the children table (-1: no such child): a dense
    table when the ids are compact, as the model makes them, else a search in the sorted ids."""
    if ids.size == 0:
        return lambda query: np.full(query.size, -1, dtype=np.int64)
    low, high = int(ids.min()), int(ids.max())
    if high - low < 4 * ids.size + 1_000_000:
        table = np.full(high - low + 1, -1, dtype=np.int32)  # rows fit: ids are int32 too
        table[ids - low] = np.arange(ids.size, dtype=np.int32)  # no int64 temporaries of the ids

        def dense(query: np.ndarray) -> np.ndarray:
            index = query.astype(np.int64) - low
            inside = (index >= 0) & (index < table.size)
            rows = np.full(query.size, -1, dtype=np.int32)
            rows[inside] = table[index[inside]]
            return rows

        return dense
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]

    def search(query: np.ndarray) -> np.ndarray:
        position = np.minimum(np.searchsorted(sorted_ids, query), ids.size - 1)
        return np.where(sorted_ids[position] == query, order[position], -1)

    return search


def _over_capacity(label: str, started: np.ndarray, ended: np.ndarray, by_phase: np.ndarray,
                   change_times: np.ndarray) -> list[str]:
    """The first admission after which more places are in use than the capacity then in force."""
    admitted_at, open_places = open_after_each_admission(started, ended)
    allowed = by_phase[np.searchsorted(change_times, admitted_at, side="right") - 1]
    over = np.flatnonzero(open_places > allowed)
    if not over.size:
        return []
    first = over[0]
    return [f"{label}: {open_places[first]} places in use after an admission at {admitted_at[first]:.3f}, "
            f"capacity {allowed[first]}"]
