"""The northern border by place: occupancy against capacity and waits at each repatriation point.

Derived, like every outcome, from the visits table: each visit to a northern resource carries the
point it was at (`place`). One row per point (west to east) and northern resource; the national
figures of `sim.analysis.outcomes` are the sums (stocks) over these rows.
"""

from __future__ import annotations

import numpy as np

from sim.model.codes import Route
from sim.model.parameters import DAYS_PER_YEAR, Parameters
from sim.model.records import Table
from sim.model.schema import NORTH_AT_POINTS, RESOURCE_NAMES, capacities_by_point

#: Columns of the by-place table, in order.
BY_PLACE_COLUMNS = ("point", "order_west_to_east", "resource", "capacity", "mean_n_in", "peak_n_in",
                    "occupancy", "requests", "wait_days_mean", "wait_days_p95", "transferred_in")


def by_place(tables: dict[str, Table], parameters: Parameters, years: float) -> dict[str, list]:
    """The by-place table of one replication over its measured period (see `BY_PLACE_COLUMNS`).

    `mean_n_in`, `peak_n_in`: places held at the end of the average and of the fullest measured day
    (as the national `mean_n_in_*`, `peak_n_in_*` count them, so the means sum to the national one);
    `occupancy`: mean over capacity (NaN without capacity); waits of the requests made in the period that were
    served; `transferred_in`: beds given to children handed back at another point (full shelter
    there)."""
    start = float(parameters.warmup_days)
    end = start + round(years * DAYS_PER_YEAR)
    visits, children = tables["visits"], tables["children"]
    day_ends = start + tables["daily"]["day"].astype(float) + 1.0  # each measured day's end
    capacities = capacities_by_point(parameters)
    names = parameters.geography.names
    point_of_child = _point_of_child(children)
    rows: dict[str, list] = {column: [] for column in BY_PLACE_COLUMNS}
    for resource in NORTH_AT_POINTS:
        code = RESOURCE_NAMES.index(resource)
        of_resource = visits["resource"] == code
        for place, name in enumerate(names):
            mask = of_resource & (visits["place"] == place)
            requested, started = visits["requested_at"][mask], visits["started_at"][mask]
            ended = visits["ended_at"][mask]
            mean, peak = _held(started, ended, day_ends)
            capacity = capacities[resource][place]
            asked = (requested >= start) & (requested < end)
            served = asked & ~np.isnan(started)
            waits = started[served] - requested[served]
            own = point_of_child.get_many(visits["child_id"][mask])
            transferred = np.count_nonzero(served & (own != place) & (own >= 0))
            for column, value in zip(BY_PLACE_COLUMNS, (
                    name, place, resource, capacity, mean, peak,
                    mean / capacity if capacity else float("nan"),
                    int(np.count_nonzero(asked)), float(waits.mean()) if waits.size else 0.0,
                    float(np.percentile(waits, 95)) if waits.size else 0.0, int(transferred)), strict=True):
                rows[column].append(value)
    return rows


def _held(started: np.ndarray, ended: np.ndarray, day_ends: np.ndarray) -> tuple[float, int]:
    """Mean and peak places held at the end of each measured day (`day_ends`: the times), as the
    daily table counts them nationally, by visits held from `started` to `ended` (NaN: never
    started, or still held)."""
    if not day_ends.size:
        return 0.0, 0
    given = ~np.isnan(started)
    began = np.sort(started[given])
    finished = np.sort(np.where(np.isnan(ended[given]), np.inf, ended[given]))
    held = np.searchsorted(began, day_ends, side="left") - np.searchsorted(finished, day_ends, side="left")
    return float(held.mean()), int(held.max())


class _PointOfChild:
    """Each northern child's repatriation point, looked up by child id (-1: unknown or south)."""

    def __init__(self, child_id: np.ndarray, point: np.ndarray) -> None:
        order = np.argsort(child_id)
        self.ids, self.points = child_id[order], point[order]

    def get_many(self, child_id: np.ndarray) -> np.ndarray:
        if not self.ids.size:
            return np.full(child_id.size, -1)
        at = np.clip(np.searchsorted(self.ids, child_id), 0, self.ids.size - 1)
        return np.where(self.ids[at] == child_id, self.points[at], -1)


def _point_of_child(children: Table) -> _PointOfChild:
    north = children["route"] == Route.NORTH
    return _PointOfChild(children["child_id"][north], children["point"][north].astype(np.int64))
